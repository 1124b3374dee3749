"""Where a faulty run may stop: the runtime checks of core/checks.py, as costs.

A faulty run that fails a runtime check stops without a result, so a term passing a
statement with checks must also pay for the checks behaving as in the fault-free
run (docs/reliability.md, "Runtime checks in faulty runs"). This module turns the
checks a statement performs into (κ, cv): κ the probability that every fault site
feeding them is fault-free, cv the variables feeding them.
"""
from __future__ import annotations

from typing import Callable, Optional

from relaxverify.core import nodes as C
from relaxverify.reliability.faults import FaultSites
from relaxverify.reliability.terms import EMPTY

SHORT_CIRCUIT = ("&&", "||", "==>")  # the right operand is evaluated only on some runs


def _risky_division(x: C.Expr) -> bool:
    """A `/` or `%` whose divisor may be zero (anything but a non-zero constant)."""
    return (isinstance(x, C.BinOp) and x.op in ("/", "%")
            and not (isinstance(x.right, C.Const) and x.right.value != 0))


class Crash:
    """The runtime checks of statements, as (κ, cv), memoised per statement."""

    def __init__(self, faults: FaultSites, program: C.Program):
        self.faults = faults
        self.program = program
        self._checks: dict[int, tuple[float, frozenset]] = {}

    def checks(self, whole: list, scan: list, extra: frozenset = EMPTY
               ) -> tuple[float, frozenset]:
        subs = list(whole)
        for e in scan:
            for x in C.subexprs(e):
                if isinstance(x, C.Select):
                    subs.append(x.index)
                    subs.append(x.array)
                elif _risky_division(x):
                    subs.append(x.right)
                elif (isinstance(x, C.BinOp) and x.op in SHORT_CIRCUIT
                      and any(isinstance(y, C.Select) or _risky_division(y)
                              for y in C.subexprs(x.right))):
                    subs.append(x.left)
        if not subs:
            return 1.0, extra
        seen: set[int] = set()
        k = 1.0
        vs = set(extra)
        for e in subs:
            vs |= self.faults.expr(e)[1]
            for x in C.subexprs(e):
                if id(x) not in seen:
                    seen.add(id(x))
                    k *= self.faults.site(x)
        return k, frozenset(vs)

    def stmt(self, s: object) -> tuple[float, frozenset]:
        hit = self._checks.get(id(s))
        if hit is not None:
            return hit
        out: tuple[float, frozenset] = (1.0, EMPTY)
        if isinstance(s, C.Assign):
            out = self.checks([], [s.value])
        elif isinstance(s, C.Store):
            out = self.checks([s.index], [s.index, s.value], frozenset((s.var,)))
        elif isinstance(s, C.NewArray):
            out = self.checks([s.length], [s.length])
        elif isinstance(s, C.Check) and s.kind in ("assert", "assume"):
            out = (1.0, self.faults.expr(s.cond)[1])
        elif isinstance(s, C.Choose) and s.kind == "havoc":
            out = (1.0, self.havoc_reads(s))
        elif isinstance(s, C.If):
            out = self.checks([], [s.cond])
        elif isinstance(s, C.Loop):
            whole = [s.bound] if s.bound is not None else []
            out = self.checks(whole, [s.cond] + whole)
        self._checks[id(s)] = out
        return out

    def args(self, arg: C.Expr) -> tuple[float, frozenset]:
        return self.checks([], [arg])

    def havoc_reads(self, s: C.Choose) -> frozenset:
        targets = frozenset(s.vars)
        return frozenset(x.var for x in C.subexprs(s.pred) if isinstance(x, C.VarRef)
                         and (x.old or x.var not in targets) and x.var.kind != "bound")

    def closed(self, stmts: list[C.Stmt], seen: Optional[set] = None) -> bool:
        seen = set() if seen is None else seen

        def closed(e: C.Expr) -> bool:
            return not any(isinstance(x, C.VarRef) for x in C.subexprs(e))

        def fails(e: C.Expr, ok: Callable[[int], bool]) -> bool:
            if not closed(e):
                return False
            v = C.const_int(e)
            return v is None or not ok(v)

        for st in C.walk(stmts):
            exprs: list[C.Expr] = []
            if isinstance(st, C.Assign):
                exprs = [st.value]
            elif isinstance(st, C.Store):
                exprs = [st.index, st.value]
            elif isinstance(st, C.NewArray):
                exprs = [st.length]
                if fails(st.length, lambda v: v >= 0):
                    return True
            elif isinstance(st, C.Check) and st.kind in ("assert", "assume"):
                if closed(st.cond) and not (isinstance(st.cond, C.Const)
                                            and st.cond.value is True):
                    return True
            elif isinstance(st, C.If):
                exprs = [st.cond]
            elif isinstance(st, C.Loop):
                exprs = [st.cond] + ([st.bound] if st.bound is not None else [])
                if st.bound is not None and fails(st.bound, lambda v: v >= 0):
                    return True
            elif isinstance(st, C.Call):
                exprs = list(st.args)
                if st.callee not in seen:
                    seen.add(st.callee)
                    if self.closed(self.program.functions[st.callee].body, seen):
                        return True
            for e in exprs:
                for x in C.subexprs(e):
                    if _risky_division(x) and fails(x.right, lambda v: v != 0):  # type: ignore[attr-defined]
                        return True
        return False
