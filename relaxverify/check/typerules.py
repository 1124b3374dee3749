"""The typing rules shared by constants, expressions and statements: the error type,
which values fit which types, and the hint for a mismatch (docs/language-decisions.md,
"Types")."""
from __future__ import annotations

from fractions import Fraction
from typing import Union

from relaxverify.core import nodes as C
from relaxverify.core.formats import FORMATS
from relaxverify.core.nodes import BOOL, INT, REAL, Type
from relaxverify.syntax import ast as A

ERR = Type("?")  # the type of an expression that already produced an error; fits anywhere

Value = Union[int, Fraction, bool]  # the value of a constant


def tstr(t: Type) -> str:
    return f"`{t}`"


def type_of(t: A.TypeRef) -> Type:
    """The core type a written type denotes."""
    return Type(t.base, t.array, t.dims)


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
    """e as an exact real: an int converted, or a float read as the real it denotes."""
    if e.ty == REAL:
        return e
    if isinstance(e, C.Const):
        return C.Const(Fraction(e.value), REAL, e.span)
    return C.Apply("real", [e], REAL, e.span)


def is_number_constant(e: C.Expr) -> bool:
    """A literal or named constant (possibly negated) of type int or real: where a float
    is due, it denotes that format's rounding of it (LANGUAGE.md section 9)."""
    return isinstance(e, C.Const) and e.ty in (INT, REAL)


def rounded(e: C.Const, ty: Type) -> Union[C.Const, str]:
    """The constant e rounded to float type ty, or why it cannot be (out of range)."""
    fmt = FORMATS[ty.base]
    value = fmt.round(Fraction(e.value))
    if value in (float("inf"), float("-inf")):
        return (f"{float(e.value):g} is beyond the range of `{ty}` (its largest value is "
                f"{float(fmt.largest):g})")
    return C.Const(Fraction(value), ty, e.span)


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
    if want.array or have.array:
        return ""
    if want == REAL and have == INT:
        return "convert it with `real(...)`"
    if want == REAL and have.is_float:
        return "convert it with `real(...)`, which is exact"
    if want.is_float and (have.is_float or have in (INT, REAL)):
        return f"convert it with `{want}(...)`, which rounds to the nearest `{want}`"
    if want == INT and (have == REAL or have.is_float):
        return "convert it with `floor(...)` or `ceil(...)`"
    if want == BOOL and have.numeric:
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

def index_count_message(ty: Type, given: int) -> str:
    """An array indexed with the wrong number of indices."""
    want = ", ".join("ijklmn"[k] if k < 6 else f"i{k}" for k in range(ty.dims))
    return (f"this array ({tstr(ty)}) has {ty.dims} dimension{'s' if ty.dims > 1 else ''} "
            f"but is given {given} ind{'ices' if given != 1 else 'ex'}: write `[{want}]`")
