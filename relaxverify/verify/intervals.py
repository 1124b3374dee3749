"""Interval arithmetic on floats with outward rounding: every computed end point is
moved one ulp outward (math.nextafter), so each result encloses the exact one."""
from __future__ import annotations

import functools
import math
from fractions import Fraction

INF = math.inf


class NotBounded(Exception):
    """An operation has no finite enclosure on this box (e.g. division by 0)."""


def _dn(x: float) -> float:
    return math.nextafter(x, -INF) if x == x else -INF


def _up(x: float) -> float:
    return math.nextafter(x, INF) if x == x else INF


class Interval:
    """[lo, hi]; a plain slotted class because construction speed matters here."""
    __slots__ = ("lo", "hi")

    def __init__(self, lo: float, hi: float) -> None:
        self.lo = lo
        self.hi = hi

    def __repr__(self) -> str:
        return f"Interval({self.lo!r}, {self.hi!r})"

    def __eq__(self, o: object) -> bool:
        return isinstance(o, Interval) and (self.lo, self.hi) == (o.lo, o.hi)

    def __hash__(self) -> int:
        return hash((self.lo, self.hi))

    @staticmethod
    def point(x: float) -> "Interval":
        return Interval(x, x)

    @staticmethod
    def of_fraction(lo: Fraction, hi: Fraction | None = None) -> "Interval":
        """The smallest float interval containing [lo, hi] (exact end points)."""
        return Interval(*_of_fraction(lo, lo if hi is None else hi))

    def mag(self) -> float:
        return max(abs(self.lo), abs(self.hi))

    def contains_zero(self) -> bool:
        return self.lo <= 0.0 <= self.hi

    def __add__(self, o: "Interval") -> "Interval":
        lo, hi = self.lo + o.lo, self.hi + o.hi
        if lo != lo or hi != hi:  # inf - inf: no information
            return Interval(-INF, INF)
        return Interval(math.nextafter(lo, -INF), math.nextafter(hi, INF))

    def __sub__(self, o: "Interval") -> "Interval":
        lo, hi = self.lo - o.hi, self.hi - o.lo
        if lo != lo or hi != hi:
            return Interval(-INF, INF)
        return Interval(math.nextafter(lo, -INF), math.nextafter(hi, INF))

    def __neg__(self) -> "Interval":
        return Interval(-self.hi, -self.lo)

    def __mul__(self, o: "Interval") -> "Interval":
        a, b, c, d = self.lo * o.lo, self.lo * o.hi, self.hi * o.lo, self.hi * o.hi
        if (a + b + c + d) != (a + b + c + d):  # inf * 0 (or inf - inf): give up here
            if (self.lo == self.hi == 0.0) or (o.lo == o.hi == 0.0):
                return ZERO
            return Interval(-INF, INF)
        lo, hi = min(a, b, c, d), max(a, b, c, d)
        return Interval(math.nextafter(lo, -INF), math.nextafter(hi, INF))

    def times_positive(self, flo: float, fhi: float) -> "Interval":
        """self * [flo, fhi] for 0 < flo <= fhi (the factor 1+d of a rounding)."""
        lo = self.lo * (flo if self.lo >= 0.0 else fhi)
        hi = self.hi * (fhi if self.hi >= 0.0 else flo)
        return Interval(math.nextafter(lo, -INF), math.nextafter(hi, INF))

    def __truediv__(self, o: "Interval") -> "Interval":
        if o.contains_zero():
            raise NotBounded("division by an interval that contains 0")
        return self * Interval(_dn(1.0 / o.hi), _up(1.0 / o.lo))

    def sqrt(self) -> "Interval":
        if self.lo < 0.0:
            raise NotBounded("square root of a possibly negative value")
        return Interval(max(0.0, _dn(math.sqrt(self.lo))), _up(math.sqrt(self.hi)))

    def abs(self) -> "Interval":
        if self.lo >= 0.0:
            return self
        if self.hi <= 0.0:
            return -self
        return Interval(0.0, max(-self.lo, self.hi))

    def min(self, o: "Interval") -> "Interval":
        return Interval(min(self.lo, o.lo), min(self.hi, o.hi))

    def max(self, o: "Interval") -> "Interval":
        return Interval(max(self.lo, o.lo), max(self.hi, o.hi))

    def hull(self, o: "Interval") -> "Interval":
        return Interval(min(self.lo, o.lo), max(self.hi, o.hi))


ZERO = Interval(0.0, 0.0)
ONE = Interval(1.0, 1.0)


@functools.lru_cache(maxsize=4096)
def _of_fraction(lo: Fraction, hi: Fraction) -> tuple[float, float]:
    return (_frac_down(lo), _frac_up(hi))


def _frac_down(f: Fraction) -> float:
    try:
        x = float(f)
    except OverflowError:
        return -INF if f < 0 else math.nextafter(INF, 0.0)
    return x if Fraction(x) <= f else _dn(x)


def _frac_up(f: Fraction) -> float:
    try:
        x = float(f)
    except OverflowError:
        return INF if f > 0 else -math.nextafter(INF, 0.0)
    return x if Fraction(x) >= f else _up(x)


def up_mul(a: float, b: float) -> float:
    """An upper bound of a*b for a, b >= 0."""
    return 0.0 if a == 0.0 or b == 0.0 else _up(a * b)


def up_add(a: float, b: float) -> float:
    return _up(a + b)
