"""`relaxverify report`: from files to the page (docs/report.md).

verify and the reliability analysis for every function, then the Monte Carlo
trials of each function that can run: one with no parameters, or whose every
parameter has a value among `args` (a value applies to every function with a
parameter of that name, so one `--arg n=8` serves a file whose functions share it).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional, Sequence, Union

from relaxverify import api
from relaxverify.htmlreport.convergence import RunRejected, converge
from relaxverify.htmlreport.data import FunctionRow, ReportData, collect
from relaxverify.report.render import FileReport

DEFAULT_TRIALS = 2000


@dataclass
class ReportOptions:
    trials: int = DEFAULT_TRIALS  # Monte Carlo trials per function; 0: none
    seed: int = 0
    args: dict[str, str] = field(default_factory=dict)  # parameter name -> Relax value
    hardware: Optional[str] = None
    timeout: float = 10.0
    fn: Union[str, Sequence[str], None] = None  # only this function, or these
    exclude: Sequence[str] = ()  # glob patterns skipped in directories (the configuration)
    jobs: int = 1  # verify's worker processes
    cache_dir: Optional[str] = None  # verify's result cache


class ReportError(Exception):
    """Bad input: a message, or the reports of the files (or the run) at fault."""

    def __init__(self, message: str, reports: Optional[list[FileReport]] = None):
        super().__init__(message)
        self.reports = reports or []


def build(paths: list[str], options: ReportOptions) -> ReportData:
    """The report's data; raises ReportError on bad input."""
    if options.trials < 0:
        raise ReportError(f"--trials must be 0 (no Monte Carlo) or more, not {options.trials}")
    verify = api.VerifyOptions(options.hardware, options.timeout, options.fn, options.exclude,
                               jobs=options.jobs, cache_dir=options.cache_dir)
    reliability = api.ReliabilityOptions(options.hardware, options.timeout, options.fn,
                                         options.exclude)
    data, errors = collect(paths, verify, reliability)
    if data is None:
        raise ReportError("no report written: fix the errors above first", errors)
    _check_args(data.functions, options.args)
    data.trials, data.seed = options.trials, options.seed
    if options.trials:
        for row in data.functions:
            _trials(row, options)
    return data


def _check_args(rows: list[FunctionRow], args: dict[str, str]) -> None:
    known = {name for r in rows for name in r.params}
    unused = sorted(set(args) - known)
    if unused:
        listing = ", ".join(f"`{n}`" for n in sorted(known)) or "none"
        raise ReportError(f"no function has a parameter named `{unused[0]}` (`--arg "
                          f"{unused[0]}=...`); the parameters are: {listing}")


def _trials(row: FunctionRow, options: ReportOptions) -> None:
    if row.static is None:
        return  # no result: nothing to compare
    if row.extern:
        row.no_trials = "an extern function has no body to run"
        return
    missing = [f"--arg {n}=<{t}>" for n, t in row.params.items() if n not in options.args]
    if missing:
        row.no_trials = "give its parameters' values: `" + " ".join(missing) + "`"
        return
    args = {n: options.args[n] for n in row.params}
    try:
        row.convergence = converge(row.path, row.name, args, options.trials, options.seed,
                                   options.hardware, options.timeout)
    except RunRejected as exc:
        raise ReportError(f"cannot run `{row.name}` with the --arg values given",
                          exc.result.files) from None
