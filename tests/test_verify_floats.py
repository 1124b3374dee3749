"""`verify` on floats (LANGUAGE.md section 9): the rounding abstraction, overflow
obligations, failures the abstraction finds needing replay, and bound queries."""
import json
import re
from pathlib import Path

import pytest

from relaxverify.api.verify import ObligationResult, unconfirmed
from relaxverify.cli.main import main
from relaxverify.source import Span
from relaxverify.verify.counterexample import ReplayOutcome
from relaxverify.verify.floats import SPURIOUS
from relaxverify.verify.obligations import Obligation, bound_text

SINGLE = "hardware single {\n  operator *. = 1 precision float32;\n}\n"
HALF = "hardware half {\n  memory lowp precision float16;\n}\n"


def verify(tmp_path: Path, capsys, text: str, *args: str) -> tuple[int, list[dict], str]:
    path = tmp_path / "t.relax"
    path.write_text(text)
    code = main(["verify", str(path), "--format", "json", *args])
    doc = json.loads(capsys.readouterr().out)
    main(["verify", str(path), *args])
    return code, doc["files"][0]["obligations"], capsys.readouterr().out


def test_point_one_plus_point_two_is_not_point_three(tmp_path, capsys):
    code, obs, _ = verify(tmp_path, capsys, """
fn f(x: float64) -> float64
  requires x == 0.1
  ensures result == 0.3
{
  return x + 0.2;
}""")
    (ens,) = [o for o in obs if o["kind"] == "ensures" and o["side"] == "original"]
    assert ens["status"] in ("failed", "unknown") and code in (1, 3)
    # unconfirmed by replay: unknown with the reason, never verified
    assert ens["status"] == "failed" or ens["reason"] == SPURIOUS


def test_float16_square_of_300_overflows(tmp_path, capsys):
    code, obs, text = verify(tmp_path, capsys, """
fn f(x: float16) -> float16
  requires 0.0 <= x && x <= 300.0
{
  return x * x;
}""")
    bad = [o for o in obs if o["status"] != "verified"]
    assert [o["kind"] for o in bad] == ["overflow"] and code in (1, 3)
    assert "`x * x` may overflow float16 in the original execution (its largest value is " \
           "65504)" in bad[0]["message"]
    assert "note: floats: IEEE rounding abstracted" in text


def test_float16_square_of_100_does_not_overflow(tmp_path, capsys):
    code, obs, _ = verify(tmp_path, capsys, """
fn f(x: float16) -> float16
  requires -100.0 <= x && x <= 100.0
{
  return x * x;
}""")
    assert code == 0 and {o["kind"] for o in obs} == {"overflow"}


def test_bound_of_a_float32_product_is_near_its_unit_roundoff(tmp_path, capsys):
    code, obs, text = verify(tmp_path, capsys, SINGLE + """
fn f(x: float32) -> float64
  requires 0.0 <= x && x <= 1.0
{
  var y: float64 = float64(x) *. float64(x);
  accept abs(real(y<o>) - real(y<r>)) <= ?;
  return y;
}""", "--hardware", "single")
    (q,) = [o for o in obs if "bound" in o]
    assert code == 0 and q["status"] == "verified"
    # the true largest error is fl32(x*x) - x*x for x near 1: about 2^-24 = 5.96e-8
    assert 5.96e-8 <= q["bound"] <= 1.2e-7
    assert "bound: 6.0e-8 (proved)" in text


def test_the_same_rounding_in_both_executions_has_bound_zero(tmp_path, capsys):
    code, obs, text = verify(tmp_path, capsys, """
fn f(x: float32) -> float32
  requires 0.0 <= x && x <= 1.0
{
  var y: float32 = x * x + 0.5;
  accept abs(real(y<o>) - real(y<r>)) <= ?;
  return y;
}""")
    (q,) = [o for o in obs if "bound" in o]
    assert code == 0 and q["bound"] == 0.0 and "bound: 0 (proved)" in text


def test_region_precision_rounds_writes_and_parameters(tmp_path, capsys):
    code, obs, _ = verify(tmp_path, capsys, HALF + """
fn store(x: float32) -> float32
  requires 0.0 <= x && x <= 1.0
{
  var t: float32 in lowp = x;
  accept abs(real(t<o>) - real(t<r>)) <= ?;
  return t;
}

fn param(x: float32 in lowp) -> float32
  requires 0.0 <= x && x <= 1.0
{
  accept abs(real(x<o>) - real(x<r>)) <= ?;
  return x;
}""", "--hardware", "half")
    bounds = [o["bound"] for o in obs if "bound" in o]
    assert code == 0 and len(bounds) == 2
    for b in bounds:  # float16 rounds within 2^-11 relative: 4.88e-4 for x near 1
        assert 2 ** -11 <= b <= 2 ** -11 * 1.05


