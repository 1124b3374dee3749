"""Helpers shared by the command modules (docs/architecture.md, "Command line")."""
from __future__ import annotations

import argparse
from typing import Optional, TypedDict

__all__ = ["common_options"]


class CommonKeywords(TypedDict):
    hardware: Optional[str]
    timeout: float
    fn: Optional[str]


def common_options(args: argparse.Namespace) -> CommonKeywords:
    """The options every command takes, as keywords of the options dataclasses."""
    return {"hardware": args.hardware, "timeout": args.timeout, "fn": args.fn}
