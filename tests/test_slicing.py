"""Slices of a query and the solvers that decide them (verify/slicing.py,
verify/decider.py; docs/verifier.md, "Sliced obligations"): a slice holds only
what the path and facts it is cut from hold, and a slice's answer is Z3's."""
from __future__ import annotations

import z3

from relaxverify.verify import decider
from relaxverify.verify.decider import decide_alone
from relaxverify.verify.slicing import Slicer, symbols_of


def _ids(*terms: z3.ExprRef) -> frozenset:
    return frozenset(t.get_id() for t in terms)


def test_symbols_are_the_constants_and_functions_under_binders_too() -> None:
    x, y, k = z3.Ints("x y k")
    f = z3.Function("f", z3.IntSort(), z3.IntSort())
    a = z3.Array("a", z3.IntSort(), z3.IntSort())
    t = z3.And(x + 1 > f(y), z3.ForAll([k], a[k] >= x))
    memo: dict = {}
    assert symbols_of(t, memo) == _ids(x, y, a, f)  # (bound k is no symbol)
    # subterms walked once are read back from the memo, with the same answer
    assert symbols_of(x + 1 > f(y), memo) == _ids(x, y, f)
    assert symbols_of(z3.IntVal(3) + 4 > 0, memo) == frozenset()


def _slicer() -> tuple[Slicer, list]:
    x, y, z, u = z3.Ints("x y z u")
    facts = [y == x + 1, z == y * 2]
    return Slicer(facts, {y.get_id(): 0, z.get_id(): 1}), [x, y, z, u]


def test_a_slice_takes_leaves_only_from_its_own_path() -> None:
    slicer, (x, y, z, u) = _slicer()
    common = (x > 0,)
    left, right = common + (u > 5,), common + (u < 2,)  # two branches' paths
    assert slicer.goal_slice(left, u < 3, None) == [u > 5, u < 3]
    assert slicer.goal_slice(right, u < 3, None) == [u < 2, u < 3]
    # the goal's symbols pull in the facts defining them, and the leaves about x
    got = slicer.goal_slice(right, z < 0, None)
    assert got is not None and set(map(str, got)) == {"y == x + 1", "z == y*2", "x > 0",
                                                       "z < 0"}
    longer = right + (x < 10,)  # a path grows by appending: only its end is new
    got = slicer.goal_slice(longer, x > 20, None)
    assert got is not None and set(map(str, got)) == {"x > 0", "x < 10", "x > 20"}
    assert slicer.goal_slice(common, x > 20, None) == [x > 0, x > 20]


def test_extra_assumptions_join_a_slice_only_when_given() -> None:
    slicer, (x, y, z, u) = _slicer()
    assert slicer.goal_slice((), u < 0, None, extra=(u > 7,)) == [u > 7, u < 0]
    assert slicer.goal_slice((), u < 0, None) == [u < 0]


def test_a_false_constant_on_the_path_joins_every_slice_of_it() -> None:
    slicer, (x, y, z, u) = _slicer()
    dead = (x > 0, z3.IntVal(0) >= 1)
    got = slicer.goal_slice(dead, u < 0, None)
    assert got is not None and len(got) == 2 and z3.is_false(z3.simplify(got[0]))
    assert slicer.goal_slice((x > 0,), u < 0, None) == [u < 0]


def test_small_queries_share_one_solver_and_leave_it_empty(monkeypatch) -> None:
    made: list = []
    real = decider.limited_solver

    def counted(*args: object) -> z3.Solver:
        made.append(args)
        return real(*args)  # type: ignore[arg-type]
    monkeypatch.setattr(decider, "limited_solver", counted)
    saved, z3.z3._main_ctx = z3.z3._main_ctx, None  # a context of its own: no solver kept
    x, y = z3.Ints("x y")
    try:
        assert decide_alone([x > y, y > x], 1000, 10_000) == z3.unsat
        assert decide_alone([x > y], 1000, 10_000) == z3.sat
        assert decide_alone([x > y, y > x], 1000, 10_000) == z3.unsat
        assert [simple for _, _, simple in made] == [True]  # one, made once
        kept = decider._slice_solver(1000, 10_000)
        assert len(kept.assertions()) == 0  # each query was pushed and popped
        big = [x > i for i in range(decider.SIMPLE_UP_TO)] + [x < 0]
        assert decide_alone(big, 1000, 10_000) == z3.unsat
        assert [simple for _, _, simple in made] == [True, False]  # at once the default
    finally:
        z3.z3._main_ctx = saved
