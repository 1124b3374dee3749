"""Differential soundness: `verify` against the interpreter, on generated programs.

Every obligation the verifier proves must hold in many seeded pairs of runs
(original fault-free, relaxed with random relax choices and injected faults), and
every failed obligation with a concrete counterexample must replay (see
tests/differential.py for exactly what counts as a disagreement). The harness is
tested too: fed a verifier that lies, it must object. Disagreements found so far
are the named regressions at the end (xfail while the module at fault is fixed).

Budget: RELAXVERIFY_SOUNDNESS_EXAMPLES programs (default 40) or pytest --slow.
"""
from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from differential import Tally, check_program, definedness, metas_of, verify_all
from relaxverify.cli.main import main as cli_main
from relaxverify.core import checks
from relaxverify.core import nodes as C
from relaxverify.run.options import Options as RunOptions
from relaxverify.run.runtime import Interpreter
from relaxverify.verify.replay import replay
from relaxverify.pipeline import load_source
from strategies import (FnMeta, GenProgram, Options, Param, budget,
                        large_budget, programs)

EXAMPLES = budget(28)
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, derandomize=not large_budget(),
                    database=None, suppress_health_check=list(HealthCheck))


def test_verified_claims_survive_the_interpreter():
    total = Tally()

    @SETTINGS
    @given(programs())
    def prop(gen: GenProgram) -> None:
        tally = check_program(gen, pairs=30)
        total.add(tally)
        assert not tally.disagreements, "\n\n".join(map(str, tally.disagreements))

    prop()
    # The property is only as good as its programs: both verdicts must occur.
    assert total.verified > 0 and total.failed > 0, vars(total)
    assert total.verified_functions > 0 and total.replays > 0, vars(total)
    assert total.run_pairs >= EXAMPLES * 10, vars(total)


# ---------------------------------------------------------------- the harness objects


def gen_program(source: str, *params: Param, custom_r: bool = False) -> GenProgram:
    return GenProgram(source, [FnMeta("main", list(params), True, custom_r)])


def lying(program, model):
    """A verifier that proves everything."""
    obligations = verify_all(program, model)
    for o in obligations:
        o.status, o.counterexample = "verified", None
    return obligations


def forgetful(kind: str):
    """A verifier that never generates obligations of `kind`."""
    def verify(program, model):
        return [o for o in verify_all(program, model) if o.kind != kind]
    return verify


LIES = {
    "original_assert": ("""
fn main(p: int) -> int
  requires 0 <= p && p <= 3
{
  assert p < 2;
  return p;
}""", Param("p", lo=0, hi=3), "unsound", "assert"),
    "relaxed_bounds": ("""
fn main(p: int) -> int
  requires 0 <= p && p <= 2
{
  var a: int[3];
  var i: int = p;
  relax (i) st (0 <= i && i <= 5);
  return a[i];
}""", Param("p", lo=0, hi=2), "unsound", "bounds"),
    "accept": ("""
fn main(p: int) -> int
  requires 0 <= p && p <= 2
{
  var x: int = p;
  relax (x) st (old(x) <= x && x <= old(x) + 3);
  accept x<r> <= x<o> + 1;
  return 0;
}""", Param("p", lo=0, hi=2), "unsound", "accept"),
    "invariant_r": ("""
fn main(p: int) -> int
  requires 0 <= p && p <= 2
{
  var x: int = p;
  var k: int = 0;
  while (k < 3) invariant_r eq(x) bound 3 {
    x = x +. 1;
    k = k + 1;
  }
  return 0;
}""", Param("p", lo=0, hi=2), "unsound", "invariant_r"),
    "ensures_r": ("""
fn main(p: int) -> int
  requires 0 <= p && p <= 2
  ensures_r eq(result)
{
  var x: int = p *. 2;
  return x;
}""", Param("p", lo=0, hi=2), "unsound", "ensures_r"),
}


@pytest.mark.parametrize("name", sorted(LIES))
def test_harness_catches_a_lying_verifier(name):
    source, param, what, kind = LIES[name]
    tally = check_program(gen_program(source, param), pairs=60, verify=lying)
    assert any(d.what == what and kind in d.detail for d in tally.disagreements), \
        [str(d) for d in tally.disagreements]


