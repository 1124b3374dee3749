"""Reliability of float programs and memory regions (LANGUAGE.md §7, §9): per-region
read/write probabilities, float operators as fault sites, the `overflow` check as a
place where a faulty run stops, and precision playing no part in the value."""
from __future__ import annotations

import json

import pytest

from relaxverify.cli.main import main
from relaxverify.pipeline import load_source
from relaxverify.reliability.analysis import analyse_program, function_value

MODELS = """
hardware h {
  operator +. = 0.99;
  operator *. = 0.95 precision float16;
  memory fast read = 0.9 write = 0.8;
  memory urel read = 0.5 write = 0.6;
}
hardware plain {
  operator +. = 0.99;
  operator *. = 0.95;
  memory fast read = 0.9 write = 0.8;
  memory urel read = 0.5 write = 0.6;
}
hardware other { memory slow read = 0.7; }
"""


def value(body: str, fn: str, model: str) -> float:
    item = load_source("t.relax", MODELS + body)
    assert item.ok, [d.message for d in item.diagnostics]
    return function_value(item.program, fn, item.program.hardware[model])


def test_each_region_has_its_own_read_and_write_probability() -> None:
    body = """
fn f(x: float64 in fast, y: float64) -> float64 {
  var s: float64 = x +. y;
  var t: float64 in fast = s *. y;
  return t;
}"""
    # read x (fast), +., *., write t (fast), read t (fast)
    expected = 0.9 * 0.99 * 0.95 * 0.8 * 0.9
    assert value(body, "f", "h") == pytest.approx(expected, rel=1e-12)


def test_urel_keeps_the_models_read_and_write() -> None:
    body = """
fn f(x: int in urel) -> int {
  var t: int in urel = x + 1;
  return t;
}"""
    assert value(body, "f", "h") == pytest.approx(0.5 * 0.6 * 0.5, rel=1e-12)


def test_region_the_model_does_not_declare_is_reliable() -> None:
    body = """
fn f(x: int in slow, a: int[] in slow) -> int {
  return x + a[0];
}"""
    assert value(body, "f", "h") == 1.0
    assert value(body, "f", "other") == pytest.approx(0.7 * 0.7, rel=1e-12)


def test_array_elements_in_a_region_read_with_its_probability() -> None:
    body = """
fn f(a: float32[], i: int) -> float32
  requires 0 <= i && i < len(a)
{
  var b: float32[] in fast = a;
  b[i] = b[i] +. 1.0;
  return b[i];
}"""
    # write b, then read b[i], +., write b, then read b[i]
    assert value(body, "f", "h") == pytest.approx(0.8 * 0.9 * 0.99 * 0.8 * 0.9, rel=1e-12)


def test_a_float_operation_on_a_faulty_input_may_stop_the_run() -> None:
    """`x * 2.0` on a faulty x (any finite float64) may overflow: the run stops
    without a result although y is right."""
    body = """
fn f(x: float64 in urel, y: int) -> int {
  var t: float64 = x * 2.0;
  return y;
}"""
    assert value(body, "f", "plain") == pytest.approx(0.5, rel=1e-12)


def test_conversions_and_math_functions_check_overflow_too() -> None:
    body = """
fn f(x: float64 in urel, y: int) -> int {
  var t: float32 = float32(x);
  return y;
}
fn g(x: float64 in urel, y: int) -> int {
  var t: float64 = sqrt(x);
  return y;
}
fn k(x: float64 in urel, y: int) -> int {
  var t: float64 = abs(x);
  return y;
}"""
    assert value(body, "f", "plain") == pytest.approx(0.5, rel=1e-12)
    assert value(body, "g", "plain") == pytest.approx(0.5, rel=1e-12)  # sqrt of a negative
    assert value(body, "k", "plain") == 1.0  # abs is exact: nothing to check


