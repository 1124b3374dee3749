"""The value of a constant float (or int, real) expression in one execution, so that
the crash analysis knows whether a float operation on constants overflows wherever
it is reached (`1e308 * 10.0`: no fault feeds it, a faulty branch may reach it)."""
from __future__ import annotations

import math
from fractions import Fraction
from typing import Optional

from relaxverify.core import nodes as C
from relaxverify.core.formats import FORMATS
from relaxverify.core.precision import (Number, binop, exact, math_function, round_to,
                                        rounding_of)


class NotConstant(Exception):
    """The expression reads a variable or uses a construct this does not evaluate."""


def constant_value(e: object, model: Optional[C.HardwareModel], relaxed: bool) -> Number:
    """e's value under the roundings of that execution (core/precision.py); raises
    FloatFault when an operation overflows, ZeroDivisionError on `/ 0` and
    NotConstant when e is not a constant expression this understands."""
    if isinstance(e, C.Const) and not isinstance(e.value, bool):
        return e.value
    if isinstance(e, C.Unary) and e.op == "-":
        return -constant_value(e.operand, model, relaxed)
    if isinstance(e, C.BinOp) and e.op in ("+", "-", "*", "/"):
        a = constant_value(e.left, model, relaxed)
        b = constant_value(e.right, model, relaxed)
        if e.op == "/" and b == 0:
            raise ZeroDivisionError("division by zero")
        if e.ty == C.INT:
            raise NotConstant("int arithmetic")  # (floor division: not needed here)
        return binop(e.op, a, b, rounding_of(e, model, relaxed))
    if isinstance(e, C.Apply) and len(e.args) == 1:
        v = constant_value(e.args[0], model, relaxed)
        if e.fn in FORMATS:
            return round_to(FORMATS[e.fn], v)
        if e.fn == "real":
            return exact(v)
        if e.fn in ("floor", "ceil"):
            q = Fraction(exact(v))
            return math.floor(q) if e.fn == "floor" else math.ceil(q)
        if e.fn == "abs":
            return -v if v < 0 else v
        if e.fn in C.MATH_FUNCTIONS and e.ty.base in FORMATS:
            return math_function(e.fn, float(v), FORMATS[e.ty.base])
    raise NotConstant(type(e).__name__)
