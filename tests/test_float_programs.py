"""The float program generator (tests/strategies_floats.py) and the harness's float
inputs: generated programs type-check, use every float construct, draw inputs
inside their box, and the reliability analysis gives them a probability. With
`strategies.FLOAT_DIFFERENTIAL` on (after verify/run support floats), they also
go through verify-vs-run."""
from __future__ import annotations

import dataclasses
import math
import random
import re
from collections import Counter
from fractions import Fraction
from typing import Optional

import pytest
from hypothesis import HealthCheck, given, settings

from differential import (Claims, PairRunner, check_program, draw_inputs, fault_models,
                          query_claim)
from relaxverify.core import nodes as C
from relaxverify.core.formats import FORMATS
from relaxverify.pipeline import load_source
from relaxverify.reliability.analysis import analyse_program
from relaxverify.syntax.tokens import KEYWORDS
from strategies import (FLOAT_DIFFERENTIAL, FnMeta, GenProgram, Param, budget, large_budget,
                        programs)
from strategies_floats import FLOATS, FloatOptions, float_programs

EXAMPLES = budget(28)
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, derandomize=not large_budget(),
                    database=None, suppress_health_check=list(HealthCheck))

# What every float construct looks like in the source, for the coverage check.
CONSTRUCTS = {
    "precision on an operator": re.compile(r"operator \S+ = \S+ precision \w+;"),
    "region with a precision": re.compile(r"memory mem\d[^;]*precision \w+;"),
    "variable in a region": re.compile(r"\bin (mem\d|urel)\b"),
    "bound query": re.compile(r"accept abs\(\w+<o> - \w+<r>\) <= \?;"),
    "fixed bound": re.compile(r"accept abs\(\w+<o> - \w+<r>\) <= [0-9.]+;"),
    "dotted float op": re.compile(r"[+\-*/]\. "),
    "conversion": re.compile(r"\b(float64|float32|float16|bfloat16)\("),
    "real conversion": re.compile(r"\breal\("),
    "floor or ceil": re.compile(r"\b(floor|ceil)\("),
    "sqrt": re.compile(r"\bsqrt\((abs\(|\()"),
    "comparison": re.compile(r"if \(.* (<|<=|>|>=|==|!=)\.? "),
    "division": re.compile(r" /\.? "),
    **{f"{t} parameter": re.compile(rf"\bx\d+: {t}\b") for t in FLOATS},
}


def load(gen: GenProgram):
    item = load_source("gen.relax", gen.source)
    assert item.ok, ([d.message for d in item.diagnostics], gen.source)
    return item.program


def test_generated_float_programs_type_check_and_cover_every_construct() -> None:
    seen: Counter = Counter()

    @SETTINGS
    @given(float_programs())
    def prop(gen: GenProgram) -> None:
        load(gen)
        for name, pattern in CONSTRUCTS.items():
            seen[name] += bool(pattern.search(gen.source))

    prop()
    missing = [name for name in CONSTRUCTS if seen[name] == 0]
    assert not missing, (missing, seen)


@pytest.mark.parametrize("opts", [FloatOptions(formats=("float32",), hardware=False),
                                  FloatOptions(formats=("float16", "bfloat16"), reals=False,
                                               dotted=False, queries=False),
                                  FloatOptions(regions=False, division=False)],
                         ids=["float32-only", "half-formats", "no-regions"])
