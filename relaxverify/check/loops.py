"""Loops: `while` with its clauses, and `for`/`repeat` lowered to counted loops with the
counter's range as an automatic invariant (docs/language-decisions.md, "Placement" and
"The core language")."""
from __future__ import annotations

from typing import Callable, Optional

from relaxverify.check.consts import Constants
from relaxverify.check.context import Position, Sink
from relaxverify.check.exprs import ExprChecker
from relaxverify.check.scopes import FunctionScope
from relaxverify.check.typerules import both_equal, conjoin
from relaxverify.core import nodes as C
from relaxverify.core.nodes import BOOL, INT
from relaxverify.syntax import ast as A

Block = Callable[[list[A.Stmt]], list[C.Stmt]]  # checks a loop body as a block


class LoopChecker:
    """Checks and lowers the loops of one function; `block` checks their bodies."""

    def __init__(self, scope: FunctionScope, exprs: ExprChecker, consts: Constants, sink: Sink,
                 block: Block):
        self.scope = scope
        self.exprs = exprs
        self.consts = consts
        self.sink = sink
        self.block = block

    def specs(self, clauses: A.LoopClauses) -> tuple[list[C.Expr], list[C.Expr]]:
        inv = [self.exprs.spec(e, Position("a loop invariant", "unary"), "`invariant`")
               for e in clauses.invariants]
        inv_r = [self.exprs.spec(e, Position("a relational loop invariant", "relational"),
                                 "`invariant_r`") for e in clauses.invariants_r]
        return inv, inv_r

    def no_bounds(self, clauses: A.LoopClauses, kind: str) -> None:
        for b in clauses.bounds:
            self.sink.err(f"a `{kind}` loop cannot have a `bound`: its number of iterations is "
                          "already fixed", b.span, "placement", "remove the `bound` clause")

    def while_(self, s: A.While) -> list[C.Stmt]:
        cond = self.exprs.expect(s.cond, BOOL, Position("a condition", "code"),
                                 "the condition of `while`")
        inv, inv_r = self.specs(s.clauses)
        bound = None
        for i, b in enumerate(s.clauses.bounds):
            if i:
                self.sink.err("a loop has at most one `bound`", b.span, "placement")
                continue
            bound = self.exprs.expect(b, INT, Position("a loop bound", "code"), "the loop bound")
        body = self.block(s.body)
        return [C.Loop("while", cond, body, inv, inv_r, s.span, bound=bound)]

    def for_(self, s: A.For) -> list[C.Stmt]:
        lo = self.exprs.expect(s.lo, INT, Position("a loop range", "code"),
                               "the start of the range")
        hi = self.exprs.expect(s.hi, INT, Position("a loop range", "code"),
                               "the end of the range")
        self.scope.push()
        counter = self.scope.declare(s.var, INT, False, "counter", s.var_span)
        self.scope.readonly.add(counter)
        trips = None
        lo_n, hi_n = C.const_int(lo), C.const_int(hi)
        if lo_n is not None and hi_n is not None:  # `0 .. N + 1` is constant too
            trips = max(0, hi_n - lo_n)
        out = self.counted("for", counter, lo, hi, trips, s.clauses, s.body, s.span)
        self.scope.pop()
        return out

    def repeat(self, s: A.Repeat) -> list[C.Stmt]:
        n = self.consts.evaluate(s.count, "the count of `repeat`")
        if n is not None and (isinstance(n, bool) or not isinstance(n, int) or n < 0):
            self.sink.err("the count of `repeat` must be a non-negative int", s.count.span)
            n = None
        trips = 0 if n is None else int(n)
        counter = self.scope.fresh("repeat", INT, False, "counter", s.span)
        return self.counted("repeat", counter, C.Const(0, INT, s.span),
                            C.Const(trips, INT, s.count.span), trips, s.clauses, s.body, s.span)

    def counted(self, kind: str, counter: C.Var, lo: C.Expr, hi: C.Expr, trips: Optional[int],
                clauses: A.LoopClauses, body: list[A.Stmt], span: A.Span) -> list[C.Stmt]:
        """`counter = lo; while (counter < hi) { body; counter = counter + 1 }`, with the
        counter's range as an automatic invariant (hi evaluated once, into a ghost)."""
        out: list[C.Stmt] = [C.Assign(counter, lo, span)]
        lo_v, hi_v = lo, hi
        if not isinstance(lo, C.Const):
            lo_v = self.ghost(f"{counter.source}_lo", span)
            out.insert(0, C.Assign(lo_v.var, lo, span))
            out[1] = C.Assign(counter, lo_v, span)
        if not isinstance(hi, C.Const):
            hi_v = self.ghost(f"{counter.source}_hi", span)
            out.insert(0, C.Assign(hi_v.var, hi, span))
        inv, inv_r = self.specs(clauses)
        self.no_bounds(clauses, kind)
        c = C.VarRef(counter, span)
        cond = C.BinOp("<", c, hi_v, BOOL, span)
        top = C.Apply("max", [lo_v, hi_v], INT, span)
        auto = [conjoin([C.BinOp("<=", lo_v, c, BOOL, span), C.BinOp("<=", c, top, BOOL, span)],
                        span)]
        auto_r = [both_equal(counter, span)] if kind == "repeat" else []
        inner = self.block(body)
        step = C.Assign(counter, C.BinOp("+", c, C.Const(1, INT, span), INT, span), span)
        out.append(C.Loop(kind, cond, inner + [step], inv, inv_r, span, trips=trips,
                          counter=counter, auto_invariants=auto, auto_invariants_r=auto_r))
        return out

    def ghost(self, source: str, span: A.Span) -> C.VarRef:
        return C.VarRef(self.scope.fresh(source, INT, False, "ghost", span), span)
