"""The interpreter: results equal to hand-computed values, both semantics, runtime
checks at their source locations, exact reals, relax/havoc choices, fault values."""
from __future__ import annotations

import math
import random
from fractions import Fraction

import pytest

from relaxverify.core.nodes import INT, REAL, Type
from relaxverify.run.faults import FaultMaker, FaultSpec, flip_float, flip_int, hazard
from relaxverify.run.options import Options
from relaxverify.run.runtime import Interpreter
from relaxverify.pipeline import load_source


def program(src: str):
    item = load_source("t.relax", src)
    assert item.ok, [d.message for d in item.diagnostics]
    return item.program, src


def run(src: str, fn: str, *args, seed: int = 0, **opts):
    prog, text = program(src)
    interp = Interpreter(prog, fn, Options(**opts), seed=seed, source=text)
    params = prog.functions[fn].params
    return interp.run([interp.convert(a, p.type) for a, p in zip(args, params)])


ARITH = """
fn f(a: int, b: int) -> int { return a / b * 100 + a % b; }
fn g(x: real) -> real { var y: real = x * x - 2.0; return y / 4.0 + real(3); }
fn h(n: int) -> int {
  var s: int = 0;
  for i in 0 .. n { s = s + i * i; }
  var k: int = 0;
  while (k < 100) bound 7 { k = k + 1; }
  repeat (3) { s = s + 1; }
  return s * 1000 + k;
}
fn m(a: int[]) -> int[] {
  var b: int[] = a;
  b[0] = 42;
  var c: int[3];
  c[1] = min(abs(-5), max(2, 9));
  if (a == b) { c[2] = 1; } else if (len(b) > 1) { c[2] = 2; } else { c[2] = 3; }
  return c;
}
"""


@pytest.mark.parametrize("a,b,want", [(7, 2, 301), (-7, 2, -400 + 1), (7, -2, -400 - 1)])
def test_floor_division_like_python(a, b, want):
    assert run(ARITH, "f", a, b).result == want


def test_reals_float_and_exact():
    assert run(ARITH, "g", 1.5).result == pytest.approx((1.5 * 1.5 - 2) / 4 + 3)
    exact = run(ARITH, "g", Fraction(1, 3), exact=True).result
    assert exact == (Fraction(1, 9) - 2) / 4 + 3 and isinstance(exact, Fraction)


def test_loops_hand_computed():
    # sum of squares below 5 = 30, plus 3; the bounded while stops after 7 iterations
    assert run(ARITH, "h", 5).result == 33 * 1000 + 7
    assert run(ARITH, "h", 0).result == 3 * 1000 + 7


def test_arrays_are_values():
    out = run(ARITH, "m", [1, 2])
    assert out.result == [0, 5, 2]


CHECKS = """
fn idx(a: int[], i: int) -> int { return a[i]; }
fn div(x: int) -> int { var y: int = 10 / x; return y; }
fn neg(n: int) -> int { var a: real[n]; return 0; }
fn bnd(n: int) -> int { var k: int = 0; while (k < 3) bound n { k = k + 1; } return k; }
fn asr(x: int) -> int
  requires x != 13
  ensures result > 0
{
  assert x >= 0;
  assume x < 100;
  return x;
}
fn caller(x: int) -> int { var y: int = asr(x); return y; }
fn spin(x: int) -> int { var k: int = 0; while (x > 0) { k = k + 1; } return k; }
"""


@pytest.mark.parametrize("fn,args,kind,line", [
    ("idx", ([1, 2, 3], 3), "bounds", 2), ("idx", ([1, 2, 3], -1), "bounds", 2),
    ("div", (0,), "division", 3), ("neg", (-1,), "length", 4), ("bnd", (-2,), "bound", 5),
    ("asr", (-1,), "assert", 10), ("asr", (200,), "assume", 11), ("asr", (0,), "ensures", 8),
    ("asr", (13,), "requires", 7), ("caller", (13,), "requires", 14),
])
def test_runtime_checks_are_located(fn, args, kind, line):
    out = run(CHECKS, fn, *args)
    assert out.failure is not None and out.failure.kind == kind
    assert out.failure.span.line == line


