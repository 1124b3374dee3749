"""Replay of the verifier's own counterexamples on failing variants of the case studies
(Swish++, Water, dot product, the dynamic knob): each failed obligation whose
counterexample is concrete must be reproduced by running the two executions."""
from __future__ import annotations

import pytest

from relaxverify.verify.replay import replay
from relaxverify.pipeline import load_source

vcgen = pytest.importorskip("relaxverify.verify.vcgen")
prover = pytest.importorskip("relaxverify.verify.prover")

VARIANTS = {
    # Swish++ without the `shown < len(results)` guard: both runs read past the array.
    "swish_unguarded": """
fn present_all(results: int[], max_results: int) -> int
  requires 0 <= max_results
{
  var max_r: int = max_results;
  relax (max_r) st ((old(max_r) <= 10 && max_r == old(max_r)) ||
                    (old(max_r) > 10 && 10 <= max_r));
  var shown: int = 0;
  var checksum: int = 0;
  while (shown < max_r) invariant 0 <= shown {
    checksum = checksum + results[shown];
    shown = shown + 1;
  }
  return shown;
}
""",
    # The knob may drop below 10, so the accept about small result counts fails.
    "knob_too_low": """
fn present(max_results: int, n: int) -> int
  requires 0 <= max_results && 0 <= n
{
  var max_r: int = max_results;
  relax (max_r) st ((old(max_r) <= 10 && max_r == old(max_r)) ||
                    (old(max_r) > 10 && 5 <= max_r && max_r <= old(max_r)));
  var num_r: int = min(max_r, n);
  accept num_r<r> < 10 ==> num_r<o> == num_r<r>;
  return num_r;
}
""",
    # Water with a bucket off by one and an accept tighter than the relaxation.
    "water_buckets": """
const BUCKETS: int = 4;
fn bucket(d0: real, table: real[]) -> real
  requires len(table) == BUCKETS
  requires 0.0 <= d0
{
  var d: real = d0;
  relax (d) st (old(d) - 0.5 <= d && d <= old(d) + 0.5);
  var b: int = 0;
  if (d >= 4.5) { b = 4; } else if (d >= 3.0) { b = 2; } else if (d >= 1.5) { b = 1; }
  var t: real = table[b];
  accept d<o> - 0.25 <= d<r> && d<r> <= d<o> + 0.25;
  return t;
}
""",
    # Dot-product style unreliable arithmetic feeding an index and a result.
    "unreliable_index": """
fn pick(a: int[] in urel, i: int) -> int
  requires 0 <= i && i < len(a)
{
  var j: int = i +. 1;
  return a[j];
}
fn stored(x: int) -> int
  ensures_r result<o> == result<r>
{
  var y: int in urel = x +. 1;
  var z: int = y;
  return z;
}
fn dbl(x: int) -> int
  ensures_r result<o> == result<r>
{
  var y: int = x *. 2;
  return y;
}
""",
}


def failed_obligations(src: str):
    item = load_source("variant.relax", src)
    assert item.ok, [d.message for d in item.diagnostics]
    out = []
    for fn in item.program.functions.values():
        gen = vcgen.VCGen(item.program, fn, vcgen.Faults(None),
                          vcgen.Decider(10, prover.rlimit_for(10)))
        gen.run()
        for ob in gen.obligations.values():
            prover.prove(gen, ob, 10, prover.ProverStats(), None)
            if ob.status == "failed":
                out.append(ob)
    return item.program, out


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_verifier_counterexamples_replay(name):
    program, failed = failed_obligations(VARIANTS[name])
    assert failed, "the variant must fail verification"
    reproduced = 0
    for ob in failed:
        cex = ob.counterexample
        if cex is None:
            continue
        outcome = replay(program, cex, ob.kind, ob.side, ob.span)
        if cex.concrete:  # a concrete trace must lead to the failure
            assert outcome.reproduced, (ob.kind, ob.side, ob.span.line, outcome.detail)
        reproduced += outcome.reproduced
    # (the Swish++ counterexamples pass through the loop's invariant, so they are not
    # concrete; they still happen to reproduce)
    assert reproduced >= 1


DATA = __import__("pathlib").Path(__file__).parent / "data" / "verify"


@pytest.mark.parametrize("path", sorted(DATA.glob("*.relax")), ids=lambda p: p.name)
def test_concrete_counterexamples_of_the_verify_suite_reproduce(path):
    """Every concrete counterexample of the verifier's own test suite must replay."""
    _program, failed = failed_obligations(path.read_text())
    for ob in failed:
        cex = ob.counterexample
        if cex is not None and cex.concrete:
            outcome = replay(_program, cex, ob.kind, ob.side, ob.span)
            assert outcome.reproduced, (ob.kind, ob.side, ob.span.line, outcome.detail)
