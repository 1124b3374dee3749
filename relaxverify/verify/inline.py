"""The call rule under a fault budget (LANGUAGE.md v2 section 11): the callee is
analysed in place, so that its faults count against the caller's budget.

Its parameters take the argument values (in R rounded to their region's precision,
as a call does), its `requires` is obliged per side (the run checks it at the call),
its body runs on the caller's state (the callee's variables are its own `Var`s:
recursion is rejected before, verify/budget.py, so they never clash), its `ensures`
is obliged per side (the run checks it on return), and the targets get the results.
The callee's relational contract is not used: its body is.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from relaxverify.core import nodes as C
from relaxverify.verify.state import State

if TYPE_CHECKING:
    from relaxverify.verify.calls import CallRule


def inline_call(rule: "CallRule", s: C.Call, f: C.Function, st: State, sides: str) -> None:
    env = rule.env
    args, at = rule.arguments(s, f, st, sides)
    for side in sides:
        for e in f.requires:
            env.check_spec("requires", side, e, st, "the precondition {e} of `" + f.name +
                           "`" + at + "{where}", span=s.span, vals={side: args[side]},
                           label=f"{f.name} requires")
    for side in sides:
        for p in f.params:
            v = args[side][p]
            if side == "r":
                v = env.exprs.rounder.parameter(st, p, v, env.faults.model)
            st.vals(side)[p] = v
    # (verify/budget.py rejects recursion first; this guards the other callers)
    assert f.name not in rule.inlining, f"recursion in `{f.name}` under a fault budget"
    rule.inlining.add(f.name)
    try:
        env.runner.block(f.body, st, sides)
    finally:
        rule.inlining.discard(f.name)
    for side in sides:
        for e in f.ensures:
            env.check_spec("ensures", side, e, st, "the postcondition {e} of `" + f.name +
                           f"` holds when the call at line {s.span.line} returns" + "{where}",
                           label=f"{f.name} ensures")  # at e, where the run checks it
    for side in sides:
        values = st.vals(side)
        results = [values.get(r) for r in f.results]
        for v in list(f.params) + list(f.locals) + list(f.results):
            values.pop(v, None)  # the callee's variables end with the call
        for t, result in zip(s.targets, results):
            assert result is not None
            values[t] = result
    for t in s.targets if "r" in sides else ():
        # the write of a result to a region rounds, and may fail
        st.r[t] = rule.statements.write_rounded(st, t, st.r[t], f"{f.name}(...)", s.span)
        if env.faults.writes(t):
            st.r[t] = rule.statements.faulty_write(st, t, st.r[t], traced=False)
