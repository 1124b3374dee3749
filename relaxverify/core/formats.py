"""The IEEE 754 binary formats of LANGUAGE.md §9, and exact rounding to them.

One table serves every stage: the checker rounds literals, the interpreter rounds
each operation, the verifier takes each format's unit roundoff and range. Every
format's values are binary64 values, so a Python float holds any of them; rounding
is computed exactly (from a Fraction or a float), never through another format,
so that no double rounding creeps in.
"""
from __future__ import annotations

import math
import struct
from dataclasses import dataclass
from fractions import Fraction
from typing import Final, Optional, Union

Number = Union[int, Fraction, float]


@dataclass(frozen=True)
class Format:
    """A binary floating-point format: `precision` significand bits (the hidden one
    included), normal exponents emin..emax, `width` bits in memory."""

    name: str
    precision: int
    emin: int
    emax: int
    width: int

    @property
    def exponent_bits(self) -> int:
        return self.width - self.precision

    @property
    def unit_roundoff(self) -> Fraction:
        """u = 2^-p: |fl(z) - z| <= u |z| for z in the normal range."""
        return Fraction(1, 2 ** self.precision)

    @property
    def tiny(self) -> Fraction:
        """The smallest positive (subnormal) value: the spacing near zero."""
        return Fraction(2) ** (self.emin - self.precision + 1)

    @property
    def subnormal_error(self) -> Fraction:
        """|fl(z) - z| <= u |z| + this, for every z in range."""
        return self.tiny / 2

    @property
    def largest(self) -> Fraction:
        return (2 - Fraction(1, 2 ** (self.precision - 1))) * Fraction(2) ** self.emax

    @property
    def overflow_threshold(self) -> Fraction:
        """Round to nearest gives infinity exactly when |z| >= this (halfway between
        the largest value and 2^(emax+1); a tie goes to the even infinity)."""
        return Fraction(2) ** self.emax * (2 - Fraction(1, 2 ** self.precision))

    def round(self, x: Number) -> float:
        """x rounded to this format (nearest, ties to even); +-inf on overflow."""
        if isinstance(x, float):
            if not math.isfinite(x) or x == 0.0:
                return x
            if self.precision == 53:
                return x
        q = Fraction(x)
        if q == 0:
            return 0.0
        sign = -1.0 if q < 0 else 1.0
        q = abs(q)
        if q >= self.overflow_threshold:
            return sign * math.inf
        # exponent e with 2^e <= q < 2^(e+1)
        e = q.numerator.bit_length() - q.denominator.bit_length()
        if Fraction(2) ** e > q:
            e -= 1
        e = max(e, self.emin)
        scale = self.precision - 1 - e  # q * 2^scale has p significant bits
        scaled = q * Fraction(2) ** scale
        m = round(scaled)  # Fraction.__round__: nearest, ties to even
        return sign * math.ldexp(float(m), -scale)

    def representable(self, x: Number) -> bool:
        return math.isfinite(float(x)) and Fraction(self.round(x)) == Fraction(x)

    def holds(self, other: Optional["Format"]) -> bool:
        """Is every value of `other` a value of this format (so converting is exact)?"""
        return other is not None and other.precision <= self.precision and \
            other.emax <= self.emax and \
            other.emin - other.precision >= self.emin - self.precision

    def bits(self, x: float) -> int:
        """The format's encoding of a value of the format (sign, exponent, fraction)."""
        b64 = struct.unpack("<Q", struct.pack("<d", x))[0]
        if self.width == 64:
            return b64
        sign = b64 >> 63
        if x == 0.0:
            return sign << (self.width - 1)
        frac_bits = self.precision - 1
        bias = 2 ** (self.exponent_bits - 1) - 1
        if math.isinf(x):
            return (sign << (self.width - 1)) | (((1 << self.exponent_bits) - 1) << frac_bits)
        m, e = math.frexp(abs(x))  # x = m 2^e, 0.5 <= m < 1
        exp = e - 1
        if exp < self.emin:  # subnormal
            field = 0
            frac = int(Fraction(abs(x)) / self.tiny)
        else:
            field = exp + bias
            frac = int((Fraction(abs(x)) / Fraction(2) ** exp - 1) * 2 ** frac_bits)
        return (sign << (self.width - 1)) | (field << frac_bits) | frac

    def from_bits(self, b: int) -> float:
        """The value of an encoding: NaN, +-inf, or a value of the format."""
        if self.width == 64:
            return float(struct.unpack("<d", struct.pack("<Q", b))[0])
        frac_bits = self.precision - 1
        sign = -1.0 if b >> (self.width - 1) else 1.0
        field = (b >> frac_bits) & ((1 << self.exponent_bits) - 1)
        frac = b & ((1 << frac_bits) - 1)
        bias = 2 ** (self.exponent_bits - 1) - 1
        if field == (1 << self.exponent_bits) - 1:
            return math.nan if frac else sign * math.inf
        if field == 0:
            return sign * float(frac * self.tiny)
        return sign * math.ldexp(float((1 << frac_bits) | frac), field - bias - frac_bits)


FLOAT64: Final = Format("float64", 53, -1022, 1023, 64)
FLOAT32: Final = Format("float32", 24, -126, 127, 32)
FLOAT16: Final = Format("float16", 11, -14, 15, 16)
BFLOAT16: Final = Format("bfloat16", 8, -126, 127, 16)

FORMATS: Final[dict[str, Format]] = {f.name: f for f in (FLOAT64, FLOAT32, FLOAT16, BFLOAT16)}
