"""Parsing is reentrant: parses in several threads give what sequential parses give."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from conftest import ROOT
from relaxverify.report.diagnostics import RelaxError
from relaxverify.syntax.parser import parse

FILES = sorted(p for d in ("examples", "labs", "tests/data") for p in (ROOT / d).rglob("*.relax"))


def result(path: Path, driver: str) -> str:
    try:
        return repr(parse(path.read_text(), str(path), driver=driver))
    except RelaxError as exc:
        return repr([(d.message, d.span, d.notes) for d in exc.diagnostics])


@pytest.mark.parametrize("driver", ["fast", "lark"])
def test_parses_in_threads_do_not_interfere(driver: str) -> None:
    jobs = FILES * 3  # each file several times, interleaved with the others
    sequential = [result(p, driver) for p in jobs]
    with ThreadPoolExecutor(max_workers=8) as pool:
        threaded = list(pool.map(lambda p: result(p, driver), jobs))
    assert threaded == sequential
    # each file's spans name that file: no path leaked from a parse in another thread
    for path, text in zip(jobs, threaded):
        assert text.count("path=") == text.count(f"path='{path}'")
