"""`run` with floats and exact reals (LANGUAGE.md sections 2 and 9): rounding bit for
bit as IEEE (numpy as the reference), overflow and domain failures, `--arg`
rounding, model precisions in R, faulty floats that stay in their format."""
from __future__ import annotations

import json
import math
import random
import struct
from fractions import Fraction

import numpy as np
import pytest

from relaxverify.cli.main import main
from relaxverify.core.formats import FORMATS
from relaxverify.core.nodes import Type
from relaxverify.pipeline import load_source
from relaxverify.run.faults import FaultMaker, FaultSpec, finite_flips
from relaxverify.run.options import Options
from relaxverify.run.runtime import Interpreter

OPS = """
fn add(x: T, y: T) -> T { return x + y; }
fn sub(x: T, y: T) -> T { return x - y; }
fn mul(x: T, y: T) -> T { return x * y; }
fn div(x: T, y: T) -> T { return x / y; }
fn root(x: T) -> T { return sqrt(x); }
"""


def interpreters(ty: str, **opts) -> dict:
    item = load_source("ops.relax", OPS.replace("T", ty))
    assert item.ok, [d.message for d in item.diagnostics]
    return {fn: Interpreter(item.program, fn, Options(**opts), source=OPS)
            for fn in item.program.functions}


def random_values(dtype, n: int, rng: random.Random) -> list:
    """Finite values of the numpy format, over its whole exponent range."""
    info = np.finfo(dtype)
    out = []
    while len(out) < n:
        v = dtype(rng.uniform(1, 2) * 2.0 ** rng.randint(info.minexp - 5, info.maxexp - 1))
        if np.isfinite(v):
            out.append(float(v) * rng.choice((-1, 1)))
    return out


@pytest.mark.parametrize("ty, dtype", [("float32", np.float32), ("float16", np.float16)])
def test_rounding_is_bit_exact_against_numpy(ty, dtype):
    """numpy computes float32/float16 + - * / and sqrt correctly rounded; the
    interpreter's results must have the very same bits, or fail `overflow` exactly
    when numpy gives inf."""
    rng = random.Random(ty)
    runs = interpreters(ty)
    xs, ys = random_values(dtype, 1500, rng), random_values(dtype, 1500, rng)
    compared = 0
    with np.errstate(all="ignore"):
        for x, y in zip(xs, ys):
            for fn, ref in (("add", dtype(x) + dtype(y)), ("sub", dtype(x) - dtype(y)),
                            ("mul", dtype(x) * dtype(y)), ("div", dtype(x) / dtype(y))):
                out = runs[fn].run([x, y])
                if not np.isfinite(ref):
                    assert out.failure is not None and out.failure.kind == "overflow", (fn, x, y)
                    continue
                assert out.failure is None, (fn, x, y, out.failure.message)
                assert np.array_equal(np.array(out.result, dtype), ref), (fn, x, y, out.result)
                assert float(ref) == out.result  # the Python float holds the value exactly
                compared += 1
            out = runs["root"].run([abs(x)])
            assert out.result == float(np.sqrt(dtype(abs(x))))
    assert compared > 4000


def test_bfloat16_known_values():
    src = "fn third() -> bfloat16 { return bfloat16(1) / bfloat16(3); }\n" \
          "fn big() -> bfloat16 { return bfloat16(1) + bfloat16(0.00390625); }"
    item = load_source("b.relax", src)
    assert item.ok
    third = Interpreter(item.program, "third", Options()).run([])
    assert third.result == 0.333984375  # 1/3 to 8 significant bits, nearest
    # 1 + 2^-8 is the tie between 1 and 1 + 2^-7: ties to even gives 1
    assert Interpreter(item.program, "big", Options()).run([]).result == 1.0


SUMS = """
fn d(x: float64, y: float64) -> float64 { return x + y; }
fn r(x: real) -> real
  ensures result == x + 0.3
{
  var s: real = x + 0.1 + 0.2;
  return s;
}
fn h(x: float16, y: float16) -> float16 {
  var p: float16 = x * y;
  return p;
}
fn lg(x: float32) -> float32 { return log(x); }
fn sq(x: float32) -> float32 { return sqrt(x); }
fn dz(x: float64) -> float64 { return 1.0 / x; }
fn arr(a: float16[]) -> float16 { return a[0] + a[1]; }
"""


@pytest.fixture
def sums(tmp_path):
    p = tmp_path / "sums.relax"
    p.write_text(SUMS)
    return str(p)


def run_cli(capsys, *argv: str) -> tuple[int, str]:
    code = main(["run", *argv])
    return code, capsys.readouterr().out


