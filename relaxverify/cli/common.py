"""Helpers shared by the command modules (docs/architecture.md, "Command line")."""
from __future__ import annotations

import argparse
from typing import Optional, TypedDict

# cli/run.py loads its file through this name until its logic moves to relaxverify/run/.
from relaxverify.api.inputs import loaded_files  # noqa: F401

__all__ = ["loaded_files", "common_options"]


class CommonKeywords(TypedDict):
    hardware: Optional[str]
    timeout: float
    fn: Optional[str]


def common_options(args: argparse.Namespace) -> CommonKeywords:
    """The options every command takes, as keywords of the options dataclasses."""
    return {"hardware": args.hardware, "timeout": args.timeout, "fn": args.fn}
