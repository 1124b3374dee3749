"""Shared helpers: run the CLI in-process and capture what it prints."""
from __future__ import annotations

import contextlib
import io
import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from relaxverify.cli.main import main

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


@dataclass
class Outcome:
    code: int
    out: str
    err: str


def run_cli(*argv: str) -> Outcome:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(a) for a in argv])
    return Outcome(code, out.getvalue(), err.getvalue())


@pytest.fixture
def cli():
    return run_cli


# ---------------------------------------------------------------- budgets (soundness harness)


def pytest_addoption(parser):
    parser.addoption("--slow", action="store_true", default=False,
                     help="run the soundness and robustness properties with a large budget")


def pytest_configure(config):
    # Read when the soundness modules are imported (after this hook).
    if config.getoption("--slow"):
        os.environ.setdefault("RELAXVERIFY_SOUNDNESS_EXAMPLES", "400")
        os.environ.setdefault("RELAXVERIFY_ROBUSTNESS_EXAMPLES", "400")
