"""Bound queries on straight-line code (verify/straightline.py): both executions as
round-off expressions, bounded by the rigorous engine (verify/errorbound.py)."""
from __future__ import annotations

from pathlib import Path

import pytest

from conftest import EXAMPLES, ROOT
from relaxverify.core import nodes as C
from relaxverify.pipeline import load, load_source
from relaxverify.verify.straightline import straight_line_bound

FPCORE = ROOT / "tests" / "data" / "fpcore"


def query_bound(path: Path, fn: str) -> float | None:
    program = load(str(path)).program
    assert program is not None
    f = program.functions[fn]
    model = next(iter(program.hardware.values()), None)
    [check] = [s for s in f.body if isinstance(s, C.Check) and s.query is not None]
    return straight_line_bound(f, check, model)


# (file, function, largest error observed by exact sampling, published FPTaylor bound)
FPBENCH = [("doppler1", 5.84e-14, 1.59e-13), ("rigidBody1", 1.24e-13, 3.87e-13),
           ("jetEngine", 2.83e-12, 1.34e-11), ("turbine1", 4.45e-15, 2.32e-14),
           ("verhulst", 1.64e-16, 3.24e-16), ("predatorPrey", 8.56e-17, 1.84e-16),
           ("carbonGas", 3.04e-9, 9.13e-9), ("sineOrder3", 2.81e-16, 9.52e-16),
           ("sqroot", 4.28e-16, 7.00e-16)]


@pytest.mark.parametrize("name, observed, fptaylor", FPBENCH, ids=[b[0] for b in FPBENCH])
def test_fpbench_bounds_are_sound_and_within_twice_fptaylor(name: str, observed: float,
                                                           fptaylor: float) -> None:
    bound = query_bound(FPCORE / f"{name}.relax", name)
    assert bound is not None and observed <= bound <= 2 * fptaylor


def test_the_quantised_network_meets_its_accept() -> None:
    bound = query_bound(EXAMPLES / "relu_quantised.relax", "network")
    assert bound is not None and 1e-3 < bound <= 0.01


def test_the_pruned_network_is_bounded_by_the_pruned_weights() -> None:
    # |dy| <= V1 * |B1| + |V2| * |W21 x1| + V3 * |B3| = 0.125 + 0.2 + 0.03 = 0.355
    bound = query_bound(EXAMPLES / "relu_pruned.relax", "network")
    assert bound == pytest.approx(0.355, rel=1e-6)


def test_one_float32_rounding_is_bounded_by_its_unit_roundoff() -> None:
    src = """hardware single { operator *. = 1 precision float32; }
fn sq(x: float64) -> float64
  requires 0.5 <= x <= 1
{
  var y: float64 = x *. x;
  accept abs(y<o> - y<r>) <= ?;
  return y;
}"""
    program = load_source("sq.relax", src).program
    assert program is not None
    f = program.functions["sq"]
    [check] = [s for s in f.body if isinstance(s, C.Check) and s.query is not None]
    bound = straight_line_bound(f, check, program.hardware["single"])
    # operands rounded to float32 (2^-24 relative each), the product rounded (2^-24),
    # O's float64 rounding (2^-53): at most about 3 * 2^-24 = 1.8e-7 near x = 1
    assert bound is not None and 1.19e-7 < bound < 1.8e-7


@pytest.mark.parametrize("body", [
    "if (x > 0.0) { y = x *. x; }",  # a branch
    "relax (y) st (y >= 0.0);",  # a choice that is not a constant
])
def test_code_that_is_not_straight_line_gets_no_bound(body: str) -> None:
    src = f"""hardware single {{ operator *. = 1 precision float32; }}
fn f(x: float64) -> float64
  requires 0 <= x <= 1
{{
  var y: float64 = x;
  {body}
  accept abs(y<o> - y<r>) <= ?;
  return y;
}}"""
    program = load_source("f.relax", src).program
    assert program is not None
    f = program.functions["f"]
    [check] = [s for s in f.body if isinstance(s, C.Check) and s.query is not None]
    assert straight_line_bound(f, check, program.hardware["single"]) is None



