"""Fault budgets (LANGUAGE.md v2 section 11): `faults at most K;` in the model.

A fault site of R is a fresh value (exprs.py `fault`); it *faults* on a path when
that path reaches it (its record's guard) and its value differs from the exact
one (a fault that returns the exact value is no fault: the run is the same). An
obligation is proved for the executions with at most K such sites, so its query
gets `Sum(If(guard_i && v_i != exact_i, 1, 0)) <= K` over the fault records
before it. The counterexample's trace then lists at most K faulty values, the
other sites exact, and replays as one run (verify/replay.py).

Faults the records do not count (a damaged whole array, a call result's write) are
arbitrary: more executions than the budget allows, which is sound. Under a budget a
call is analysed in place (calls.py `inline`), so the callee's faults are records of
the same query; recursion then has no finite body, and is an error.
"""
from __future__ import annotations

from typing import Optional

import z3

from relaxverify.core import nodes as C
from relaxverify.source import Span
from relaxverify.verify.obligations import Obligation
from relaxverify.verify.state import Record


def budget_constraint(budget: Optional[int], records: list[Record],
                      ob: Obligation) -> Optional[z3.BoolRef]:
    """At most `budget` of the fault sites before `ob` fault (None: no budget)."""
    if budget is None:
        return None
    n = max((i.nrecords for i in ob.instances), default=len(records))
    counted = [z3.If(z3.And(r.guard, r.term != r.exact), 1, 0) for r in records[:n]
               if r.kind == "fault" and r.term is not None and r.exact is not None]
    if not counted:
        return None
    return z3.Sum(counted) <= budget


def recursion_under_budget(program: C.Program,
                           functions: list[C.Function]) -> Optional[tuple[C.Function, Span]]:
    """A recursive call reachable from `functions` (which a budget cannot analyse in
    place): the function that makes it and the call's span, or None."""
    state: dict[str, int] = {}  # 1: on the stack, 2: done

    def visit(name: str) -> Optional[tuple[C.Function, Span]]:
        state[name] = 1
        fn = program.functions[name]
        for s in C.walk(fn.body):
            if isinstance(s, C.Call) and s.callee in program.functions:
                mark = state.get(s.callee)
                if mark == 1:
                    return fn, s.span
                if mark is None:
                    found = visit(s.callee)
                    if found:
                        return found
        state[name] = 2
        return None

    for fn in functions:
        if fn.name not in state:
            found = visit(fn.name)
            if found:
                return found
    return None
