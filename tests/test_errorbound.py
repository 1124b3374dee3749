"""Round-off error bounds (LANGUAGE.md §9 bound queries): soundness against sampled
executions (exact Fractions with random and extreme rounding errors, and IEEE
binary64 evaluation) and tightness against FPTaylor's published figures."""
from __future__ import annotations

import random
import time
from fractions import Fraction
from typing import Callable, Optional

import pytest
from hypothesis import given, settings, strategies as st

from relaxverify.verify.errorbound import Ranges, _Eval, _fbox, error_bound
from relaxverify.verify.errorir import (
    BFLOAT16, BINARY32, BINARY64, FLOAT16, Const, Expr, Op, Round, Rounding, Var)
from relaxverify.verify.intervals import Interval

F = Fraction


class B:
    """Builds one benchmark either exactly (rnd None) or with every operation and every
    inexact constant rounded to rnd (inputs exact)."""

    def __init__(self, rnd: Optional[Rounding]) -> None:
        self.rnd = rnd

    def c(self, text: str) -> Const:
        exact = F(text)
        if self.rnd is BINARY64:
            return Const(F(float(exact)))
        return Const(exact)

    def op(self, name: str, *args: Expr) -> Op:
        return Op(name, tuple(args), self.rnd)

    def add(self, a: Expr, b: Expr) -> Op:
        return self.op("+", a, b)

    def sub(self, a: Expr, b: Expr) -> Op:
        return self.op("-", a, b)

    def mul(self, a: Expr, b: Expr) -> Op:
        return self.op("*", a, b)

    def div(self, a: Expr, b: Expr) -> Op:
        return self.op("/", a, b)


def doppler1(b: B) -> Expr:
    u, v, t = Var("u"), Var("v"), Var("T")
    t1 = b.add(b.c("331.4"), b.mul(b.c("0.6"), t))
    s = b.add(t1, u)
    return b.div(b.mul(b.op("neg", t1), v), b.mul(s, s))


def rigid_body1(b: B) -> Expr:
    x1, x2, x3 = Var("x1"), Var("x2"), Var("x3")
    e = b.sub(b.mul(b.op("neg", x1), x2), b.mul(b.mul(b.c("2"), x2), x3))
    return b.sub(b.sub(e, x1), x3)


def rigid_body2(b: B) -> Expr:
    x1, x2, x3 = Var("x1"), Var("x2"), Var("x3")
    m = b.mul(b.mul(x1, x2), x3)
    s = b.mul(b.mul(b.c("3"), x3), x3)
    e = b.add(b.sub(b.add(b.mul(b.c("2"), m), s), b.mul(x2, m)), s)
    return b.sub(e, x2)


def jet_engine(b: B) -> Expr:
    x1, x2 = Var("x1"), Var("x2")
    c = b.c
    t = b.sub(b.add(b.mul(b.mul(c("3"), x1), x1), b.mul(c("2"), x2)), x1)
    ts = b.sub(b.sub(b.mul(b.mul(c("3"), x1), x1), b.mul(c("2"), x2)), x1)
    d = b.add(b.mul(x1, x1), c("1"))
    s, ss = b.div(t, d), b.div(ts, d)
    inner = b.add(b.mul(b.mul(b.mul(c("2"), x1), s), b.sub(s, c("3"))),
                  b.mul(b.mul(x1, x1), b.sub(b.mul(c("4"), s), c("6"))))
    e = b.add(b.mul(inner, d), b.mul(b.mul(b.mul(c("3"), x1), x1), s))
    e = b.add(b.add(e, b.mul(b.mul(x1, x1), x1)), x1)
    return b.add(x1, b.add(e, b.mul(c("3"), ss)))


def turbine1(b: B) -> Expr:
    v, w, r = Var("v"), Var("w"), Var("r")
    c = b.c
    head = b.add(c("3"), b.div(c("2"), b.mul(r, r)))
    q = b.mul(b.mul(c("0.125"), b.sub(c("3"), b.mul(c("2"), v))),
              b.mul(b.mul(b.mul(w, w), r), r))
    return b.sub(b.sub(head, b.div(q, b.sub(c("1"), v))), c("4.5"))