def observed(path: Path, fn: str, args: dict[str, float], hardware: str) -> float:
    """|E<o> - E<r>| of one relaxed run (the interpreter's exact IEEE semantics)."""
    from relaxverify import api
    doc = api.run(str(path), fn=fn, args=args, semantics="relaxed",
                  hardware=hardware).to_json()
    assert doc["error"] is None, doc
    [query] = doc["observed"]
    return float(query["value"])


SAMPLED = [(FPCORE / "doppler1.relax", "doppler1", "fp64"),
           (FPCORE / "rigidBody1.relax", "rigidBody1", "fp64"),
           (FPCORE / "carbonGas.relax", "carbonGas", "fp64"),
           (EXAMPLES / "relu_quantised.relax", "network", "half"),
           (EXAMPLES / "dot_float32.relax", "dot4", "single")]


@pytest.mark.parametrize("path, fn, hardware", SAMPLED, ids=[s[1] for s in SAMPLED])
def test_no_run_exceeds_the_bound(path: Path, fn: str, hardware: str) -> None:
    """The bound against the interpreter's IEEE runs, at random points and corners."""
    import random

    import numpy as np

    from relaxverify.verify.straightline import input_box
    program = load(str(path)).program
    assert program is not None
    f = program.functions[fn]
    box = input_box(f)
    bound = query_bound(path, fn)
    assert bound is not None
    rng = random.Random(7)
    worst = 0.0
    for k in range(24):
        point = {}
        for p in f.params:
            lo, hi = (float(v) for v in box[p.name])
            x = (lo, hi)[rng.randrange(2)] if k < 4 else rng.uniform(lo, hi)
            point[p.source] = float(np.float32(x)) if p.type.base == "float32" else x
        worst = max(worst, observed(path, fn, point, hardware))
    assert 0 < worst <= bound


def test_fpbench_programs_verify_whole_by_ranges_and_the_engine() -> None:
    """Every overflow and division check of doppler1, and its bound query, verify."""
    from conftest import run_cli
    result = run_cli("verify", FPCORE / "doppler1.relax", "--hardware", "fp64")
    assert result.code == 0 and "11 obligations: 11 verified" in result.out, result.out
    assert "bound: 1.4e-13 (proved)" in result.out


def test_ranges_do_not_hide_a_real_overflow() -> None:
    from conftest import run_cli
    result = run_cli("verify", ROOT / "docs" / "snippets" / "precision_square.relax")
    assert result.code == 1 and "may overflow float16" in result.out


@pytest.mark.parametrize("error, code, verdict", [
    ("1.0", 0, "10 obligations: 10 verified"),  # |fault| <= 1.0: dx*dx stays small
    ("1e200", 1, "may overflow float64 in the relaxed execution")])  # a faulty dx may be 1e200
def test_ranges_take_a_faulty_operator_within_its_error(tmp_path, error: str, code: int,
                                                         verdict: str) -> None:
    """A faulty `-.` whose model bounds its error is its value plus [-error, error] in
    the range analysis (rely_coord's distance2 timed out in Z3 without it); a bound
    that allows an overflow still fails."""
    from conftest import run_cli
    path = tmp_path / "d.relax"
    path.write_text(f"""hardware hw {{
  operator -. = 1 - 1e-4 error {error};
}}
fn d2(x1: float64, x2: float64, y1: float64, y2: float64) -> float64
  requires -1000.0 <= x1 <= 1000.0 && -1000.0 <= x2 <= 1000.0
  requires -1000.0 <= y1 <= 1000.0 && -1000.0 <= y2 <= 1000.0
{{
  var dx: float64 = x1 -. x2;
  var dy: float64 = y1 -. y2;
  return dx * dx + dy * dy;
}}
""")
    result = run_cli("verify", path, "--hardware", "hw")
    assert result.code == code and verdict in result.out, result.out
