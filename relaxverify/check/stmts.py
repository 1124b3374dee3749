"""Statements: declarations, assignments, calls, `relax`/`havoc`, checks and `if`,
lowered to core statements (docs/language-decisions.md, "Placement" and "The core
language"). Loops are in `loops.py`."""
from __future__ import annotations

from fractions import Fraction
from typing import Any, Callable, Optional

from relaxverify.check.consts import Constants
from relaxverify.check.context import Position, Sink
from relaxverify.check.exprs import ExprChecker
from relaxverify.check.loops import LoopChecker
from relaxverify.check.scopes import FunctionScope
from relaxverify.check.typerules import (Value, as_real, fits, index_count_message, tstr,
                                         type_of)
from relaxverify.core import nodes as C
from relaxverify.core.nodes import BOOL, FLOAT_BASES, INT, REAL, Type
from relaxverify.syntax import ast as A

DEFAULTS: dict[str, Value] = {"int": 0, "real": Fraction(0), "bool": False,
                              **{f: Fraction(0) for f in FLOAT_BASES}}


class StmtChecker:
    """Checks and lowers the statements of one function."""

    def __init__(self, scope: FunctionScope, exprs: ExprChecker, consts: Constants,
                 sink: Sink):
        self.scope = scope
        self.exprs = exprs
        self.consts = consts
        self.sink = sink
        self.loops = LoopChecker(scope, exprs, consts, sink, self.block)

    def block(self, stmts: list[A.Stmt]) -> list[C.Stmt]:
        """The statements of a block, whose declarations end with it."""
        self.scope.push()
        out: list[C.Stmt] = []
        for s in stmts:
            out.extend(self.stmt(s))
        self.scope.pop()
        return out

    def stmt(self, s: A.Stmt) -> list[C.Stmt]:
        return _HANDLERS[type(s)](self, s)

    def return_(self, s: A.Return) -> list[C.Stmt]:
        """A `return` before the end (the function body handles the last statement)."""
        self.sink.err("`return` may only appear as the last statement of a function", s.span,
                      "placement", "compute the result into a variable and return it at the end")
        return []

    def skip(self, s: A.Skip) -> list[C.Stmt]:
        return []

    def var_decl(self, s: A.VarDecl) -> list[C.Stmt]:
        ty = Type(s.type.base, s.type.array, s.type.dims)
        if isinstance(s.init, A.CallExpr):
            call = self.call(s.init, [ty], s.span)
            var = self.scope.declare(s.name, ty, s.urel, "local", s.name_span, s.region)
            if call is None:
                return []
            call.targets = [var]
            return [call]
        value = None
        if s.init is not None:
            value = self.exprs.coerce(self.exprs.expr(s.init, Position("an initial value", "code")),
                                      s.init, ty, f"the initial value of `{s.name}`")
        var = self.scope.declare(s.name, ty, s.urel, "local", s.name_span, s.region)
        if value is not None:
            return [C.Assign(var, value, s.span)]
        if ty.array:
            return [C.NewArray(var, C.Const(0, INT, s.span), s.span,
                               tuple(C.Const(0, INT, s.span) for _ in range(ty.dims - 1)))]
        return [C.Assign(var, C.Const(DEFAULTS[ty.base], ty, s.span), s.span)]

    def array_decl(self, s: A.ArrayDecl) -> list[C.Stmt]:
        lengths = [self.exprs.expect(n, INT, Position("an array length", "code"),
                                     "the array length") for n in [s.length] + s.more]
        var = self.scope.declare(s.name, Type(s.base, True, len(lengths)), s.urel, "local",
                                 s.name_span, s.region)
        return [C.NewArray(var, lengths[0], s.span, tuple(lengths[1:]))]

    def target(self, name: str, span: A.Span, what: str = "assign to") -> Optional[C.Var]:
        """The variable `name` as the target of an assignment, `relax` or `havoc`."""
        var = self.scope.lookup(name)
        if var is None:
            if name in self.consts:
                self.sink.err(f"cannot {what} `{name}`: it is a constant", span, "readonly")
            elif name in self.scope.functions:
                fix = (f"to keep its result, call it into a variable: `var t: T = {name}(...);`"
                       if what == "assign to" else f"`{what}` changes variables only")
                self.sink.err(f"cannot {what} `{name}`: it is a function, not a variable", span,
                              "name", fix)
            else:
                self.scope.undefined(name, span)
            return None
        if var in self.scope.readonly:
            kind = "parameter" if var.kind == "param" else "loop counter"
            hint = (f"copy it into a local variable first: `var my_{name}: {var.type} = "
                    f"{name};`" if var.kind == "param" else "the `for` loop advances it; use a "
                    "`while` loop to control the counter yourself")
            self.sink.err(f"cannot {what} {kind} `{name}`: it is read-only", span, "readonly",
                          hint)
        return var

    def assign(self, s: A.Assign) -> list[C.Stmt]:
        var = self.target(s.target, s.target_span)
        if isinstance(s.value, A.CallExpr):
            call = self.call(s.value, [var.type if var else None], s.span)
            if call is None or var is None:
                return []
            call.targets = [var]
            return [call]
        value = self.exprs.expr(s.value, Position("an assigned value", "code"))
        if var is None:
            return []
        return [C.Assign(var, self.exprs.coerce(value, s.value, var.type,
                                                f"the value assigned to `{s.target}`"), s.span)]

    def array_assign(self, s: A.ArrayAssign) -> list[C.Stmt]:
        var = self.target(s.target, s.target_span)
        index = [self.exprs.expect(i, INT, Position("an array index", "code"),
                                   "an array index") for i in [s.index] + s.more]
        value = self.exprs.expr(s.value, Position("an assigned value", "code"))
        if var is None:
            return []
        if not var.type.array:
            self.sink.err(f"`{s.target}` is not an array (it is {tstr(var.type)})",
                          s.target_span)
            return []
        if len(index) != var.type.dims:
            self.sink.err(index_count_message(var.type, len(index)), s.span, "type")
            return []
        return [C.Store(var, index[0], self.exprs.coerce(value, s.value, var.type.elem,
                                                         f"an element of `{s.target}`"),
                        s.span, tuple(index[1:]))]

    def call_stmt(self, s: A.CallStmt) -> list[C.Stmt]:
        call = self.call(s.call, None, s.span)
        return [call] if call else []

    def multi_assign(self, s: A.MultiAssign) -> list[C.Stmt]:
        """`(q, r) = f(x);` into declared variables, one per result of `f`."""
        targets: list[Optional[C.Var]] = []
        seen: set[str] = set()
        for n in s.targets:
            if n.ident in seen:
                self.sink.err(f"`{n.ident}` is listed twice", n.span, "name",
                              "each result needs a variable of its own")
            seen.add(n.ident)
            targets.append(self.target(n.ident, n.span))
        call = self.call(s.call, [v.type if v else None for v in targets], s.span)
        if call is None or len(seen) < len(targets):
            return []
        kept = [v for v in targets if v is not None]
        if len(kept) < len(targets):
            return []
        call.targets = kept
        return [call]

    def call(self, c: A.CallExpr, wants: Optional[list[Optional[Type]]],
             span: A.Span) -> Optional[C.Call]:
        """A call whose results go to variables of types `wants` (None: a call statement,
        which keeps no result; a None type: a target already reported)."""
        callee = self.scope.functions.get(c.callee)
        args = [self.exprs.expr(a, Position("a call argument", "code")) for a in c.args]
        if callee is None:
            prior = self.scope.describe(c.callee)
            if c.callee in self.scope.spec_functions:
                self.exprs.spec_call_in_code(c)
            elif prior is None:
                self.scope.undefined(c.callee, c.callee_span, "function")
            else:
                self.sink.err(f"`{c.callee}` is not a function: it is {prior}", c.callee_span,
                              "name", "only functions declared with `fn` can be called")
            return None
        if len(c.args) != len(callee.params):
            self.sink.err(f"`{c.callee}` takes {len(callee.params)} argument(s) but is given "
                          f"{len(c.args)}", c.span, "type")
            return None
        args = [self.exprs.coerce(a, src, type_of(p.type), f"argument `{p.name}`")
                for a, src, p in zip(args, c.args, callee.params)]
        self._results_fit(c, callee, wants)
        return C.Call([], c.callee, args, span)

    def _results_fit(self, c: A.CallExpr, callee: A.Function,
                     wants: Optional[list[Optional[Type]]]) -> None:
        """Report a call whose targets do not match the callee's results."""
        rets = [type_of(callee.ret)] if callee.ret else [type_of(p.type) for p in callee.results]
        names = [p.name for p in callee.results]
        form = (f"({', '.join(names)}) = {c.callee}(...);" if len(rets) > 1
                else f"x = {c.callee}(...);")
        if wants is None:
            if rets:
                what, verb, it = ("results", "are", "them") if names[1:] else ("result", "is", "it")
                self.sink.err(f"the {what} of `{c.callee}` {verb} not used", c.span, "placement",
                              f"assign {it}: `{form}`")
        elif not rets:
            self.sink.err(f"`{c.callee}` returns no value, so its call cannot be assigned",
                          c.span, "type", f"call it as a statement: `{c.callee}(...);`")
        elif len(rets) != len(wants):
            self.sink.err(f"`{c.callee}` returns {len(rets)} result(s) but {len(wants)} "
                          f"variable(s) receive them", c.span, "type",
                          f"call it into one declared variable per result: `{form}`")
        else:
            for i, (ret, want) in enumerate(zip(rets, wants)):
                if want is not None and not fits(ret, want):
                    what = f"result `{names[i]}` of `{c.callee}` is" if names else \
                        f"`{c.callee}` returns"
                    self.sink.err(f"{what} {tstr(ret)}, which cannot be assigned to a "
                                  f"variable of type {tstr(want)}", c.span, "type")

    def relax(self, s: A.Relax) -> list[C.Stmt]:
        targets = []
        seen = set()
        for n in s.targets:
            if n.ident in seen:  # one error for the repeat, not the target's again
                self.sink.err(f"`{n.ident}` is listed twice", n.span, "name")
                continue
            var = self.target(n.ident, n.span, s.kind)
            seen.add(n.ident)
            if var is not None:
                targets.append(var)
        pred = self.exprs.expect(s.pred, BOOL, Position(f"a `{s.kind}` predicate", "unary",
                                                        allow_old=True),
                                 f"the `{s.kind}` predicate")
        return [C.Choose(s.kind, targets, pred, s.span)]

    def check(self, s: A.Check) -> list[C.Stmt]:
        mode = "relational" if s.kind == "accept" else "unary"
        pos = Position(f"an `{s.kind}`", mode)
        if s.kind == "accept" and _is_bound_query(s.cond):
            assert isinstance(s.cond, A.Chain)
            lhs = s.cond.operands[0]
            value = self.exprs.expr(lhs, pos)
            if value.ty.is_float:
                value = as_real(value)
            value = self.exprs.coerce(value, lhs, REAL, "the bounded expression of a query")
            return [C.Check(s.kind, C.Const(True, BOOL, s.span), s.span, query=value)]
        cond = self.exprs.spec(s.cond, pos, f"`{s.kind}`")
        return [C.Check(s.kind, cond, s.span)]

    def if_(self, s: A.If) -> list[C.Stmt]:
        cond = self.exprs.expect(s.cond, BOOL, Position("a condition", "code"),
                                 "the condition of `if`")
        return [C.If(cond, self.block(s.then), self.block(s.orelse), s.span)]

    def while_(self, s: A.While) -> list[C.Stmt]:
        return self.loops.while_(s)

    def for_(self, s: A.For) -> list[C.Stmt]:
        return self.loops.for_(s)

    def repeat(self, s: A.Repeat) -> list[C.Stmt]:
        return self.loops.repeat(s)


# Dispatch by node type; tests/test_core.py checks that every statement has a handler.
_HANDLERS: dict[type, Callable[[StmtChecker, Any], list[C.Stmt]]] = {
    A.VarDecl: StmtChecker.var_decl, A.ArrayDecl: StmtChecker.array_decl,
    A.Assign: StmtChecker.assign, A.ArrayAssign: StmtChecker.array_assign,
    A.CallStmt: StmtChecker.call_stmt, A.MultiAssign: StmtChecker.multi_assign,
    A.Relax: StmtChecker.relax, A.Check: StmtChecker.check,
    A.If: StmtChecker.if_, A.While: StmtChecker.while_, A.For: StmtChecker.for_,
    A.Repeat: StmtChecker.repeat, A.Return: StmtChecker.return_, A.Skip: StmtChecker.skip,
}


def _is_bound_query(e: A.Expr) -> bool:
    """`E <= ?`: a bound query (LANGUAGE.md section 9)."""
    return (isinstance(e, A.Chain) and e.ops == ["<="] and isinstance(e.operands[1], A.Query))