def test_generator_options_type_check_and_are_respected(opts: FloatOptions) -> None:
    @settings(max_examples=max(10, EXAMPLES // 3), deadline=None, derandomize=True,
              database=None, suppress_health_check=list(HealthCheck))
    @given(float_programs(opts))
    def prop(gen: GenProgram) -> None:
        load(gen)
        used = set(re.findall(r"\b(float64|float32|float16|bfloat16)\b", gen.source))
        assert used <= set(opts.formats), (used, gen.source)
        if not opts.hardware:
            assert "hardware" not in gen.source
        if not opts.regions:
            assert not re.search(r"\bin (mem\d|urel)\b", gen.source), gen.source
        if not opts.queries:
            assert "accept" not in gen.source
        if not opts.dotted:
            code = gen.source[gen.source.index("fn main"):]
            assert not re.search(r"[+\-*/<>=]\. ", code), gen.source

    prop()


def test_float_inputs_are_finite_values_of_their_format_inside_the_box() -> None:
    @SETTINGS
    @given(float_programs())
    def prop(gen: GenProgram) -> None:
        meta = gen.entry
        rng = random.Random(len(gen.source))
        for _ in range(20):
            xs = draw_inputs(meta, rng)
            for p in meta.params:
                v = xs[p.name]
                assert p.lo <= v <= p.hi, (p, v)
                if p.base in FORMATS:
                    assert isinstance(v, float) and math.isfinite(v)
                    assert FORMATS[p.base].round(v) == v, (p.base, v)  # representable
                elif p.base == "int":
                    assert isinstance(v, int)

    prop()


def test_reliability_analysis_gives_every_float_program_a_probability() -> None:
    """On the program's own model (precisions, regions) and on its high-rate
    copies the differential uses (which keep the precisions and regions)."""
    @SETTINGS
    @given(float_programs())
    def prop(gen: GenProgram) -> None:
        program = load(gen)
        models = [program.hardware[gen.hardware]] if gen.hardware else []
        models += fault_models(program, gen)
        for hw in models:
            results, errors = analyse_program(program, hw)
            assert not errors
            assert all(0.0 <= r.value <= 1.0 for r in results)
        if gen.hardware:
            declared = program.hardware[gen.hardware]
            for copy in fault_models(program, gen):
                assert copy.regions.keys() == declared.regions.keys()
                assert {k: m.precision for k, m in copy.operators.items()} == \
                    {k: m.precision for k, m in declared.operators.items()}

    prop()


def test_generated_names_are_never_keywords() -> None:
    """Fresh names are a letter and a number (`v3`, `x1`, `mem0`), helpers `h0`:
    none can be one of the v2 keywords (`float64`, `sqrt`, `floor`, ...)."""
    words = set(KEYWORDS)
    decl = re.compile(r"(?:var |fn |\(|, )([A-Za-z_]\w*)(?=\s*:|\()")

    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(programs() | float_programs())
    def prop(gen: GenProgram) -> None:
        names = {m for m in decl.findall(gen.source)} - words
        declared = set(re.findall(r"(?:var |fn )(\w+)", gen.source))
        declared |= {p.name for meta in gen.functions for p in meta.params}
        assert not declared & words, declared & words
        assert names or declared

    prop()


@pytest.mark.skipif(not FLOAT_DIFFERENTIAL, reason="verify/run float support not merged: "
                    "flip strategies.FLOAT_DIFFERENTIAL")
def test_verified_float_claims_survive_the_interpreter() -> None:
    @SETTINGS
    @given(float_programs())
    def prop(gen: GenProgram) -> None:
        tally = check_program(gen, pairs=20)
        assert not tally.disagreements, "\n\n".join(map(str, tally.disagreements))

    prop()


# ---------------------------------------------------------------- bound queries


QUERY = """
fn main(p: real) -> real
  requires 0.0 <= p && p <= 1.0
{
  var y: real = p +. 1.0;
  accept abs(y<o> - y<r>) <= ?;
  return y;
}
"""


@dataclasses.dataclass
class FakeObligation:
    """What the harness reads of an obligation, for a verifier that claims a bound."""

    function: str
    kind: str
    side: str
    span: object
    status: str
    bound: Optional[float] = None
    counterexample: object = None


def claiming(bound: Optional[float]):
    """A verifier that reports `bound` for every bound query and verifies nothing else
    (the other obligations are unknown: no claim)."""
    def verify(program, model):
        out = []
        for fn in program.functions.values():
            for s in C.walk(fn.body):
                if isinstance(s, C.Check) and s.query is not None:
                    out.append(FakeObligation(fn.name, "accept", "relational", s.span,
                                              "verified", bound))
        return out
    return verify


def query_program() -> GenProgram:
    return GenProgram(QUERY, [FnMeta("main", [Param("p", lo=0, hi=1, base="real")], True)])


def run_records_query_inputs() -> bool:
    """Does the interpreter record a bound query's variables at its accept? (Not yet
    on this branch: run/codegen_stmts.py records those of the accept's condition,
    which is `true` for a query.)"""
    from relaxverify.run.options import Options as RunOptions
    from relaxverify.run.runtime import Interpreter
    item = load_source("q.relax", QUERY)
    out = Interpreter(item.program, "main", RunOptions("original", False, "none", True, True,
                                                      100)).run([Fraction(1, 2)])
    return any("y" in env for _tag, _k, env in out.records)


def test_a_bound_query_holds_the_runs_to_the_smallest_proved_bound() -> None:
    item = load_source("q.relax", QUERY)
    check = next(s for s in C.walk(item.program.functions["main"].body)
                 if isinstance(s, C.Check))
    obs = [FakeObligation("main", "accept", "relational", check.span, status, bound)
           for status, bound in (("verified", 0.5), ("verified", 0.25), ("failed", 0.0),
                                 ("verified", None))]
    claim = query_claim(check, obs)
    assert claim.bound == 0.25
    assert query_claim(check, obs[2:]).bound is None
    runner = PairRunner(item.program, item.program.functions["main"], Claims(obs), [], 0)
    assert runner.holds(claim, {"y": Fraction(1)}, {"y": Fraction(5, 4)})
    assert not runner.holds(claim, {"y": Fraction(1)}, {"y": Fraction(3, 2)})
    assert runner.holds(claim, {}, {})  # inputs not recorded: nothing to judge
    assert runner.holds(query_claim(check, obs[2:]), {"y": 1}, {"y": 100})


@pytest.mark.skipif(not run_records_query_inputs(), reason="the interpreter does not record "
                    "a bound query's variables yet (run/codegen_stmts.py, s_Check)")
def test_harness_catches_a_bound_query_whose_bound_a_run_exceeds() -> None:
    """`p +. 1.0` with faults: R's y differs from O's, so a claimed bound of 0 is
    contradicted by some pair; a bound the runs respect, or no bound, is not."""
    tally = check_program(query_program(), pairs=60, verify=claiming(0.0))
    assert any(d.what == "unsound" and "accept" in d.detail for d in tally.disagreements), \
        [str(d) for d in tally.disagreements]
    for quiet in (None, 1e300):
        tally = check_program(query_program(), pairs=60, verify=claiming(quiet))
        assert not tally.disagreements, [str(d) for d in tally.disagreements]
        assert tally.run_pairs > 0