def test_no_finite_bound_is_unknown_with_null(tmp_path, capsys):
    code, obs, text = verify(tmp_path, capsys, """
fn f(x: real) -> real {
  var y: real = x;
  relax (y) st (true);
  accept abs(y<o> - y<r>) <= ?;
  return y;
}""")
    (q,) = [o for o in obs if "bound" in o]
    assert code == 3 and q["status"] == "unknown" and q["bound"] is None
    assert "could not prove any finite bound" in q["reason"]
    assert "bound: none proved" in text


def test_real_programs_stay_exact(tmp_path, capsys):
    code, obs, text = verify(tmp_path, capsys, """
fn f(x: real) -> real
  ensures result == x * x + 0.1
{
  return x * x + 0.1;
}""")
    assert code == 0 and [o["kind"] for o in obs] == ["ensures", "ensures"]
    assert "floats:" not in text


def _failed(approximate: bool) -> Obligation:
    ob = Obligation("f/ensures/original@1:1", "f", "ensures", "original",
                    Span("t.relax", 1, 1, 1, 2), "it holds", "true")
    ob.status, ob.approximate = "failed", approximate
    return ob


@pytest.mark.parametrize("approximate, reproduced, status", [
    (True, False, "unknown"), (True, True, "failed"), (False, False, "failed")])
def test_a_failure_through_the_abstraction_needs_replay(approximate, reproduced, status):
    ob = _failed(approximate)
    unconfirmed(ob, ObligationResult(ob, True, ReplayOutcome(reproduced, "detail")))
    assert ob.status == status
    assert (ob.reason == SPURIOUS) == (status == "unknown")


@pytest.mark.parametrize("value, text", [(1.6e-13, "1.6e-13"), (1.61e-13, "1.7e-13"),
                                         (9.96e-8, "1.0e-7"), (0.0, "0")])
def test_printed_bounds_are_rounded_upward(value, text):
    assert bound_text(value) == text and float(bound_text(value)) >= value


# Failures of overflow checks (kept out of tests/data/verify until the interpreter
# checks overflow: that suite requires every concrete counterexample to replay).
@pytest.mark.parametrize("program, line", [
    ("fn f(x: float16) -> float16\n  requires 0.0 <= x && x < 300.0\n{\n"
     "  var y: float16 = x *. x;\n  return y;\n}", 4),
    ("fn f(x: float32) -> float32\n  requires x >= -1.0\n{\n  return sqrt(x);\n}", 4),
])
def test_overflow_and_domain_failures(tmp_path, capsys, program, line):
    code, obs, _ = verify(tmp_path, capsys, program)
    bad = [o for o in obs if o["status"] != "verified"]
    assert code in (1, 3) and bad and all(o["kind"] == "overflow" and o["line"] == line
                                          for o in bad)


FAULTY_LOWP = """hardware lowp {
  operator +. = 0.999 precision bfloat16;
  operator -. = 1 precision float16;
  memory urel read = 0.9999 write = 0.9999;
  memory half precision float16;
}
"""


def test_a_fault_at_a_precision_is_a_value_of_that_format(tmp_path, capsys):
    """A faulty `+.` computed in bfloat16 returns a finite bfloat16 value (every one
    of which float32 holds), so converting it to float32 cannot overflow; found by
    the float harness when verify took any float64 value."""
    code, obs, _ = verify(tmp_path, capsys, FAULTY_LOWP + """
fn main(x1: float64) -> float32
  requires -1 <= x1 <= 1
{
  var v3: float32 = float32(x1 +. 3.0);
  return v3;
}""", "--hardware", "lowp")
    assert code == 0 and {o["status"] for o in obs} == {"verified"}


def test_an_operand_rounding_overflow_is_the_operations_and_replays(tmp_path, capsys):
    """A faulty read of `x2` (any float64) rounded to float16 by `-.`: the failure is
    at the operation, where the interpreter reports it, and replay, running R at the
    model's precisions, reproduces it."""
    code, obs, text = verify(tmp_path, capsys, FAULTY_LOWP + """
fn main(x2: float64 in urel) -> float64
  requires -4.0 <= x2 && x2 <= -2.0
{
  return (x2 -. 0.25);
}""", "--hardware", "lowp")
    failed = [o for o in obs if o["status"] != "verified"]
    assert code == 1 and [(o["kind"], o["side"], o["line"], o["column"], o["status"])
                          for o in failed] == [("overflow", "relaxed", 11, 10, "failed")]
    assert failed[0]["replay"]["status"] == "reproduced"
    faulty = re.search(r"faulty results in the relaxed execution: (\S+)", text)
    assert faulty and abs(float(faulty.group(1))) >= 65504


def test_a_region_write_overflow_is_the_statements(tmp_path, capsys):
    code, obs, text = verify(tmp_path, capsys, FAULTY_LOWP + """
fn main(x2: float64 in urel) -> float64
  requires -2.0 <= x2 && x2 <= 3.0
{
  var v5: float64 in half = x2;
  return v5;
}""", "--hardware", "lowp")
    failed = [o for o in obs if o["status"] != "verified"]
    assert code == 1 and [(o["kind"], o["line"], o["column"], o["replay"]["status"])
                          for o in failed] == [("overflow", 11, 3, "reproduced")]
    assert "may overflow float16 in the relaxed execution" in text
