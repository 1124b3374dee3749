"""Monte Carlo reliability (docs/language.md, spec §7): the fault-free run once, N faulty runs,
the fraction whose result is exactly the fault-free one, with a 95% Wilson interval.

The faulty runs reuse the fault-free run's relax/havoc choices per statement
occurrence (the n-th run of a statement gets the n-th choice the fault-free run
made there, while it still satisfies the predicate), so that a difference in the
result is due to the hardware and not to a different choice, and a faulty branch
that runs an extra `havoc` does not shift the choices of the others. A faulty run that fails a runtime
check (an index out of bounds after a flipped bit, say) counts as incorrect.

Two backends run the faulty trials with the same fault model: the interpreter (one
generated-Python run per trial) and, for the programs vector_support.py accepts,
the vectorised one (vector.py: one numpy lane per trial, much faster). `backend`
"auto" takes the vectorised one where it applies; the result says which ran and,
for the interpreter, why. Each is deterministic given the seed; the two draw
different random numbers, so their counts differ within the sampling error.
"""
from __future__ import annotations

import math
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any, Callable, Optional

from relaxverify.core import nodes as C
from relaxverify.run import interrupt
from relaxverify.run.accepts import AcceptPairs, accept_pairs, checked_accepts
from relaxverify.run.options import MAX_STEPS, Options
from relaxverify.run.recursion import deep_recursion
from relaxverify.run.outcome import RunOutcome, RuntimeFailure
from relaxverify.run.runtime import RECURSION, Interpreter

# `backend="auto"` leaves runs where fewer trials than this are expected to see a fault
# to the interpreter: it skips the others, and the vectorised backend's fixed cost (a
# walk of the syntax tree) is that of some hundreds of interpreted faulty trials.
FEW = 1000
Z95 = 1.959963984540054  # the 0.975 quantile of the standard normal distribution


