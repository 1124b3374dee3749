"""`relaxverify report FILE... -o report.html`: the pictures (relaxverify/htmlreport/,
docs/report.md). It writes a file rather than a report on standard output, so
main.py calls `run`; matplotlib (the `report` extra) is checked before any work."""
from __future__ import annotations

import argparse
import sys
from typing import Union

from relaxverify.cli.common import common_options

PROG = "relaxverify report"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from relaxverify.htmlreport.build import DEFAULT_TRIALS
    for action in parser._actions:  # the page is the format
        if "--format" in action.option_strings:
            action.help = argparse.SUPPRESS
    parser.add_argument("-o", "--output", metavar="OUT", required=True,
                        help="the HTML file to write (`-` for standard output); a report "
                        "written before is replaced, any other file only with --force")
    parser.add_argument("--force", action="store_true",
                        help="replace OUT even if it is not a report (never a directory "
                        "or a .relax file)")
    parser.add_argument("--trials", type=int, default=DEFAULT_TRIALS, metavar="N",
                        help=f"Monte Carlo trials per function (default {DEFAULT_TRIALS}; "
                        "0: none)")
    parser.add_argument("--seed", type=int, default=0, metavar="S",
                        help="random seed of the trials (default 0)")
    parser.add_argument("--arg", action="append", default=[], metavar="NAME=VALUE",
                        help="a parameter value for the trials, given to every function "
                        "with a parameter NAME (repeat for each parameter)")
    parser.add_argument("--jobs", "-j", type=int, metavar="N",
                        help="prove functions in N processes (default: the machine's cores)")
    parser.add_argument("--no-cache", action="store_true",
                        help="neither read nor write verify's result cache")
    parser.set_defaults(formats=("text",))


def _error(message: str) -> int:
    print(f"{PROG}: error: {message}", file=sys.stderr)
    return 2


def run(args: argparse.Namespace) -> int:
    from relaxverify.htmlreport import plots
    from relaxverify.htmlreport.build import ReportError, ReportOptions, build
    from relaxverify.htmlreport.convergence import Interrupted
    from relaxverify.htmlreport.output import check_target, write_page
    from relaxverify.htmlreport.page import page
    from relaxverify.verify.cache import default_dir
    from relaxverify.verify.pool import default_jobs
    try:
        plots.require()
    except plots.MissingMatplotlib as exc:
        return _error(str(exc))
    values = _arg_values(args.arg)
    if isinstance(values, str):
        return _error(values)
    if args.jobs is not None and args.jobs < 1:
        return _error(f"--jobs must be a positive whole number, not {args.jobs}")
    options = ReportOptions(**common_options(args), trials=args.trials, seed=args.seed,
                            args=values, jobs=args.jobs or default_jobs(),
                            cache_dir=None if args.no_cache else default_dir())
    to_stdout = args.output == "-"
    try:
        if not to_stdout:
            check_target(args.output, args.force, list(args.files))
        data = build(list(args.files), options)
        text = page(data)
        if to_stdout:
            sys.stdout.write(text)
            return 0
        write_page(args.output, text, args.force, list(args.files))
    except ReportError as exc:
        return _failed(exc)
    except Interrupted:
        print(f"{PROG}: interrupted during the trials; no report written", file=sys.stderr)
        return 130
    failed = sum(r.failed for r in data.functions)
    ran = sum(r.convergence is not None and bool(r.convergence.points)
              for r in data.functions)
    print(f"wrote {args.output}: {len(data.functions)} function(s), {failed} failed "
          f"obligation(s), Monte Carlo for {ran}")
    return 0


def _arg_values(items: list[str]) -> Union[dict[str, str], str]:
    """The --arg values by parameter name, or what is wrong with one."""
    values: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or not name:
            return (f"`--arg {item}` needs a name and a value: write `--arg NAME=VALUE`, "
                    "e.g. `--arg x=3`")
        if name in values:
            return f"`--arg {name}=...` is given twice; give each parameter once"
        values[name] = value
    return values


def _failed(exc: Exception) -> int:
    from relaxverify.report.render import CommandResult, render
    reports = getattr(exc, "reports", [])
    if reports:
        render(CommandResult("report", reports), "text", sys.stderr)
    return _error(str(exc))
