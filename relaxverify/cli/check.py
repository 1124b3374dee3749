"""`relaxverify check FILE...`: parse and type-check (relaxverify/api/check.py)."""
from __future__ import annotations

import argparse

from relaxverify import api
from relaxverify.cli.common import common_options
from relaxverify.report.render import CommandResult


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.set_defaults(formats=("text", "json", "sarif"))


def execute(args: argparse.Namespace) -> CommandResult:
    return api.check(args.files, options=api.CheckOptions(**common_options(args)))