def test_bounds_message_names_the_array():
    f = run(CHECKS, "idx", [1, 2, 3], 5).failure
    assert "index 5" in f.message and "`a`" in f.message and "length 3" in f.message


def test_non_terminating_loop_is_stopped():
    out = run(CHECKS, "spin", 1, max_steps=1000)
    assert out.failure.kind == "limit" and out.failure.span.line == 15


def test_recursion():
    src = "fn fact(n: int) -> int requires n >= 0 { var r: int = 1; " \
          "if (n > 0) { var s: int = fact(n - 1); r = n * s; } return r; }"
    assert run(src, "fact", 20).result == math.factorial(20)


def test_short_circuit_guards_index():
    src = "fn f(a: int[], i: int) -> bool { var b: bool = i < len(a) && a[i] > 0; return b; }"
    assert run(src, "f", [1], 5).result is False


def test_quantified_specs_are_checked():
    src = """fn f(a: int[]) -> int
      requires forall j: int :: 0 <= j < len(a) ==> a[j] >= 0
      requires exists j: int :: a[0] == 2 * j
    { return a[0]; }"""
    assert run(src, "f", [4, 1]).result == 4
    assert run(src, "f", [4, -1]).failure.kind == "requires"
    assert run(src, "f", [3, 1]).failure.kind == "requires"  # odd: no j (decided by Z3)


RELAX = """
fn knob(m: int) -> int {
  var r: int = m;
  relax (r) st ((old(r) <= 10 && r == old(r)) || (old(r) > 10 && 10 <= r && r <= old(r)));
  return r;
}
fn noise(x: real) -> real {
  var y: real = x;
  havoc (y) st (x - 0.5 <= y && y <= x + 0.5);
  return y;
}
fn odd() -> int { var k: int; relax (k) st (k % 2 == 1 && k * k > 50 && k < 20); return k; }
fn none() -> int { var k: int; relax (k) st (k > 3 && k < 2); return k; }
fn arr(n: int) -> int[] { var a: int[]; havoc (a) st (len(a) == n && a[0] == 7); return a; }
"""


def test_relax_only_in_relaxed_semantics():
    assert run(RELAX, "knob", 50).result == 50
    values = {run(RELAX, "knob", 50, seed=s, semantics="relaxed").result for s in range(30)}
    assert values <= set(range(10, 51)) and len(values) > 5
    assert {run(RELAX, "knob", 7, seed=s, semantics="relaxed").result for s in range(5)} == {7}


def test_havoc_in_both_semantics_and_seeded():
    outs = [run(RELAX, "noise", 1.0, seed=s).result for s in range(20)]
    assert all(0.5 <= y <= 1.5 for y in outs) and len(set(outs)) > 10
    assert run(RELAX, "noise", 1.0, seed=3).result == run(RELAX, "noise", 1.0, seed=3).result


def test_relax_beyond_ranges_uses_z3():
    for s in range(5):
        k = run(RELAX, "odd", seed=s, semantics="relaxed").result
        assert k % 2 == 1 and k * k > 50 and k < 20
    a = run(RELAX, "arr", 3, seed=1).result
    assert len(a) == 3 and a[0] == 7


def test_unsatisfiable_relax_is_a_clear_failure():
    f = run(RELAX, "none", semantics="relaxed").failure
    assert f.kind == "relax" and f.span.line == 13 and "no value of `k`" in f.message


FAULTY = """
hardware always { operator +. = 0.0; operator *. = 0.0 error 0.25; memory urel read = 0.0; }
fn add(x: int) -> int { return x +. 1; }
fn mul(x: real) -> real { return x *. 2.0; }
fn rd(x: int in urel) -> int { var y: int = x; return y; }
"""


