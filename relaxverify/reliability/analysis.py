"""Reliability analysis (docs/language.md, spec §7): Rely's backward analysis on the core language.

Starting from `1 * R(result)` (`1 * R(q, r)` for named results) at the end of a
function, each statement is walked backwards and turns the conjunction of terms
`r * R(S)` into the one that must hold before it. The final terms bound the probability that the result is exactly right:
`R(result) >= r * R(S)` for each term. Decisions where §7 is silent are recorded in
docs/reliability.md, which also describes the modules:

* terms.py     terms `r * R(S)`, pruning, their histories
* faults.py    the hardware model's fault sites: ρ(e), vars(e), wr(x)
* crash.py     where a faulty run may stop (the checks of core/checks.py) as costs
* walker.py    the backward walk: simple statements and `if`
* parts.py     what the loop and call rules see of the walker
* loops.py     loops: powers of the body's transfer, flow summaries
* calls.py     calls, function summaries, recursion
* culprit.py   the statement that lost the most in a term
* results.py   per-function results and spec verdicts
* precise.py   `--precise`: masking-aware values (fault patterns decided by Z3)
* encode.py    one execution with chosen faulty sites as a Z3 term (for precise.py)
* tripcount.py loops whose trip count the `requires` bound (LANGUAGE.md §12)

Speed: every statement is visited once per term set; loops with a known trip count
are applied as the power T^n of their body's transfer function, computed by
repeated squaring on terms relative to the loop's assigned variables (the transfer
of a term only depends on `S ∩ assigned`), so `repeat (1000000)` costs about 20
compositions. Callees without a spec are analysed once and reused at every call.
"""
from __future__ import annotations

import math
from typing import Collection, Optional

from relaxverify.core import nodes as C
from relaxverify.gcpause import gc_paused
from relaxverify.reliability.culprit import Culprit, culprit
from relaxverify.reliability.precise import Precise, precise_value
from relaxverify.reliability.results import (FunctionResult, ReliabilityError, SpecCheck,
                                             check_spec)
from relaxverify.reliability.terms import MAX_TERMS, Term, format_factor, prune, var_names
from relaxverify.reliability.tripcount import TripBound
from relaxverify.reliability.walker import Walker
from relaxverify.report.diagnostics import Diagnostic

__all__ = ["MAX_TERMS", "Culprit", "FunctionResult", "Precise", "ReliabilityError", "SpecCheck", "Term",
           "analyse_program", "culprit", "format_factor", "function_value", "prune",
           "var_names"]


def _analyse(walker: Walker, fn: C.Function) -> FunctionResult:
    terms = walker.calls.function_terms(fn)
    if fn.extern:  # no body to check the spec against: it is trusted
        return FunctionResult(fn, terms, [], walker.merged.get(fn.name, 0))
    checks = [check_spec(spec, walker.calls.function_terms(fn, frozenset(spec.outputs)))
              for spec in fn.reliability]
    out = FunctionResult(fn, terms, checks, walker.merged.get(fn.name, 0))
    mine = {id(s) for s in C.walk(fn.body)}
    bounded = [(s, tb) for k, (s, tb) in walker.loops.bounds.items()
               if k in mine and tb.count is not None]
    out.trip_bounds = [(s.span.line, tb.text, tb.count) for s, tb in bounded
                       if tb.count is not None]
    if len(bounded) == 1 and fn.results:
        out.symbolic = _symbolic(walker, fn, *bounded[0], out.value)
    return out


def _symbolic(walker: Walker, fn: C.Function, loop: C.Loop, tb: TripBound, at_bound: float
              ) -> Optional[str]:
    """fn's value as `c * b^(trip count)` when the values at 0, 1, 2 and the bound
    iterations fit that form (each from its own analysis), else None."""
    n = tb.count
    assert n is not None
    values = []
    for t in (0, 1, 2):
        w = Walker(walker.program, walker.faults.model, {id(loop): min(t, n)})
        values.append(min((x.r for x in w.calls.function_terms(fn)), default=1.0))
    c, v1, v2 = values
    if c <= 0 or n < 2:
        return None
    b = v1 / c
    if not (math.isclose(v2, c * b * b, rel_tol=1e-9)
            and math.isclose(at_bound, c * b ** n, rel_tol=1e-9, abs_tol=1e-300)):
        return None
    count = tb.text if tb.text.isidentifier() else f"({tb.text})"
    power = "1" if b == 1.0 else f"{format_factor(b)}^{count}"
    return power if c == 1.0 else f"{format_factor(c)} * {power}"


def _precise(model: C.HardwareModel, r: FunctionResult) -> None:
    r.precise = precise_value(r.function, model, r.value)


def analyse_program(program: C.Program, model: C.HardwareModel, only: Collection[str] = (),
                    precise: bool = False) -> tuple[list[FunctionResult], list[Diagnostic]]:
    """Every function's result (or only those named in `only`), and the errors of the functions
    that cannot be analysed (recursion without a spec). With `precise`, each result
    with a value also gets its masking-aware value (precise.py)."""
    walker = Walker(program, model)
    results, errors, cycles = [], [], set()
    with gc_paused():
        for fn in program.functions.values():
            if not only or fn.name in only:
                try:
                    results.append(_analyse(walker, fn))
                    if precise and fn.results:
                        _precise(model, results[-1])
                except ReliabilityError as exc:
                    if exc.cycle not in cycles:
                        cycles.add(exc.cycle)
                        errors.append(exc.diagnostic)
    return results, errors


def function_value(program: C.Program, fn_name: str, model: C.HardwareModel) -> float:
    """The reported value of fn_name: the smallest r of its final terms, i.e. a lower
    bound on the probability that its result is exactly right when every input is
    reliable. For a function without a result, a faulty run is right when it does
    not fail a runtime check (as `run --trials` counts it), so the value is that of
    its crash summary (1.0 when no fault can fail a check). Raises KeyError for an
    unknown function and ReliabilityError for recursion without a spec."""
    fn = program.functions[fn_name]
    with gc_paused():
        walker = Walker(program, model)
        if not fn.results:
            return min((t.r for t in walker.calls.function_crash(fn)), default=1.0)
        return _analyse(walker, fn).value
