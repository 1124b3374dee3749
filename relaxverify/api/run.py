"""`run`: execute a function, original or relaxed, with fault injection (docs/language.md,
spec §7-§8).

The work is `relaxverify.run.session.run_function`; here: loading the one file a run
takes, from a path or a source string, and the options as the API writes them.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional, Sequence

from relaxverify.api.inputs import Inputs
from relaxverify.api.options import RunOptions
from relaxverify.report.render import CommandResult
from relaxverify.run import session


@dataclass
class RunFailure:
    """The runtime check that failed: its kind (`assert`, `bounds`...) and place."""

    kind: str
    line: int
    column: int
    message: str


def run_inputs(inputs: Inputs, options: RunOptions) -> CommandResult:
    return run_loaded(inputs, options.functions, session.RunOptions(
        args=[f"{name}={value_text(v)}" for name, v in options.args.items()],
        semantics=options.semantics, trials=options.trials, seed=options.seed,
        float_reals=bool(getattr(options, "float_reals", False)),
        max_steps=options.max_steps, hardware=options.hardware,
        timeout=options.timeout, chunk_trials=options.chunk_trials, dask=options.dask))


def run_loaded(inputs: Inputs, functions: Sequence[str],
               opts: session.RunOptions) -> CommandResult:
    """Load the one file a run takes (a directory holding one counts) and run the one
    function of `functions` (none: the file's only function)."""
    if len(functions) > 1:
        return session.usage(inputs.paths[0] if inputs.paths else inputs.name,
                             f"`run` runs one function, but {len(functions)} are given "
                             f"({', '.join(f'`{n}`' for n in functions)}): give `--fn` once")
    if inputs.source is None and len(inputs.paths) != 1:
        return session.usage(inputs.paths[0] if inputs.paths else inputs.name,
                             f"`run` takes exactly one file, but {len(inputs.paths)} are "
                             "given: `relaxverify run FILE --fn NAME --arg x=...`")
    good, reports = inputs.load()
    if not good:
        for r in reports:
            r.extra = {}
        return CommandResult("run", reports, extra={"result": None, "error": None})
    if len(good) + len(reports) != 1:
        return session.usage(inputs.paths[0], f"`run` takes exactly one file, but "
                             f"`{inputs.paths[0]}` holds {len(good) + len(reports)}; name "
                             "one of them")
    return session.run_function(good[0], functions[0] if functions else None, opts)


def value_text(value: Any) -> str:
    """A parameter value as Relax writes it: `true`, `[1,2,3]`, `1/3`; text unchanged."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(value_text(v) for v in value) + "]"
    return str(value)  # a number, a Fraction (`1/3`) or Relax text


def result_value(result: CommandResult) -> Any:
    """The function's result as JSON gives it (None when the run failed or has none)."""
    return result.extra.get("result")


def run_failure(result: CommandResult) -> Optional[RunFailure]:
    """The failed runtime check of the run, if one failed."""
    error = result.extra.get("error")
    if not error:
        return None
    return RunFailure(error["kind"], error["line"], error["column"], error["message"])