def test_dotted_real_operator_stops_a_run_only_under_a_precision() -> None:
    """On `real`, `*.` rounds (and may overflow) only when the model gives it a
    precision; without one a v1 program keeps its value."""
    body = """
fn f(x: real in urel, y: int) -> int {
  var t: real = x *. 2.0;
  return y;
}
fn g(x: real in urel, y: int) -> int {
  var t: real = x +. 2.0;
  return y;
}"""
    assert value(body, "f", "plain") == 1.0
    assert value(body, "f", "h") == pytest.approx(0.5, rel=1e-12)
    assert value(body, "g", "h") == 1.0  # `+.` has no precision in h


def test_constant_overflow_under_a_faulty_condition_costs_the_condition() -> None:
    """`float32(1e30) * 1e30` overflows whenever it is reached; a faulty `c` may
    reach it where the fault-free run does not. `1.0 * 2.0` never overflows."""
    body = """
fn f(c: int in urel, y: int) -> int {
  var z: float32 = 1.0;
  if (c > 0) { z = float32(1e30) * 1e30; }
  return y;
}
fn g(c: int in urel, y: int) -> int {
  var z: float32 = 1.0;
  if (c > 0) { z = float32(1.0) * 2.0; }
  return y;
}
fn k(c: int in urel, y: int) -> int {
  var z: bfloat16 = 1.0;
  if (c > 0) { z = bfloat16(sqrt(float64(-1.0))); }
  return y;
}"""
    assert value(body, "f", "plain") == pytest.approx(0.5, rel=1e-12)
    assert value(body, "g", "plain") == 1.0
    assert value(body, "k", "plain") == pytest.approx(0.5, rel=1e-12)


def test_precision_does_not_change_the_value_of_float_operations() -> None:
    """R(X) compares a faulty and a fault-free run at the same precisions (§9)."""
    body = """
fn f(x: float64, y: float32 in fast) -> float64 {
  var s: float64 = x *. x +. 1.0;
  var t: float32 = y *. y;
  return s +. float64(t);
}"""
    a, b = value(body, "f", "h"), value(body, "f", "plain")
    assert a == b == pytest.approx(0.95 * 0.99 * 0.9 * 0.9 * 0.95 * 0.99, rel=1e-12)


def test_reliability_spec_on_a_float_function(tmp_path, capsys) -> None:
    path = tmp_path / "f.relax"
    path.write_text(MODELS + """
fn f(x: float16 in fast, y: float16) -> float16
  reliability R(result) >= 0.85 * R(x, y)
{
  return x +. y;
}
fn g(x: float16 in fast, y: float16) -> float16
  reliability R(result) >= 0.9 * R(x, y)
{
  return x +. y;
}""")
    code = main(["reliability", "--hardware", "h", "--format", "json", str(path)])
    out = json.loads(capsys.readouterr().out)
    assert code == 1  # g's spec fails: 0.9 * 0.99 < 0.9
    text = json.dumps(out)
    assert "0.891" in text
    item = load_source(str(path), path.read_text())
    results, errors = analyse_program(item.program, item.program.hardware["h"])
    assert not errors
    assert {r.function.name: r.status for r in results} == {"f": "verified", "g": "failed"}


def test_overflow_in_a_loop_of_unknown_trip_count_may_stop_every_run() -> None:
    """`s +. x` on floats may overflow once a fault has made s huge, and stop the
    run whatever the result reads: r = 0 for the count too. On ints `+.` has no
    check, so the count keeps its value."""
    body = """
fn f(n: int, x: float64) -> int {
  var s: float64 = 0.0;
  var i: int = 0;
  while (i < n) { s = s +. x; i = i + 1; }
  return i;
}
fn g(n: int, x: int) -> int {
  var s: int = 0;
  var i: int = 0;
  while (i < n) { s = s +. x; i = i + 1; }
  return i;
}"""
    assert value(body, "f", "plain") == 0.0
    assert value(body, "g", "plain") == 1.0
