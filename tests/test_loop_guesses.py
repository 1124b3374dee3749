"""Loop nests decided with trusted guesses (verify/loops.py) get the verdicts of
the generation that proves every candidate with its own dry run."""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from relaxverify.pipeline import load_source
from relaxverify.verify.prover import ProverStats, prove
from relaxverify.verify.vcgen import Decider, Faults, VCGen

# Statements of a loop body; {k} is the level, {i} its counter.
BODY = ["s = s + {i};", "if (e > {i}) {{ s = s + 1; }}", "t = t + e;", "j = j + 1;",
        "j = j + e;", "accept eq({i});", "assert s >= 0;", "accept eq(j);"]


@st.composite
def nests(draw) -> str:
    depth = draw(st.integers(2, 4))
    lines = ["fn f(n: int, d: int) -> int", "  requires n >= 0 && d >= 0", "{",
             "  var e: int = d;", "  relax (e) st (e >= 0);",
             "  var s: int = 0;", "  var t: int = 0;", "  var j: int = 0;"]
    closing = []
    for k in range(depth):
        pad = "  " * (k + 1)
        i = f"i{k}"
        header = draw(st.sampled_from([f"for {i} in 0 .. n invariant s >= 0 {{",
                                       f"for {i} in 0 .. 2 {{",
                                       f"for {i} in 0 .. n {{"]))
        lines.append(pad + header)
        for _ in range(draw(st.integers(0, 2))):
            lines.append(pad + "  " + draw(st.sampled_from(BODY)).format(i=i))
        closing.append(pad + "}")
    for line in reversed(closing):
        lines.append(line)
    lines += ["  accept eq(s);", "  return s + t;", "}"]
    return "\n".join(lines) + "\n"


def _verdicts(source: str, speculate: bool) -> list:
    item = load_source("nest.relax", source)
    assert item.ok, source
    gen = VCGen(item.program, item.program.functions["f"], Faults(None), Decider(10, 10 ** 7))
    gen.wire(speculate)
    gen.run()
    out = []
    for ob in gen.obligations.values():
        prove(gen, ob, 10, ProverStats())
        out.append((ob.id, ob.status))
    return out


@settings(max_examples=40, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
@given(nests())
def test_guessed_loop_nests_get_the_proved_verdicts(source):
    assert _verdicts(source, speculate=True) == _verdicts(source, speculate=False), source