def test_harness_catches_a_missing_obligation():
    source, param, _what, _kind = LIES["relaxed_bounds"]
    tally = check_program(gen_program(source.replace("relax", "havoc"), param), pairs=60,
                          verify=forgetful("bounds"))
    assert any(d.what == "missing" and "bounds" in d.detail for d in tally.disagreements)


def test_harness_catches_a_counterexample_that_does_not_replay():
    source, param, _what, _kind = LIES["original_assert"]

    def wrong_inputs(program, model):
        obligations = verify_all(program, model)
        for o in obligations:
            if o.counterexample is not None:
                o.counterexample.inputs_o = {"p": 0}  # where the assertion holds
        return obligations
    tally = check_program(gen_program(source, param), pairs=1, verify=wrong_inputs)
    assert any(d.what == "replay" for d in tally.disagreements)


def test_harness_is_quiet_on_a_correct_verifier():
    for source, param, _what, _kind in LIES.values():
        tally = check_program(gen_program(source, param), pairs=60)
        assert not tally.disagreements, [str(d) for d in tally.disagreements]
        assert tally.failed > 0 and tally.run_pairs > 0


HARNESS_BUGS = {
    # R fails the unary invariant in the loop: its last head is not an exit state,
    # so O's later heads must not be paired with it.
    "stopped_in_loop": ("""
fn main(p1: int) -> int
  requires -1 <= p1 && p1 <= 3
{
  var v4: int = -1;
  for i5 in 1 .. p1 invariant -6 <= v4 && v4 <= 0 invariant_r i5<o> <= i5<r> {
    relax (v4) st (old(v4) - 2 <= v4 && v4 <= old(v4) + 2);
  }
  return v4;
}""", Param("p1", lo=-1, hi=3)),
    # R leaves early (a faulty condition) and fails `ensures` later; the failed
    # invariant_r that the proof of `ensures` assumes cannot be evaluated past the
    # lockstep heads, so R may not be judged.
    "stopped_after_loop": ("""
fn main(b5: int[]) -> int
  requires len(b5) >= 1
  ensures result >= 2
{
  var k6: int = 0;
  while ((k6 <. 2 || 1 ==. k6)) invariant k6 >= 0 invariant_r eq(k6) bound 3 {
    var v7: int in urel = 2;
    k6 = k6 + 1;
  }
  return k6;
}""", Param("b5", array=True, min_len=1)),
}


@pytest.mark.parametrize("name", sorted(HARNESS_BUGS))
def test_harness_pairs_loop_heads_only_while_both_runs_live(name):
    """Found at the large budget: false alarms of the harness itself. The product
    pairs a side's extra iterations with the other's exit state, which a run that
    stopped with a failure may not have reached."""
    source, param = HARNESS_BUGS[name]
    tally = check_program(gen_program(source, param), pairs=300)
    assert tally.run_pairs > 100 and not tally.disagreements, \
        [str(d) for d in tally.disagreements]


def test_harness_skips_requires_r_at_a_call_whose_requires_the_relaxed_run_fails():
    """Found at the large budget (seed 21): a false alarm of the harness. At a call the
    callee's `requires` is checked per side before `requires_r` (docs/verifier.md), so
    the proof of `requires_r` may assume R's `requires`: here that makes it vacuous.
    R stops at `requires` (a failed relaxed obligation) and never reaches `requires_r`,
    which the harness must not then evaluate."""
    source = """
fn h(n: int) -> int
  requires 0 <= n
{
  return n;
}

fn main(p: int) -> int
  requires 0 <= p && p <= 2
{
  var v: int = p;
  relax (v) st (-3 <= v && v <= -1);
  var c: int = h(v);
  return 3;
}"""
    gen = GenProgram(source, [FnMeta("main", [Param("p", lo=0, hi=2)], True)])
    tally = check_program(gen, pairs=60)
    assert tally.run_pairs > 30 and tally.failed > 0, vars(tally)
    assert not tally.disagreements, [str(d) for d in tally.disagreements]


