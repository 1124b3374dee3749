"""`extern fn` (LANGUAGE.md v2 section 10) in the JSON of each command, and in
Monte Carlo: the trusted contract and spec, the chosen results, the note."""
from __future__ import annotations

import json

from conftest import EXAMPLES, run_cli

DISTANCE = EXAMPLES / "distance.relax"


def test_verify_counts_the_trusted_contract() -> None:
    out = run_cli("verify", DISTANCE, "--hardware", "library_chip", "--format", "json")
    assert out.code == 0
    [entry] = json.loads(out.out)["files"]
    assert entry["trusted"] == ["sqrt_approx"]
    assert all(o["function"] == "distance" for o in entry["obligations"])
    text = run_cli("verify", DISTANCE, "--fn", "sqrt_approx").out
    assert "0 obligations: 0 verified, 0 failed, 1 extern contract(s) trusted" in text


def test_reliability_trusts_the_spec_and_uses_it_at_the_call() -> None:
    out = run_cli("reliability", DISTANCE, "--hardware", "library_chip", "--format", "json")
    assert out.code == 0
    [entry] = json.loads(out.out)["files"]
    fns = {f["name"]: f for f in entry["functions"]}
    assert fns["sqrt_approx"]["extern"] is True and fns["sqrt_approx"]["checks"] == []
    assert fns["sqrt_approx"]["value"] == 0.9999
    # 0.9999 (the spec) * 0.99999 (the `+.` of its argument)
    assert abs(fns["distance"]["value"] - 0.9999 * 0.99999) < 1e-12
    assert "extern" not in fns["distance"]


def test_run_chooses_a_result_that_meets_the_ensures_and_says_so() -> None:
    out = run_cli("run", DISTANCE, "--fn", "distance", "--arg", "x=4", "--arg", "y=5",
                  "--arg", "cx=1", "--arg", "cy=1", "--format", "json", "--seed", "3")
    data = json.loads(out.out)
    assert out.code == 0 and data["extern"] == ["sqrt_approx"]
    num, _, den = str(data["result"]).partition("/")
    value = float(num) / float(den or 1)
    assert value >= 0 and abs(value * value - 25) <= 0.001


def test_monte_carlo_reuses_the_result_of_an_extern(tmp_path) -> None:
    """A faulty run on the same arguments gets the fault-free run's result, so the
    trusted spec 1.0 * R(x) holds in the measurement: every trial is correct."""
    src = tmp_path / "extern_trials.relax"
    src.write_text("hardware h { operator +. = 0.5; }\n"
                   "extern fn noisy(x: int) -> int ensures x <= result && result <= x + 100\n"
                   "  reliability R(result) >= 1.0 * R(x);\n"
                   "fn main(x: int) -> int {\n"
                   "  var z: int = x +. 1;\n"  # faults, but not in what `noisy` is given
                   "  var y: int = noisy(x);\n"
                   "  return y;\n"
                   "}\n")
    out = run_cli("run", src, "--fn", "main", "--arg", "x=3", "--trials", "40",
                  "--hardware", "h", "--format", "json")
    data = json.loads(out.out)
    assert out.code == 0, out.out
    assert data["faults_injected"] > 0
    assert data["correct"] == 40 and data["static_value"] == 1.0
