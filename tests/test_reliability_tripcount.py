"""LANGUAGE.md §12: loops whose trip count the `requires` bound. The values are in
tests/data/reliability/trip_counts.relax; here, the symbolic form, the text and
JSON, and the hints when no bound is found."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from relaxverify.cli.main import main

DATA = Path(__file__).resolve().parent / "data" / "reliability" / "trip_counts.relax"


def reliability_json(capsys, path: Path, fn: str) -> dict:
    main(["reliability", str(path), "--fn", fn, "--format", "json"])
    return json.loads(capsys.readouterr().out)["files"][0]["functions"][0]


def test_symbolic_value_and_bound_in_json(capsys):
    fn = reliability_json(capsys, DATA, "twice")
    assert fn["symbolic"] == "0.9999 * 0.99980001^n"
    assert fn["trip_bounds"] == [{"line": 21, "count": "n", "bound": 50}]
    assert fn["value"] == pytest.approx(0.9999 ** 101, rel=1e-12)
    fn = reliability_json(capsys, DATA, "window")
    assert fn["symbolic"] == "0.9999^(n - m)"
    assert fn["trip_bounds"][0]["bound"] == 10


def test_text_shows_bound_and_symbolic_value(capsys):
    main(["reliability", str(DATA), "--fn", "upto"])
    out = capsys.readouterr().out
    assert "at most 100 iterations (n <= 100 by the requires)" in out
    assert "as a function of the trip count: 0.9999^n" in out


def test_unbounded_for_hints_at_the_requires(capsys, tmp_path):
    code = main(["reliability", str(DATA), "--fn", "open_range"])
    out = capsys.readouterr().out
    assert code == 1
    assert "add `requires n <= N` (N a constant) to bound the loop at line 58" in out
    assert "constant `bound`" not in out  # a `for` has no `bound` clause


def test_unbounded_while_hints_at_a_bound(capsys, tmp_path):
    src = tmp_path / "w.relax"
    src.write_text("""fn f(n: int, x: int) -> int
  reliability R(result) >= 0.5 * R(n, x)
{
  var s: int = x;
  var k: int = 0;
  while (k < n) { s = s +. x; k = k + 1; }
  return s;
}
""")
    assert main(["reliability", str(src)]) == 1
    out = capsys.readouterr().out
    assert "give the loop at line 6 a `bound` that the `requires` limit" in out


def test_range_over_assigned_variable_says_why(capsys):
    main(["reliability", str(DATA), "--fn", "assigned_range", "--format", "json"])
    fn = json.loads(capsys.readouterr().out)["files"][0]["functions"][0]
    assert fn["value"] == 0 and "symbolic" not in fn
