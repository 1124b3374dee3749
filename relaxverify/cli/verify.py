"""`relaxverify verify FILE...`: acceptability proofs (relaxverify/api/verify.py)."""
from __future__ import annotations

import argparse

from relaxverify import api
from relaxverify.cli.common import common_options
from relaxverify.report.render import CommandResult


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--explain", action="store_true",
                        help="print every obligation with its condition in source syntax")
    parser.add_argument("--smt2", metavar="DIR",
                        help="write each solver query as an SMT-LIB 2 file into DIR")
    parser.set_defaults(formats=("text", "json", "sarif"))


def execute(args: argparse.Namespace) -> CommandResult:
    options = api.VerifyOptions(**common_options(args), explain=args.explain, smt2=args.smt2)
    return api.verify(args.files, options=options)
