"""Masking-aware reliability, `reliability --precise` (LANGUAGE.md §11, docs/reliability.md).

The plain analysis multiplies the probabilities of every fault site a result reads,
so a redundant computation (duplicate and compare, vote) only costs. Here, for a
function that encode.py can follow exactly (ints and bools, no calls, arrays or
unknown trip counts), every fault *pattern* with no
fault, exactly one fault and (for few sites) exactly two faults is decided with Z3:
does the run end (no runtime check fails) with the fault-free result, for every
input allowed by `requires` and every faulty value the model allows? The value is the sum of the probabilities of the
patterns decided so; every other pattern counts as wrong.

Why it is a lower bound: give every site occurrence a coin drawn before the run
(faulty with 1 - p). The events "exactly the coins of F are faulty" are disjoint,
and a coin matters only if its site runs (the encoding evaluates a site's value only
on the path that reaches it), so the probability that the result is right is at least
the sum of P(F) over the patterns F proved masked. A site runs at most once per
occurrence: loops are unrolled (constant trip counts only). A pair is counted only
when both of its single faults are masked too, which keeps the bound under a fault
budget (`faults at most K`, LANGUAGE.md §11): there, a run whose coins F are faulty
is the run of the first K of them, i.e. of F itself, of one of its masked single
faults, or of no fault. The value is also never below the plain one (the larger
of two lower bounds).
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from itertools import combinations

import z3

from relaxverify.core import nodes as C
from relaxverify.reliability.encode import Encoder, Unsupported

PAIR_SITES = 12  # up to this many sites, every pair of faults is decided too
QUERY_MS = 2000  # Z3's limit per pattern (a timeout counts the pattern as wrong)
TOTAL_SECONDS = 20.0  # past this, the remaining patterns count as wrong


@dataclass
class Precise:
    """The masking-aware value of one function, or why it fell back to the plain one."""

    value: float
    plain: float
    sites: int = 0  # fault-site occurrences (loops unrolled)
    masked: int = 0  # single-fault patterns proved masked
    masked_pairs: int = 0  # two-fault patterns proved masked
    fallback: str = ""  # non-empty: why the plain value is reported

    @property
    def applied(self) -> bool:
        return not self.fallback


def precise_value(fn: C.Function, model: C.HardwareModel, plain: float) -> Precise:
    """fn's masking-aware value; `plain` is the plain analysis' value."""
    if not fn.results:
        return Precise(plain, plain, fallback="the function has no result")
    if len(fn.results) > 1:
        return Precise(plain, plain, fallback="the function has several results, which it "
                       "does not handle yet")
    try:
        base = Encoder(fn, model, frozenset())
        reference, _ = base.run()
    except Unsupported as exc:
        return Precise(plain, plain, fallback=str(exc))
    except z3.Z3Exception as exc:  # (a construct the encoding mistranslates: no credit)
        return Precise(plain, plain, fallback=f"the solver rejected the encoding ({exc})")
    sites = base.sites
    probs = [p for p, _ in sites]
    n = len(probs)
    requires = base.requires()
    deadline = time.monotonic() + TOTAL_SECONDS

    def masked(faulty: frozenset) -> bool:
        if time.monotonic() > deadline:
            return False
        try:
            result, fails = Encoder(fn, model, faulty, base.inputs).run()
            solver = z3.Solver()
            solver.set("timeout", QUERY_MS)
            solver.add(*requires)
            solver.add(z3.Or(result != reference, fails))
            return solver.check() == z3.unsat
        except (Unsupported, z3.Z3Exception):
            return False

    def prob(faulty: tuple) -> float:
        return math.prod((1.0 - p) if i in faulty else p for i, p in enumerate(probs))

    parts = [prob(())]
    singles = [i for i in range(n) if probs[i] < 1.0]
    ok = [i for i in singles if masked(frozenset((i,)))]
    parts += [prob((i,)) for i in ok]
    pairs = 0
    if len(singles) <= PAIR_SITES:
        for pair in combinations(ok, 2):  # (both halves masked: see the module doc)
            if masked(frozenset(pair)):
                pairs += 1
                parts.append(prob(pair))
    value = min(1.0, math.fsum(parts))
    return Precise(max(value, plain), plain, n, len(ok), pairs)