def test_harness_does_not_judge_past_a_call_one_run_may_make_alone():
    """Found at the large budget (seed 7): a false alarm of the harness. R runs an
    iteration that O does not and calls `h0` alone; `h0`'s relaxed-side proof of its
    `assume` leans on a partner run, so verify reports `alignment` at the call, and
    R's failure inside `h0` must not be judged against `h0`'s verified obligation."""
    source = """
fn h0(p1: int in urel, p2: int) -> int
  requires -2 <= p1 && p1 <= 0 && -2 <= p2 && p2 <= 0
  requires_r p1<o> <= p1<r> && p1<r> <= p1<o> + 1 && eq(p2)
{
  assume (p2 < (2 - p1) ==> -1 >= 2);
  return p1;
}

fn main(p9: int in urel, b10: int[]) -> int
  requires -2 <= p9 && p9 <= 2
  requires_r p9<o> <= p9<r> && p9<r> <= p9<o> + 1 && eq(b10)
{
  var k11: int = 0;
  while (k11 < p9) invariant k11 >= 0 invariant_r eq(b10) bound 2 {
    var c12: int in urel = h0(len(b10), len(b10));
    k11 = k11 + 1;
  }
  return p9;
}"""
    item = load_source("t.relax", source)
    tally = check_program(GenProgram(source, metas_of(item.program)), pairs=200)
    assert tally.run_pairs > 10 and tally.failed > 0, vars(tally)
    assert not tally.disagreements, [str(d) for d in tally.disagreements]


# ---------------------------------------------------------------- constructs of known issues


