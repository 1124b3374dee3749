"""`relaxverify check FILE...`: parse and type-check."""
from __future__ import annotations

import argparse

from ..diagnostics import Diagnostic
from ..hardware import find_model, model_names
from ..pipeline import Loaded
from ..report import CommandResult, FileReport
from .common import loaded_files


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
    program = item.program
    diag = None
    if args.hardware and find_model(program, args.hardware) is None:
        diag = Diagnostic("error", f"unknown hardware model `{args.hardware}`", None, "hardware",
                          ["the models available for this file are: "
                           + ", ".join(model_names(program))], path=item.path)
    elif args.fn and args.fn not in program.functions:
        diag = Diagnostic("error", f"there is no function `{args.fn}` in this file", None, "name",
                          ["functions here: " + ", ".join(program.functions) if program.functions
                           else "this file defines no functions"], path=item.path)
    return FileReport(item.path, "error", item.source, [diag]) if diag else None
