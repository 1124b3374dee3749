"""`relaxverify reliability FILE...`: reliability analysis (relaxverify/api/reliability.py)."""
from __future__ import annotations

import argparse

from relaxverify import api
from relaxverify.cli.common import common_options
from relaxverify.report.render import CommandResult

CONFIGURED = True  # reads relaxverify.toml (cli/config.py)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--precise", action="store_true",
                        help="masking-aware value: credit faults whose result is still "
                             "right (redundancy, voting); still a lower bound")


def execute(args: argparse.Namespace) -> CommandResult:
    return api.reliability(args.files, options=api.ReliabilityOptions(
        **common_options(args), precise=args.precise))
