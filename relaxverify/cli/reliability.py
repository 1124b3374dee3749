"""`relaxverify reliability FILE...`: reliability analysis (relaxverify/api/reliability.py)."""
from __future__ import annotations

import argparse

from relaxverify import api
from relaxverify.cli.common import common_options
from relaxverify.report.render import CommandResult


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.set_defaults(formats=("text", "json"))


def execute(args: argparse.Namespace) -> CommandResult:
    return api.reliability(args.files, options=api.ReliabilityOptions(**common_options(args)))
