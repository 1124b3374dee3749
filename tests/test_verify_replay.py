"""`verify` replays every concrete counterexample in the interpreter and says so."""
from __future__ import annotations

import json

from conftest import ROOT, run_cli
from relaxverify.verify import replay as replay_module

DATA = ROOT / "tests" / "data" / "verify"


def failed_obligations(path) -> list[dict]:
    result = run_cli("verify", path, "--format", "json")
    assert result.code == 1
    return [o for o in json.loads(result.out)["files"][0]["obligations"]
            if o["status"] == "failed"]


def test_concrete_counterexamples_are_reproduced() -> None:
    obligations = failed_obligations(DATA / "divergence_fail.relax")
    by_line = {o["line"]: o for o in obligations}
    for line, kind in ((36, "bounds"), (54, "alignment"), (63, "accept"), (73, "requires_r")):
        o = by_line[line]
        assert o["kind"] == kind and o["concrete"]
        assert o["replay"]["status"] == "reproduced", o["replay"]
    for o in obligations:
        assert ("replay" in o) and (o["replay"]["status"] != "not reproduced"), o


LOOPS = """\
fn real_bug(n: int) -> int
  requires 1 <= n
{
  var i: int = 0;
  while (i < n) invariant 0 <= i && i <= n { i = i + 1; }
  assert i != n;
  return i;
}

fn weak_invariant(n: int) -> int
  requires 0 <= n
{
  var i: int = 0;
  while (i < n) invariant 0 <= i { i = i + 1; }
  assert i == n;
  return i;
}
"""


def test_abstract_counterexamples_run_from_their_inputs(tmp_path) -> None:
    """As Why3's --check-ce: a real run from the inputs that fails is a real bug (the
    assert at line 6 fails in every run); one that does not points at a summary that
    may be too weak (the assert at line 15 holds in every run, the invariant is weak)."""
    path = tmp_path / "loops.relax"
    path.write_text(LOOPS)
    # the relaxed side may assume the original's check (the runs are aligned)
    by_line = {o["line"]: o for o in failed_obligations(path) if o["side"] == "original"}
    real, weak = by_line[6], by_line[15]
    assert not real["concrete"] and not weak["concrete"]
    assert real["replay"]["status"] == "reproduced", real["replay"]
    assert weak["replay"]["status"] == "inconclusive", weak["replay"]
    assert "may be too weak" in weak["replay"]["detail"]
    text = run_cli("verify", path).out
    assert ("note: run from these inputs in the interpreter: reproduced: the original run "
            "fails the assert check at 6:3") in text
    assert ("note: run from these inputs in the interpreter: the runs from these inputs do "
            "not fail here, so the loop invariant or contract that summarises the code on "
            "the way may be too weak to prove it") in text


def test_a_replay_that_runs_too_long_is_stopped(tmp_path, monkeypatch) -> None:
    """Abstract counterexamples may have huge inputs: n = 10^6 here makes the nested
    loops run 10^12 times; the replay stops and says it cannot tell."""
    monkeypatch.setattr(replay_module, "REPLAY_SECONDS", 0.2)
    path = tmp_path / "nested.relax"
    path.write_text("""\
fn count(n: int) -> int
  requires 1000000 <= n
{
  var i: int = 0;
  var j: int = 0;
  while (i < n) invariant 0 <= i {
    j = 0;
    while (j < n) invariant 0 <= j { j = j + 1; }
    i = i + 1;
  }
  assert i == n;
  return i;
}
""")
    [ob] = [o for o in failed_obligations(path) if o["side"] == "original"]
    assert ob["replay"]["status"] == "inconclusive"
    assert "fails the limit check" in ob["replay"]["detail"]
    assert "stopped at an interpreter limit" in ob["replay"]["detail"]


def test_text_report_notes_the_replay() -> None:
    result = run_cli("verify", DATA / "floor_division.relax")
    assert result.code == 1
    assert ("note: replayed in the interpreter: reproduced: the original run fails the assert "
            "check at 19:3") in result.out
    assert "not reproduced" not in result.out
