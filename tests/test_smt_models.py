"""Counterexample arrays read from Z3 models in one pass (verify/smt.py): the same
values as evaluating every element, and fast for thousands of elements (the issue's
report took seconds for an array Z3 gave in milliseconds)."""
from __future__ import annotations

import z3
import pytest

from relaxverify.core.nodes import BOOL, INT, REAL, Type
from relaxverify.verify.smt import ArrayVal, model_value


def _per_element(model: z3.ModelRef, v: ArrayVal, n: int) -> list:
    out = []
    for k in range(n):
        t = model.eval(z3.Select(v.arr, k), model_completion=True)
        out.append(model_value(model, t, Type("bool") if z3.is_bool(t) else
                               (REAL if t.sort() == z3.RealSort() else INT)))
    return out


@pytest.mark.parametrize("sort, ty, facts", [
    (z3.IntSort(), INT, lambda a, k: [z3.ForAll([k], z3.Implies(z3.And(0 <= k, k < 40),
                                                                a[k] >= k % 7))]),
    (z3.IntSort(), INT, lambda a, k: [a[3] == 5, a[10] == -2, a[0] > 100]),
    (z3.RealSort(), REAL, lambda a, k: [a[2] == z3.RealVal("1/3"), a[5] < -1]),
    (z3.BoolSort(), BOOL, lambda a, k: [a[1], z3.Not(a[7])]),
    (z3.IntSort(), INT, lambda a, k: [z3.ForAll([k], z3.Implies(z3.And(30 <= k, k < 40),
                                                                a[k] == 10)),
                                      a[0] == 3]),
])
def test_one_pass_reads_the_values_of_every_element(sort, ty, facts) -> None:
    a = z3.Array("a", z3.IntSort(), sort)
    k = z3.Int("k")
    s = z3.Solver()
    s.add(*facts(a, k))
    assert s.check() == z3.sat
    model = s.model()
    v = ArrayVal(a, z3.IntVal(40))
    fast = model_value(model, v, Type(ty.base, array=True))
    assert fast == _per_element(model, v, 40)