def turbine2(b: B) -> Expr:
    v, w, r = Var("v"), Var("w"), Var("r")
    c = b.c
    q = b.mul(b.mul(c("0.5"), v), b.mul(b.mul(b.mul(w, w), r), r))
    return b.sub(b.sub(b.mul(c("6"), v), b.div(q, b.sub(c("1"), v))), c("2.5"))


def turbine3(b: B) -> Expr:
    v, w, r = Var("v"), Var("w"), Var("r")
    c = b.c
    head = b.sub(c("3"), b.div(c("2"), b.mul(r, r)))
    q = b.mul(b.mul(c("0.125"), b.add(c("1"), b.mul(c("2"), v))),
              b.mul(b.mul(b.mul(w, w), r), r))
    return b.sub(b.sub(head, b.div(q, b.sub(c("1"), v))), c("0.5"))


def verhulst(b: B) -> Expr:
    x, c = Var("x"), b.c
    return b.div(b.mul(c("4"), x), b.add(c("1"), b.div(x, c("1.11"))))


def predator_prey(b: B) -> Expr:
    x, c = Var("x"), b.c
    q = b.div(x, c("1.11"))
    return b.div(b.mul(b.mul(c("4"), x), x), b.add(c("1"), b.mul(q, q)))


def carbon_gas(b: B) -> Expr:
    v, c = Var("v"), b.c
    nv = b.div(c("1000"), v)
    left = b.add(c("3.5e7"), b.mul(b.mul(c("0.401"), nv), nv))
    right = b.sub(v, b.mul(c("1000"), c("42.7e-6")))
    return b.sub(b.mul(left, right), b.mul(b.mul(c("1.3806503e-23"), c("1000")), c("300")))


def sine_order3(b: B) -> Expr:
    x, c = Var("x"), b.c
    return b.sub(b.mul(c("0.954929658551372"), x),
                 b.mul(c("0.12900613773279798"), b.mul(b.mul(x, x), x)))


def sqroot(b: B) -> Expr:
    x, c = Var("x"), b.c
    x2 = b.mul(x, x)
    e = b.sub(b.add(c("1"), b.mul(c("0.5"), x)), b.mul(c("0.125"), x2))
    e = b.add(e, b.mul(c("0.0625"), b.mul(x2, x)))
    return b.sub(e, b.mul(c("0.0390625"), b.mul(b.mul(x2, x), x)))


def box(**kw: tuple[str, str]) -> dict[str, tuple[Fraction, Fraction]]:
    return {k: (F(lo), F(hi)) for k, (lo, hi) in kw.items()}


THERMO = box(v=("-4.5", "-0.3"), w=("0.4", "0.9"), r=("3.8", "7.8"))
# name: (builder, box, FPTaylor's published bound)
BENCHMARKS: dict[str, tuple[Callable[[B], Expr], dict[str, tuple[F, F]], float]] = {
    "doppler1": (doppler1, box(u=("-100", "100"), v=("20", "20000"), T=("-30", "50")),
                 1.3e-13),
    "rigidBody1": (rigid_body1, box(x1=("-15", "15"), x2=("-15", "15"), x3=("-15", "15")),
                   3.0e-13),
    "rigidBody2": (rigid_body2, box(x1=("-15", "15"), x2=("-15", "15"), x3=("-15", "15")),
                   3.7e-11),
    "jetEngine": (jet_engine, box(x1=("-5", "5"), x2=("-20", "5")), 1.1e-11),
    "turbine1": (turbine1, THERMO, 1.7e-14),
    "turbine2": (turbine2, THERMO, 2.0e-14),
    "turbine3": (turbine3, THERMO, 9.6e-15),
    "verhulst": (verhulst, box(x=("0.1", "0.3")), 3.3e-16),
    "predatorPrey": (predator_prey, box(x=("0.1", "0.3")), 1.6e-16),
    "carbonGas": (carbon_gas, box(v=("0.1", "0.5")), 9.1e-9),
    "sineOrder3": (sine_order3, box(x=("-2", "2")), 6.0e-16),
    "sqroot": (sqroot, box(x=("0", "1")), 5.1e-16),
}


