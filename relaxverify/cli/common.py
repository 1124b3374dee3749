"""Helpers shared by the command modules (docs/architecture.md, "Command line")."""
from __future__ import annotations

import argparse
from typing import Optional, Sequence, TypedDict

__all__ = ["common_options"]


class CommonKeywords(TypedDict):
    hardware: Optional[str]
    timeout: float
    fn: tuple[str, ...]
    exclude: Sequence[str]


def common_options(args: argparse.Namespace) -> CommonKeywords:
    """The options every command takes, as keywords of the options dataclasses
    (`exclude`: from the configuration, cli/config.py)."""
    return {"hardware": args.hardware, "timeout": args.timeout, "fn": tuple(args.fn or ()),
            "exclude": getattr(args, "exclude", ())}
