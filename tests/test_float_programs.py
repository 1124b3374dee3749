"""The float program generator (tests/strategies_floats.py) and the harness's float
inputs: generated programs type-check, use every float construct, draw inputs
inside their box, and the reliability analysis gives them a probability. With
`strategies.FLOAT_DIFFERENTIAL` on (after verify/run support floats), they also
go through verify-vs-run."""
from __future__ import annotations

import math
import random
import re
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings

from differential import check_program, draw_inputs, fault_models
from relaxverify.core.formats import FORMATS
from relaxverify.pipeline import load_source
from relaxverify.reliability.analysis import analyse_program
from relaxverify.syntax.tokens import KEYWORDS
from strategies import FLOAT_DIFFERENTIAL, GenProgram, budget, large_budget, programs
from strategies_floats import FLOATS, FloatOptions, float_programs

EXAMPLES = budget(40)
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
