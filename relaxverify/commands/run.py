"""`relaxverify run`: not implemented yet."""
from __future__ import annotations

import argparse

from ..diagnostics import Diagnostic
from ..report import CommandResult, FileReport


def add_arguments(parser: argparse.ArgumentParser) -> None:
    pass


def execute(args: argparse.Namespace) -> CommandResult:
    diag = Diagnostic("error", "`run` is not implemented yet", None, "internal", path=args.files[0])
    return CommandResult("run", [FileReport(args.files[0], "error", None, [diag])])
