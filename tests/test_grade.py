"""`relaxverify grade`: scores, Gradescope's results.json, exit codes, and submissions
of every kind (malformed ones included) that never crash the grader."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import ROOT, run_cli

LAB1 = ROOT / "labs" / "01-hoare"
SOLUTION1 = (LAB1 / "solution.relax").read_text()

LAB = {
    "title": "Test lab",
    "submission": "sub.relax",
    "forbid": ["assume"],
    "tests": [
        {"name": "checks", "kind": "check", "max_score": 1},
        {"name": "inc verifies", "kind": "verify", "functions": ["inc"], "max_score": 4},
        {"name": "inc partial", "kind": "verify", "functions": ["inc"], "max_score": 2,
         "scoring": "per-obligation"},
        {"name": "caller", "kind": "hidden", "program": "hidden/caller.relax", "max_score": 3,
         "hint": "keep the ensures"},
        {"name": "inc(4) = 5", "kind": "run", "function": "inc", "args": {"x": 4},
         "expect": 5, "max_score": 1, "visibility": "after_due_date"},
        {"name": "half(1.0) ~ 0.5", "kind": "run", "function": "half", "args": {"v": 1.0},
         "expect": 0.5, "tolerance": 0.001, "max_score": 1},
        {"name": "get out of bounds fails", "kind": "run", "function": "get",
         "args": {"a": [1, 2], "i": 5}, "expect_error": "requires", "max_score": 1},
        {"name": "half is reliable", "kind": "reliability", "function": "half",
         "min_value": 0.999, "max_score": 2},
    ],
}

GOOD = """fn inc(x: int) -> int
  requires x >= 0
  ensures result == x + 1
{
  return x + 1;
}

fn half(v: real) -> real
  reliability R(result) >= 0.999 * R(v)
{
  var h: real = v *. 0.5;
  return h;
}

