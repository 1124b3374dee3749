"""How one configuration of the interpreter runs: semantics, faults, limits.

The resource limits come from `relaxverify.core.checks.LIMITS` (the one table of
what can fail at run time); `Options` may lower or raise the loop limit
(`--max-steps`) and the array limit for one run.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from relaxverify.core.checks import LIMITS

MAX_STEPS = LIMITS.loop_steps  # iterations of one loop execution before a `limit` failure
MAX_ARRAY = LIMITS.array_length  # elements of one array


@dataclass
class Options:
    semantics: str = "original"  # "original" or "relaxed": whether `relax` takes effect
    exact: bool = True  # reals as Fraction (False: --float-reals, binary64 as in v1)
    faults: str = "none"  # "none", "inject" (random, from a model) or "trace" (given values)
    specs: bool = True  # check requires, ensures and invariants
    record: bool = False  # record accepts, calls and loop heads of the top function
    max_steps: int = MAX_STEPS
    max_array: int = MAX_ARRAY  # elements of one array before a `limit` failure
    # Seconds a run may take before a `limit` failure (None: no limit). For replays of
    # counterexamples, whose inputs may make loops run for a very long time; checked
    # every 4,096 iterations of each loop, and only when set (Monte Carlo never pays).
    time_limit: Optional[float] = None
