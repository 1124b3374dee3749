"""Reliability analysis (docs/language.md, spec §7): Rely's backward analysis on the core language.

Starting from `1 * R(result)` at the end of a function, each statement is walked
backwards and turns the conjunction of terms `r * R(S)` into the one that must hold
before it. The final terms bound the probability that the result is exactly right:
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

Speed: every statement is visited once per term set; loops with a known trip count
are applied as the power T^n of their body's transfer function, computed by
repeated squaring on terms relative to the loop's assigned variables (the transfer
of a term only depends on `S ∩ assigned`), so `repeat (1000000)` costs about 20
compositions. Callees without a spec are analysed once and reused at every call.
"""
from __future__ import annotations

from typing import Optional

from relaxverify.core import nodes as C
from relaxverify.gcpause import gc_paused
from relaxverify.reliability.culprit import Culprit, culprit
from relaxverify.reliability.results import (FunctionResult, ReliabilityError, SpecCheck,
                                             check_spec)
from relaxverify.reliability.terms import MAX_TERMS, Term, format_factor, prune, var_names
from relaxverify.reliability.walker import Walker
from relaxverify.report.diagnostics import Diagnostic

__all__ = ["MAX_TERMS", "Culprit", "FunctionResult", "ReliabilityError", "SpecCheck", "Term",
           "analyse_program", "culprit", "format_factor", "function_value", "prune",
           "var_names"]


def _analyse(walker: Walker, fn: C.Function) -> FunctionResult:
    terms = walker.calls.function_terms(fn)
    if fn.extern:  # no body to check the spec against: it is trusted
        return FunctionResult(fn, terms, [], walker.merged.get(fn.name, 0))
    return FunctionResult(fn, terms, [check_spec(spec, terms) for spec in fn.reliability],
                          walker.merged.get(fn.name, 0))


def analyse_program(program: C.Program, model: C.HardwareModel, only: Optional[str] = None
                    ) -> tuple[list[FunctionResult], list[Diagnostic]]:
    """Every function's result (or only `only`'s), and the errors of the functions
    that cannot be analysed (recursion without a spec)."""
    walker = Walker(program, model)
    results, errors, cycles = [], [], set()
    with gc_paused():
        for fn in program.functions.values():
            if only is None or fn.name == only:
                try:
                    results.append(_analyse(walker, fn))
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
        if fn.result is None:
            return min((t.r for t in walker.calls.function_crash(fn)), default=1.0)
        return _analyse(walker, fn).value
