"""Trip counts that the `requires` bound (LANGUAGE.md §12, docs/reliability.md).

A `for i in lo .. hi` whose `hi` is not a constant, or a `while ... bound E` whose
E is not, has no trip count the v1 rules know. When lo and hi (or E) read only
parameters that the function never assigns, computed reliably, the trip count is
the same in every run, faulty or not; if Z3 proves from the `requires` that it is
at most N (the largest `max(hi - lo, 0)`, or E), the loop is analysed as N copies of
`if (cond) { body }`, which runs exactly as the loop does whenever it iterates at
most N times. Reliability only decreases with iterations, so this is the minimum
over the allowed counts.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import z3

from relaxverify.core import checks as K
from relaxverify.core import nodes as C
from relaxverify.core.printer import show
from relaxverify.reliability.encode import Encoder, Unsupported

QUERY_MS = 5000


@dataclass(frozen=True)
class TripBound:
    """What the requires say of a loop's trip count."""

    count: Optional[int]  # the largest trip count proven; None: none proven
    text: str  # the trip count in Relax syntax (`n`, `n - m`, the bound E)
    hint: str  # for a student: what would bound it, or why it cannot be bounded
    inputs: frozenset = frozenset()  # the parameters the trip count reads


def _statements_before(stmts: list[C.Stmt], loop: C.Loop) -> Optional[list[C.Stmt]]:
    """The statements of loop's block that come before it (searching nested blocks)."""
    for k, s in enumerate(stmts):
        if s is loop:
            return stmts[:k]
        inner: list[list[C.Stmt]] = []
        if isinstance(s, C.If):
            inner = [s.then, s.orelse]
        elif isinstance(s, C.Loop):
            inner = [s.body]
        for block in inner:
            hit = _statements_before(block, loop)
            if hit is not None:
                return hit
    return None


def _definition(e: C.Expr, before: list[C.Stmt]) -> C.Expr:
    """The expression a `for` header's ghost (`i_hi`) was given, else e itself."""
    if isinstance(e, C.VarRef) and e.var.kind == "ghost":
        for s in reversed(before):
            if isinstance(s, C.Assign) and s.var is e.var:
                return s.value
    return e


def loop_range(fn: C.Function, loop: C.Loop) -> Optional[tuple[C.Expr, C.Expr]]:
    """(lo, hi) of a `for`, (0, E) of a `while ... bound E`, as the source wrote them."""
    if loop.kind == "while":
        if loop.bound is None:
            return None
        return C.Const(0, C.INT, loop.span), loop.bound
    if loop.kind != "for" or loop.counter is None:
        return None
    before = _statements_before(fn.body, loop)
    cond = loop.cond
    if before is None or not isinstance(cond, C.BinOp) or cond.op != "<":
        return None
    init = next((s for s in reversed(before)
                 if isinstance(s, C.Assign) and s.var is loop.counter), None)
    if init is None:
        return None
    return _definition(init.value, before), _definition(cond.right, before)


def _fixed(e: C.Expr, fn: C.Function, assigned: set) -> bool:
    """Does e read only parameters the function never assigns, with no fault site?"""
    for x in C.subexprs(e):
        if isinstance(x, C.VarRef):
            v = x.var
            if v.kind != "param" or v in assigned or v.region is not None or v.type.array:
                return False
        elif isinstance(x, C.BinOp) and x.unreliable:
            return False
        elif isinstance(x, (C.Select, C.Quant)):
            return False
    return True


def _count_text(lo: C.Expr, hi: C.Expr) -> str:
    if isinstance(lo, C.Const) and lo.value == 0:
        return show(hi)
    return f"{show(hi)} - {show(lo)}"


def trip_bound(fn: C.Function, model: C.HardwareModel, loop: C.Loop) -> TripBound:
    """The largest trip count of loop that fn's `requires` allow, if Z3 proves one."""
    where = f"the loop at line {loop.span.line}"
    if not any(x is loop for x in C.walk(fn.body)):
        return TripBound(None, "", "")  # (not fn's loop: no bound from fn's requires)
    rng = loop_range(fn, loop)
    if rng is None:
        return TripBound(None, "", f"give {where} a `bound` that the `requires` limit")
    lo, hi = rng
    text = _count_text(lo, hi)
    assigned = C.assigned_vars(fn.body)
    if not (_fixed(lo, fn, assigned) and _fixed(hi, fn, assigned)):
        what = "its range" if loop.kind == "for" else "its `bound`"
        return TripBound(None, text, f"{what} reads variables the function assigns or "
                         f"computes unreliably: compute the trip count of {where} from "
                         "parameters only and add a `requires` that limits it")
    hint = (f"add `requires {text} <= N` (N a constant) to bound {where}"
            if loop.kind == "for" else
            f"add `requires {show(hi)} <= N` (N a constant) to bound {where}, or give it "
            "a constant `bound`")
    try:
        enc = Encoder(fn, model, frozenset())
        requires = enc.requires()
        count = enc.expr(hi) - enc.expr(lo)
    except (Unsupported, z3.Z3Exception):
        return TripBound(None, text, hint)
    if not z3.is_int(count):
        return TripBound(None, text, hint)
    opt = z3.Optimize()
    opt.set("timeout", QUERY_MS)
    opt.add(*requires)
    handle = opt.maximize(count)
    if opt.check() != z3.sat:
        return TripBound(None, text, hint)
    top = handle.value()
    if not isinstance(top, z3.IntNumRef):
        return TripBound(None, text, hint)  # unbounded (oo) or not a number
    n = max(top.as_long(), 0)
    proof = z3.Solver()  # (Optimize may give a local answer: prove the bound)
    proof.set("timeout", QUERY_MS)
    proof.add(*requires)
    proof.add(count > n)
    if proof.check() != z3.unsat:
        return TripBound(None, text, hint)
    if n > K.LIMITS.loop_steps:
        return TripBound(None, text, f"the `requires` allow {n} iterations of {where}, "
                         f"more than the interpreter runs ({K.LIMITS.loop_steps}): "
                         "limit them further")
    inputs = frozenset(x.var for e in (lo, hi) for x in C.subexprs(e)
                       if isinstance(x, C.VarRef))
    return TripBound(n, text, "", inputs)
