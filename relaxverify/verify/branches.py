"""The `if` rule of the product program: lockstep when the two conditions are
provably equal, otherwise O's `if` then R's (the executions may part), and the
join of the arms by the condition.
"""
from __future__ import annotations

from typing import Optional

import z3

from relaxverify.core import nodes as C
from relaxverify.verify.env import Env
from relaxverify.core.printer import show, var_text
from relaxverify.verify.smt import ArrayVal, Value, conj, same
from relaxverify.verify.terms import negate
from relaxverify.verify.state import BOTH, State


class BranchRule:
    def __init__(self, env: Env):
        self.env = env
        self.facts = env.facts
        self._written: dict[int, tuple[C.If, frozenset]] = {}  # id(if) -> what its arms write

    def s_If(self, s: C.If, st: State, sides: str) -> None:
        conds = {side: self.env.exprs.code(s.cond, st, side) for side in sides}
        if sides == BOTH and not self.facts.equal_here(st, conds["o"], conds["r"]):
            outer = st.apart
            st.apart = outer + ((conds["o"], conds["r"], s.span.line),)
            for side in "or":  # the executions may part: O's `if`, then R's
                self.branch(s, st, side, {side: conds[side]})
            st.apart = outer
            return
        self.branch(s, st, sides, conds)

    def branch(self, s: C.If, st: State, sides: str, conds: dict) -> None:
        """Run both arms of `s` on `sides` (whose conditions agree) and join them."""
        then, other = st.copy(), st.copy()
        for side in sides:
            text = show(s.cond, side)
            self.facts.assume(then, side, conds[side], f"line {s.span.line}: if ({text}) [then]")
            self.facts.assume(other, side, negate(conds[side]),
                              f"line {s.span.line}: if ({text}) [else]")
        entry = (then.ro, then.rp, other.ro, other.rp)
        self.env.runner.block(s.then, then, sides)
        self.env.runner.block(s.orelse, other, sides)
        self.join(st, then, other, conds, sides, entry, s)

    def written(self, s: C.If) -> frozenset:
        """The variables the arms of `s` may write: only those can differ at the join
        (looking at every variable in scope made each `if` cost the function's size)."""
        hit = self._written.get(id(s))
        if hit is None or hit[0] is not s:
            hit = self._written[id(s)] = (s, frozenset(C.assigned_vars(s.then + s.orelse)))
        return hit[1]

    def join(self, st: State, a: State, b: State, conds: dict, sides: str,
             entry: tuple, s: Optional[C.If] = None) -> None:
        """Merge the arms: values by the condition; reachability as the disjunction,
        or unchanged when neither arm added an assumption (so that sequential
        `if`s do not pile up disjunctions for the solver to split)."""
        cache: dict = {}
        before = {side: dict(st.vals(side)) for side in sides} if self.env.explain else None
        written = self.written(s) if s is not None else None
        for side in sides:
            c = conds[side]
            table = st.vals(side)
            for var in [v for v in table if written is None or v in written]:
                va, vb = a.vals(side).get(var), b.vals(side).get(var)
                if va is None or vb is None:
                    continue
                if va is vb or same(va, vb):  # (`is`: a variable neither arm wrote)
                    table[var] = va
                    continue
                key = (_key(va), _key(vb), c.get_id())
                if key not in cache:
                    cache[key] = self.facts.define(f"{var.name}<{side}>", _ite(c, va, vb))
                table[var] = cache[key]
        if before is not None and s is not None:
            self.explain_join(st, a, b, s, sides, before)
        if a.ro.eq(entry[0]) and b.ro.eq(entry[2]):
            pass  # st.ro: neither arm restricted the original execution
        elif a.ro.eq(b.ro):
            st.ro, st.parts_o = a.ro, a.parts_o
        else:
            st.ro = self.facts.reach(z3.Or(a.ro, b.ro))
            n = len(st.parts_o)
            st.parts_o = st.parts_o + (z3.Or(conj(list(a.parts_o[n:])),
                                             conj(list(b.parts_o[n:]))),)
        if a.rp.eq(entry[1]) and b.rp.eq(entry[3]):
            pass
        elif a.rp.eq(b.rp):
            st.rp, st.parts = a.rp, a.parts
        else:
            st.rp = self.facts.reach(z3.Or(a.rp, b.rp))
            n = len(st.parts)
            st.parts = st.parts + (z3.Or(conj(list(a.parts[n:])), conj(list(b.parts[n:]))),)

    def explain_join(self, st: State, a: State, b: State, s: C.If, sides: str,
                     before: dict) -> None:
        """Name, after an `if`, the variables its branches changed (--explain)."""
        n = len(st.path)
        for side in sides:
            table = st.vals(side)
            changed = sorted((var for var, v in before[side].items()
                              if var in table and not same(v, table[var])),
                             key=lambda var: var.source)
            if not changed:
                continue
            arms = ["; ".join(t for _, t, k in arm.path[n:] if k == side) or "no change"
                    for arm in (a, b)]
            detail = f" (then: {arms[0]}; else: {arms[1]})"
            if len(detail) > 240:
                detail = " (see the lines of each branch)"
            self.facts.step(st, side, f"line {s.span.line}: after the if ({show(s.cond, side)}), "
                            + ", ".join(var_text(var, side) for var in changed)
                            + " as set by the branch taken" + detail)


def _key(v: Value):
    if isinstance(v, ArrayVal):
        return (v.arr.get_id(),) + tuple(n.get_id() for n in v.lengths)
    return v.get_id()


def _ite(c: z3.BoolRef, a: Value, b: Value) -> Value:
    if isinstance(a, ArrayVal):
        assert isinstance(b, ArrayVal)
        return ArrayVal(z3.If(c, a.arr, b.arr), z3.If(c, a.length, b.length),
                        tuple(z3.If(c, m, n) for m, n in zip(a.more, b.more)))
    return z3.If(c, a, b)
