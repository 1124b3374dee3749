"""Expressions: typing, the placement and adornment rules of each position, and lowering
to core expressions (docs/language-decisions.md, "Types", "Placement" and "The core
language"). Built-ins and `<o>`/`<r>` are in `builtins.py`.

An ill-typed expression becomes a placeholder of type `?`, which fits anywhere, so
one mistake gives one message."""
from __future__ import annotations

from typing import Any, Callable

from relaxverify.check.builtins import RELATIONAL_CLAUSES, BuiltinChecker
from relaxverify.check.consts import Constants, real_literal
from relaxverify.check.context import Position, Sink
from relaxverify.check.hardware import UNRELIABLE_OPERATORS
from relaxverify.check.scopes import FunctionScope
from relaxverify.check.typerules import (
    ERR, as_real, conjoin, const_type, error_expr, hints, is_int_literal, is_number_constant,
    index_count_message, rounded, tstr)
from relaxverify.core import nodes as C
from relaxverify.core.nodes import BOOL, INT, REAL, Type
from relaxverify.syntax import ast as A

UNRELIABLE = frozenset(UNRELIABLE_OPERATORS)


class ExprChecker:
    """Checks and lowers the expressions of one function."""

    def __init__(self, scope: FunctionScope, consts: Constants, sink: Sink):
        self.scope = scope
        self.consts = consts
        self.sink = sink
        self.builtins = BuiltinChecker(self)

    # ------------------------------------------------------------ entry points

    def spec(self, e: A.Expr, pos: Position, what: str) -> C.Expr:
        return self.expect(e, BOOL, pos, what)

    def expect(self, e: A.Expr, ty: Type, pos: Position, what: str) -> C.Expr:
        return self.coerce(self.expr(e, pos), e, ty, what)

    def coerce(self, value: C.Expr, src: A.Expr, ty: Type, what: str) -> C.Expr:
        """`value` as type `ty`: integer literals become reals, number constants are
        rounded to a float type; anything else must match."""
        if value.ty == ERR or ty == ERR or value.ty == ty:
            return value
        if ty == REAL and value.ty == INT and is_int_literal(src):
            return as_real(value)
        if ty.is_float and not ty.array and is_number_constant(value):
            return self.round_constant(value, ty, src)
        self.sink.err(f"{what} must be {tstr(ty)}, but this is {tstr(value.ty)}", src.span,
                      "type", *hints(ty, value.ty))
        return error_expr(src.span)

    def round_constant(self, value: C.Expr, ty: Type, src: A.Expr) -> C.Expr:
        """A number constant where float type `ty` is due: its rounding to `ty`."""
        assert isinstance(value, C.Const)
        out = rounded(value, ty)
        if isinstance(out, str):
            self.sink.err(out, src.span, "type", "write a smaller number, or use a wider "
                          "format such as `float64`")
            return error_expr(src.span)
        return out

    def expr(self, e: A.Expr, pos: Position) -> C.Expr:
        return _HANDLERS[type(e)](self, e, pos)

    def query(self, e: A.Query, pos: Position) -> C.Expr:
        self.sink.err("`?` asks the verifier for a bound; it can only be the right-hand side "
                      "of a bound query", e.span, "placement",
                      "write `accept abs(E<o> - E<r>) <= ?;`")
        return error_expr(e.span)

    # ------------------------------------------------------------ leaves

    def int_lit(self, e: A.IntLit, pos: Position) -> C.Expr:
        return C.Const(e.value, INT, e.span)

    def real_lit(self, e: A.RealLit, pos: Position) -> C.Expr:
        value = real_literal(e, self.sink)
        return error_expr(e.span) if value is None else C.Const(value, REAL, e.span)

    def bool_lit(self, e: A.BoolLit, pos: Position) -> C.Expr:
        return C.Const(e.value, BOOL, e.span)

    def var_ref(self, var: C.Var, span: A.Span, pos: Position, name: str) -> C.Expr:
        """A read of `var`, adorned as its position requires."""
        if pos.mode == "relational" and var.kind != "bound" and pos.side is None \
                and not pos.in_eq:
            self.sink.err(f"`{name}` must say which execution it means in {pos.where}: write "
                          f"`{name}<o>` (original) or `{name}<r>` (relaxed)", span, "adornment",
                          f"or `eq({name})` for `{name}<o> == {name}<r>`; relational clauses "
                          f"are {RELATIONAL_CLAUSES}")
            return error_expr(span)
        side = pos.side if var.kind != "bound" else None
        return C.VarRef(var, span, side)

    def name(self, e: A.Name, pos: Position) -> C.Expr:
        if e.ident in pos.bound:
            return C.VarRef(pos.bound[e.ident], e.span)
        var = self.scope.lookup(e.ident)
        if var is not None:
            return self.var_ref(var, e.span, pos, e.ident)
        named = self.scope.named.get(e.ident)
        if named is not None:
            return self.named_result(named, e.span, pos)
        if e.ident in self.consts:
            value = self.consts.value(e.ident, e.span)
            if value is None:
                return error_expr(e.span)
            return C.Const(value, const_type(value), e.span)
        if e.ident in self.scope.functions:
            self.sink.err(f"`{e.ident}` is a function; call it as `x = {e.ident}(...);`",
                          e.span, "name")
        else:
            self.scope.undefined(e.ident, e.span)
        return error_expr(e.span)

    def named_result(self, var: C.Var, span: A.Span, pos: Position) -> C.Expr:
        """A named result (`q` of `-> (q: int, r: int)`), readable where `result` is."""
        if not pos.allow_result:
            self.sink.err(f"`{var.source}` is a result of `{self.scope.fn.name}`: it has a "
                          "value only when the function returns, so it can be used only in "
                          f"`ensures`, `ensures_r` and reliability specs, not in {pos.where}",
                          span, "placement", "compute the value in a local variable and "
                          "return it with `return (...);`")
            return error_expr(span)
        return self.var_ref(var, span, pos, var.source)

    def result_ref(self, e: A.ResultRef, pos: Position) -> C.Expr:
        if len(self.scope.results) > 1:
            names = ", ".join(f"`{v.source}`" for v in self.scope.results)
            self.sink.err(f"function `{self.scope.fn.name}` has several results, so `result` "
                          "does not say which", e.span, "placement",
                          f"name the one you mean: {names}")
            return error_expr(e.span)
        if not pos.allow_result:
            self.sink.err(f"`result` can only be used in `ensures`, `ensures_r` and reliability "
                          f"specs, not in {pos.where}", e.span, "placement")
            return error_expr(e.span)
        result = self.scope.result
        if result is None:
            fn = self.scope.fn.name
            self.sink.err(f"function `{fn}` has no result", e.span, "placement",
                          f"declare one: `fn {fn}(...) -> int`")
            return error_expr(e.span)
        return self.var_ref(result, e.span, pos, "result")

    # ------------------------------------------------------------ operators

    def unary(self, e: A.Unary, pos: Position) -> C.Expr:
        x = self.expr(e.operand, pos)
        if e.op == "!":
            x = self.coerce(x, e.operand, BOOL, "the operand of `!`")
            if isinstance(x, C.Const):
                return C.Const(not x.value, BOOL, e.span)
            return C.Unary("!", x, BOOL, e.span)
        if not (x.ty.numeric or x.ty == ERR):
            self.sink.err(f"`-` needs a number, but this is {tstr(x.ty)}", e.operand.span)
            return error_expr(e.span)
        if isinstance(x, C.Const):
            return C.Const(-x.value, x.ty, e.span)
        return C.Unary("-", x, x.ty, e.span)

    def check_unreliable(self, op: str, span: A.Span, pos: Position) -> None:
        if op in UNRELIABLE and pos.mode != "code":
            self.sink.err(f"the unreliable operator `{op}` can only be used in code, not in "
                          f"{pos.where}", span, "placement",
                          f"specifications are exact: write `{op[:-1]}`")

    def binary(self, e: A.Binary, pos: Position) -> C.Expr:
        self.check_unreliable(e.op, e.span, pos)
        left = self.expr(e.left, pos)
        right = self.expr(e.right, pos)
        unreliable = e.op in UNRELIABLE
        op = e.op[:-1] if unreliable else e.op
        if op in C.LOGIC_OPS:
            left = self.coerce(left, e.left, BOOL, f"the left operand of `{op}`")
            right = self.coerce(right, e.right, BOOL, f"the right operand of `{op}`")
            return C.BinOp(op, left, right, BOOL, e.span)
        spec = pos.mode != "code"
        left, right, ty = self.numeric_pair(e.op, left, e.left, right, e.right, e.span, spec)
        if op == "%" and ty != INT and ty != ERR:
            self.sink.err("`%` needs two ints", e.span, "type",
                          "the remainder is defined for ints only")
        if spec and ty.is_float:  # arithmetic in specifications is exact (section 9)
            return C.BinOp(op, as_real(left), as_real(right), REAL, e.span, unreliable)
        return C.BinOp(op, left, right, ty, e.span, unreliable)

    def numeric_pair(self, op: str, left: C.Expr, lsrc: A.Expr, right: C.Expr, rsrc: A.Expr,
                     span: A.Span, spec: bool = False) -> tuple[C.Expr, C.Expr, Type]:
        """Unify two numeric operands: an int literal fits a real, a number constant
        next to a float is that format's rounding of it; in specifications, floats of
        different formats or with reals are compared and combined as reals."""
        lt, rt = left.ty, right.ty
        if ERR in (lt, rt):
            return left, right, ERR
        for t, src in ((lt, lsrc), (rt, rsrc)):
            if not t.numeric:
                self.sink.err(f"`{op}` needs numbers, but this is {tstr(t)}", src.span)
                return left, right, ERR
        if lt == rt:
            return left, right, lt
        if lt.is_float and is_number_constant(right):
            return left, self.round_constant(right, lt, rsrc), lt
        if rt.is_float and is_number_constant(left):
            return self.round_constant(left, rt, lsrc), right, rt
        if lt == INT and is_int_literal(lsrc) and rt == REAL:
            return as_real(left), right, REAL
        if rt == INT and is_int_literal(rsrc) and lt == REAL:
            return left, as_real(right), REAL
        if spec and (lt.is_float or rt.is_float) and INT not in (lt, rt):
            return as_real(left), as_real(right), REAL
        self.sink.err(f"`{op}` needs operands of the same type, but they are {tstr(lt)} and "
                      f"{tstr(rt)}", span, "type", _mixing_hint(lt, rt))
        return left, right, ERR

    def chain(self, e: A.Chain, pos: Position) -> C.Expr:
        """`a < b <= c` is `a < b && b <= c`."""
        operands = [self.expr(x, pos) for x in e.operands]
        parts: list[C.Expr] = []
        for i, op in enumerate(e.ops):
            self.check_unreliable(op, e.span, pos)
            l, lsrc, r, rsrc = operands[i], e.operands[i], operands[i + 1], e.operands[i + 1]
            base = op[:-1] if op in UNRELIABLE else op
            span = e.span if len(e.ops) == 1 else A.Span(
                e.span.path, lsrc.span.line, lsrc.span.column, rsrc.span.end_line,
                rsrc.span.end_column)
            if base in ("==", "!="):
                l, r = self.equality_pair(op, l, lsrc, r, rsrc, span, pos.mode != "code")
            else:
                l, r, _ = self.numeric_pair(op, l, lsrc, r, rsrc, span, pos.mode != "code")
            parts.append(C.BinOp(base, l, r, BOOL, span, op in UNRELIABLE))
        return conjoin(parts, e.span)

    def equality_pair(self, op: str, l: C.Expr, lsrc: A.Expr, r: C.Expr, rsrc: A.Expr,
                      span: A.Span, spec: bool = False) -> tuple[C.Expr, C.Expr]:
        if ERR in (l.ty, r.ty) or l.ty == r.ty:
            return l, r
        if l.ty.numeric and r.ty.numeric:
            l, r, _ = self.numeric_pair(op, l, lsrc, r, rsrc, span, spec)
            return l, r
        self.sink.err(f"`{op}` compares values of one type, but these are {tstr(l.ty)} and "
                      f"{tstr(r.ty)}", span, "type")
        return l, r

    def index(self, e: A.Index, pos: Position) -> C.Expr:
        arr = self.expr(e.array, pos)
        ipos = pos.with_(where="an array index") if pos.mode == "code" else pos
        idx = [self.expect(i, INT, ipos, "an array index") for i in [e.index] + e.more]
        if arr.ty == ERR:
            return error_expr(e.span)
        if not arr.ty.array:
            self.sink.err(f"only arrays can be indexed, but this is {tstr(arr.ty)}",
                          e.array.span)
            return error_expr(e.span)
        if len(idx) != arr.ty.dims:
            self.sink.err(index_count_message(arr.ty, len(idx)), e.span, "type")
            return error_expr(e.span)
        return C.Select(arr, idx[0], arr.ty.elem, e.span, tuple(idx[1:]))

    # ------------------------------------------------------------ misplaced forms

    def spec_call_in_code(self, e: A.CallExpr) -> None:
        self.sink.err(f"`{e.callee}` is a specification function: it can be called only in "
                      "specifications, not in code", e.span, "placement",
                      "use it in `requires`, `ensures`, an invariant, `assert`, `assume` or "
                      f"`accept`; to compute the value in code, write a `fn` or a loop")

    def call(self, e: A.CallExpr, pos: Position) -> C.Expr:
        """A call inside an expression (statements handle whole right-hand sides)."""
        sf = self.scope.spec_functions.get(e.callee)
        if sf is not None:
            if pos.mode == "code":
                self.spec_call_in_code(e)
                return error_expr(e.span)
            return self.spec_call(sf, e, pos)
        if pos.mode != "code":
            self.sink.err(f"functions cannot be called in {pos.where}", e.span, "placement",
                          "specifications may use only variables, built-ins and operators")
        else:
            self.sink.err(f"a call of `{e.callee}` must be the whole right-hand side of an "
                          "assignment", e.span, "placement",
                          f"call it on its own first: `var t: T = {e.callee}(...);`, then use "
                          "`t`")
        return error_expr(e.span)

    def spec_call(self, sf: C.SpecFunction, e: A.CallExpr, pos: Position) -> C.Expr:
        if len(e.args) != len(sf.params):
            self.sink.err(f"`{sf.name}` takes {len(sf.params)} argument(s) but is given "
                          f"{len(e.args)}", e.span, "type")
            return error_expr(e.span)
        args = [self.expect(a, p.type, pos, f"argument {k + 1} of `{sf.name}`")
                for k, (a, p) in enumerate(zip(e.args, sf.params))]
        if any(a.ty == ERR for a in args):
            return error_expr(e.span)
        return C.SpecCall(sf, args, sf.ty, e.span)

    def quant(self, e: A.Quant, pos: Position) -> C.Expr:
        if pos.mode == "code":
            self.sink.err(f"quantifiers can only be used in specifications, not in {pos.where}",
                          e.span, "placement")
            return error_expr(e.span)
        if e.var_type.array or Type(e.var_type.base).is_float:
            self.sink.err("a quantified variable must be int, real or bool", e.span, "type")
        prior = self.scope.describe(e.var, pos.bound)
        if prior is not None:
            self.sink.err(f"the quantified variable `{e.var}` shadows another name: {prior}",
                          e.span, "name", "choose a different name for the quantified variable")
        var = self.scope.fresh(e.var, Type(e.var_type.base), False, "bound", e.span)
        body = self.expect(e.body, BOOL, pos.with_(bound={**pos.bound, e.var: var}),
                           "the body of a quantifier")
        return C.Quant(e.kind, var, body, e.span)

    def adorned(self, e: A.Adorned, pos: Position) -> C.Expr:
        return self.builtins.adorned(e, pos)

    def builtin(self, e: A.Builtin, pos: Position) -> C.Expr:
        return self.builtins.builtin(e, pos)