def wilson(correct: int, trials: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval for a binomial proportion (good near 0 and 1)."""
    if trials <= 0:
        return 0.0, 1.0
    p = correct / trials
    denom = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denom
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denom
    lo = 0.0 if correct == 0 else max(0.0, centre - half)
    hi = 1.0 if correct == trials else min(1.0, centre + half)
    return lo, hi


def binomial_cdf(correct: int, trials: int, p: float) -> float:
    """P(X <= correct) for X ~ Binomial(trials, p), summed exactly in log space over
    the terms that matter (beyond 15 standard deviations they are below 1e-40)."""
    if correct >= trials or p <= 0.0:
        return 1.0
    if p >= 1.0 or correct < 0:
        return 0.0
    lp, lq = math.log(p), math.log1p(-p)
    base = math.lgamma(trials + 1)

    def pmf(k: int) -> float:
        return math.exp(base - math.lgamma(k + 1) - math.lgamma(trials - k + 1)
                        + k * lp + (trials - k) * lq)
    width = int(15 * math.sqrt(trials * p * (1 - p))) + 100
    if correct <= trials * p:  # the lower tail, summed from `correct` down
        return min(1.0, sum(pmf(k) for k in range(correct, max(-1, correct - width), -1)))
    upper = sum(pmf(k) for k in range(correct + 1, min(trials, correct + width) + 1))
    return max(0.0, 1.0 - upper)


def upper_bound(correct: int, trials: int, level: float = 0.999) -> float:
    """The exact (Clopper-Pearson) one-sided upper confidence bound at `level`: the
    largest p under which `correct` or fewer successes still have probability at
    least 1 - level. A p above it is contradicted by the runs at that level."""
    if trials <= 0 or correct >= trials:
        return 1.0
    lo, hi = correct / trials, 1.0
    for _ in range(60):
        mid = (lo + hi) / 2
        if binomial_cdf(correct, trials, mid) >= 1 - level:
            lo = mid
        else:
            hi = mid
    return lo


def same_result(a: Any, b: Any) -> bool:
    """Exact equality of results; NaN equals NaN (a fault-free NaN is reproducible)."""
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same_result(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return type(a) is type(b) and a == b


@dataclass
class MonteCarloResult:
    reference: RunOutcome  # the fault-free run
    trials: int = 0
    correct: int = 0
    failures: int = 0  # faulty runs that failed a runtime check
    faults: int = 0  # faults injected in all trials
    reference_accepts: bool = True  # the fault-free run meets the accepts
    rejected: int = 0  # trials with the fault-free result that failed an accept
    most_faults: int = 0  # the most faults one trial saw (at most the model's budget)
    backend: str = "interpreter"  # "interpreter" or "vectorised": which ran the trials
    backend_note: str = ""  # why the interpreter ran them, when "auto" chose it
    requested: int = 0  # the trials asked for (more than `trials` when `partial`)
    partial: bool = False  # interrupted (Ctrl-C): the statistics of the trials done

    @property
    def fraction(self) -> float:
        return self.correct / self.trials if self.trials else 0.0

    @property
    def interval(self) -> tuple[float, float]:
        return wilson(self.correct, self.trials)


def monte_carlo(program: C.Program, fn: str, args: list, model: C.HardwareModel, trials: int,
                seed: int = 0, semantics: str = "original", exact: bool = True,
                source: Optional[str] = None, max_steps: Optional[int] = None,
                progress: Optional[Callable[[int], None]] = None,
                skip: bool = True, precision: bool = False,
                backend: str = "auto", trial_seed: Optional[int] = None) -> MonteCarloResult:
    """Run `fn` fault-free once, then `trials` times under `model`. `args` are in
    parameter order, as Python values (ints, Fractions or floats, bools, lists).

    With `skip`, a trial whose hazard budget exceeds the total hazard H of the
    fault-free path is counted as correct without running it: no site on that path
    can fail, so the run would be the fault-free one. This is exact (the budget is
    Exp(1) and memoryless) and saves the runs that see no fault at all. With
    `precision`, the fault-free and the faulty runs compute at the model's
    precisions (LANGUAGE.md section 9). `backend`: "auto", "interpreter" or
    "vectorised" (the latter two force one; "vectorised" falls back, with a note,
    where it does not apply). `trial_seed` (default `seed`) seeds the faulty trials
    only: the chunks of one run (chunks.py) share the fault-free run of `seed`."""
    steps = MAX_STEPS if max_steps is None else max_steps
    ref = _fault_free(program, fn, args, model, seed, semantics, exact, source, steps, precision)
    out, pairs, ref_args = ref.result, ref.pairs, ref.args
    if out.reference.failure is not None:
        return out
    ref_ok = out.reference_accepts  # a skipped trial is the fault-free run
    out.requested = trials
    seed = seed if trial_seed is None else trial_seed
    faulty = Interpreter(program, fn, Options(semantics, exact, "inject", False, ref.record,
                                              max_steps=steps), model, seed, source,
                      model if precision else None)
    faulty.set_choices_by_site(ref.interp.choices.by_site)
    expected = out.reference.result
    entry = faulty.entry
    ns = faulty.ns
    chooser = faulty.choices
    expo = ns["_expo"]
    stack = ExitStack()
    stack.enter_context(deep_recursion(RECURSION))  # as for the fault-free run
    try:
        hazard = _path_hazard(faulty, ref_args, expected) if skip else None
        if backend != "interpreter":
            hit = trials * -math.expm1(-hazard) if hazard is not None else math.inf
            with interrupt.listen():
                note = _vectorised(out, program, fn, ref_args, model, trials, seed,
                                   semantics, steps, progress, ref.record,
                                   backend == "auto" and hit < FEW, hit, hazard)
            if note is None:
                return out
            out.backend_note = note
        step = max(1, min(1000, trials // 100))
        correct = failures = rejected = most = 0
        done = trials
        stack.enter_context(interrupt.listen())
        for i in range(trials):
            if i % step == 0 and i and interrupt.requested():
                done, out.partial = i, True
                break
            if hazard is not None:
                budget = ns["_B"]
                if budget >= hazard:  # no site on the fault-free path fails: skip the run
                    ns["_B"] = budget - hazard
                    correct += ref_ok
                    rejected += not ref_ok
                    if progress is not None and (i + 1) % step == 0:
                        progress(i + 1)
                    continue
            if chooser.counts or faulty.notes:  # per-run state must not grow over trials
                chooser.reset()
                faulty.notes = []
            faulty.records = []
            ns["_RF"] = 0
            try:
                got = entry(-1, *ref_args)
            except (RuntimeFailure, RecursionError, MemoryError, OverflowError):
                failures += 1
                ns["_B"] = expo()  # the budget left by an aborted run is not memoryless
            else:
                if (got == expected and type(got) is type(expected)) or same_result(got, expected):
                    if pairs is None or pairs.hold(faulty, faulty.records):
                        correct += 1
                    else:
                        rejected += 1
            most = max(most, ns["_RF"])
            if progress is not None and (i + 1) % step == 0:
                progress(i + 1)
    finally:
        stack.close()
    out.trials, out.correct, out.failures, out.faults = done, correct, failures, ns["_NF"]
    out.rejected = rejected
    out.most_faults = most
    return out


@dataclass
class _FaultFree:
    """The fault-free run the faulty trials are compared with, and what they reuse."""

    interp: Interpreter  # its relax/havoc choices are the trials' (set_choices_by_site)
    args: list  # the arguments, converted to the interpreter's values
    pairs: Optional[AcceptPairs]  # the original states the accepts compare with
    record: bool  # whether the function has accepts to check (and so records them)
    result: MonteCarloResult  # no trials yet: the reference outcome


def _fault_free(program: C.Program, fn: str, args: list, model: C.HardwareModel, seed: int,
                semantics: str, exact: bool, source: Optional[str], steps: int,
                precision: bool) -> _FaultFree:
    params = program.functions[fn].params
    record = checked_accepts(program.functions[fn])  # a trial failing one is incorrect
    ref = Interpreter(program, fn, Options(semantics, exact, "none", True, record,
                                           max_steps=steps),
                      None, seed, source, model if precision else None)
    ref_args = [ref.convert(a, p.type) for a, p in zip(args, params)]
    pairs = accept_pairs(program, fn, ref_args, exact, steps, seed, source)
    reference = ref.run(ref_args)
    out = MonteCarloResult(reference)
    if reference.failure is None:  # correct when the fault-free result meets the accepts
        out.reference_accepts = pairs is None or pairs.hold(ref, reference.records)
    return _FaultFree(ref, ref_args, pairs, record, out)


def fault_free(program: C.Program, fn: str, args: list, model: C.HardwareModel,
               seed: int = 0, semantics: str = "original", exact: bool = True,
               source: Optional[str] = None, max_steps: Optional[int] = None,
               precision: bool = False) -> MonteCarloResult:
    """The fault-free run of `monte_carlo` alone (no trials): what a run split into
    chunks reports beside the chunks' merged counts."""
    steps = MAX_STEPS if max_steps is None else max_steps
    return _fault_free(program, fn, args, model, seed, semantics, exact, source, steps,
                       precision).result


def _vectorised(out: MonteCarloResult, program: C.Program, fn: str, args: list,
                model: C.HardwareModel, trials: int, seed: int, semantics: str,
                steps: int, progress: Optional[Callable[[int], None]],
                record: bool, few: bool, hit: float,
                hazard: Optional[float]) -> Optional[str]:
    """Run the trials on the vectorised backend into `out`; None when it did, else
    why not (the interpreter then runs them). `few`: only `hit` trials are expected
    to see a fault, so the interpreter is faster (when the program would do)."""
    from relaxverify.run.vector_support import Unsupported, why_not
    function = program.functions[fn]
    why = why_not(program, function, model, semantics, record)  # (no `real`: exact or not)
    if why is None and few:
        return (f"only about {hit:.0f} of the trials see a fault, and the interpreter "
                "skips the others: faster here")
    if why is None:
        try:
            from relaxverify.run.vector_stmts import vector_trials
        except ImportError:  # numpy missing
            return "numpy is not installed"
        try:
            got = vector_trials(function, args, model, trials, seed, semantics, steps,
                                out.reference.result, progress, hazard)
        except Unsupported as exc:
            why = str(exc)
        except (ArithmeticError, ValueError, TypeError, IndexError, MemoryError) as exc:
            why = f"it stopped ({type(exc).__name__}: {exc})"
        else:
            out.trials, out.correct, out.failures = got.trials, got.correct, got.failures
            out.faults, out.most_faults, out.partial = got.faults, got.most_faults, got.partial
            out.backend = "vectorised"
            return None
    return f"the vectorised backend does not take this program ({why})"


def _path_hazard(faulty: Interpreter, args: list, expected: Any) -> Optional[float]:
    """The total hazard of the fault-free path, measured by one run with a large
    budget; None when it cannot be measured (a fault or a different result)."""
    ns = faulty.ns
    saved_b, saved_nf = ns["_B"], ns["_NF"]
    ns["_RF"] = 0
    start = 1024.0  # the spacing of floats near 1024 is 2^-42: the rounding is negligible
    ns["_B"] = start
    try:
        got = faulty.entry(-1, *args)
        used = start - ns["_B"]
        ok = ns["_NF"] == saved_nf and same_result(got, expected)
    except (RuntimeFailure, RecursionError, MemoryError, OverflowError):
        ok = False
    ns["_B"], ns["_NF"] = saved_b, saved_nf
    faulty.choices.reset()
    faulty.records = []
    return used if ok and used < start / 2 else None
