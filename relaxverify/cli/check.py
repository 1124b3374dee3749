"""`relaxverify check FILE...`: parse and type-check."""
from __future__ import annotations

import argparse

from relaxverify.check.hardware import find_model
from relaxverify.pipeline import Loaded
from relaxverify.report.render import CommandResult, FileReport
from relaxverify.cli.common import loaded_files, unknown_function, unknown_model


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.set_defaults(formats=("text", "json", "sarif"))


def execute(args: argparse.Namespace) -> CommandResult:
    good, reports = loaded_files(args.files)
    for item in good:
        reports.append(_option_error(item, args) or FileReport(item.path, "verified", item.source))
    n_bad = sum(1 for r in reports if r.status == "error")
    summary = (f"checked {len(reports)} file(s): {len(reports) - n_bad} ok"
               + (f", {n_bad} with errors" if n_bad else ""))
    return CommandResult("check", reports, summary=summary)


def _option_error(item: Loaded, args: argparse.Namespace) -> FileReport | None:
    """--fn and --hardware name things in the file: a bad one is bad input (exit 2), as
    for `verify`, rather than silently ignored."""
    if args.hardware and find_model(item.program, args.hardware) is None:
        return unknown_model(item, args.hardware)
    if args.fn and args.fn not in item.program.functions:
        return unknown_function(item, args.fn)
    return None