def run_json(capsys, *argv: str) -> tuple[int, dict]:
    code = main(["run", *argv, "--format", "json"])
    return code, json.loads(capsys.readouterr().out)


def test_float64_sum_and_exact_real_sum(sums, capsys):
    code, out = run_cli(capsys, sums, "--fn", "d", "--arg", "x=0.1", "--arg", "y=0.2")
    assert code == 0 and "result: 0.30000000000000004" in out
    assert "reals: exact; floats: IEEE binary per type" in out
    # the v1 unsoundness example: with exact reals the postcondition holds
    code, out = run_cli(capsys, sums, "--fn", "r", "--arg", "x=0")
    assert code == 0 and "result: 0.3\n" in out
    code, doc = run_json(capsys, sums, "--fn", "r", "--arg", "x=1/3")
    assert code == 0 and doc["result"] == pytest.approx(19 / 30) and doc["error"] is None
    assert doc["arithmetic"] == {"reals": "exact", "precision": None}
    code, out = run_cli(capsys, sums, "--fn", "r", "--arg", "x=0", "--exact")
    assert code == 0 and "result: 0.3\n" in out  # --exact changes nothing


def test_float_reals_mode_is_labelled(sums, capsys):
    code, out = run_cli(capsys, sums, "--fn", "r", "--arg", "x=0", "--float-reals")
    assert code == 1 and "postcondition" in out  # 0.1 + 0.2 != 0.3 in binary64
    assert "--float-reals: approximate, not what verify proves" in out


def test_float16_overflow_stops_the_run(sums, capsys):
    code, out = run_cli(capsys, sums, "--fn", "h", "--arg", "x=300", "--arg", "y=300")
    assert code == 1
    assert ":10:20: error: `x * y` overflows float16 (the result 9.0e4 is beyond its " \
           "largest value 65504)" in out
    code, doc = run_json(capsys, sums, "--fn", "h", "--arg", "x=300", "--arg", "y=300")
    assert doc["error"]["kind"] == "overflow" and doc["error"]["line"] == 10
    code, out = run_cli(capsys, sums, "--fn", "h", "--arg", "x=200", "--arg", "y=300")
    assert code == 0 and "result: 60000.0" in out  # 60000 is a float16 value


def test_float64_overflow_and_domains(sums, capsys):
    code, out = run_cli(capsys, sums, "--fn", "d", "--arg", "x=1e308", "--arg", "y=1e308")
    assert code == 1 and "overflows float64 (the result 2.0e308" in out
    code, doc = run_json(capsys, sums, "--fn", "sq", "--arg", "x=-4")
    assert code == 1 and doc["error"]["kind"] == "overflow"
    assert "square root of the negative number -4" in doc["error"]["message"]
    code, doc = run_json(capsys, sums, "--fn", "lg", "--arg", "x=0")
    assert code == 1 and "not positive" in doc["error"]["message"]
    code, doc = run_json(capsys, sums, "--fn", "dz", "--arg", "x=0")
    assert code == 1 and doc["error"]["kind"] == "division"
    code, doc = run_json(capsys, sums, "--fn", "dz", "--arg", "x=-0.0")
    assert code == 1 and doc["error"]["kind"] == "division"  # -0.0 is 0


def test_arg_rounds_the_decimal_once(sums, capsys):
    # 0.1 in float16 directly: 0.0999755859375 (via binary64 it would be the same here,
    # but a decimal halfway in float16 and not in binary64 shows the difference)
    code, doc = run_json(capsys, sums, "--fn", "arr", "--arg", "a=[0.1,0]")
    assert code == 0 and doc["result"] == 0.0999755859375
    # 2049 + 1/1e9 is above the float16 tie 2049 (between 2048 and 2050): rounds up
    # to 2050; through binary64 first it would still be above; and exactly the tie
    # 2049 goes to the even 2048
    code, doc = run_json(capsys, sums, "--fn", "arr", "--arg", "a=[2049.000000001,0]")
    assert doc["result"] == 2050.0
    code, doc = run_json(capsys, sums, "--fn", "arr", "--arg", "a=[2049,0]")
    assert doc["result"] == 2048.0
    code, doc = run_json(capsys, sums, "--fn", "r", "--arg", "x=0.1")
    assert doc["result"] == 0.4


def test_float_argument_out_of_range_is_exit_2(sums, capsys):
    code, out = run_cli(capsys, sums, "--fn", "h", "--arg", "x=1e5", "--arg", "y=1")
    assert code == 2
    assert "`x` is a float16, but `1e5` is beyond the range of float16 (its largest value " \
           "is 65504)" in out
    code, out = run_cli(capsys, sums, "--fn", "arr", "--arg", "a=[1,70000]")
    assert code == 2 and "element 2 of `a`" in out and "beyond the range" in out
    code, out = run_cli(capsys, sums, "--fn", "h", "--arg", "x=abc", "--arg", "y=1")
    assert code == 2 and "`x` is a float16, but `abc` is not a number" in out


