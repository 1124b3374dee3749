"""`relaxverify check FILE...`: parse and type-check."""
from __future__ import annotations

import argparse

from ..report import CommandResult, FileReport
from .common import loaded_files


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.set_defaults(formats=("text", "json", "sarif"))


def execute(args: argparse.Namespace) -> CommandResult:
    good, reports = loaded_files(args.files)
    for item in good:
        reports.append(FileReport(item.path, "verified", item.source))
    n_bad = sum(1 for r in reports if r.status == "error")
    summary = (f"checked {len(reports)} file(s): {len(reports) - n_bad} ok"
               + (f", {n_bad} with errors" if n_bad else ""))
    return CommandResult("check", reports, summary=summary)
