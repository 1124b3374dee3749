"""Shared helpers: run the CLI in-process and capture what it prints."""
from __future__ import annotations

import contextlib
import io
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from relaxverify.cli.main import main


def _examples_independent_of_imports() -> None:
    """Hypothesis (6.131 and later) also draws constants it finds in the project's
    modules imported so far. Which those are depends on the tests that ran before and
    on how relaxverify is installed (an editable install makes the package "local"),
    so a property drew other programs in a whole run than alone, and a count of
    comparable programs passed alone and failed in the suite. The pool is fixed to
    the constants of the program generators, whatever was imported."""
    try:
        from hypothesis.internal.conjecture import providers
        from hypothesis.internal.constants_ast import Constants, constants_from_module
    except ImportError:  # pragma: no cover - an older or another layout of Hypothesis
        return
    if not hasattr(providers, "_get_local_constants"):  # pragma: no cover
        return
    pool: list = []

    def generators_constants() -> Constants:
        if not pool:  # on first use, in a test (not while pytest starts)
            import differential
            import strategies
            import strategies_floats
            found = Constants()
            for module in (strategies, strategies_floats, differential):
                found |= constants_from_module(module)
            pool.append(found)
        return pool[0]

    providers._get_local_constants = generators_constants


_examples_independent_of_imports()

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


# ---------------------------------------------------------------- options and markers


def pytest_addoption(parser):
    parser.addoption("--slow", action="store_true", default=False,
                     help="run the soundness and robustness properties with a large budget "
                          "(implies --runslow)")
    parser.addoption("--runslow", action="store_true", default=False,
                     help="also run the tests marked `slow` (skipped by default)")
    parser.addoption("--update-data", action="store_true", default=False,
                     help="write the actual output into the [out] sections of "
                          "tests/data/*/*.test instead of failing (see tests/README.md)")


_CACHE_DIR = tempfile.mkdtemp(prefix="relaxverify-test-cache-")


def pytest_configure(config):
    # `relaxverify verify` caches its results (docs/verifier.md, "Jobs and cache"):
    # the tests' runs of the command line cache into a directory of their own,
    # never into the repository (subprocesses inherit it).
    os.environ["RELAXVERIFY_CACHE_DIR"] = _CACHE_DIR
    config.addinivalue_line("markers", "slow: a test over a few seconds; skipped unless "
                            "--runslow, --slow or -m slow is given")
    # Read when the soundness modules are imported (after this hook).
    if config.getoption("--slow"):
        os.environ.setdefault("RELAXVERIFY_SOUNDNESS_EXAMPLES", "400")
        os.environ.setdefault("RELAXVERIFY_ROBUSTNESS_EXAMPLES", "400")


def pytest_sessionstart(session):
    # The tests compare the tool's plain text: the colour settings of the shell that
    # started pytest are not the tool's (tests/test_cli_conventions.py sets them itself).
    # Here, not in pytest_configure: pytest's own output has read them by now.
    for name in ("FORCE_COLOR", "NO_COLOR"):
        os.environ.pop(name, None)


def runs_slow(config) -> bool:
    """Slow tests run when asked for, or when a `-m` expression names them (it decides)."""
    return bool(config.getoption("--runslow") or config.getoption("--slow")
                or "slow" in (config.getoption("markexpr", "") or ""))


def pytest_collection_modifyitems(config, items):
    if runs_slow(config):
        return
    skip = pytest.mark.skip(reason="slow: run with --runslow (or -m slow)")
    for item in items:
        if item.get_closest_marker("slow") is not None:
            item.add_marker(skip)


def pytest_unconfigure(config):
    shutil.rmtree(_CACHE_DIR, ignore_errors=True)


@pytest.fixture(autouse=True)
def _same_recursion_limit():
    """Every test starts from the limit the session started with: the Monte Carlo
    runs of an in-process Dask cluster raise it in several threads at once, and the
    last to restore it may put back another's raised value (the deep-nesting tests
    of the importers then pass or fail by the order the tests ran in)."""
    import sys
    saved = sys.getrecursionlimit()
    yield
    sys.setrecursionlimit(saved)
