"""Every course lab is complete and consistent: the starter parses but does not get
full marks, the reference solution gets full marks, the hidden programs work with
the solution, and the handout matches the points of grading.json."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from conftest import ROOT, run_cli

LABS = sorted(p for p in (ROOT / "labs").iterdir() if (p / "grading.json").is_file())
TOPICS = ["hoare", "loop-invariants", "relax-accept", "divergent-loops", "reliability",
          "case-study", "precision"]


def grade(lab: Path, submission: Path, tmp_path: Path) -> tuple[int, dict, str]:
    out = tmp_path / "results.json"
    result = run_cli("grade", lab, submission, "--output", out)
    return result.code, json.loads(out.read_text()), result.out


def test_seven_labs_of_rising_difficulty() -> None:
    assert [p.name for p in LABS] == [f"{i:02d}-{t}" for i, t in enumerate(TOPICS, 1)]


@pytest.mark.parametrize("lab", LABS, ids=lambda p: p.name)
def test_lab_has_every_part(lab: Path) -> None:
    for name in ("README.md", "starter.relax", "solution.relax", "grading.json"):
        assert (lab / name).is_file(), f"{lab.name} has no {name}"
    assert list((lab / "hidden").glob("*.relax")), f"{lab.name} has no hidden program"
    config = json.loads((lab / "grading.json").read_text())
    programs = {t["program"] for t in config["tests"] if "program" in t}
    hidden = {f"hidden/{p.name}" for p in (lab / "hidden").glob("*.relax")}
    assert programs == hidden, "every hidden program is used by a test, and only those"
    assert "TODO" in (lab / "starter.relax").read_text()


def lab_hardware(lab: Path) -> list[str]:
    tests = json.loads((lab / "grading.json").read_text())["tests"]
    models = {t["hardware"] for t in tests if t["kind"] == "verify" and t.get("hardware")}
    return ["--hardware", models.pop()] if models else []


@pytest.mark.parametrize("lab", LABS, ids=lambda p: p.name)
def test_starter_parses_but_fails_and_solution_verifies(lab: Path) -> None:
    from relaxverify.grading.grader import strip_comments
    assert "assume" not in strip_comments((lab / "starter.relax").read_text())
    assert run_cli("check", lab / "starter.relax").code == 0
    assert run_cli("verify", lab / "starter.relax", *lab_hardware(lab)).code == 1
    result = run_cli("verify", lab / "solution.relax", *lab_hardware(lab))
    assert result.code == 0, result.out


@pytest.mark.parametrize("lab", LABS, ids=lambda p: p.name)
def test_starter_checks_but_does_not_get_full_marks(lab: Path, tmp_path) -> None:
    code, results, _ = grade(lab, lab / "starter.relax", tmp_path)
    assert code == 0
    assert results["tests"][0]["score"] == results["tests"][0]["max_score"]  # it checks
    assert results["score"] < sum(t["max_score"] for t in results["tests"]) / 2


@pytest.mark.parametrize("lab", LABS, ids=lambda p: p.name)
def test_solution_gets_full_marks(lab: Path, tmp_path) -> None:
    code, results, out = grade(lab, lab / "solution.relax", tmp_path)
    assert code == 0
    lost = [t for t in results["tests"] if t["score"] != t["max_score"]]
    assert not lost, out
    assert results["score"] == sum(t["max_score"] for t in results["tests"])


@pytest.mark.parametrize("lab", LABS, ids=lambda p: p.name)
def test_hidden_programs_work_with_the_solution(lab: Path, tmp_path) -> None:
    """Every hidden program checks with the solution; those of `hidden` tests verify."""
    solution = (lab / "solution.relax").read_text()
    tests = json.loads((lab / "grading.json").read_text())["tests"]
    for program in sorted((lab / "hidden").glob("*.relax")):
        combined = tmp_path / f"{program.stem}.relax"
        combined.write_text(solution + "\n" + program.read_text())
        assert run_cli("check", combined).code == 0, program.name
        for test in tests:
            if test["kind"] == "hidden" and test["program"] == f"hidden/{program.name}":
                args = ["--hardware", test["hardware"]] if test.get("hardware") else []
                result = run_cli("verify", combined, *args)
                assert result.code == 0, f"{program.name}:\n{result.out}"


@pytest.mark.parametrize("lab", LABS, ids=lambda p: p.name)
def test_handout_states_the_total(lab: Path) -> None:
    config = json.loads((lab / "grading.json").read_text())
    total = sum(t["max_score"] for t in config["tests"])
    handout = (lab / "README.md").read_text()
    assert re.search(rf"## Grading \({total} points\)", handout), \
        f"{lab.name}/README.md should say `## Grading ({total} points)`"
    assert config["submission"] in handout  # the handout names the file to hand in


def test_reliability_lab_solution_meets_its_specs() -> None:
    lab = ROOT / "labs" / "05-reliability"
    result = run_cli("reliability", lab / "solution.relax", "--hardware", "lab5")
    assert result.code == 0 and "3 spec(s) hold, 0 fail" in result.out
    starter = run_cli("verify", lab / "starter.relax", "--hardware", "lab5")
    assert starter.code == 1 and "bounds obligation (relaxed execution)" in starter.out


@pytest.mark.parametrize("lab", LABS, ids=lambda p: p.name)
def test_kept_fragments_are_in_starter_and_solution(lab: Path) -> None:
    from relaxverify.grading.grader import strip_comments
    for name in ("starter.relax", "solution.relax"):
        code = " ".join(strip_comments((lab / name).read_text()).split())
        for test in json.loads((lab / "grading.json").read_text())["tests"]:
            for fragment in test.get("keep", []):
                assert " ".join(fragment.split()) in code, f"{name} lacks `{fragment}`"


def test_changing_the_code_to_prove_costs_the_points(tmp_path) -> None:
    lab = ROOT / "labs" / "03-relax-accept"
    cheat = (lab / "solution.relax").read_text().replace(
        "relax (y) st (old(y) - 0.5 <= y && y <= old(y) + 0.5);", "relax (y) st (y == old(y));")
    (tmp_path / "lab3.relax").write_text(cheat)
    code, results, _ = grade(lab, tmp_path / "lab3.relax", tmp_path)
    test = next(t for t in results["tests"] if t["name"].startswith("A: approx_double verifies"))
    assert code == 0 and test["score"] == 0 and "unchanged" in test["output"]


@pytest.mark.parametrize("lab", LABS, ids=lambda p: p.name)
def test_hidden_functions_are_named_grader(lab: Path) -> None:
    from relaxverify.grading.grader import function_names
    for program in (lab / "hidden").glob("*.relax"):
        names = function_names(program.read_text())
        assert names and all(n.startswith("grader_") for n in names), program.name