def test_faults_flip_one_bit_or_stay_within_error():
    prog, text = program(FAULTY)
    model = prog.hardware["always"]
    for seed in range(10):
        i = Interpreter(prog, "add", Options(faults="inject"), model, seed, text)
        got = i.run([5]).result
        assert bin((got ^ 6) & (2 ** 64 - 1)).count("1") == 1
        m = Interpreter(prog, "mul", Options(faults="inject"), model, seed, text).run([1.0])
        assert abs(m.result - 2.0) <= 0.25
        r = Interpreter(prog, "rd", Options(faults="inject"), model, seed, text).run([3]).result
        assert r != 3
    exact = Interpreter(prog, "add", Options(faults="none"), model, 0, text).run([5]).result
    assert exact == 6


def test_bit_flips():
    assert flip_int(0, 63) == -(2 ** 63) and flip_int(-1, 0) == -2 and flip_int(5, 1) == 7
    assert flip_float(1.0, 63) == -1.0 and flip_float(2.0, 52) == 4.0 and flip_float(1.0, 52) == 0.5
    assert hazard(1.0) == 0.0 and hazard(0.0) == math.inf
    mk = FaultMaker(random.Random(0), exact=True)
    flip = mk.make(FaultSpec(REAL))
    assert all(isinstance(flip(Fraction(1, 3)), Fraction) for _ in range(200))
    damage = mk.make(FaultSpec(Type("int", True), None, True))
    xs = [1, 2, 3]
    ys = damage(xs)
    assert xs == [1, 2, 3] and sum(a != b for a, b in zip(xs, ys)) == 1
    within = FaultMaker(random.Random(0), False).make(FaultSpec(INT, 2.0))
    assert {within(10) for _ in range(300)} == {8, 9, 10, 11, 12}


# ---------------------------------------------------------------- properties

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from relaxverify.core import nodes as C  # noqa: E402
from relaxverify.run.choose import z3_holds  # noqa: E402

DIVMOD = "fn d(a: int, b: int) -> int { return a / b; }\nfn m(a: int, b: int) -> int { return a % b; }"
DIVMOD_PROG, _ = program(DIVMOD)


