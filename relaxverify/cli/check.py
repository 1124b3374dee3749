"""`relaxverify check FILE...`: parse and type-check (relaxverify/api/check.py)."""
from __future__ import annotations

import argparse

from relaxverify import api
from relaxverify.cli.common import common_options
from relaxverify.report.render import CommandResult

FORMATS = ("text", "json", "sarif", "github")
CONFIGURED = True  # reads relaxverify.toml (cli/config.py)
EXITS_AT_ONCE = True  # leaves nothing to clean up (main._exit_at_once)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """`check` takes only the common options."""


def execute(args: argparse.Namespace) -> CommandResult:
    return api.check(args.files, options=api.CheckOptions(**common_options(args)))
