"""Counterexample replay (`interpreter.replay`): hand-made counterexamples on failing
programs are reproduced, and ones that do not lead to the failure are not."""
from __future__ import annotations

from fractions import Fraction

import pytest

from relaxverify.core import nodes as C
from relaxverify.syntax.ast import Span
from relaxverify.verify.counterexample import Counterexample
from relaxverify.verify.replay import replay
from relaxverify.pipeline import load_source

SRC = """
fn relaxed_assert(x: int) -> int {
  var y: int = x;
  relax (y) st (y >= 0);
  assert y < 10;
  return y;
}

fn knob(x: int) -> int {
  var y: int = x;
  relax (y) st (x - 1 <= y && y <= x + 1);
  accept y<o> == y<r>;
  return y;
}

fn faulty_index(a: int[], i: int) -> int
  requires 0 <= i && i < len(a)
{
  var j: int = i +. 0;
  return a[j];
}

fn doubled(x: real) -> real
  ensures_r result<o> == result<r>
{
  var y: real = x *. 2.0;
  return y;
}

fn callee(x: int) -> int requires_r eq(x) { return x; }

fn caller(x: int) -> int {
  var y: int = x;
  relax (y) st (y >= x);
  var z: int = callee(y);
  return z;
}

fn div(x: int) -> int { return 10 / x; }

hardware adder_only { operator +. = 0.9; }

fn related(x: int) -> int requires_r eq(x) { return x; }

fn call_apart(x: int) -> int {
  var flag: bool = x > 0;
  relax (flag) st (true);
  var r: int = 0;
  if (flag) { r = related(x); }
  return r;
}

fn urel_write(x: int) -> int
  ensures_r result<o> == result<r>
{
  var y: int in urel = x +. 1;
  var z: int = y;
  return z;
}

fn loops(n: int) -> int {
  var k: int = 0;
  var m: int = n;
  relax (m) st (m >= 0 && m <= n);
  while (k < m) {
    accept k<o> == k<r>;
    k = k + 1;
  }
  return k;
}

fn perforated(n: int) -> int {
  var s: int = 0;
  var i: int = 0;
  var stride: int = 1;
  relax (stride) st (stride == 1 || stride == 2);
  while (i < n) invariant_r eq(i) {
    s = s + 1;
    i = i + stride;
  }
  return s;
}
"""
PROGRAM = load_source("t.relax", SRC).program


def span_of(needle: str, occurrence: int = 0) -> Span:
    """The span of the n-th line containing `needle` (whole line, from the first non-blank)."""
    hits = [i for i, line in enumerate(SRC.splitlines(), start=1) if needle in line]
    line = hits[occurrence]
    text = SRC.splitlines()[line - 1]
    col = text.index(needle) + 1
    return Span("t.relax", line, col, line, col + len(needle))


def cex(fn: str, o: dict, r: dict | None = None, **kw) -> Counterexample:
    return Counterexample(fn, dict(o), dict(r if r is not None else o), concrete=True, **kw)


def test_relaxed_assert_reproduced():
    out = replay(PROGRAM, cex("relaxed_assert", {"x": 1}, choices_r=[{"y": 12}]), "assert",
                 "relaxed", span_of("assert y < 10"))
    assert out.reproduced and "relaxed" in out.detail


def test_relaxed_assert_not_reproduced_with_a_harmless_choice():
    out = replay(PROGRAM, cex("relaxed_assert", {"x": 1}, choices_r=[{"y": 3}]), "assert",
                 "relaxed", span_of("assert y < 10"))
    assert not out.reproduced and "not reproduced" in out.detail


def test_choice_violating_the_predicate_is_noted():
    out = replay(PROGRAM, cex("relaxed_assert", {"x": 1}, choices_r=[{"y": -5}]), "assert",
                 "relaxed", span_of("assert y < 10"))
    assert "does not satisfy its predicate" in out.detail


def test_accept_reproduced_and_not():
    sp = span_of("accept y<o> == y<r>")
    assert replay(PROGRAM, cex("knob", {"x": 4}, choices_r=[{"y": 5}]), "accept",
                  "relational", sp).reproduced
    assert not replay(PROGRAM, cex("knob", {"x": 4}, choices_r=[{"y": 4}]), "accept",
                      "relational", sp).reproduced


def test_faulty_operation_values_are_replayed():
    sp = span_of("a[j]")
    hit = replay(PROGRAM, cex("faulty_index", {"a": [1, 2, 3], "i": 1}, faults=[7]), "bounds",
                 "relaxed", sp)
    assert hit.reproduced
    miss = replay(PROGRAM, cex("faulty_index", {"a": [1, 2, 3], "i": 1}, faults=[None]),
                  "bounds", "relaxed", sp)
    assert not miss.reproduced
    # the original execution never uses the faulty values
    assert not replay(PROGRAM, cex("faulty_index", {"a": [1, 2, 3], "i": 1}, faults=[7]),
                      "bounds", "original", sp).reproduced


