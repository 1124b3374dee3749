"""`verify` replays every concrete counterexample in the interpreter and says so."""
from __future__ import annotations

import json

from conftest import ROOT, run_cli

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


def test_abstract_counterexamples_are_not_replayed() -> None:
    obligations = [o for o in failed_obligations(DATA / "lu_fail.relax") if not o["concrete"]]
    assert obligations
    assert {o["replay"]["status"] for o in obligations} == {"not concrete"}


def test_text_report_notes_the_replay() -> None:
    result = run_cli("verify", DATA / "floor_division.relax")
    assert result.code == 1
    assert ("note: replayed in the interpreter: reproduced: the original run fails the assert "
            "check at 19:3") in result.out
    assert "not reproduced" not in result.out