# Dispatch by node type (the checker visits tens of thousands of nodes per second);
# tests/test_core.py checks that every kind of expression has a handler.

def _cond(self: ExprChecker, e: A.Cond, pos: Position) -> C.Expr:
    """`if c then a else b`: c is a bool, both branches one type (an int literal
    fits a real, a number constant a float; specifications compare floats as reals)."""
    c = self.expect(e.cond, BOOL, pos, "the condition of `if ... then ... else`")
    a, b = self.expr(e.then, pos), self.expr(e.orelse, pos)
    if ERR in (a.ty, b.ty):
        return error_expr(e.span)
    if a.ty.array or b.ty.array:
        self.sink.err("a conditional expression chooses a value, not an array",
                      e.span, "type", "use an `if` statement, or index each array: "
                      "`if c then a[i] else b[i]`")
        return error_expr(e.span)
    if a.ty == b.ty:
        ty = a.ty
    elif a.ty.numeric and b.ty.numeric:
        a, b, ty = self.numeric_pair("if ... then ... else", a, e.then, b, e.orelse,
                                     e.span, pos.mode != "code")
        if ty == ERR:
            return error_expr(e.span)
    else:
        self.sink.err(f"the branches of `if ... then ... else` must have one type, but "
                      f"they are {tstr(a.ty)} and {tstr(b.ty)}", e.span, "type")
        return error_expr(e.span)
    if isinstance(c, C.Const) and isinstance(c.value, bool):
        return a if c.value else b
    return C.Cond(c, a, b, ty, e.span)

