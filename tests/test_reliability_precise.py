"""`reliability --precise` (LANGUAGE.md §11): the masking-aware value credits faults
whose result is still right, stays a lower bound of what `run --trials` measures,
and falls back to the plain value where the exact encoding does not apply."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from relaxverify.check.hardware import BUILTIN_MODELS
from relaxverify.cli.main import main
from relaxverify.pipeline import load_source
from relaxverify.reliability.analysis import analyse_program
from relaxverify.run.montecarlo import monte_carlo, wilson

ROOT = Path(__file__).resolve().parent.parent
DMR = ROOT / "examples" / "dmr_precise.relax"
AGGRESSIVE = BUILTIN_MODELS["aggressive"]
OP = 0.99  # aggressive: every unreliable operator


def results(source: str, model=AGGRESSIVE):
    item = load_source("t.relax", source)
    assert item.ok, [d.message for d in item.diagnostics]
    found, errors = analyse_program(item.program, model, precise=True)
    assert not errors
    return item.program, {r.function.name: r for r in found}


def test_dmr_is_credited_for_its_masked_faults():
    program, rs = results(DMR.read_text())
    r = rs["dmr"]
    assert r.value == pytest.approx(OP ** 3)  # plain: both copies and the comparison
    p = r.precise
    assert p is not None and p.applied and p.sites == 3 and p.masked == 3
    # No fault, any one of the three, and the pair (copy b, comparison) are masked.
    exact = OP ** 3 + 3 * (1 - OP) * OP ** 2 + (1 - OP) ** 2 * OP
    assert p.masked_pairs == 1
    assert r.reported_value == pytest.approx(exact, rel=1e-12)
    assert r.reported_value >= r.value


@pytest.mark.parametrize("x, y", [(37, 411), (0, 0), (1000, 999)])
def test_dmr_is_a_lower_bound_within_one_percent_of_monte_carlo(x, y):
    program, rs = results(DMR.read_text())
    value = rs["dmr"].reported_value
    mc = monte_carlo(program, "dmr", [x, y], AGGRESSIVE, 20000, seed=3)
    lo, hi = wilson(mc.correct, mc.trials)
    assert value <= hi
    assert abs(value - mc.fraction) <= 0.01 * mc.fraction
    assert value > rs["dmr"].value + 0.02  # the plain value is 3% off


TMR = """
fn vote(x: int) -> int
  requires -100 <= x && x <= 100
{
  var a: int = x +. 1;
  var b: int = x +. 1;
  var c: int = x +. 1;
  var r: int = a;
  if (a != b && a != c) { r = b; }
  return r;
}
"""


def test_tmr_vote_masks_every_single_fault():
    _, rs = results(TMR)
    r = rs["vote"]
    assert r.precise is not None and r.precise.masked == 3
    assert r.reported_value >= OP ** 3 + 3 * (1 - OP) * OP ** 2 - 1e-12
    assert r.reported_value > r.value


def test_nothing_masked_keeps_the_plain_value():
    _, rs = results("fn f(x: int, y: int) -> int { return (x *. y) +. 1; }")
    r = rs["f"]
    assert r.precise is not None and r.precise.applied and r.precise.masked == 0
    assert r.reported_value == pytest.approx(r.value) == pytest.approx(OP ** 2)


def test_a_fault_that_may_stop_the_run_is_not_masked():
    # A faulty divisor may be 0: the run stops (incorrect), though the result
    # itself does not depend on the quotient.
    src = """fn f(x: int) -> int requires 0 <= x && x <= 10 {
      var q: int = 100 / (x +. 1);
      return x;
    }"""
    _, rs = results(src)
    r = rs["f"]
    assert r.precise is not None and r.precise.applied and r.precise.masked == 0


def test_requires_decide_what_is_masked():
    # `a` only matters when x > 0; the requires rule that out.
    src = """fn f(x: int) -> int requires x <= 0 {
      var a: int = x +. 1;
      var r: int = 0;
      if (x > 0) { r = a; }
      return r;
    }"""
    _, rs = results(src)
    assert rs["f"].precise.masked == 1
    assert rs["f"].reported_value == pytest.approx(1.0)


def test_a_constant_loop_is_unrolled_and_other_code_falls_back():
    _, rs = results("""
    fn rep(x: int) -> int { var s: int = x; repeat (3) { s = s +. 0; } return s; }
    fn arr(a: int[]) -> int requires len(a) > 0 { return a[0] +. 1; }
    """)
    assert rs["rep"].precise.sites == 3 and rs["rep"].precise.applied
    p = rs["arr"].precise
    assert not p.applied and "array" in p.fallback
    assert rs["arr"].reported_value == rs["arr"].value


def test_cli_precise_text_and_json(capsys):
    code = main(["reliability", str(DMR), "--hardware", "aggressive", "--precise"])
    out = capsys.readouterr().out
    assert code == 0
    assert "value 0.999801 (masking-aware: 3 of 3 single faults" in out
    assert "plain value 0.970299" in out
    main(["reliability", str(DMR), "--hardware", "aggressive", "--precise",
          "--format", "json"])
    fn = json.loads(capsys.readouterr().out)["files"][0]["functions"][0]
    assert fn["value"] == pytest.approx(0.999801)
    assert fn["plain_value"] == pytest.approx(0.970299)
    assert fn["precise"]["applied"] is True and fn["precise"]["masked_pairs"] == 1


def test_without_precise_the_value_is_the_plain_one(capsys):
    main(["reliability", str(DMR), "--hardware", "aggressive", "--format", "json"])
    fn = json.loads(capsys.readouterr().out)["files"][0]["functions"][0]
    assert fn["value"] == pytest.approx(0.970299) and "precise" not in fn


REAL_DMR = """
hardware approx { operator *. = 0.99 error 0.5; }
fn f(x: real, y: real) -> real {
  var a: real = x *. y;
  var b: real = x *. y;
  var r: real = a;
  if (a != b) { r = x * y; }
  return r;
}
"""


def test_reals_are_exact_unless_the_model_rounds_them():
    item = load_source("t.relax", REAL_DMR)
    model = item.program.hardware["approx"]
    found, _ = analyse_program(item.program, model, precise=True)
    p = found[0].precise
    # A single faulty copy differs from the other one (or equals the exact value).
    assert p.applied and p.masked == 2 and found[0].reported_value > found[0].value
    rounding = REAL_DMR.replace("error 0.5;", "error 0.5 precision float32;")
    item = load_source("t.relax", rounding)
    found, _ = analyse_program(item.program, item.program.hardware["approx"], precise=True)
    assert not found[0].precise.applied and "real" in found[0].precise.fallback