# -- an exact evaluator with chosen rounding errors ---------------------------------------
def evaluate(e: Expr, env: dict[str, F], pick: Callable[[Rounding], tuple[F, F]],
             memo: Optional[dict[int, F]] = None) -> F:
    """e's value with exact arithmetic, each rounding point taking (d, e) = pick(...);
    a shared node is one computation (one draw), as errorir says."""
    memo = {} if memo is None else memo
    if id(e) in memo:
        return memo[id(e)]
    if isinstance(e, Var):
        out = env[e.name]
    elif isinstance(e, Const):
        out = e.value
    elif isinstance(e, Round):
        d, eta = pick(e.rounding)
        out = evaluate(e.arg, env, pick, memo) * (1 + d) + eta
    else:
        xs = [evaluate(a, env, pick, memo) for a in e.args]
        out = _exact(e.op, xs)
        if e.rounding is not None:
            d, eta = pick(e.rounding)
            out = out * (1 + d) + eta
    memo[id(e)] = out
    return out


def _exact(op: str, xs: list[F]) -> F:
    if op == "+":
        return xs[0] + xs[1]
    if op == "-":
        return xs[0] - xs[1]
    if op == "*":
        return xs[0] * xs[1]
    if op == "/":
        return xs[0] / xs[1]
    if op == "neg":
        return -xs[0]
    if op == "abs":
        return abs(xs[0])
    if op == "min":
        return min(xs)
    if op == "max":
        return max(xs)
    return _sqrt(xs[0])  # sqrt: within 2^-100 (absolute); tests keep a margin


def _sqrt(x: F) -> F:
    import math
    n = x.numerator * 4**100 // x.denominator
    return F(math.isqrt(n), 2**100)


def picker(rng: random.Random) -> Callable[[Rounding], tuple[F, F]]:
    def pick(r: Rounding) -> tuple[F, F]:
        choice = rng.random()
        if choice < 0.4:
            return (r.u if rng.random() < 0.5 else -r.u,
                    r.eta if rng.random() < 0.5 else -r.eta)
        return (r.u * F(rng.randint(-1000, 1000), 1000),
                r.eta * F(rng.randint(-1000, 1000), 1000))
    return pick


def sample(bx: dict[str, tuple[F, F]], rng: random.Random) -> dict[str, F]:
    env = {}
    for k, (lo, hi) in bx.items():
        t = rng.choice([F(0), F(1), F(rng.randint(0, 10**6), 10**6)])
        env[k] = lo + (hi - lo) * t
    return env


# -- tests ---------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(BENCHMARKS))
def test_benchmark_bound_is_tight_fast_and_sound(name: str) -> None:
    build, bx, fptaylor = BENCHMARKS[name]
    o, r = build(B(None)), build(B(BINARY64))
    start = time.process_time()  # CPU time: the engine's budget (not the machine's load)
    res = error_bound(o, r, bx)
    took = time.process_time() - start
    assert res is not None
    print(f"{name}: {res.bound:.3g} (FPTaylor {fptaylor:.2g}) in {took:.2f}s")
    assert res.bound <= 2 * fptaylor
    assert took < 1.0
    rng = random.Random(name)
    for _ in range(60):
        env = sample(bx, rng)
        exact = evaluate(o, env, lambda _r: (F(0), F(0)))
        assert abs(evaluate(r, env, picker(rng)) - exact) <= F(res.bound)


def evaluate_float(e: Expr, env: dict[str, float], memo: Optional[dict[int, float]] = None
                   ) -> float:
    """The IEEE binary64 evaluation (Python floats) of a binary64-rounded formula."""
    memo = {} if memo is None else memo
    if id(e) in memo:
        return memo[id(e)]
    if isinstance(e, Var):
        out = env[e.name]
    elif isinstance(e, Const):
        out = float(e.value)
    elif isinstance(e, Round):
        out = evaluate_float(e.arg, env, memo)
    else:
        xs = [evaluate_float(a, env, memo) for a in e.args]
        ops: dict[str, Callable[..., float]] = {
            "+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b,
            "/": lambda a, b: a / b, "neg": lambda a: -a, "abs": abs, "min": min,
            "max": max, "sqrt": lambda a: a ** 0.5}
        out = ops[e.op](*xs)
    memo[id(e)] = out
    return out


