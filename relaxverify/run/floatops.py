"""The float semantics the generated code calls for (LANGUAGE.md section 9).

float64 arithmetic without a model precision is written inline by the code
generator (a native operation and a range test); everything else that rounds --
the narrow formats, conversions, math functions, operations and region writes at a
model's precision in R -- calls one of these handlers, which compute the exact
result and round it with `relaxverify.core.precision` (the one definition of what
rounds where). A rounding that overflows, or `sqrt`/`log` outside its domain, stops
the run with an `overflow` failure at the operation, like a division by zero.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, NoReturn, Optional

from relaxverify.core import nodes as C
from relaxverify.core import precision as P
from relaxverify.core.formats import FORMATS, Format
from relaxverify.run.outcome import RuntimeFailure, Site

F64_MAX = float.fromhex("0x1.fffffffffffffp+1023")


@dataclass(frozen=True)
class WriteRounding:
    """A write to a region with `precision fmt` in R, then to the variable's type."""

    fmt: Format
    own: Optional[Format]  # the variable's float type (None: real)


def number(v: Any) -> str:
    """A value for a message: `7.0e4` or `0.125`; exact values too large for binary64
    say so."""
    try:
        f = float(v)
    except OverflowError:
        f = math.inf
    if math.isinf(f):  # an exact value beyond binary64: its decimal exponent exactly
        q = abs(Fraction(v))
        e = len(str(q.numerator)) - len(str(q.denominator))
        while q >= Fraction(10) ** (e + 1):
            e += 1
        while q < Fraction(10) ** e:
            e -= 1
        lead = float(q / Fraction(10) ** e)
        return f"{'-' if v < 0 else ''}{lead:.1f}e{e}"
    if f == 0 or 1e-3 <= abs(f) < 1e4:
        return f"{f:.6g}"
    digits, ex = f"{f:.1e}".split("e")
    return f"{digits}e{int(ex)}"


def _largest(fmt: Format) -> str:
    big = float(fmt.largest)
    return f"{big:.0f}" if big < 1e6 else number(big)


class FloatOps:
    """The float handlers of one configuration (bound into the generated code)."""

    def __init__(self, sites: list[Site], roundings: dict[int, Any], quote: Any,
                 exact: bool = True):
        self.sites = sites
        self.exact = exact  # reals are Fractions (not --float-reals)
        self.roundings = roundings
        self.quote = quote  # span -> " `source text`" or ""

    def handlers(self) -> dict[str, Any]:
        return {"_fop": self.fop, "_fcmp": self.fcmp, "_cvt": self.cvt, "_math": self.math,
                "_wr": self.write, "_ovf": self.ovf, "_F64MAX": F64_MAX,
                "_floor": math.floor, "_ceil": math.ceil}

    def _stop(self, k: int, message: str) -> NoReturn:
        raise RuntimeFailure("overflow", self.sites[k].span, message)

    def _overflow(self, k: int, fmt: Format, exact: Any, what: str = "") -> NoReturn:
        text = what or self.quote(self.sites[k].span).strip() or "this operation"
        self._stop(k, f"{text} overflows {fmt.name} (the result {number(exact)} is beyond "
                      f"its largest value {_largest(fmt)})")

    def _round(self, k: int, fmt: Optional[Format], v: Any, what: str = "") -> Any:
        if isinstance(v, float) and not math.isfinite(v):  # a `real` of --float-reals
            self._stop(k, f"an operand of{self.quote(self.sites[k].span)} is not finite")
        if fmt is None:
            return v
        out = fmt.round(v)
        if math.isinf(out):
            self._overflow(k, fmt, v, what)
        return out

    def ovf(self, k: int, a: Any, b: Any) -> NoReturn:
        """The inline float64 operation at site k gave inf or NaN."""
        node: C.BinOp = self.sites[k].node
        if isinstance(a, float) and not math.isfinite(a) or \
                isinstance(b, float) and not math.isfinite(b):
            self._stop(k, f"an operand of{self.quote(node.span)} is not finite")
        self._overflow(k, FORMATS["float64"], P.arith(node.op, a, b))

    def fop(self, k: int, a: Any, b: Any) -> Any:
        """`a op b` under the rounding of site k (operands, compute, result)."""
        node: C.BinOp = self.sites[k].node
        r: P.Rounding = self.roundings[k]
        a, b = self._round(k, r.operands, a), self._round(k, r.operands, b)
        if node.op == "/" and b == 0:
            raise RuntimeFailure("division", node.span, "division by zero")
        exact = P.arith(node.op, a, b)
        out = self._round(k, r.result, self._round(k, r.compute, exact))
        if node.ty.base == "real" and isinstance(out, float):
            return Fraction(out) if self.exact else out
        return out

    def fcmp(self, k: int, a: Any, b: Any) -> Any:
        """A dotted comparison at a model's precision: of the rounded operands."""
        node: C.BinOp = self.sites[k].node
        r: P.Rounding = self.roundings[k]
        x, y = Fraction(self._round(k, r.operands, a)), Fraction(self._round(k, r.operands, b))
        return {"<": x < y, "<=": x <= y, ">": x > y, ">=": x >= y, "==": x == y,
                "!=": x != y}[node.op]

    def cvt(self, k: int, a: Any) -> float:
        """A conversion to a float type: a's exact value rounded to it."""
        node: C.Apply = self.sites[k].node
        return self._round(k, FORMATS[node.ty.base], a if isinstance(a, (int, float))
                           else Fraction(a))

    def math(self, k: int, a: float) -> float:
        node: C.Apply = self.sites[k].node
        fmt = FORMATS[node.ty.base]
        if node.fn == "sqrt" and a < 0:
            self._stop(k, f"{self.quote(node.span).strip() or 'sqrt'} takes the square root "
                          f"of the negative number {number(a)}; its operand must be >= 0")
        if node.fn == "log" and a <= 0:
            self._stop(k, f"{self.quote(node.span).strip() or 'log'} takes the logarithm of "
                          f"{number(a)}, which is not positive; its operand must be > 0")
        try:
            return P.math_function(node.fn, a, fmt)
        except P.FloatFault:
            try:
                approx: Any = {"exp": math.exp, "log": math.log, "sin": math.sin,
                               "cos": math.cos, "sqrt": math.sqrt}[node.fn](a)
            except OverflowError:
                approx = math.inf
            self._overflow(k, fmt, approx)

    def write(self, k: int, v: Any) -> Any:
        """A write to a region with a precision in R: rounded to it, then to the type."""
        w: WriteRounding = self.roundings[k]
        name = f"the write to `{self.sites[k].what}` (in a {w.fmt.name} region)"
        out = self._round(k, w.fmt, v, name)
        if w.own is None:
            return Fraction(out) if self.exact else out
        return self._round(k, w.own, out, name)


def round_argument(value: Any, ty: C.Type) -> float:
    """A value from outside (an argument, a recorded value) as a value of float type
    ty: the format's rounding of its exact value (a decimal is rounded once, not via
    binary64); ValueError when it is beyond the format's range."""
    fmt = FORMATS[ty.base]
    if isinstance(value, bool) or not isinstance(value, (int, float, Fraction)):
        raise TypeError(f"{value!r} is not a number")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{value} is not a finite {fmt.name}")
    out = fmt.round(value)
    if math.isinf(out):
        raise ValueError(f"beyond the range of {fmt.name} (its largest value is "
                         f"{_largest(fmt)})")
    return out