def test_generator_makes_the_one_semantics_constructs():
    """By default the generator writes every construct of the one-semantics issue
    (partial expressions in quantifiers and predicates, havocs under unreliable
    conditions, written-out requires_r; faults that hit limits in reliability
    programs), so the harness keeps looking where the consumers once disagreed."""
    found: dict[str, int] = {}
    patterns = {
        "off-by-one quantifier": r"(forall|exists) j\d+: int :: 0 <= j\d+ && j\d+ (<= len|"
                                 r"< len\(\w+\) ==> [^;]*\[j\d+ \+ 1\])",
        "quantifier divides": r"(forall|exists) j\d+: int :: [^;]* [/%] ",
        "partial choice": r"(relax|havoc) \([^)]*\) st \([^;]*([/%] |\w\[)",
        "shaky havoc": r"if \([^{]*(<\.|>\.|==\.|!=\.|<=\.|>=\.|[<>=!]=? -?\d\))[^{]*\{\n\s*havoc",
        "written eq": r"requires_r eq\(",
        "requires_r true": r"requires_r true",
        "divergent call": r"if \([^{]*\) \{\n\s*c\d+ = h\d\(",
        "squaring": r"(s\d+) = \1 \* \1;",
    }

    @settings(max_examples=300, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(programs(Options(limit_faults=True)))
    def prop(gen: GenProgram) -> None:
        assert load_source("gen.relax", gen.source).ok, gen.source
        for name, pattern in patterns.items():
            found[name] = found.get(name, 0) + bool(re.search(pattern, gen.source))

    prop()
    assert all(found.values()), found


def choice_bounds_program() -> tuple[GenProgram, object]:
    source = """
fn main(a: int[], i: int) -> int
  requires 0 <= i && i <= 3
{
  var x: int = 0;
  havoc (x) st (0 <= x && x <= a[i] + 5);
  assert x >= 0;
  return x;
}"""
    gen = gen_program(source, Param("a", array=True), Param("i", lo=0, hi=3))
    item = load_source("t.relax", source)
    choose = next(s for s in item.program.functions["main"].body if isinstance(s, C.Choose))
    return gen, choose


def test_a_failing_choice_is_its_predicates_definedness_check():
    """A havoc whose predicate reads out of range fails the bounds check of that read
    (docs/semantics.md): the harness judges it as one (not as a havoc without values,
    which it skips) against the bounds obligation the verifier makes there."""
    gen, choose = choice_bounds_program()
    item = load_source("t.relax", gen.source)
    out = Interpreter(item.program, "main", RunOptions("original", False, "none", True)).run(
        [[], 1])
    (read,) = [site.check for site in checks.checks_in(choose.pred)]
    f = definedness(out.failure)
    assert f is not None and (f.kind, f.span) == ("bounds", read.span)

    def proves_the_index(program, model):
        obligations = verify_all(program, model)
        fake = copy.copy(next(o for o in obligations if o.kind == "bounds"))
        fake.side, fake.status = "original", "verified"
        return [o for o in obligations if o.kind != "bounds"] + [fake]
    tally = check_program(gen, pairs=60, verify=proves_the_index)
    assert any(d.what == "unsound" and "bounds" in d.detail for d in tally.disagreements), \
        [str(d) for d in tally.disagreements]


WRITTEN_DEFAULT = """
fn h(x: int) -> int
  requires 0 <= x && x <= 5
  requires_r eq(x)
{
  return x + 1;
}

fn main(p: int) -> int
  requires 0 <= p && p <= 3
{
  var v: int = h(p);
  return v;
}"""


def test_harness_compares_a_written_requires_r_with_the_default():
    """A `requires_r` that writes the default out must not change a verdict: fed a
    verifier that fails an obligation only when the clause is written, the harness
    objects; on the real verifier (no divergent call here) it stays quiet."""
    h = FnMeta("h", [Param("x", lo=0, hi=5)], True, explicit_requires_r="eq",
               requires_r_clause="requires_r eq(x)")
    gen = GenProgram(WRITTEN_DEFAULT, [h, FnMeta("main", [Param("p", lo=0, hi=3)], True)])

    def picky(program, model):
        obligations = verify_all(program, model)
        if not program.functions["h"].requires_r_default:
            obligations[-1].status = "failed"
        return obligations
    tally = check_program(gen, pairs=5, verify=picky)
    assert tally.variants == 1
    assert any(d.what == "requires_r" for d in tally.disagreements), \
        [str(d) for d in tally.disagreements]
    tally = check_program(gen, pairs=20)
    assert tally.variants == 1 and not tally.disagreements, \
        [str(d) for d in tally.disagreements]


# ---------------------------------------------------------------- found disagreements
#
# Each was found by the property above and minimised by hand. While the module at
# fault is being fixed the test is xfail (strict) and the property's generator or
# filter steers around the class; once fixed, the test stays as a regression.


def test_regression_spec_index_out_of_range():
    """An index in a specification: `verify` proved the assertion (a Z3 array is
    total) while the interpreter fails a bounds check on `a = []`. Fixed: verify
    checks indices and divisors in unary specifications."""
    gen = gen_program("""
fn main(a: int[]) -> int
{
  assert a[0] == a[0];
  return 0;
}""", Param("a", array=True, min_len=0))
    tally = check_program(gen, pairs=40)
    assert not tally.disagreements, [str(d) for d in tally.disagreements]


def test_regression_truncated_array():
    """Counterexample arrays were cut at 50 elements yet marked concrete. Fixed."""
    item = load_source("t.relax", """
fn main(b: int[]) -> int
  requires len(b) >= 60
{
  assert b[59] == 0;
  return 0;
}""")
    failed = [o for o in verify_all(item.program, None) if o.status == "failed"]
    assert failed
    for o in failed:
        if o.counterexample.concrete:
            out = replay(item.program, o.counterexample, o.kind, o.side, o.span)
            assert out.reproduced, out.detail


def test_regression_alignment_at_loop_replays():
    """Replay did not judge `alignment` at a loop's `invariant_r`. Fixed: loop heads
    are counted per loop, like accepts and calls."""
    item = load_source("t.relax", """
fn main(p1: int in urel, p2: int in urel, b3: int[] in urel) -> int
  requires 1 <= p1 && p1 <= 4 && 2 <= p2 && p2 <= 3 && len(b3) >= 2
{
  if ((p1 <=. b3[p2] && p2 <=. len(b3))) {
    for i4 in 1 .. 1 invariant_r eq(i4) {
      accept eq(p2);
    }
  }
  return p1;
}""")
    failed = [o for o in verify_all(item.program, None)
              if o.status == "failed" and o.kind == "alignment"]
    assert failed and all(o.counterexample.concrete for o in failed)
    for o in failed:
        out = replay(item.program, o.counterexample, o.kind, o.side, o.span)
        assert out.reproduced, out.detail


def test_regression_partial_relax_predicate_is_an_obligation():
    """An index out of range in a relax/havoc predicate: `verify` read such an element
    as an unspecified value, the run failed choosing. One semantics now
    (docs/semantics.md): a predicate must be defined for every candidate, a `bounds`
    obligation that fails here, and the replayed relaxed run fails that very check."""
    item = load_source("t.relax", """
fn main(b: int[], p: int) -> int
  requires p == 1
{
  var v: int = p;
  relax (v) st (-2 <= v && v <= b[v]);
  assert v >= 0;
  return v;
}""")
    failed = [o for o in verify_all(item.program, None) if o.status == "failed"]
    assert [(o.kind, o.side, o.span.line, o.span.column) for o in failed] == \
        [("bounds", "relaxed", 6, 33)]
    out = replay(item.program, failed[0].counterexample, "bounds", "relaxed", failed[0].span)
    assert out.reproduced, out.detail


def test_regression_accept_after_one_sided_accept_replays():
    """Replay paired accepts by overall arrival order, so an accept reached by one run
    only hid the failed accept after the join. Fixed: pairing per accept statement."""
    item = load_source("t.relax", """
fn main(p: int) -> int
  requires 0 <= p && p <= 5
{
  var x: int = p;
  if (p <. 0) {
    x = x + 1;
    accept true;
  }
  accept eq(x);
  return x;
}""")
    failed = [o for o in verify_all(item.program, None)
              if o.status == "failed" and o.kind == "accept" and o.counterexample.concrete]
    assert failed
    for o in failed:
        out = replay(item.program, o.counterexample, o.kind, o.side, o.span)
        assert out.reproduced, out.detail


def test_inputs_are_reproducible():
    """Pairs are drawn from a seeded generator: two checks of a program agree."""
    source, param, _what, _kind = LIES["accept"]
    a = check_program(gen_program(source, param), pairs=20, seed=3)
    b = check_program(gen_program(source, param), pairs=20, seed=3)
    assert (a.run_pairs, a.failed) == (b.run_pairs, b.failed)


def test_regression_alignment_then_failure_replays():
    """Replay ignored a misaligned `accept` when a run failed a later check. Fixed: the
    counts are judged unless the run with fewer arrivals stopped early."""
    item = load_source("t.relax", """
fn main(b9: int[] in urel, p10: int) -> int
  requires 0 <= p10 && p10 <= 1 && len(b9) >= 1
  requires_r p10<o> <= p10<r> && p10<r> <= p10<o> + 1 && eq(b9)
{
  if (((p10 +. 3) > -2 && p10 ==. p10)) {
    accept eq(b9);
    assert len(b9) != p10;
  }
  return p10;
}""")
    failed = [o for o in verify_all(item.program, None)
              if o.status == "failed" and o.kind == "alignment" and o.counterexample.concrete]
    assert failed
    for o in failed:
        out = replay(item.program, o.counterexample, o.kind, o.side, o.span)
        assert out.reproduced, out.detail


HERE = Path(__file__).parent
PENDING = pytest.mark.xfail(strict=True, reason="a disagreement not fixed yet: see "
                            "tests/regressions/README.md")
REGRESSIONS = ([pytest.param(p, id=p.stem)
                for p in sorted(HERE.glob("data/verify/regression_*.relax"))]
               + [pytest.param(p, id=p.stem, marks=PENDING)
                  for p in sorted(HERE.glob("regressions/*.relax"))
                  if not p.name.startswith("reliability_")])


@pytest.mark.parametrize("path", REGRESSIONS)
def test_regression_files_agree(path: Path, capsys):
    """Programs on which the harness found `verify` and `run` disagreeing (a write to
    unreliable memory by a call or a whole-array copy got no fault, say): the
    differential finds no disagreement, and `verify` reports the annotated failures
    (`// V: kind side`) and none on other lines (a file without any must verify)."""
    source = path.read_text()
    item = load_source(str(path), source)
    gen = GenProgram(source, metas_of(item.program))
    tally = check_program(gen, pairs=60)
    code = cli_main(["verify", str(path), "--format", "json"])
    doc = json.loads(capsys.readouterr().out)
    failed = {(o["line"], o["kind"], o["side"]) for o in doc["files"][0]["obligations"]
              if o["status"] == "failed"}
    expected = set()
    for line, text in enumerate(source.splitlines(), start=1):
        m = re.search(r"//\s*V:\s*(\w+)\s+(\w+)", text)
        if m:
            expected.add((line, m.group(1), m.group(2)))
    assert not tally.disagreements, [str(d) for d in tally.disagreements]
    # As in tests/data/verify/: each annotation fails, and so does nothing on another line.
    assert expected <= failed and {f[0] for f in failed} <= {e[0] for e in expected}, \
        (expected, failed)
    assert code == (1 if expected else 0)