_HANDLERS: dict[type, Callable[[ExprChecker, Any, Position], C.Expr]] = {
    A.IntLit: ExprChecker.int_lit, A.RealLit: ExprChecker.real_lit,
    A.BoolLit: ExprChecker.bool_lit, A.Name: ExprChecker.name,
    A.ResultRef: ExprChecker.result_ref, A.Unary: ExprChecker.unary,
    A.Binary: ExprChecker.binary, A.Chain: ExprChecker.chain, A.Index: ExprChecker.index,
    A.Adorned: ExprChecker.adorned, A.Builtin: ExprChecker.builtin,
    A.CallExpr: ExprChecker.call, A.Quant: ExprChecker.quant, A.Query: ExprChecker.query,
    A.Cond: _cond,
}


def _mixing_hint(lt: Type, rt: Type) -> str:
    """How to make two numeric operands agree."""
    if INT in (lt, rt) and REAL in (lt, rt):
        return "convert the int one with `real(...)`"
    floats = [t for t in (lt, rt) if t.is_float]
    if len(floats) == 2:
        return (f"code does not mix formats: convert one side, e.g. `{lt}(...)` "
                f"(`real(...)` is exact)")
    f, other = (lt, rt) if lt.is_float else (rt, lt)
    return (f"code does not mix a float with `{other}`: convert with `{f}(...)`, which "
            f"rounds, or the float with `real(...)`, which is exact")

