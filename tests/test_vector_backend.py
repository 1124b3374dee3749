"""The vectorised Monte Carlo backend (relaxverify/run/vector*.py) against the interpreter.

Statistical cross-check: for the programs of tests/data/vector/ (each names its
arguments on an `// Args:` line) and examples/motion_estimation.relax, 20,000
trials on each backend with seed 0 (so the test is deterministic): the 95% Wilson
intervals of the reliabilities overlap, and so do the failed runs and the faults
per trial within their sampling error. Beside it: the fault-free result of every
program the backend takes is the interpreter's (also for ints beyond 64 bits), the
programs it does not take run on the interpreter with a note, results are
deterministic given the seed, `faults at most K` holds, Ctrl-C gives partial
statistics.
"""
from __future__ import annotations

import json
import math
import random
import re
from pathlib import Path

import pytest

from relaxverify.check.hardware import find_model
from relaxverify.cli.main import main
from relaxverify.pipeline import load, load_source
from relaxverify.run import interrupt
from relaxverify.run.arguments import parse_args
from relaxverify.run.montecarlo import monte_carlo, same_result
from relaxverify.run.options import Options
from relaxverify.run.runtime import Interpreter

np = pytest.importorskip("numpy")

from relaxverify.run.vector_stmts import run_chunk  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data" / "vector"
TRIALS = 20000
MOTION = (["pblocks=[" + ",".join(str((7 * i) % 13) for i in range(64)) + "]",
           "cblock=[0,5,10,4,9,3,8,2,7,1,6,0,5,10,4,9]"])

# (file, hardware): aggressive where the interpreter is fast enough for 20,000 trials
CASES = [("budget.relax", "flaky"), ("budget.relax", "aggressive"),
         ("flags.relax", "aggressive"), ("index_checks.relax", "aggressive"),
         ("newton_f32.relax", "medium"), ("newton_f64.relax", "aggressive"),
         ("search_i64.relax", "aggressive"), ("search_i64.relax", "medium"),
         ("dot_bf16.relax", "aggressive")]


def _load(path: Path, args: list[str] | None = None):
    item = load(str(path))
    assert item.program is not None
    fn = item.program.functions[list(item.program.functions)[0]]
    if args is None:
        args = re.search(r"// Args: (.*)", path.read_text()).group(1).split()
    return item.program, fn, parse_args(fn, args)


def _both(program, fn, values, hw: str, trials: int = TRIALS, seed: int = 0):
    model = find_model(program, hw)
    assert model is not None
    return [monte_carlo(program, fn.name, values, model, trials, seed, precision=True,
                        backend=b) for b in ("interpreter", "vectorised")]


def _overlap(a: tuple[float, float], b: tuple[float, float]) -> bool:
    return a[0] <= b[1] and b[0] <= a[1]


@pytest.mark.parametrize("name,hw", CASES + [("motion_estimation", "medium")])
def test_the_backends_agree_within_their_intervals(name: str, hw: str) -> None:
    if name == "motion_estimation":
        program, fn, values = _load(ROOT / "examples" / "motion_estimation.relax", MOTION)
    else:
        program, fn, values = _load(DATA / name)
    interp, vec = _both(program, fn, values, hw)
    assert (interp.backend, vec.backend) == ("interpreter", "vectorised"), vec.backend_note
    assert interp.trials == vec.trials == TRIALS
    assert _overlap(interp.interval, vec.interval), (interp.interval, vec.interval)
    assert interp.faults > 0 and vec.faults > 0
    # faults per trial and failed runs: within 4.5 standard deviations (Poisson)
    assert abs(interp.faults - vec.faults) <= 4.5 * math.sqrt(interp.faults + vec.faults) + 1
    assert abs(interp.failures - vec.failures) <= 4.5 * math.sqrt(
        interp.failures + vec.failures) + 1
    model = find_model(program, hw)
    if model.budget is not None:
        assert vec.most_faults <= model.budget and interp.most_faults <= model.budget


