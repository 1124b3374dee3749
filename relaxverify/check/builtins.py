"""Built-ins (`len abs min max`, conversions, the math functions of section 9, `old`,
`eq`) and the adornments `<o>`/`<r>`: where
each may appear and how it lowers (docs/language-decisions.md, "Placement" and "The core
language": `eq(x)` is `x<o> == x<r>`, adornments sit on variables)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Optional

from relaxverify.check.context import Position
from relaxverify.check.typerules import (ERR, as_real, both_equal, conjoin, error_expr,
                                        is_number_constant, tstr)
from relaxverify.core import nodes as C
from relaxverify.core.nodes import FLOAT_BASES, INT, MATH_FUNCTIONS, REAL, Type
from relaxverify.syntax import ast as A

if TYPE_CHECKING:
    from relaxverify.check.exprs import ExprChecker

RELATIONAL_CLAUSES = "accept, requires_r, ensures_r, invariant_r"
ARITY = {"old": 1, "len": 1, "abs": 1, "real": 1, "min": 2, "max": 2, "floor": 1, "ceil": 1,
         **{f: 1 for f in FLOAT_BASES + MATH_FUNCTIONS}}  # `eq` takes any


def plain_text(e: A.Expr) -> Optional[str]:
    """How `e` is written, if it is a plain name."""
    if isinstance(e, A.Name):
        return e.ident
    if isinstance(e, A.ResultRef):
        return "result"
    return None


class BuiltinChecker:
    """The built-ins and adornments of the expressions `exprs` checks (it checks their
    operands)."""

    def __init__(self, exprs: "ExprChecker"):
        self.exprs = exprs
        self.sink = exprs.sink
        self.scope = exprs.scope

    def adorned(self, e: A.Adorned, pos: Position) -> C.Expr:
        text = f"<{e.side}>"
        if pos.mode != "relational":
            plain = plain_text(e.operand)
            fix = f"write `{plain}` without `{text}`" if plain else f"remove the `{text}`"
            self.sink.err(f"`{text}` can only be used in relational clauses "
                          f"({RELATIONAL_CLAUSES}), not in {pos.where}", e.span, "adornment",
                          f"{pos.where} is about one execution at a time: {fix}")
            return self.exprs.expr(e.operand, pos.with_(mode="unary"))
        if pos.side is not None or pos.in_eq:
            self.sink.err(f"`{text}` is inside another adornment or `eq(...)`; each variable "
                          "takes one", e.span, "adornment", f"remove the inner `{text}`")
            return self.exprs.expr(e.operand, pos)
        if isinstance(e.operand, A.Name) and e.operand.ident in pos.bound:
            name = e.operand.ident
            self.sink.err(f"`{name}` is bound by a quantifier, so it is not adorned", e.span,
                          "adornment", f"it is the same in both executions: write `{name}`")
            return self.exprs.expr(e.operand, pos)
        return self.exprs.expr(e.operand, pos.with_(side=e.side))

    def len_of(self, e: A.Builtin, pos: Position) -> C.Expr:
        """`len(m, d)`: the length of dimension d, a constant below m's dimensions."""
        arr = self.exprs.expr(e.args[0], pos)
        if arr.ty == ERR:
            return error_expr(e.span)
        if not arr.ty.array:
            self.sink.err(f"`len` needs an array, but this is {tstr(arr.ty)}", e.args[0].span)
            return error_expr(e.span)
        d = e.args[1]
        if not isinstance(d, A.IntLit) or not 0 <= d.value < arr.ty.dims:
            dims = arr.ty.dims
            self.sink.err(f"the dimension of `len(..., d)` must be a number from 0 to "
                          f"{dims - 1}: `{plain_text(e.args[0]) or 'this array'}` has "
                          f"{dims} dimension{'s' if dims > 1 else ''}", d.span, "type",
                          "write the dimension as a literal, e.g. `len(m, 1)`")
            return error_expr(e.span)
        if d.value == 0:
            return C.Apply("len", [arr], INT, e.span)
        return C.Apply("len", [arr, C.Const(d.value, INT, d.span)], INT, e.span)

    def builtin(self, e: A.Builtin, pos: Position) -> C.Expr:
        if e.name == "len" and len(e.args) == 2:
            return self.len_of(e, pos)
        if e.name != "eq" and len(e.args) != ARITY[e.name]:
            self.sink.err(f"`{e.name}` takes {ARITY[e.name]} argument(s) but is given "
                          f"{len(e.args)}", e.span, "type")
            return error_expr(e.span)
        if e.name == "eq":
            return self.eq(e, pos)
        if e.name == "old":
            return self.old(e, pos)
        args = [self.exprs.expr(a, pos) for a in e.args]
        if any(a.ty == ERR for a in args):
            return error_expr(e.span)
        if e.name == "len":
            if not args[0].ty.array:
                self.sink.err(f"`len` needs an array, but this is {tstr(args[0].ty)}",
                              e.args[0].span)
                return error_expr(e.span)
            return C.Apply("len", args, INT, e.span)
        if e.name == "real":
            if not (args[0].ty == INT or args[0].ty.is_float):
                self.sink.err(f"`real(...)` converts an int or a float, but this is "
                              f"{tstr(args[0].ty)}", e.args[0].span)
                return error_expr(e.span)
            return as_real(args[0])
        if e.name in FLOAT_BASES:
            return self.to_float(e, args[0], Type(e.name))
        if e.name in ("floor", "ceil"):
            if not (args[0].ty == REAL or args[0].ty.is_float):
                self.sink.err(f"`{e.name}` rounds a real or a float to an int, but this is "
                              f"{tstr(args[0].ty)}", e.args[0].span)
                return error_expr(e.span)
            return C.Apply(e.name, args, INT, e.span)
        if e.name in MATH_FUNCTIONS:
            return self.math(e, args[0], pos)
        if e.name == "abs":
            if not args[0].ty.numeric:
                self.sink.err(f"`abs` needs a number, but this is {tstr(args[0].ty)}",
                              e.args[0].span)
                return error_expr(e.span)
            return C.Apply("abs", args, args[0].ty, e.span)
        a, b, ty = self.exprs.numeric_pair(e.name, args[0], e.args[0], args[1], e.args[1],
                                           e.span, pos.mode != "code")
        return C.Apply(e.name, [a, b], ty, e.span)

    def to_float(self, e: A.Builtin, arg: C.Expr, ty: Type) -> C.Expr:
        """`float32(x)`: x (an int, a real or another float) rounded to the format."""
        if not arg.ty.numeric:
            self.sink.err(f"`{ty}(...)` converts a number, but this is {tstr(arg.ty)}",
                          e.args[0].span)
            return error_expr(e.span)
        if arg.ty == ty:
            return arg
        if is_number_constant(arg):
            return self.exprs.round_constant(arg, ty, e.args[0])
        return C.Apply(ty.base, [arg], ty, e.span)

    def math(self, e: A.Builtin, arg: C.Expr, pos: Position) -> C.Expr:
        """`sqrt exp log sin cos`: on a float type, in code (their results round)."""
        if pos.mode != "code":
            self.sink.err(f"`{e.name}` can only be used in code, not in {pos.where}", e.span,
                          "placement", "its result is rounded; compute it into a variable "
                          "and use the variable")
            return error_expr(e.span)
        if not arg.ty.is_float or arg.ty.array:
            self.sink.err(f"`{e.name}` takes a float (`float64`, `float32`, `float16` or "
                          f"`bfloat16`), but this is {tstr(arg.ty)}", e.args[0].span, "type",
                          f"on exact reals Relax has only abs, min, max, floor and ceil; "
                          f"write `{e.name}(float64(...))`")
            return error_expr(e.span)
        return C.Apply(e.name, [arg], arg.ty, e.span)

    def eq(self, e: A.Builtin, pos: Position) -> C.Expr:
        if pos.mode != "relational":
            self.sink.err(f"`eq(...)` relates the two executions, so it can only be used in "
                          f"relational clauses ({RELATIONAL_CLAUSES}), not in {pos.where}",
                          e.span, "adornment")
            return error_expr(e.span)
        if pos.side is not None:
            self.sink.err("`eq(...)` cannot be adorned: it already mentions both executions",
                          e.span, "adornment")
            return error_expr(e.span)
        if not e.args:
            self.sink.err("`eq` needs at least one variable", e.span, "type")
            return error_expr(e.span)
        parts = []
        for a in e.args:
            var = self._eq_variable(a, pos)
            if var is not None:
                parts.append(both_equal(var, a.span))
        if not parts:
            return error_expr(e.span)
        return conjoin(parts, e.span)

    def _eq_variable(self, a: A.Expr, pos: Position) -> Optional[C.Var]:
        """The variable an argument of `eq` names, or None (reported)."""
        if isinstance(a, A.ResultRef):
            x = self.exprs.result_ref(a, pos.with_(in_eq=True))
            return x.var if isinstance(x, C.VarRef) else None
        if isinstance(a, A.Name):  # a variable or a named result (reported otherwise)
            x = self.exprs.name(a, pos.with_(in_eq=True))
            if isinstance(x, C.VarRef):
                return x.var
            if x.ty != ERR:
                self.sink.err(f"`eq` takes variable names, but `{a.ident}` is a constant (the "
                              "same in both executions)", a.span, "adornment",
                              "leave it out of `eq(...)`")
        else:
            self.sink.err("`eq` takes variable names, such as `eq(x, a)`", a.span, "adornment",
                          "to compare expressions, write `(e)<o> == (e)<r>`")
        return None

    def old(self, e: A.Builtin, pos: Position) -> C.Expr:
        if not pos.allow_old:
            self.sink.err(f"`old(...)` can only be used in `relax` and `havoc` predicates, not "
                          f"in {pos.where}", e.span, "placement")
            return error_expr(e.span)
        arg = e.args[0]
        var = self.scope.lookup(arg.ident) if isinstance(arg, A.Name) else None
        if var is None:
            if isinstance(arg, A.Name) and arg.ident in self.scope.functions \
                    and arg.ident not in self.exprs.consts:
                self.sink.err(f"`old` takes a variable name, but `{arg.ident}` is a function",
                              arg.span, "placement")
            elif isinstance(arg, A.Name) and arg.ident not in self.exprs.consts:
                self.scope.undefined(arg.ident, arg.span)
            else:
                self.sink.err("`old` takes a variable name, such as `old(x)`", arg.span,
                              "placement")
            return error_expr(e.span)
        return C.VarRef(var, e.span, None, True)
