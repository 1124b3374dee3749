"""The C-API term builders (verify/terms.py) build exactly z3py's terms, and the
generator's slices of a chain of calls keep a constant size."""
from __future__ import annotations

import operator

import pytest
import z3
from hypothesis import given, settings
from hypothesis import strategies as st

from relaxverify.pipeline import load_source
from relaxverify.verify import terms as T
from relaxverify.verify.decider import SlicedSolver
from relaxverify.verify.prover import ProverStats, prove
from relaxverify.verify.vcgen import Decider, Faults, VCGen

def _same_meaning(a, b) -> bool:
    s = z3.Solver()
    s.add(a != b)
    return s.check() == z3.unsat


def _one_sort(a, b) -> bool:
    return not isinstance(b, int) and a.sort() == b.sort()


X, Y = z3.Int("x"), z3.Int("y")
R, S = z3.Real("r"), z3.Real("s")
P, Q = z3.Bool("p"), z3.Bool("q")
TERMS = [X, Y, R, S, X + 1, R * 2, z3.IntVal(3), z3.RealVal("1/3"), z3.ToReal(X)]
BOOLS = [P, Q, X < Y, z3.Not(P), z3.BoolVal(True), z3.ForAll([X], X + Y > X)]
ORDERS = [operator.lt, operator.le, operator.gt, operator.ge]


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(TERMS), st.sampled_from(TERMS + [0, 1, -7]), st.sampled_from(ORDERS))
def test_comparisons_are_z3pys(a, b, op):
    """The term of z3py's method of the left operand where the sorts agree (Python's
    operator would call a numeral's reflected method first, `3 > x` for `x < 3`,
    since a numeral's class is a subclass), else z3py's coercion: the same meaning."""
    plain = getattr(a, f"__{op.__name__}__")(b)
    built = T.compare(op, a, b)
    assert type(built) is type(plain) and _same_meaning(built, plain)
    assert built.eq(plain) or not _one_sort(a, b)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(TERMS), st.sampled_from(TERMS), st.sampled_from("+-*"))
def test_arithmetic_is_z3pys(a, b, op):
    plain = getattr(a, {"+": "__add__", "-": "__sub__", "*": "__mul__"}[op])(b)
    built = T.arith(op, a, b)
    assert type(built) is type(plain) and _same_meaning(built, plain)
    assert built.eq(plain) or not _one_sort(a, b)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(TERMS + BOOLS), st.sampled_from(TERMS + BOOLS))
def test_equalities_are_z3pys(a, b):
    try:
        plain = a.__eq__(b)
    except z3.Z3Exception:
        return  # z3py rejects the sorts: not a term the generator builds
    built = T.equal(a, b)
    assert _same_meaning(built, plain) and (built.eq(plain) or not _one_sort(a, b))


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(BOOLS), st.sampled_from(BOOLS), st.sampled_from(["&&", "||", "==>"]))
def test_connectives_are_z3pys(a, b, op):
    plain = {"&&": z3.And, "||": z3.Or, "==>": z3.Implies}[op](a, b)
    assert T.logic(op, a, b).eq(plain)
    assert T.negate(a).eq(z3.Not(a)) and type(T.negate(a)) is type(z3.Not(a))


@pytest.mark.parametrize("sort", [z3.IntSort(), z3.RealSort(), z3.BoolSort(),
                                  z3.ArraySort(z3.IntSort(), z3.RealSort())])
def test_constants_and_selects_are_z3pys(sort):
    c = T.const("c!1", sort)
    assert c.eq(z3.Const("c!1", sort)) and type(c) is type(z3.Const("c!1", sort))
    for dims in ([X], [X, Y], [z3.IntVal(0), Y, X]):  # (arrays of several dimensions)
        arr = z3.Array("a", *([z3.IntSort()] * len(dims)), sort)
        got, plain = T.select(arr, dims), z3.Select(arr, *dims)
        assert got.eq(plain) and type(got) is type(plain)


@pytest.mark.parametrize("t", [X, z3.IntVal(4), z3.RealVal("1/2"), z3.BoolVal(False), X + 1,
                               z3.K(z3.IntSort(), z3.IntVal(0)), z3.ForAll([X], X > Y)])
def test_symbols_are_z3pys_constants(t):
    assert T.is_symbol(t) == z3.is_const(t)
    assert T.is_and(t) == z3.is_and(t)


def _chain(n: int) -> str:
    calls = "\n".join("  y = step(y);\n  assert y >= 0;" for _ in range(n))
    return ("fn step(x: int) -> int\n  requires x >= 0\n  ensures result >= x\n  ensures_r eq(result)\n{\n"
            "  return x + 1;\n}\n\nfn calls(x: int) -> int\n  requires x >= 0\n{\n"
            f"  var y: int = x;\n{calls}\n  return y;\n}}\n")


def _largest_slice(n: int, monkeypatch) -> int:
    sizes = [0]
    plain = SlicedSolver._alone

    def alone(self, query):
        sizes.append(len(query))
        return plain(self, query)

    monkeypatch.setattr(SlicedSolver, "_alone", alone)
    item = load_source("chain.relax", _chain(n))
    gen = VCGen(item.program, item.program.functions["calls"], Faults(None),
                Decider(10, 10 ** 7))
    gen.run()
    for ob in gen.obligations.values():
        prove(gen, ob, 10, ProverStats())
        assert ob.status == "verified", ob.id
    return max(sizes)


def test_a_chain_of_calls_is_proved_by_slices_of_constant_size(monkeypatch):
    """Each `assert y >= 0` after `y = step(y)` needs the last link and the checked
    precondition only: the first slice tried (two steps from the goal) proves it, so
    its size does not grow with the chain."""
    assert _largest_slice(40, monkeypatch) == _largest_slice(10, monkeypatch) <= 32