@pytest.mark.parametrize("name", ["doppler1", "rigidBody1", "jetEngine", "turbine1",
                                  "carbonGas", "sqroot", "predatorPrey"])
def test_ieee_binary64_evaluation_stays_within_the_bound(name: str) -> None:
    build, bx, _ = BENCHMARKS[name]
    o, r = build(B(None)), build(B(BINARY64))
    res = error_bound(o, r, bx)
    assert res is not None
    rng = random.Random(7)
    worst = F(0)
    for _ in range(300):
        env = {k: F(float(v)) for k, v in sample(bx, rng).items()}  # inputs are floats
        got = F(evaluate_float(r, {k: float(v) for k, v in env.items()}))
        worst = max(worst, abs(got - evaluate(o, env, lambda _r: (F(0), F(0)))))
    assert worst <= F(res.bound)
    assert worst > 0  # the samples do exercise round-off


# -- random expressions: soundness for every operation, format and pruning ------------------
LEAVES = st.sampled_from(["x", "y", "1.5", "0.1", "3"])
OPNAMES = st.sampled_from(["+", "-", "*", "/", "neg", "abs", "min", "max", "sqrt"])
TREES = st.recursive(LEAVES, lambda kids: st.tuples(OPNAMES, kids, kids), max_leaves=7)
FORMATS = st.sampled_from([BINARY64, BINARY32, FLOAT16, BFLOAT16])
RBOX = {"x": (F(1), F(2)), "y": (F(-1), F("0.5"))}


def build_tree(t: object, rnd: Optional[Rounding], prune: bool = False) -> Expr:
    """Exact when rnd is None; prune replaces each multiplication's right operand by 1
    (a structurally different second program)."""
    if isinstance(t, str):
        if t in ("x", "y"):
            return Var(t)
        value = F(t)
        return Const(value) if rnd is None else Round(Const(value), rnd)
    assert isinstance(t, tuple)
    name, a, b = t
    left = build_tree(a, rnd, prune)
    if name in ("neg", "abs", "sqrt"):
        return Op(name, (left,), rnd)
    right = Const(F(1)) if prune and name == "*" else build_tree(b, rnd, prune)
    return Op(name, (left, right), rnd)


def check_sound(o: Expr, r: Expr, seed: int) -> None:
    res = error_bound(o, r, RBOX, max_boxes=40)
    if res is None:
        return
    rng = random.Random(seed)
    pick = picker(rng)
    margin = F(1, 2**60)  # the exact test sqrt is within 2^-100
    for _ in range(25):
        env = sample(RBOX, rng)
        try:
            diff = abs(evaluate(r, env, pick) - evaluate(o, env, pick))
        except (ZeroDivisionError, ValueError):
            raise AssertionError("a bound was given although an execution fails")
        assert diff <= F(res.bound) + margin, (diff, res.bound)


@settings(max_examples=150, deadline=None)
@given(TREES, FORMATS, st.integers(0, 10**6))
def test_random_rounded_expressions_are_sound(tree: object, fmt: Rounding, seed: int) -> None:
    check_sound(build_tree(tree, None), build_tree(tree, fmt), seed)


@settings(max_examples=100, deadline=None)
@given(TREES, FORMATS, FORMATS, st.integers(0, 10**6))
def test_both_sides_rounded_and_pruned_are_sound(tree: object, f1: Rounding, f2: Rounding,
                                                 seed: int) -> None:
    check_sound(build_tree(tree, f1), build_tree(tree, f2, prune=True), seed)


