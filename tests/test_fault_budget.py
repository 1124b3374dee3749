"""Fault budgets (`faults at most K;`, LANGUAGE.md v2 section 11) and the default
model (section 10): `run --trials` injects at most K faults per run; `verify`'s
counterexamples under a budget have at most K faulty values and replay; every
command uses a file's only model without --hardware."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from relaxverify.cli.main import main

ROOT = Path(__file__).parent.parent

# Eight sites that fail half the time: without a budget, runs see up to 8 faults.
MANY_SITES = """
hardware flaky {{ operator *. = 0.5; operator +. = 0.5; {budget} }}
fn f(x: int) -> int {{
  var s: int = 0;
  repeat (4) {{ s = s +. x *. 3; }}
  return s;
}}
"""


def _json(capsys, *argv: str) -> tuple[int, dict]:
    code = main([*argv, "--format", "json"])
    return code, json.loads(capsys.readouterr().out)


def _file(tmp_path: Path, text: str) -> str:
    path = tmp_path / "t.relax"
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize("k", [0, 1, 2])
def test_trials_inject_at_most_k_faults_per_run(tmp_path, capsys, k):
    path = _file(tmp_path, MANY_SITES.format(budget=f"faults at most {k};"))
    code, doc = _json(capsys, "run", path, "--fn", "f", "--arg", "x=2", "--trials", "400",
                      "--seed", "5")
    assert code == 0
    assert doc["hardware"] == "flaky"  # the file's only model, without --hardware
    assert doc["most_faults_per_run"] == k  # with 8 sites at 0.5, some run reaches K
    assert doc["faults_injected"] <= k * 400
    if k == 0:
        assert doc["correct"] == 400 and doc["faults_injected"] == 0


def test_trials_without_a_budget_exceed_two_faults(tmp_path, capsys):
    path = _file(tmp_path, MANY_SITES.format(budget=""))
    code, doc = _json(capsys, "run", path, "--fn", "f", "--arg", "x=2", "--trials", "400")
    assert code == 0 and doc["most_faults_per_run"] > 2


def test_trials_text_reports_the_budget(tmp_path, capsys):
    path = _file(tmp_path, MANY_SITES.format(budget="faults at most 1;"))
    assert main(["run", path, "--fn", "f", "--arg", "x=2", "--trials", "50"]) == 0
    out = capsys.readouterr().out
    assert "faults per run     at most 1 (`faults at most 1;`); the most in one run: 1" in out
    assert "note: model: `flaky` (the file's only hardware model)" in out


def test_plain_run_injects_no_faults_with_the_default_model(tmp_path, capsys):
    path = _file(tmp_path, MANY_SITES.format(budget=""))
    code, doc = _json(capsys, "run", path, "--fn", "f", "--arg", "x=2")
    assert code == 0 and doc["result"] == 24 and "faults_injected" not in doc
    code, doc = _json(capsys, "run", path, "--fn", "f", "--arg", "x=2", "--semantics",
                      "relaxed", "--seed", "1")
    assert code == 0 and doc["hardware"] == "flaky" and doc["faults_injected"] > 0


@pytest.mark.parametrize("k", [1, 2, 3])
def test_counterexample_has_at_most_k_faults_and_replays(tmp_path, capsys, k):
    """Four reads of a cell and a vote of the first three: the accept needs 2 faults
    to fail; the counterexample lists at most K faulty values and replays."""
    path = _file(tmp_path, f"""
hardware seu {{ memory urel read = 0.9; faults at most {k}; }}
fn vote(cell: int in urel) -> int requires cell == 5 {{
  var a: int = cell;
  var b: int = cell;
  var c: int = cell;
  var d: int = cell;
  var r: int = a;
  if (a != b && a != c) {{ r = b; }}
  accept r<o> == r<r>;
  return r + d - d;
}}
""")
    code, doc = _json(capsys, "verify", path)
    (ob,) = doc["files"][0]["obligations"]
    if k == 1:
        assert code == 0 and ob["status"] == "verified"
        return
    assert code == 1 and ob["status"] == "failed"
    assert ob["concrete"] is True and ob["replay"]["status"] == "reproduced"
    assert main(["verify", path]) == 1
    line = next(x for x in capsys.readouterr().out.splitlines()
                if "faulty results in the relaxed execution:" in x)
    faults = line.split("relaxed execution: ", 1)[1].split(", ")
    assert 2 <= sum(f != "exact" for f in faults) <= k, line


def test_default_model_is_used_by_verify_and_said(tmp_path, capsys):
    path = _file(tmp_path, """
hardware exact_mul { operator +. = 0.9; }
fn f(x: int) -> int {
  var y: int = x *. 2;
  accept y<o> == y<r>;
  return y;
}
""")
    assert main(["verify", path]) == 0  # `*.` is reliable in the file's model
    assert "model: `exact_mul` (the file's only hardware model)" in \
        capsys.readouterr().out
    assert main(["verify", path, "--hardware", "medium"]) == 1
    assert "the file's only hardware model" not in capsys.readouterr().out


def test_leto_dmr_example(capsys):
    path = str(ROOT / "examples" / "leto_dmr.relax")
    code, doc = _json(capsys, "verify", path)
    assert code == 0 and len(doc["files"][0]["obligations"]) == 3
    code, doc = _json(capsys, "verify", path, "--hardware", "aggressive")
    failed = [o["line"] for o in doc["files"][0]["obligations"] if o["status"] == "failed"]
    assert code == 1 and len(failed) == 3