def test_the_vectorised_backend_is_deterministic_given_the_seed() -> None:
    program, fn, values = _load(DATA / "search_i64.relax")
    model = find_model(program, "aggressive")
    runs = [monte_carlo(program, fn.name, values, model, 3000, seed, precision=True,
                        backend="vectorised") for seed in (5, 5, 6)]
    stats = [(r.trials, r.correct, r.failures, r.faults, r.most_faults) for r in runs]
    assert stats[0] == stats[1]
    assert stats[0] != stats[2]


FAULT_FREE = {  # programs (and arguments) whose fault-free run both backends compute
    "ints": ("fn f(a: int, b: int) -> int { var q: int = a / b; var r: int = a % b;"
             " var m: int = min(a, b) - max(-a, b) + abs(b); return q * 100 + r + m; }",
             ["a=-17", "b=5"]),
    "wide": ("fn f(x: int) -> (q: int, r: int) { var y: int = x * x * x * x;"
             " var z: int = y - y + y / 3; return (z / 1000000007, -(z % 1000)); }",
             ["x=300000"]),
    "wide_cmp": ("fn f(x: int) -> bool { var y: int = x * x * x; return y > x && -y < 0; }",
                 ["x=9000000"]),
    "halves": ("fn f(a: float16, b: float16) -> float16 { var s: float16 = a;"
               " for i in 0 .. 10 { s = s * b + a / b; } return s; }",
               ["a=1.1", "b=0.7"]),
    "singles": ("fn f(v: float32[]) -> float32 { var s: float32 = 0.0;"
                " for i in 0 .. len(v) { s = s + v[i] * v[i]; } return s - float32(3); }",
                ["v=[0.1,0.2,0.3,1e10]"]),
    "brain": ("fn f(a: float64, n: int) -> float64 { var x: bfloat16 = bfloat16(a);"
              " var y: bfloat16 = bfloat16(n); var z: bfloat16 = x / y - x * x;"
              " return float64(z) + float64(float32(z) * float32(3)); }",
              ["a=1.0078125001", "n=1000003"]),
    "convert": ("fn f(n: int) -> float32 { var x: float64 = float64(n);"
                " return float32(x / 3.0) + float32(n); }", ["n=123456789123"]),
    "arrays": ("fn f(a: int[]) -> int[] { var b: int[] = a; var c: int[len(a) + 1];"
               " for i in 0 .. len(a) { c[i + 1] = b[len(a) - 1 - i] * 2; b[i] = 0; }"
               " if (c[1] > 4) { c[0] = -1; } else { c[0] = 1; } return c; }",
               ["a=[3,1,4,1,5]"]),
    "alias": ("fn f(a: int[]) -> int { var b: int[] = a; var x: int = b[0]; b[0] = 5;"
              " return x * 10 + b[0]; }", ["a=[1,2]"]),
    "while": ("fn f(n: int) -> int { var k: int = 0; var x: int = n;"
              " while (x != 1) bound 1000 { if (x % 2 == 0) { x = x / 2; }"
              " else { x = 3 * x + 1; } k = k + 1; } return k; }", ["n=27"]),
}


@pytest.mark.parametrize("name", sorted(FAULT_FREE))
def test_the_fault_free_run_is_the_interpreters(name: str) -> None:
    text, args = FAULT_FREE[name]
    item = load_source(f"{name}.relax", text)
    assert item.program is not None, item.diagnostics
    fn = item.program.functions["f"]
    values = parse_args(fn, args)
    interp = Interpreter(item.program, "f", Options(specs=False))
    ref = interp.run([interp.convert(v, p.type) for v, p in zip(values, fn.params)])
    assert ref.failure is None
    conv = [interp.convert(v, p.type) for v, p in zip(values, fn.params)]
    lanes, ok = run_chunk(fn, conv, None, 3, np.random.default_rng(0), random.Random(0),
                          "original", 10000, ref.result, None)
    assert ok.all() and lanes.alive.all()
    # and the backend runs its trials (its own check of the fault-free lane passes)
    mc = monte_carlo(item.program, "f", values, find_model(item.program, "medium"), 200,
                     backend="vectorised")
    assert mc.backend == "vectorised", mc.backend_note
    assert same_result(mc.reference.result, ref.result)