def test_shapes_that_differ_are_bounded_by_their_exact_difference() -> None:
    x = Var("x")
    o = Op("*", (x, x))
    r = Op("+", (x, Const(F(0))))
    res = error_bound(o, r, {"x": (F(0), F(1))}, max_boxes=2000)
    assert res is not None and 0.25 <= res.bound <= 0.3  # max |x^2 - x| is 1/4


def test_constant_perturbation_alone_is_measured() -> None:
    x = Var("x")
    o = Op("*", (Const(F("0.1")), x))
    r = Op("*", (Const(F(0.1)), x))
    res = error_bound(o, r, {"x": (F(0), F(10))})
    exact = abs(F(0.1) - F("0.1")) * 10
    assert res is not None and exact <= F(res.bound) <= exact * F(101, 100)


def test_identical_exact_programs_have_bound_zero() -> None:
    o = rigid_body1(B(None))
    res = error_bound(o, o, BENCHMARKS["rigidBody1"][1])
    assert res is not None and res.bound == 0.0


def test_no_bound_when_dividing_by_zero_or_unbounded() -> None:
    x = Var("x")
    q = Op("/", (Const(F(1)), x), BINARY64)
    assert error_bound(q, q, {"x": (F(-1), F(1))}) is None
    s = Op("sqrt", (x,), BINARY64)
    assert error_bound(Op("sqrt", (x,)), s, {"x": (F(-1), F(1))}) is None
    assert error_bound(x, Op("+", (x, Var("z")), BINARY64), {"x": (F(0), F(1))}) is None


def test_subnormal_eta_matters_near_zero() -> None:
    x = Var("x")
    o, r = Op("*", (x, x)), Op("*", (x, x), FLOAT16)
    res = error_bound(o, r, {"x": (F(0), F(1, 2**20))})
    assert res is not None
    assert F(FLOAT16.eta) <= F(res.bound) <= F(FLOAT16.eta) * 2


def test_ranges_enclose_values_and_rounding() -> None:
    o = doppler1(B(BINARY64))
    box = BENCHMARKS["doppler1"][1]
    ranges = Ranges(box)
    lo, hi = ranges.of(o) or (0.0, 0.0)
    assert lo < -137.6 and -0.04 < hi < 0
    # without partials, the same enclosure as the AD pass's value
    full = _Eval(_fbox(box) or {}).side(o, True).value
    assert (lo, hi) == (full.lo, full.hi)
    assert ranges.of(o.args[0]) is not None  # a shared sub-expression, from the same pass
    assert Ranges({"x": (F(-1), F(1))}).of(Op("/", (Const(F(1)), Var("x")))) is None
    assert Interval.of_fraction(F(1, 10)).lo < F(1, 10) < Interval.of_fraction(F(1, 10)).hi


def test_overflowing_or_infinite_ranges_give_no_bound() -> None:
    x = Var("x")
    big = Op("*", (Op("*", (x, x), BINARY64), Op("*", (x, x), BINARY64)), BINARY64)
    huge = {"x": (F(0), F(10) ** 100)}
    assert error_bound(Op("*", (Op("*", (x, x)), Op("*", (x, x)))), big, huge) is None
    assert error_bound(x, Op("+", (x, x), BINARY64),
                       {"x": (F(0), float("inf"))}) is None  # type: ignore[dict-item]


def test_the_work_budget_not_the_clock_stops_the_search(monkeypatch) -> None:
    """jetEngine spends the whole budget: a slow clock (a loaded machine) must not
    change its bound, and a smaller budget gives a looser bound that is still sound."""
    build, bx, _ = BENCHMARKS["jetEngine"]
    o, r = build(B(None)), build(B(BINARY64))
    full = error_bound(o, r, bx)
    ticks = iter(range(10**9))
    monkeypatch.setattr("relaxverify.verify.errorbound.time.process_time",
                        lambda: next(ticks) * 1e-2)  # 10 ms of "CPU" per reading
    slow = error_bound(o, r, bx)
    assert full is not None and slow is not None
    assert (slow.bound, slow.method) == (full.bound, full.method)
    small = error_bound(o, r, bx, budget=20_000)
    assert small is not None and small.bound > full.bound
    assert small.method != full.method  # fewer boxes
