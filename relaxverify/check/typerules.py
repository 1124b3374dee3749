"""The typing rules shared by constants, expressions and statements: the error type,
which values fit which types, and the hint for a mismatch (docs/language-decisions.md,
"Types")."""
from __future__ import annotations

from fractions import Fraction
from typing import Union

from relaxverify.core import nodes as C
from relaxverify.core.nodes import BOOL, INT, REAL, Type
from relaxverify.syntax import ast as A

ERR = Type("?")  # the type of an expression that already produced an error; fits anywhere

Value = Union[int, Fraction, bool]  # the value of a constant


def tstr(t: Type) -> str:
    return f"`{t}`"


def const_type(v: Value) -> Type:
    if isinstance(v, bool):
        return BOOL
    return INT if isinstance(v, int) else REAL


def is_int_literal(e: A.Expr) -> bool:
    """An integer literal, possibly negated: the only int that fits where a real is due."""
    while isinstance(e, A.Unary) and e.op == "-":
        e = e.operand
    return isinstance(e, A.IntLit)


def as_real(e: C.Expr) -> C.Expr:
    if isinstance(e, C.Const):
        return C.Const(Fraction(e.value), REAL, e.span)
    return C.Apply("real", [e], REAL, e.span)


def error_expr(span: A.Span) -> C.Expr:
    """Stands for an expression that already produced an error: its type `?` fits
    anywhere, so one mistake gives one message."""
    return C.Const(0, ERR, span)


def fits(have: Type, want: Type) -> bool:
    return have == want or ERR in (have, want)


def hints(want: Type, have: Type) -> list[str]:
    hint = conversion_hint(want, have)
    return [hint] if hint else []


def conversion_hint(want: Type, have: Type) -> str:
    if want == REAL and have == INT:
        return "convert it with `real(...)`"
    if want == INT and have == REAL:
        return "Relax has no conversion from real to int; keep the value real"
    if want == BOOL and have in (INT, REAL):
        return "compare it, for example `x != 0`"
    return ""


def conjoin(parts: list[C.Expr], span: A.Span) -> C.Expr:
    """`p1 && p2 && ...`, left-nested, every `&&` at `span`."""
    out = parts[0]
    for p in parts[1:]:
        out = C.BinOp("&&", out, p, BOOL, span)
    return out


def both_equal(var: C.Var, span: A.Span) -> C.Expr:
    """`var<o> == var<r>`, what `eq(var)` means."""
    return C.BinOp("==", C.VarRef(var, span, "o"), C.VarRef(var, span, "r"), BOOL, span)