@pytest.mark.parametrize("text,why", [
    ("fn g(x: int) -> int { return x + 1; }\n"
     "fn f(x: int) -> int { var y: int; y = g(x); return y; }", "calls `g`"),
    ("fn f(x: int) -> int { var m: int[2, 2]; m[0, 1] = x; return m[0, 1]; }",
     "several dimensions"),
    ("fn f(x: float64) -> float64 { return sqrt(x) +. 1.0; }", "sqrt"),
])
def test_other_programs_run_on_the_interpreter_with_a_note(text: str, why: str) -> None:
    item = load_source("other.relax", text)
    assert item.program is not None, item.diagnostics
    mc = monte_carlo(item.program, "f", [2], find_model(item.program, "medium"), 100)
    assert mc.backend == "interpreter"
    assert why in mc.backend_note


def test_real_arithmetic_runs_on_the_interpreter(capsys: pytest.CaptureFixture) -> None:
    code = main(["run", str(ROOT / "examples" / "newton.relax"), "--arg", "v=2.0",
                 "--trials", "300", "--format", "json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    assert out["backend"] == "interpreter"
    assert "exact `real` arithmetic" in out["backend_note"]


def test_the_output_says_which_backend_ran(capsys: pytest.CaptureFixture) -> None:
    path = str(DATA / "newton_f64.relax")
    args = ["run", path, "--arg", "v=2.0", "--trials", "20000", "--hardware", "aggressive"]
    assert main(args) == 0  # thousands of trials see a fault
    assert "note: backend: vectorised (numpy, one lane per trial)" in capsys.readouterr().out
    assert main(args + ["--backend", "interpreter", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["backend"] == "interpreter"
    # `medium`: 0.2% of the trials see a fault; auto leaves them to the interpreter
    assert main(["run", path, "--arg", "v=2.0", "--trials", "5000", "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["backend"] == "interpreter"
    assert "the interpreter skips the others: faster here" in out["backend_note"]
    assert main(["run", path, "--arg", "v=2.0", "--trials", "5000", "--format", "json",
                 "--backend", "vectorised"]) == 0
    assert json.loads(capsys.readouterr().out)["backend"] == "vectorised"


@pytest.mark.parametrize("backend", ["interpreter", "vectorised"])
def test_an_interrupt_gives_the_statistics_of_the_trials_done(backend: str) -> None:
    program, fn, values = _load(DATA / "newton_f64.relax")
    seen: list[int] = []

    def progress(done: int) -> None:
        seen.append(done)
        interrupt.request()  # as Ctrl-C does (cli/main.py)
    mc = monte_carlo(program, fn.name, values, find_model(program, "aggressive"), 10 ** 7,
                     progress=progress, precision=True, backend=backend)
    assert mc.partial and mc.backend == backend
    assert 0 < mc.trials < mc.requested == 10 ** 7
    assert mc.trials == seen[-1]
    assert 0.7 < mc.fraction < 0.95  # newton_f64 on aggressive: about 0.84
    assert not interrupt.requested() or not interrupt.listening()


def test_ctrl_c_prints_partial_results_and_exits_130(capsys: pytest.CaptureFixture,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from relaxverify.run import montecarlo
    real = montecarlo.monte_carlo

    def stopping(*args, **kwargs):  # session passes `progress` by position
        args = args[:10] + (lambda done: interrupt.request(),) + args[11:]
        return real(*args, **kwargs)
    monkeypatch.setattr("relaxverify.run.session.monte_carlo", stopping)
    code = main(["run", str(DATA / "newton_f64.relax"), "--arg", "v=2.0", "--trials",
                 "100000000", "--hardware", "aggressive"])
    out = capsys.readouterr().out
    assert code == 130
    assert "(partial: interrupted, of 100000000)" in out
    assert "note: partial results: interrupted after" in out


# ---------------------------------------------------------------- ints beyond 64 bits

INT_POOL = [0, 1, -1, 7, -7, 2 ** 31 - 1, -2 ** 31, 2 ** 31, 2 ** 32 + 3, 3037000499,
            -3037000500, 2 ** 62, -2 ** 62, 2 ** 63 - 1, -2 ** 63, 2 ** 63, -2 ** 63 - 1,
            2 ** 64 + 5, -3 ** 50, 2 ** 130 - 1]
PY_OPS = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b,
          "/": lambda a, b: a // b, "%": lambda a, b: a % b, "min": min, "max": max}


def _int_lanes(rng, n: int, nonzero: bool = False) -> list[int]:
    """n Python ints: small ones, int64's edges, random 64-bit ones, wide ones."""
    out = []
    for kind in rng.integers(0, 4, size=n):
        if kind == 0:
            x = int(rng.integers(-1000, 1000))
        elif kind == 1:
            x = INT_POOL[int(rng.integers(0, len(INT_POOL)))]
        elif kind == 2:
            x = int(rng.integers(-2 ** 63, 2 ** 63 - 1, endpoint=True))
        else:
            x = int(rng.integers(1, 2 ** 62)) << int(rng.integers(1, 70))
            x = -x if rng.random() < 0.5 else x
        out.append(1 if nonzero and x == 0 else x)
    return out


def _as_lanes(values: list[int]):
    from relaxverify.run import vector_ints as W
    n = len(values)
    return W.patch(np.zeros(n, dtype=np.int64), np.arange(n),
                   np.array(values + [0], dtype=object)[:-1])


@pytest.mark.parametrize("op", sorted(PY_OPS))
@pytest.mark.parametrize("shape", ["lanes", "left uniform", "right uniform"])
def test_int_lanes_compute_what_python_ints_do(op: str, shape: str) -> None:
    """Every live lane of a op b is the exact (unbounded) result, whether the
    operands fit 64 bits, overflow int64 in the operation, or are wide already."""
    from relaxverify.run import vector_ints as W
    rng = np.random.default_rng(sorted(PY_OPS).index(op))
    n = 600
    a = _int_lanes(rng, n)
    b = _int_lanes(rng, n, nonzero=op in ("/", "%"))
    a[:3], b[:3] = [-2 ** 63, -2 ** 63, 2 ** 63 - 1], [-1, 1, -1]  # int64's edges of / too
    if shape == "left uniform":
        a = [int(rng.integers(-2 ** 63, 2 ** 63 - 1))] * n
    if shape == "right uniform":
        b = [int(rng.integers(-2 ** 40, 2 ** 40)) or 3] * n
    lanes_a = np.int64(a[0]) if shape == "left uniform" else _as_lanes(a)
    lanes_b = np.int64(b[0]) if shape == "right uniform" else _as_lanes(b)
    mask = rng.random(n) < 0.9
    mask[:3] = True
    got = W.gather(W.arith(op, lanes_a, lanes_b, mask, n), np.arange(n), n)
    want = [PY_OPS[op](x, y) for x, y in zip(a, b)]
    wrong = [(a[i], b[i], got[i]) for i in np.flatnonzero(mask) if got[i] != want[i]]
    assert not wrong, wrong[:3]
    assert any(not W.fits(w) for w in want) or op in ("/", "%", "min", "max")
    cmp_op = {"+": "<", "-": ">=", "*": "==", "/": "!=", "%": "<=", "min": ">",
              "max": "<"}[op]  # and a comparison of the same lanes
    cmp = W.compare(cmp_op, lanes_a, lanes_b, n)
    py_cmp = {"<": lambda x, y: x < y, ">=": lambda x, y: x >= y, "==": lambda x, y: x == y,
              "!=": lambda x, y: x != y, "<=": lambda x, y: x <= y, ">": lambda x, y: x > y}
    assert list(np.broadcast_to(cmp, (n,))) == [py_cmp[cmp_op](x, y) for x, y in zip(a, b)]


def test_int_lane_negation_and_bit_flips_are_exact() -> None:
    from relaxverify.run import vector_ints as W
    from relaxverify.run.faults import flip_int
    rng = np.random.default_rng(11)
    n = 400
    a = _int_lanes(rng, n)
    which = np.sort(rng.choice(n, 150, replace=False))
    bits = rng.integers(0, 64, size=150)
    a[which[0]], bits[0] = -2 ** 63 - 1, 63  # a wide value a flip brings back: -1
    lanes = _as_lanes(a)
    for op, py in (("-", lambda x: -x), ("abs", abs)):
        got = W.gather(W.unary(op, lanes, n), np.arange(n), n)
        assert list(got) == [py(x) for x in a]
    flipped = W.gather(W.flip(lanes, which, bits, n), np.arange(n), n)
    want = list(a)
    for i, bit in zip(which, bits):
        want[i] = flip_int(a[i], int(bit))
    assert list(flipped) == want and want[which[0]] == -1


OVERFLOW = """
hardware flips { operator +. = 0; }  // every +. fails: one of its 64 bits flipped

fn exact(x: int) -> int {
  var y: int = x +. 0;
  var c: int = y * y * y * y;  // up to 2^252: beyond 64 bits when a high bit flipped
  return c / (y * y) / y - y + x;  // x again, in exact arithmetic
}

fn cube(x: int) -> bool {
  var y: int = x +. 0;
  var c: int = y * y * y;
  return c > 1000000 * y;
}
"""


def test_faults_beyond_64_bits_are_exact_in_both_backends() -> None:
    """`exact` returns x whatever bit the fault flips, so every trial is correct:
    with wrapped 64-bit products it would not be. `cube` (x = 5, fault-free false)
    is true exactly when bit 10..62 of 5 is flipped: 53 of the 64 bits, so the
    reliability is 11/64, with cubes up to 2^189."""
    item = load_source("overflow.relax", OVERFLOW)
    assert item.program is not None, item.diagnostics
    model = find_model(item.program, "flips")
    for name in ("exact", "cube"):
        fn = item.program.functions[name]
        interp, vec = _both(item.program, fn, parse_args(fn, ["x=5"]), "flips", 6000)
        assert (interp.backend, vec.backend) == ("interpreter", "vectorised"), vec.backend_note
        assert interp.faults == vec.faults == 6000  # one per trial
        assert interp.failures == vec.failures == 0
        if name == "exact":
            assert interp.correct == vec.correct == 6000
        else:
            sd = math.sqrt(6000 * 11 / 64 * 53 / 64)
            for mc in (interp, vec):
                assert abs(mc.correct - 6000 * 11 / 64) <= 4.5 * sd, mc.correct
            assert _overlap(interp.interval, vec.interval)
    assert model is not None and model.budget is None


@pytest.mark.parametrize("ok,measured,hazard,why", [
    (True, 0.071, 0.082, None),  # flags.relax: the interpreter charges both sides of ||
    (True, 0.0821, 0.082, "hazard 0.0821"),  # more than the budgets were drawn below
    (False, 0.082, 0.082, "fault-free run differs"),
])
def test_the_fault_free_lane_must_stay_within_the_interpreters_hazard(
        ok: bool, measured: float, hazard: float, why: str | None) -> None:
    from relaxverify.run.vector_stmts import _fault_free
    from relaxverify.run.vector_support import Unsupported
    if why is None:
        _fault_free(np.array([ok, False]), measured, hazard)
    else:
        with pytest.raises(Unsupported, match=why):
            _fault_free(np.array([ok, True]), measured, hazard)


SHARED = """
hardware reads { memory urel read = 0; }  // every read of a urel variable fails

fn f(a: int, c: float64) -> (r: int, s: float64) {
  var w: int in urel = 0;
  var q: int = w;  // faulty: q differs from lane to lane
  var y: int = a + 1 + (q - q);  // a + 1, one value per lane
  var x: int in urel = y;  // x and y hold the same lanes
  var z: int = x + 0;  // a faulty read of x: its bit flip must not reach y
  var d: float64 = c * 2.0 + float64(q - q);
  var e: float64 in urel = d;
  var g: float64 = e + 0.0;
  return (y, d);
}
"""


def test_a_faulty_read_leaves_the_variable_it_reads_alone() -> None:
    """A fault may change an operation's result in place (nothing else holds it),
    never the lanes a variable holds: every trial's result here is fault-free."""
    item = load_source("shared.relax", SHARED)
    assert item.program is not None, item.diagnostics
    fn = item.program.functions["f"]
    interp, vec = _both(item.program, fn, parse_args(fn, ["a=41", "c=1.5"]), "reads", 3000)
    assert vec.backend == "vectorised", vec.backend_note
    assert interp.faults == vec.faults == 3 * 3000
    assert interp.correct == vec.correct == 3000