@settings(max_examples=60, deadline=None)
@given(st.integers(-60, 60), st.integers(-9, 9).filter(lambda b: b != 0))
def test_int_division_matches_python_and_the_z3_encoding(a, b):
    """The interpreter and the Z3 encoding used for relax/havoc predicates agree on
    floor division and remainder (Z3's own div/mod are Euclidean)."""
    for fn, want in (("d", a // b), ("m", a % b)):
        interp = Interpreter(DIVMOD_PROG, fn, Options())
        assert interp.run([a, b]).result == want
        expr = DIVMOD_PROG.functions[fn].body[-1].value
        claim = C.BinOp("==", expr, C.Const(want, C.INT, expr.span), C.BOOL, expr.span)
        assert z3_holds(claim, {"a": a, "b": b}) is True


@settings(max_examples=30, deadline=None)
@given(st.integers(-1000, 1000), st.integers(0, 4))
def test_range_predicates_always_satisfied(old, width):
    src = ("fn f(m: int, w: int) -> int { var r: int = m; "
           "relax (r) st ((old(r) < 0 && r == -old(r)) || (old(r) >= 0 && old(r) - w <= r "
           "&& r < old(r) + w + 1 && r != old(r) - w - 1)); return r; }")
    out = run(src, "f", old, width, semantics="relaxed", seed=old)
    r = out.result
    assert (old < 0 and r == -old) or (old >= 0 and old - width <= r <= old + width)


# Random expression trees: the generated Python (with its flattened chains and
# inlined checks) computes what a direct evaluation of the tree computes.

class _DivZero(Exception):
    pass


def _ints():
    leaf = st.one_of(st.sampled_from(["x", "y", "z"]), st.integers(-9, 9).map(str))
    return st.recursive(leaf, lambda sub: st.tuples(
        st.sampled_from(["+", "-", "*", "/", "%"]), sub, sub), max_leaves=12)


def _bools():
    cmp = st.tuples(st.sampled_from(["<", "<=", "==", "!=", ">", ">="]), _ints(), _ints())
    return st.recursive(cmp, lambda sub: st.one_of(
        st.tuples(st.sampled_from(["&&", "||", "==>", "<==>"]), sub, sub),
        st.tuples(st.just("!"), sub)), max_leaves=6)


def _text(t) -> str:
    if isinstance(t, str):
        return f"({t})" if t.startswith("-") else t
    if t[0] == "!":
        return f"!({_text(t[1])})"
    return f"({_text(t[1])} {t[0]} {_text(t[2])})"


def _eval(t, env):
    if isinstance(t, str):
        return env[t] if t in env else int(t)
    op = t[0]
    if op == "!":
        return not _eval(t[1], env)
    a = _eval(t[1], env)
    if op == "&&":
        return a and _eval(t[2], env)
    if op == "||":
        return a or _eval(t[2], env)
    if op == "==>":
        return (not a) or _eval(t[2], env)
    b = _eval(t[2], env)
    if op in ("/", "%") and b == 0:
        raise _DivZero
    return {"+": lambda: a + b, "-": lambda: a - b, "*": lambda: a * b, "/": lambda: a // b,
            "%": lambda: a % b, "<": lambda: a < b, "<=": lambda: a <= b,
            "==": lambda: a == b, "!=": lambda: a != b, ">": lambda: a > b,
            ">=": lambda: a >= b, "<==>": lambda: a == b}[op]()


@settings(max_examples=80, deadline=None)
@given(st.one_of(_ints(), _bools()), st.integers(-20, 20), st.integers(-20, 20),
       st.integers(-20, 20))
def test_generated_code_matches_direct_evaluation(tree, x, y, z):
    env = {"x": x, "y": y, "z": z}
    is_bool = not isinstance(tree, str) and tree[0] in (
        "<", "<=", "==", "!=", ">", ">=", "&&", "||", "==>", "<==>", "!")
    src = (f"fn f(x: int, y: int, z: int) -> {'bool' if is_bool else 'int'} "
           f"{{ return {_text(tree)}; }}")
    try:
        want = _eval(tree, env)
    except _DivZero:
        want = _DivZero
    out = run(src, "f", x, y, z)
    if want is _DivZero:
        assert out.failure is not None and out.failure.kind == "division"
    else:
        assert out.failure is None and out.result == want


# ---------------------------------------------------------------- tests from core/checks.py

TABLE = """
fn g(x: int) -> int requires x > 0 { return x; }
fn f(a: int[], i: int, n: int) -> int {
  var b: int[n];
  b[0] = a[i] / n + a[0] % 2 + i * n;
  var r: int = g(n);
  var k: int = 0;
  while (k < n) bound n { k = k + 1; }
  for j in 0 .. 3 { k = k + 1; }
  havoc (k) st (k >= 0);
  assert k >= 0;
  return r;
}
"""

TESTS = {"bounds": "_oob(", "division": "_dz(", "length": "_badlen(", "bound": "_negbound(",
         "requires": "_req(", "assert": "_fail('assert'", "choice": "_choose("}


def test_every_generated_test_is_a_check_of_the_table():
    """The generator emits one runtime test per check core/checks.py lists, and no
    other: count the tests in the source against the table's checks."""
    from relaxverify.core import checks as K
    from relaxverify.core import nodes as C
    prog, _ = program(TABLE)
    fn = prog.functions["f"]
    want: dict[str, int] = {}
    for s in C.walk(fn.body):
        found = list(K.stmt_checks(s))
        for e in K.code_exprs(s) + ([s.cond] if isinstance(s, C.Check) else []):
            found += [site.check for site in K.checks_in(e)]
        for c in found:
            want[c.kind] = want.get(c.kind, 0) + 1
    text = Interpreter(prog, "f", Options()).source_text
    body = text[text.index("def f_f("):text.index("_entry")]
    for kind, call in TESTS.items():
        assert body.count(call) == want.get(kind, 0), (kind, body)
    # limits: the int product, the array length (with `length`: one `_badlen`), the
    # call depth, the while loop's steps; the `for` over 0 .. 3 has no limit check
    assert body.count("_huge(") == 1 and body.count("_deep(") == 1
    assert body.count("_lim(") == 1 and "_MAXARRAY" in body
    assert want["limit"] == 4


def test_a_check_kind_without_a_test_fails_loudly(monkeypatch):
    """A new check kind in the table must get a runtime test, not be skipped."""
    from relaxverify.core import checks as K
    from relaxverify.run import codegen_exprs
    prog, _ = program("fn f(a: int[]) -> int { return a[0]; }\n")
    monkeypatch.setattr(codegen_exprs.K, "expr_checks", lambda e: (
        (K.RuntimeCheck("overflow", e, (), e.span),) if hasattr(e, "index") else ()))
    with pytest.raises(Exception, match="overflow"):
        Interpreter(prog, "f", Options())


def test_callee_precondition_is_checked_at_the_call():
    src = ("fn g(x: int) -> int requires x > 0 { return x; }\n"
           "fn f(n: int) -> int {\n  var r: int = g(n - 1);\n  return r;\n}\n")
    out = run(src, "f", 1)  # g(0) fails its precondition, reported at the call
    assert out.failure.kind == "requires" and out.failure.span.line == 3
    assert "does not hold at this call" in out.failure.message
    out = run(src, "g", 0)
    assert out.failure.kind == "requires" and "the arguments do not satisfy" in out.failure.message


FLAT = """
hardware h { operator +. = 0.9; operator *. = 0.9; operator <. = 0.9;
             memory urel read = 0.95 write = 0.9; }
fn f(a: int[] in urel, n: int in urel) -> int {
  var s: int in urel = 0;
  var i: int = 0;
  while (i < len(a) && (a[i] >. 0 || -(-i) *. 2 <. n)) bound 50 {
    s = s +. a[i] *. (n +. 1) / (i + 1);
    if (s <. 10) { if (a[i] > 1) { s = s +. 1; } else { s = s - 1; } } else { s = s / 2; }
    i = i + 1;
  }
  return s;
}
"""


def test_flat_code_is_the_same_program(monkeypatch):
    """Deep expressions are written flat (temporaries, guards for short-circuits) and
    deep `if`s with guard variables: with every expression flat and every `if`
    guarded, runs and Monte Carlo counts are those of the nested code
    (same results, same order of checks and fault sites, so the same random draws)."""
    from relaxverify.check.hardware import find_model
    from relaxverify.run import codegen_exprs, codegen_stmts
    from relaxverify.run.montecarlo import monte_carlo
    prog, _ = program(FLAT)
    model = find_model(prog, "h")

    def measure():
        plain = [run(FLAT, "f", a, n).result for a, n in (([3, -1, 4], 5), ([], 0), ([0, 0], 9))]
        mc = monte_carlo(prog, "f", [[3, -1, 4, 1, 5], 7], model, 3000, seed=2, skip=False)
        return plain, mc.correct, mc.failures, mc.faults
    nested = measure()
    monkeypatch.setattr(codegen_exprs, "FLAT_DEPTH", 1)
    monkeypatch.setattr(codegen_stmts, "FLAT_DEPTH", 1)
    monkeypatch.setattr(codegen_stmts, "GUARDED_INDENT", 1)
    text = Interpreter(prog, "f", Options()).source_text
    assert "_x" in text and "while True:" in text and "_g" in text  # really flat
    assert measure() == nested