fn get(a: int[], i: int) -> int
  requires 0 <= i && i < len(a)
{
  return a[i];
}
"""

CALLER = """fn grader_caller() {
  var y: int = inc(1);
  assert y == 2;
}
"""


@pytest.fixture
def lab(tmp_path) -> Path:
    d = tmp_path / "lab"
    (d / "hidden").mkdir(parents=True)
    (d / "grading.json").write_text(json.dumps(LAB))
    (d / "hidden" / "caller.relax").write_text(CALLER)
    return d


def grade(lab_dir, submission, tmp_path, *extra):
    out = tmp_path / "results.json"
    result = run_cli("grade", lab_dir, submission, "--output", out, *extra)
    results = json.loads(out.read_text()) if out.exists() else None
    return result, results


def write(tmp_path, text, name="sub.relax") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def scores(results) -> dict[str, float]:
    return {t["name"]: t["score"] for t in results["tests"]}


def test_full_marks_and_gradescope_format(lab, tmp_path) -> None:
    result, results = grade(lab, write(tmp_path, GOOD), tmp_path)
    assert result.code == 0, result.out
    assert results["score"] == 15 == sum(t["max_score"] for t in results["tests"])
    assert set(results) >= {"score", "tests"}
    for test in results["tests"]:
        assert set(test) == {"name", "score", "max_score", "output", "visibility"}
        assert isinstance(test["output"], str) and test["output"]
    assert scores(results)["inc(4) = 5"] == 1
    assert results["tests"][4]["visibility"] == "after_due_date"
    assert "score: 15/15" in result.out


def test_weakened_contract_passes_verify_but_fails_the_hidden_caller(lab, tmp_path) -> None:
    weak = GOOD.replace("  ensures result == x + 1\n", "  ensures result > x\n")
    result, results = grade(lab, write(tmp_path, weak), tmp_path)
    s = scores(results)
    assert s["inc verifies"] == 4 and s["caller"] == 0
    caller = next(t for t in results["tests"] if t["name"] == "caller")
    assert "hidden program, fn grader_caller: failed: assert" in caller["output"]
    assert "hint: keep the ensures" in caller["output"]
    assert result.code == 0 and results["score"] == 12


def test_failed_obligation_is_explained_and_partial_credit(lab, tmp_path) -> None:
    wrong = GOOD.replace("  return x + 1;", "  return x + 2;")
    _, results = grade(lab, write(tmp_path, wrong), tmp_path)
    s = scores(results)
    assert s["inc verifies"] == 0
    assert 0 < s["inc partial"] < 2  # some obligations of inc still verify
    out = next(t for t in results["tests"] if t["name"] == "inc verifies")["output"]
    assert "sub.relax:3:11: failed: ensures (original)" in out
    assert "original: " in out
    assert s["inc(4) = 5"] == 0


def test_run_tests_compare_results(lab, tmp_path) -> None:
    wrong = GOOD.replace("v *. 0.5", "v *. 0.25").replace("  requires 0 <= i && i < len(a)\n", "")
    _, results = grade(lab, write(tmp_path, wrong), tmp_path)
    tests = {t["name"]: t for t in results["tests"]}
    assert tests["half(1.0) ~ 0.5"]["score"] == 0
    assert "expected 0.5" in tests["half(1.0) ~ 0.5"]["output"]
    # without its precondition, get fails its index check instead of its requires
    assert tests["get out of bounds fails"]["score"] == 0
    assert "expected a failed `requires` check, but it failed: index 5" in \
        tests["get out of bounds fails"]["output"]


def test_reliability_test_needs_a_spec_that_holds(lab, tmp_path) -> None:
    nospec = GOOD.replace("  reliability R(result) >= 0.999 * R(v)\n", "")
    _, results = grade(lab, write(tmp_path, nospec), tmp_path)
    test = next(t for t in results["tests"] if t["name"] == "half is reliable")
    assert test["score"] == 0 and "no reliability spec" in test["output"]


def test_malformed_submission_scores_zero_with_located_message(lab, tmp_path) -> None:
    bad = write(tmp_path, "fn inc(x: int -> int {\n  return x;\n}\n")
    result, results = grade(lab, bad, tmp_path)
    assert result.code == 0
    assert results["score"] == 0 and all(t["score"] == 0 for t in results["tests"])
    first = results["tests"][0]["output"]
    assert f"{bad}:1:15: error: unexpected `->`" in first
    assert " 1 | fn inc(x: int -> int {" in first
    assert "not run: your file does not parse" in results["tests"][1]["output"]
    assert "Traceback" not in result.out + result.err


@pytest.mark.parametrize("content", [
    b"", b"\xff\xfe\x00garbage", b"fn", b"fn f() { " + b"if (true) { " * 2000,
    b"fn f() -> int { return " + b"(" * 5000 + b"1" + b")" * 5000 + b"; }",
    b"fn inc(x: bool) -> bool { return x; }",  # wrong types: the hidden caller misfits
    b"// only a comment\n",
])
def test_odd_submissions_never_crash(lab, tmp_path, content) -> None:
    path = tmp_path / "sub.relax"
    path.write_bytes(content)
    result, results = grade(lab, path, tmp_path)
    assert result.code == 0, result.out + result.err
    assert "Traceback" not in result.out + result.err and "internal error" not in result.err
    assert results["score"] < 15
    assert all(isinstance(t["output"], str) and t["output"] for t in results["tests"])


@pytest.mark.parametrize("content", ["", "// nothing yet\n", "fn other() { skip; }\n"])
def test_a_file_without_the_labs_functions_scores_zero(lab, tmp_path, content) -> None:
    """An empty file, or the wrong one, checks but is no submission: zero, and why."""
    _, results = grade(lab, write(tmp_path, content), tmp_path)
    assert results["score"] == 0
    first = results["tests"][0]["output"]
    assert "defines none of the lab's functions (`inc`, `half`, `get`)" in first


def test_a_misfit_with_the_hidden_program_is_said_once_per_message(lab, tmp_path) -> None:
    (lab / "hidden" / "caller.relax").write_text(CALLER.replace(
        "assert y == 2;", "assert y == 2;\n  var z: int = inc(2);"))
    _, results = grade(lab, write(tmp_path, GOOD.replace("fn inc(", "fn incr(")), tmp_path)
    caller = next(t for t in results["tests"] if t["name"] == "caller")["output"]
    assert caller.count("function `inc` is not defined") == 1, caller


def test_submission_with_wrong_signature_explains_the_misfit(lab, tmp_path) -> None:
    odd = GOOD.replace("fn inc(x: int) -> int", "fn inc(x: int, y: int) -> int")
    _, results = grade(lab, write(tmp_path, odd), tmp_path)
    caller = next(t for t in results["tests"] if t["name"] == "caller")
    assert caller["score"] == 0 and "does not fit the hidden program" in caller["output"]


def test_missing_function_is_named(lab, tmp_path) -> None:
    _, results = grade(lab, write(tmp_path, GOOD.replace("fn inc(", "fn incr(")), tmp_path)
    out = next(t for t in results["tests"] if t["name"] == "inc verifies")["output"]
    assert "fn inc: not found in your file" in out


def test_forbidden_keyword_and_vacuous_proof_get_no_points(lab, tmp_path) -> None:
    cheat = GOOD.replace("  return x + 1;", "  assume false;\n  return x + 2;")
    _, results = grade(lab, write(tmp_path, cheat), tmp_path)
    assert scores(results)["inc verifies"] == 0
    assert "does not allow `assume`" in results["tests"][1]["output"]
    # `assume` in a comment is fine
    commented = GOOD.replace("  return x + 1;", "  // no assume here\n  return x + 1;")
    _, results = grade(lab, write(tmp_path, commented), tmp_path)
    assert scores(results)["inc verifies"] == 4
    vacuous = GOOD.replace("  requires x >= 0\n", "  requires x >= 0\n  requires x < 0\n")
    _, results = grade(lab, write(tmp_path, vacuous), tmp_path)
    assert scores(results)["inc verifies"] == 0
    assert "hold vacuously" in results["tests"][1]["output"]


def test_directory_submission_finds_the_file(lab, tmp_path) -> None:
    sub = tmp_path / "submission"
    sub.mkdir()
    (sub / "sub.relax").write_text(GOOD)
    (sub / "notes.relax").write_text("fn other() { skip; }\n")
    result, results = grade(lab, sub, tmp_path)
    assert result.code == 0 and results["score"] == 15


def test_grader_input_errors_exit_2_and_still_write_results(lab, tmp_path) -> None:
    result, results = grade(tmp_path / "nolab", write(tmp_path, GOOD), tmp_path)
    assert result.code == 2 and "unknown lab" in result.out
    assert results["score"] == 0 and "unknown lab" in results["tests"][0]["output"]
    result, results = grade(lab, tmp_path / "missing.relax", tmp_path)
    assert result.code == 2 and "no such submission file" in result.out
    empty = tmp_path / "empty"
    empty.mkdir()
    result, _ = grade(lab, empty, tmp_path)
    assert result.code == 2 and "no .relax file" in result.out
    (lab / "grading.json").write_text('{"tests": [{"name": "x", "kind": "nope", '
                                      '"max_score": 1}]}')
    result, _ = grade(lab, write(tmp_path, GOOD), tmp_path)
    assert result.code == 2 and "`kind` must be one of" in result.out
    (lab / "grading.json").write_text("{not json")
    result, _ = grade(lab, write(tmp_path, GOOD), tmp_path)
    assert result.code == 2 and "not valid JSON" in result.out
    result = run_cli("grade", LAB1, write(tmp_path, GOOD), "--fn", "x",
                     "--output", tmp_path / "r.json")
    assert result.code == 2 and "does not take --fn" in result.out


def test_unwritable_output_is_an_error(lab, tmp_path) -> None:
    result = run_cli("grade", lab, write(tmp_path, GOOD), "--output",
                     tmp_path / "no" / "such" / "dir" / "results.json")
    assert result.code == 2 and "cannot write" in result.out


def test_lab_found_by_name_number_and_short_name(tmp_path, monkeypatch) -> None:
    sub = write(tmp_path, SOLUTION1, "lab1.relax")
    monkeypatch.chdir(ROOT)
    for name in ("01-hoare", "1", "01", "hoare", str(LAB1)):
        result, results = grade(name, sub, tmp_path)
        assert result.code == 0 and results["score"] == 16, name


def test_json_format(lab, tmp_path) -> None:
    result = run_cli("grade", lab, write(tmp_path, GOOD), "--output", tmp_path / "r.json",
                     "--format", "json")
    doc = json.loads(result.out)
    assert doc["command"] == "grade" and doc["status"] == "verified"
    assert doc["files"][0]["score"] == 15 and doc["files"][0]["max_score"] == 15
    assert len(doc["files"][0]["tests"]) == len(LAB["tests"])


def test_features_of_a_case_study(tmp_path) -> None:
    lab6 = ROOT / "labs" / "06-case-study"
    result, results = grade(lab6, write(tmp_path, GOOD, "lab6.relax"), tmp_path)
    tests = {t["name"]: t for t in results["tests"]}
    relax = tests["an approximation (relax or havoc) with a verified accept"]
    assert relax["score"] == 0 and "missing: uses `relax` or `havoc`" in relax["output"]
    assert tests["at least two functions besides demo"]["score"] == 1
    assert tests["a reliability spec that holds on medium"]["score"] == 3
    demo = tests["demo runs in the original execution"]
    assert demo["score"] == 0 and "there is no function `demo`" in demo["output"]
    harness = tests["demo runs twice in the relaxed execution (hidden harness)"]
    assert harness["score"] == 0


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(alphabet="fn(){}<>;:=+-*./! \n\tintrealboolx0123456789assumeaccept",
               max_size=120))
def test_random_submissions_never_crash(tmp_path, text) -> None:
    path = tmp_path / "lab1.relax"
    path.write_text(text)
    out = tmp_path / "r.json"
    result = run_cli("grade", LAB1, path, "--output", out)
    assert result.code == 0, result.out + result.err
    assert "Traceback" not in result.err and "internal error" not in result.err
    assert json.loads(out.read_text())["score"] <= 16


def test_a_grader_bug_in_one_test_does_not_stop_the_others(lab, tmp_path, monkeypatch) -> None:
    from relaxverify.grading import grader as grade_module

    def broken(self, spec):
        raise KeyError("boom")
    monkeypatch.setattr(grade_module.Grader, "_run", broken)
    result, results = grade(lab, write(tmp_path, GOOD), tmp_path)
    assert result.code == 0
    run_tests = [t for t in results["tests"] if t["name"].startswith(("inc(4)", "half(1.0)"))]
    assert all(t["score"] == 0 and "the grader failed on this test" in t["output"]
               for t in run_tests)
    assert scores(results)["inc verifies"] == 4


def test_file_name_starting_with_a_dash(lab, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, GOOD, "-sub.relax")
    result = run_cli("grade", lab, "--output", "r.json", "--", "-sub.relax")
    assert result.code == 0, result.out
    assert json.loads((tmp_path / "r.json").read_text())["score"] == 15


@pytest.mark.parametrize("field, message", [
    ({"runs": {"args": {"x": 1}}}, "`runs` is a list of runs"),
    ({"runs": [{"args": {"x": 1}}], "functions": ["inc", "half"]},
     "`runs` needs a test of one function"),
    ({"runs": [{"args": {"x": 1}, "tries": 0}]}, "`tries` must be an integer >= 1"),
    ({"seed": -1}, "`seed` must be an integer >= 0"),
    ({"starter_clauses": ["requirez"]}, "`starter_clauses` lists clause keywords"),
    ({"starter_clauses": ["requires"]}, "`starter_clauses` needs the lab's starter.relax"),
    ({"accept_bound": {"of": "abs(x)"}}, "`accept_bound` is {\"of\": EXPRESSION"),
])
def test_malformed_guards_are_grader_input_errors(lab, tmp_path, field, message) -> None:
    config = json.loads(json.dumps(LAB))
    config["tests"][1].update(field)  # the `verify` test of inc
    (lab / "grading.json").write_text(json.dumps(config))
    result, results = grade(lab, write(tmp_path, GOOD), tmp_path)
    assert result.code == 2 and message in result.out, result.out
    assert results["score"] == 0 and message in results["tests"][0]["output"]
