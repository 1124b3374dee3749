"""How float values are computed in each execution (LANGUAGE.md section 9), defined
once: which formats an operation rounds to, and the concrete IEEE semantics the
interpreter runs and counterexample replay checks against.

In O, and in R without a model precision, a float operation computes its exact
result rounded to its own type; real arithmetic is exact. In R, a dotted operator
with `precision F` rounds its operands to F, computes in F, then rounds the result
to its declared type if that is a float; a write to a region with `precision F`
rounds the value to F (then to the variable's type). Comparisons are exact (a
dotted one with a precision compares the F-rounded operands).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Optional, Union

from relaxverify.core import nodes as C
from relaxverify.core.formats import FORMATS, Format

Number = Union[int, Fraction, float]


@dataclass(frozen=True)
class Rounding:
    """The roundings an operation applies: `operands` to this format first (None:
    none), compute and round to `compute` (None: exact), then to `result` (None: none)."""

    operands: Optional[Format]
    compute: Optional[Format]
    result: Optional[Format]

    @property
    def exact(self) -> bool:
        return self.operands is None and self.compute is None and self.result is None


EXACT = Rounding(None, None, None)


def _fmt(name: Optional[str]) -> Optional[Format]:
    return None if name is None else FORMATS[name]


def model_precision(x: C.Expr, model: Optional[C.HardwareModel]) -> Optional[str]:
    """The `precision F` the model gives x's dotted operator, if any."""
    if model is None or not isinstance(x, C.BinOp) or not x.unreliable:
        return None
    return model.op(x.op).precision


def rounding_of(x: C.Expr, model: Optional[C.HardwareModel], relaxed: bool) -> Rounding:
    """The roundings of an arithmetic operation, comparison or conversion x."""
    own = FORMATS.get(x.ty.base)
    prec = model_precision(x, model) if relaxed else None
    if isinstance(x, C.BinOp) and x.op in C.CMP_OPS:
        return Rounding(_fmt(prec), None, None) if prec else EXACT
    if isinstance(x, C.BinOp) and x.op in ("+", "-", "*", "/"):
        if prec is not None:
            f = FORMATS[prec]
            return Rounding(f, f, own if own is not None and own != f else None)
        return Rounding(None, own, None)
    if isinstance(x, C.Apply) and x.fn not in ("abs", "min", "max", "len"):
        return Rounding(None, own, None)
    return EXACT


def write_rounding(var: C.Var, model: Optional[C.HardwareModel], relaxed: bool
                   ) -> Optional[Format]:
    """The format a write to var rounds to in this execution (its region's precision)."""
    if not relaxed or model is None or var.region is None:
        return None
    name = model.memory(var.region).precision
    return None if name is None else FORMATS[name]


def fault_format(ty: C.Type, precision: Optional[Format]) -> Optional[Format]:
    """The format a faulty value at a site of type ty (an element type for arrays) is
    any finite value of, when the site computes or stores at `precision` in R: the
    precision's format when the declared type holds all its values (bfloat16 in
    float32, any format in `real`), else the declared type's (None: int, bool, real)."""
    own = FORMATS.get(ty.base)
    if precision is not None and (own is None and ty.base == "real" or
                                  own is not None and own.holds(precision)):
        return precision
    return own


def site_precision(x: Union[C.Expr, C.Var], model: Optional[C.HardwareModel]
                   ) -> Optional[Format]:
    """The precision R computes a dotted operator at, or stores a variable at."""
    if isinstance(x, C.Var):
        return write_rounding(x, model, True)
    if isinstance(x, C.BinOp) and x.op in C.CMP_OPS:
        return None
    return _fmt(model_precision(x, model))


# ---------------------------------------------------------------- concrete semantics


class FloatFault(ArithmeticError):
    """A float operation's result is infinite or NaN (an `overflow` check fails)."""


def round_to(fmt: Optional[Format], v: Number) -> Number:
    """v rounded to fmt (None: unchanged); FloatFault if the rounding overflows."""
    if fmt is None:
        return v
    out = fmt.round(v)
    if math.isinf(out):
        raise FloatFault(f"{float(v):g} is beyond the range of {fmt.name}")
    return out


def exact(v: Number) -> Union[int, Fraction]:
    return v if isinstance(v, int) else Fraction(v)


def arith(op: str, a: Number, b: Number) -> Union[int, Fraction]:
    """The exact result of `a op b` on rationals (b != 0 for `/` is checked before)."""
    x, y = exact(a), exact(b)
    if op == "+":
        return x + y
    if op == "-":
        return x - y
    if op == "*":
        return x * y
    return Fraction(x) / y


def binop(op: str, a: Number, b: Number, r: Rounding) -> Number:
    """A float or real arithmetic operation under rounding r, computed exactly then
    rounded (Python's own float ops would do for binary64, but not for the others)."""
    a, b = round_to(r.operands, a), round_to(r.operands, b)
    if r.compute is FORMATS["float64"] and r.result is None and isinstance(a, float) \
            and isinstance(b, float):
        out = {"+": a + b, "-": a - b, "*": a * b, "/": a / b if b else math.inf}[op]
        if math.isinf(out) or math.isnan(out):
            raise FloatFault(f"the result of `{op}` is beyond the range of float64")
        return out
    return round_to(r.result, round_to(r.compute, arith(op, a, b)))


def compare_operands(a: Number, b: Number, r: Rounding) -> tuple[Number, Number]:
    return round_to(r.operands, a), round_to(r.operands, b)


def math_function(fn: str, a: float, fmt: Format) -> float:
    """`sqrt` (correctly rounded), `exp log sin cos` (binary64 libm, then rounded)."""
    if fn == "sqrt":
        if a < 0:
            raise FloatFault(f"sqrt of the negative number {a:g}")
        # math.sqrt is correctly rounded in binary64, and binary64 has more than
        # 2p + 2 bits for every narrower format, so rounding it again is exact rounding.
        return float(round_to(fmt, math.sqrt(a)))
    if fn == "log" and a <= 0:
        raise FloatFault(f"log of {a:g}, which is not positive")
    try:
        v = {"exp": math.exp, "log": math.log, "sin": math.sin, "cos": math.cos}[fn](a)
    except OverflowError:
        raise FloatFault(f"exp({a:g}) is beyond the range of float64") from None
    return float(round_to(fmt, v))
