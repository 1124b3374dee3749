"""Bound queries (`accept abs(E<o> - E<r>) <= ?`): the least bound B proved, by Z3
with the rounding abstraction, searched over B = m 2^k.

Each step asks whether `E > B` is impossible (unsat) under a short time limit; an
unknown answer counts as not proved, so every reported B is a proved one. First a
power of two (bisection over k in [-1074, 1024]), then a few bisection steps of
the mantissa (about 0.5% tight). On straight-line code the round-off engine
(`straightline.py`) gives a second sound bound, and the smaller one wins.
"""
from __future__ import annotations

import sys
import time
from fractions import Fraction
from typing import Optional

import z3

from relaxverify.core import nodes as C
from relaxverify.verify.decider import z3_timeout_ms
from relaxverify.verify.obligations import Obligation

K_LOW, K_HIGH = -1074, 1024
MANTISSA_STEPS = 8
QUERY_SECONDS = 1.0  # each query of the search, at most (and at most --timeout)
BUDGET_TIMEOUTS = 2  # the whole search stops after this many times --timeout


def _real(q: Fraction) -> z3.ArithRef:
    return z3.RealVal(f"{q.numerator}/{q.denominator}")


class BoundSearch:
    def __init__(self, facts: list, ob: Obligation, timeout_s: float):
        self.solver = z3.Solver()
        self.solver.set("timeout", z3_timeout_ms(min(timeout_s, QUERY_SECONDS)))
        self.solver.add(facts[:ob.nfacts])
        self.ob = ob
        self.deadline = time.monotonic() + BUDGET_TIMEOUTS * max(timeout_s, QUERY_SECONDS)
        self.queries = 0
        self.unknowns = 0

    def proved(self, b: Fraction) -> bool:
        if time.monotonic() > self.deadline:  # out of time: not proved (still sound)
            self.unknowns += 1
            return False
        self.solver.push()
        self.solver.add(self.ob.exceeds(_real(b)))
        try:
            answer = self.solver.check()
        except z3.Z3Exception:
            answer = z3.unknown
        finally:
            self.solver.pop()
        self.queries += 1
        if answer == z3.unknown:
            self.unknowns += 1
        return answer == z3.unsat

    def least(self) -> Optional[Fraction]:
        """The least bound found, or None when not even 2^1024 is proved."""
        if self.proved(Fraction(0)):
            return Fraction(0)
        top = Fraction(2) ** K_HIGH
        if not self.proved(top):
            return None
        lo, hi = K_LOW - 1, K_HIGH  # 2^hi proved; 2^lo taken as not proved
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if self.proved(Fraction(2) ** mid):
                hi = mid
            else:
                lo = mid
        best: Fraction = Fraction(2) ** hi
        low: Fraction = best / 2
        for _ in range(MANTISSA_STEPS):
            m = (low + best) / 2
            if self.proved(m):
                best = m
            else:
                low = m
        return best


def search(facts: list, ob: Obligation, timeout_s: float, engine: Optional[float] = None
           ) -> tuple[Optional[float], str, int]:
    """(least proved bound as a float rounded upward, why none, queries)."""
    t0 = time.perf_counter()
    s = BoundSearch(facts, ob, timeout_s if engine is None else min(timeout_s, 0.2))
    # With the engine's bound, Z3 is asked only whether the two sides are equal (a
    # cached rounding makes identical computations agree); its search over
    # non-linear round-off would take long for a worse bound.
    found = (Fraction(0) if s.proved(Fraction(0)) else None) if engine is not None \
        else s.least()
    bound: Optional[float] = None
    if found is not None and found > Fraction(sys.float_info.max):
        found = None  # (a bound beyond every float says nothing)
    if found is not None:
        f = float(found)
        bound = f if Fraction(f) >= found else _up(f)
    if engine is not None and (bound is None or engine < bound):
        bound = engine
    why = "" if bound is not None else (
        "Z3 could not prove any finite bound" + (
            f" ({s.unknowns} of its queries timed out; try a larger --timeout)"
            if s.unknowns else ""))
    ob.time_ms = (time.perf_counter() - t0) * 1000
    return bound, why, s.queries


def _up(f: float) -> float:
    import math
    return math.nextafter(f, math.inf)