def test_ensures_r_with_exact_rational_fault():
    sp = span_of("ensures_r result<o> == result<r>")
    assert replay(PROGRAM, cex("doubled", {"x": Fraction(1, 3)}, faults=[Fraction(2, 7)]),
                  "ensures_r", "relational", sp).reproduced
    assert not replay(PROGRAM, cex("doubled", {"x": Fraction(1, 3)}, faults=[]),
                      "ensures_r", "relational", sp).reproduced


def test_requires_r_at_a_call():
    sp = span_of("var z: int = callee(y);")
    assert replay(PROGRAM, cex("caller", {"x": 2}, choices_r=[{"y": 3}]), "requires_r",
                  "relational", sp).reproduced
    assert not replay(PROGRAM, cex("caller", {"x": 2}, choices_r=[{"y": 2}]), "requires_r",
                      "relational", sp).reproduced


def test_original_division_by_zero():
    sp = span_of("10 / x")
    assert replay(PROGRAM, cex("div", {"x": 0}), "division", "original", sp).reproduced
    assert not replay(PROGRAM, cex("div", {"x": 5}), "division", "original", sp).reproduced


def test_alignment_when_loops_run_different_counts():
    sp = span_of("accept k<o> == k<r>")
    assert replay(PROGRAM, cex("loops", {"n": 3}, choices_r=[{"m": 1}]), "alignment",
                  "relational", sp).reproduced
    assert not replay(PROGRAM, cex("loops", {"n": 3}, choices_r=[{"m": 3}]), "alignment",
                      "relational", sp).reproduced


def test_relational_invariant_in_lockstep():
    sp = span_of("while (i < n) invariant_r eq(i)")
    assert replay(PROGRAM, cex("perforated", {"n": 4}, choices_r=[{"stride": 2}]),
                  "invariant_r", "relational", sp).reproduced
    assert not replay(PROGRAM, cex("perforated", {"n": 4}, choices_r=[{"stride": 1}]),
                      "invariant_r", "relational", sp).reproduced


def test_missing_inputs_and_unknown_function_do_not_raise():
    out = replay(PROGRAM, cex("div", {}), "division", "original", span_of("10 / x"))
    assert out.reproduced and "no value for `x`" in out.detail
    assert not replay(PROGRAM, cex("nope", {}), "assert", "original", span_of("10 / x")).reproduced


def test_fault_list_includes_urel_writes_in_order():
    sp = span_of("ensures_r result<o> == result<r>", 1)
    # sites without a model: `+.`, the write of y, the read of y
    out = replay(PROGRAM, cex("urel_write", {"x": 1}, faults=[None, 50, None]), "ensures_r",
                 "relational", sp)
    assert out.reproduced
    # under a model where only `+.` can fail, the list has that one site
    model = PROGRAM.hardware["adder_only"]
    assert not replay(PROGRAM, cex("urel_write", {"x": 1}, faults=[None, 50]), "ensures_r",
                      "relational", sp, model).reproduced
    assert replay(PROGRAM, cex("urel_write", {"x": 1}, faults=[7]), "ensures_r",
                  "relational", sp, model).reproduced


def test_alignment_at_a_call_made_by_one_run():
    sp = span_of("r = related(x);")
    assert replay(PROGRAM, cex("call_apart", {"x": 1}, choices_r=[{"flag": False}]),
                  "alignment", "relational", sp).reproduced
    assert not replay(PROGRAM, cex("call_apart", {"x": 1}, choices_r=[{"flag": True}]),
                      "alignment", "relational", sp).reproduced


def test_failure_in_a_callee_on_the_other_branch_does_not_cut_an_alignment_short():
    """Found by the soundness harness: R takes the other branch and fails inside the
    callee it calls there; O reaches the loop. The failure is placed at the call, in
    the other branch, so it cannot have kept R from the loop: reproduced."""
    program = load_source("t.relax", """
fn boom(a: int[]) -> int
  requires len(a) >= 1
{
  return a[4];
}

fn main(a: int[], p: int) -> int
  requires len(a) >= 1
{
  var k: int = 0;
  if (p <. 0) {
    var c: int = boom(a);
  } else {
    while (k < 3) invariant_r k<r> <= k<o> bound 4 {
      k = k + 1;
    }
  }
  return k;
}""").program
    sp = loop_invariant_r_span(program, "main")
    args = {"a": [1, 2], "p": 1}
    out = replay(program, cex("main", args, faults=[True]), "alignment", "relational", sp)
    assert out.reproduced, out.detail
    assert "the relaxed run 0 time(s)" in out.detail


def loop_invariant_r_span(program, fn: str) -> Span:
    """The span of the first relational loop invariant of `fn`."""
    loop = next(s for s in C.walk(program.functions[fn].body) if isinstance(s, C.Loop))
    return loop.invariants_r[0].span