HALF = """
hardware half {
  operator *. = 1 precision float16;
  operator +. = 1 precision float16;
  memory lowp precision bfloat16;
}
fn mul(x: float64, y: float64) -> float64 {
  var r: float64 = x *. y;
  return r;
}
fn store(x: float32) -> float32 {
  var r: float32 in lowp = x;
  return r;
}
fn rsum(x: real, y: real) -> real {
  var r: real = x +. y;
  return r;
}
fn q(x: float64) -> float64 {
  var y: float64 = x *. x;
  accept abs(real(y<o>) - real(y<r>)) <= ?;
  return y;
}
"""


@pytest.fixture
def half(tmp_path):
    p = tmp_path / "half.relax"
    p.write_text(HALF)
    return str(p)


def test_hardware_precision_in_the_relaxed_run(half, capsys):
    args = ["--fn", "mul", "--arg", "x=0.1", "--arg", "y=3"]
    assert run_json(capsys, half, *args)[1]["result"] == 0.30000000000000004
    code, doc = run_json(capsys, half, *args, "--hardware", "half")  # O: full precision
    assert doc["result"] == 0.30000000000000004
    code, doc = run_json(capsys, half, *args, "--hardware", "half", "--semantics", "relaxed")
    assert doc["result"] == 0.2998046875 and doc["arithmetic"]["precision"] == "half"
    code, doc = run_json(capsys, half, "--fn", "store", "--arg", "x=0.1", "--hardware", "half",
                         "--semantics", "relaxed")
    assert doc["result"] == 0.10009765625  # bfloat16's 0.1
    code, doc = run_json(capsys, half, "--fn", "rsum", "--arg", "x=1/3", "--arg", "y=0",
                         "--hardware", "half", "--semantics", "relaxed")
    assert doc["result"] == 0.333251953125  # the float16-rounded real operation
    code, doc = run_json(capsys, half, "--fn", "mul", "--arg", "x=300", "--arg", "y=300",
                         "--hardware", "half", "--semantics", "relaxed")
    assert code == 1 and doc["error"]["kind"] == "overflow"
    assert "overflows float16" in doc["error"]["message"]


def test_bound_query_accept_never_fails(half, capsys):
    code, doc = run_json(capsys, half, "--fn", "q", "--arg", "x=0.1", "--hardware", "half",
                         "--semantics", "relaxed")
    assert code == 0 and doc["result"] == 0.0099945068359375


def test_trials_run_the_reference_at_the_precisions(half, capsys):
    code, doc = run_json(capsys, half, "--fn", "mul", "--arg", "x=0.1", "--arg", "y=3",
                         "--hardware", "half", "--trials", "50")
    assert code == 0 and doc["result"] == 0.2998046875 and doc["correct"] == 50


@pytest.mark.parametrize("name", ["float16", "bfloat16", "float32", "float64"])
def test_bit_flips_stay_in_the_format_and_are_finite(name):
    fmt = FORMATS[name]
    maker = FaultMaker(random.Random(name), True)
    flip = maker.make(FaultSpec(Type(name)))
    rng = random.Random(1)
    values = [fmt.round(rng.uniform(-4, 4) * 2.0 ** rng.randint(-20, 20)) for _ in range(200)]
    values += [float(fmt.largest), -float(fmt.largest), float(fmt.tiny), 0.0, 1.0]
    for v in values:
        b = fmt.bits(v)
        for _ in range(5):
            y = flip(v)
            assert math.isfinite(y) and fmt.representable(y), (v, y)
            diff = fmt.bits(y) ^ b
            assert diff and diff & (diff - 1) == 0 and diff < 1 << fmt.width, (v, y)
    # the largest value: flipping the exponent's last zero bit would give inf/NaN
    top = float(fmt.largest)
    assert len(finite_flips(top, fmt)) == fmt.width - 1


def test_float_faults_within_an_error_stay_finite():
    fmt = FORMATS["float16"]
    maker = FaultMaker(random.Random(3), True)
    within = maker.make(FaultSpec(Type("float16"), 100.0))
    for _ in range(300):
        y = within(65504.0)
        assert math.isfinite(y) and fmt.representable(y) and abs(y - 65504.0) <= 100.0


