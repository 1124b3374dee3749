"""Fault injection (docs/language.md, spec §7): what a faulty operation or `urel` access returns.

Every unreliable operator occurrence and `urel` access fails independently with
probability 1 - p. Rather than drawing one random number per site (the hot path
of Monte Carlo), the generated code keeps a *hazard budget* B ~ Exp(1) and each
site subtracts h = -ln(p); the site fails when B drops below zero, and B is then
redrawn. Because the exponential distribution is memoryless, each site fails with
probability exactly 1 - e^-h = 1 - p, independently of every other site, while a
reliable run costs one subtraction and one comparison per site.

A faulty value is uniform within the operator's `error` when the model has one,
otherwise the exact value with one random bit of its representation flipped: a
float type's own format (16, 32 or 64 bits), IEEE-754 binary64 for reals, 64-bit
two's complement for ints. A faulty float is a *finite* value of its format
(LANGUAGE.md section 9), so the bit is drawn uniformly among the bits whose flip
gives a finite value (flipping the last zero bit of the exponent would give inf or
NaN); within an `error`, the value drawn is rounded to the format and kept within
its range. A faulty bool is the negation of the exact one; a faulty array read or
write damages one element.
"""
from __future__ import annotations

import math
import random
import struct
from dataclasses import dataclass
from fractions import Fraction
from typing import Callable, Optional

from relaxverify.core import arrays
from relaxverify.core.formats import FORMATS, Format
from relaxverify.core.nodes import Type


def hazard(prob: float) -> float:
    """-ln(prob): the budget a site consumes; inf when it always fails, 0 when reliable."""
    if prob >= 1.0:
        return 0.0
    if prob <= 0.0:
        return math.inf
    return -math.log(prob)


def flip_float(x: float, bit: int) -> float:
    (n,) = struct.unpack("<Q", struct.pack("<d", x))
    (y,) = struct.unpack("<d", struct.pack("<Q", n ^ (1 << bit)))
    return y


def flip_int(x: int, bit: int) -> int:
    """Flip one bit of the 64-bit two's complement representation of x. Values
    outside the 64-bit range keep their high part (ints are unbounded)."""
    lo = x & ((1 << 64) - 1)
    flipped = lo ^ (1 << bit)
    if -(1 << 63) <= x < (1 << 63):
        return flipped - (1 << 64) if flipped >= (1 << 63) else flipped
    return (x - lo) + flipped


def finite_flips(x: float, fmt: Format) -> list[float]:
    """The values one bit flip of x's encoding in fmt gives that are finite."""
    b = fmt.bits(x)
    out = []
    for bit in range(fmt.width):
        y = fmt.from_bits(b ^ (1 << bit))
        if math.isfinite(y):
            out.append(y)
    return out


def flip_format(x: float, fmt: Format, rng: random.Random) -> float:
    """x with one random bit of its fmt encoding flipped, among the finite results."""
    return rng.choice(finite_flips(x, fmt))


def within_format(x: float, err: float, fmt: Format, rng: random.Random) -> float:
    """Uniform within err of x (exactly), rounded to fmt, kept finite (the largest
    value is nearer to x than the drawn value when that rounds to infinity)."""
    v = Fraction(x) + Fraction(err) * (2 * Fraction(rng.random()) - 1)
    y = fmt.round(v)
    if math.isinf(y):
        return math.copysign(float(fmt.largest), y)
    return y


@dataclass
class FaultSpec:
    """What one site produces when it fails."""

    ty: Type  # the type of the value at the site (element type for array elements)
    error: Optional[float] = None  # the model's error bound, if any
    whole_array: bool = False  # a whole-array read/write: damage one element
    fmt: Optional[Format] = None  # the format of a faulty value (core.precision.fault_format)


class FaultMaker:
    """Produces faulty values from a seeded random generator."""

    def __init__(self, rng: random.Random, exact: bool):
        self.rng = rng
        self.exact = exact

    def make(self, spec: FaultSpec) -> Callable:
        if spec.whole_array:
            elem = self.make(FaultSpec(spec.ty.elem, spec.error, fmt=spec.fmt))

            def damage(xs: list) -> list:
                if not xs:
                    return xs
                out = list(xs)
                k = self.rng.randrange(len(out))
                out[k] = elem(out[k])
                return out

            def damage_nd(xs: list) -> list:  # several dimensions: one element of a row
                out = arrays.copy(xs)
                row = out
                for _ in range(spec.ty.dims - 1):
                    if not row:
                        return out
                    row = row[self.rng.randrange(len(row))]
                if row:
                    k = self.rng.randrange(len(row))
                    row[k] = elem(row[k])
                return out
            return damage_nd if spec.ty.dims > 1 else damage
        base = spec.ty.base
        if base == "bool":
            return lambda v: not v
        fmt = spec.fmt or FORMATS.get(base)
        if fmt is not None:
            rng = self.rng
            back = Fraction if base == "real" and self.exact else float
            if spec.error is not None:
                err = spec.error
                return lambda v: back(within_format(v, err, fmt, rng))
            return lambda v: back(flip_format(float(v), fmt, rng))
        if spec.error is not None:
            return self._within(base, spec.error)
        return self._flip_int if base == "int" else self._flip_real

    def _within(self, base: str, err: float) -> Callable:
        rng = self.rng
        if base == "int":
            n = int(math.floor(err))
            return lambda v: v + rng.randint(-n, n)
        if self.exact:
            e = Fraction(err)
            return lambda v: v + e * (2 * Fraction(rng.random()) - 1)
        return lambda v: v + rng.uniform(-err, err)

    def _flip_int(self, v: int) -> int:
        return flip_int(v, self.rng.randrange(64))

    def _flip_real(self, v):
        if not self.exact:
            return flip_float(v, self.rng.randrange(64))
        # Exact rationals have no inf/NaN: redraw bits until the result is finite.
        try:
            x = float(v)
        except OverflowError:
            return -v
        for _ in range(64):
            y = flip_float(x, self.rng.randrange(64))
            if math.isfinite(y):
                return Fraction(y)
        return Fraction(x)  # unreachable in practice