def test_float16_bits_match_numpy():
    fmt = FORMATS["float16"]
    rng = random.Random(7)
    for v in random_values(np.float16, 300, rng):
        (n,) = struct.unpack("<H", np.float16(v).tobytes())
        assert fmt.bits(v) == n


def test_faulty_float_run_flips_a_bit_of_the_format(tmp_path, capsys):
    p = tmp_path / "f.relax"
    p.write_text("hardware bad { operator +. = 0 ; }\n"
                 "fn f(x: float16) -> float16 { return x +. x; }\n")
    results = set()
    for seed in range(40):
        code, doc = run_json(capsys, str(p), "--fn", "f", "--arg", "x=1.5", "--hardware", "bad",
                             "--seed", str(seed))
        assert code == 0
        y = doc["result"]
        assert math.isfinite(y) and FORMATS["float16"].representable(Fraction(y))
        assert bin(FORMATS["float16"].bits(y) ^ FORMATS["float16"].bits(3.0)).count("1") == 1
        results.add(y)
    assert len(results) > 5


ACCEPTS = """
hardware half {
  operator *. = 1 precision float16;
}
fn tight(x: float64, y: float64) -> float64 {
  var r: float64 = x *. y;
  accept abs(real(r<o>) - real(r<r>)) <= 0.00001;
  return r;
}
fn loose(x: float64, y: float64) -> float64 {
  var r: float64 = x *. y;
  accept abs(real(r<o>) - real(r<r>)) <= 0.001;
  return r;
}
"""


def test_a_trial_failing_an_accept_is_incorrect(tmp_path, capsys):
    """float16 makes 0.1 * 3 off by 2e-4: every trial fails the tight accept (the
    fault-free run at the precision too), none fails the loose one; the soundness
    verdict is then not drawn (the static value counts faults only)."""
    p = tmp_path / "acc.relax"
    p.write_text(ACCEPTS)
    args = ["--arg", "x=0.1", "--arg", "y=3", "--hardware", "half", "--trials", "100"]
    code, doc = run_json(capsys, str(p), "--fn", "tight", *args)
    assert code == 0 and doc["correct"] == 0 and doc["failed_accepts"] == 100
    code, out = run_cli(capsys, str(p), "--fn", "tight", *args)
    assert "not compared" in out and "soundness" not in out
    code, doc = run_json(capsys, str(p), "--fn", "loose", *args)
    assert code == 0 and doc["correct"] == 100 and doc["failed_accepts"] == 0


def test_bound_query_prints_the_observed_value_in_a_relaxed_run(half, capsys):
    code, out = run_cli(capsys, half, "--fn", "q", "--arg", "x=0.1", "--hardware", "half",
                        "--semantics", "relaxed")
    assert code == 0 and "bound query at line 21: observed 5.49316e-06" in out
    assert "not a bound" in out
    code, doc = run_json(capsys, half, "--fn", "q", "--arg", "x=0.1", "--hardware", "half",
                         "--semantics", "relaxed")
    # |0.1 * 0.1 (binary64) - fl16(0.1) * fl16(0.1) rounded to float16|, exactly
    o = Fraction(0.1 * 0.1)
    h = Fraction(FORMATS["float16"].round(Fraction(FORMATS["float16"].round(0.1)) ** 2))
    assert doc["observed"] == [{"line": 21, "value": float(abs(o - h))}]
    code, doc = run_json(capsys, half, "--fn", "q", "--arg", "x=0.1")
    assert "observed" not in doc  # the original execution alone: nothing to compare


def test_a_fault_at_a_precision_flips_a_bit_of_that_format():
    """`+.` computed in bfloat16 and always faulty: every faulty float64 result is a
    bfloat16 value (one bit of its 16 flipped), as verify assumes (section 9); a
    float16 region's faulty reads are float16 values."""
    src = """hardware lowp {
  operator +. = 0 precision bfloat16;
  memory half read = 0 precision float16;
}
fn add(x: float64) -> float64 { return x +. 3.0; }
fn load(x: float64 in half) -> float64 { return x; }
"""
    item = load_source("p.relax", src)
    assert item.ok, [d.message for d in item.diagnostics]
    model = item.program.hardware["lowp"]
    for fn, fmt, x in (("add", "bfloat16", 0.5), ("load", "float16", 0.75)):
        interp = Interpreter(item.program, fn, Options("relaxed", faults="inject"), model, 1,
                             src, precision=model)
        values = {interp.run([x]).result for _ in range(200)}
        exact = FORMATS[fmt].round(3.5 if fn == "add" else 0.75)
        assert exact not in values and len(values) > 5
        assert all(FORMATS[fmt].representable(Fraction(v)) for v in values), (fn, values)
        assert values <= set(finite_flips(exact, FORMATS[fmt]))
