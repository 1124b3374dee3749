"""Calls: by the callee's spec or by its own final terms (analysed once, in place),
with its parameters bound to the arguments; recursion needs a spec."""
from __future__ import annotations

import math
from typing import Optional, Union

from relaxverify.core import nodes as C
from relaxverify.reliability.parts import Walk
from relaxverify.reliability.results import ReliabilityError
from relaxverify.reliability.terms import (ONE, History, Leaf, Term, is_one, join, times,
                                           var_names)
from relaxverify.report.diagnostics import error

_BUSY = "busy"  # a function crash summary being computed (a recursive cycle)


def best_spec(fn: C.Function, outputs: Optional[frozenset] = None
              ) -> Optional[C.ReliabilitySpec]:
    """The spec a call uses for `R(outputs)` (default: all results): among those about
    every one of them (R(q, r) >= c bounds R(q) too), the largest factor, then the
    fewest inputs; None if no spec covers them."""
    want = frozenset(fn.results) if outputs is None else outputs
    covering = [sp for sp in fn.reliability if want <= frozenset(sp.outputs)]
    return max(covering, key=lambda sp: (sp.factor, -len(sp.inputs)), default=None)


class Calls:
    """Function summaries and the call rule, for the walker `w`."""

    def __init__(self, w: Walk):
        self.w = w
        self._summaries: dict[tuple[str, frozenset], list[Term]] = {}
        self._fn_crash: dict[str, Union[list[Term], str]] = {}
        self._calls: dict[tuple[int, frozenset], list[Term]] = {}
        self._call_crash: dict[int, list[Term]] = {}

    def function_terms(self, fn: C.Function, outputs: Optional[frozenset] = None
                       ) -> list[Term]:
        """The final terms of `1 * R(outputs)` through fn (default: all its results,
        which is what `run --trials` compares): analysed once, then reused."""
        want = frozenset(fn.results) if outputs is None else outputs
        key = (fn.name, want)
        cached = self._summaries.get(key)
        if cached is not None:
            return cached
        w = self.w
        if not want:
            terms: list[Term] = []
        elif fn.extern:  # no body: its spec is trusted; without one, nothing is known
            spec = best_spec(fn, want)
            terms = [Term(spec.factor, frozenset(spec.inputs)) if spec is not None
                     else Term(0.0, frozenset())]
        else:
            w.active.append(fn.name)
            try:
                terms = w.prune(w.block(fn.body, [Term(1.0, want)]))
            finally:
                w.active.pop()
        terms = sorted(terms, key=lambda t: (t.r, var_names(t.vars)))
        self._summaries[key] = terms
        return terms

    def function_crash(self, fn: C.Function) -> list[Term]:
        """What `1 * R()` becomes through fn's body (the callee may stop the run), over
        fn's parameters; inside a recursive cycle, fn's spec or `0 * R(params)`."""
        hit = self._fn_crash.get(fn.name)
        if hit == _BUSY:
            spec = max(fn.reliability, key=lambda sp: (sp.factor, -len(sp.inputs)),
                       default=None)
            if spec is not None:  # a run whose result is right did not stop
                return [Term(spec.factor, frozenset(spec.inputs))]
            return [Term(0.0, frozenset(fn.params))]
        if isinstance(hit, list):
            return hit
        w = self.w
        self._fn_crash[fn.name] = _BUSY
        w.active.append(fn.name)
        try:
            out = w.prune(w.block(fn.body, [ONE]))
        except BaseException:
            del self._fn_crash[fn.name]
            raise
        finally:
            w.active.pop()
        self._fn_crash[fn.name] = out
        return out

    def call(self, s: C.Call, terms: list[Term]) -> list[Term]:
        """`(x, y) = f(args)`: each term's targets by f's spec about them, or by f's own
        final terms (analysed in place once), with f's parameters replaced by the
        arguments."""
        targets = frozenset(s.targets)
        crash = self.call_crash(s)
        quiet = is_one(crash)
        out = []
        for t in terms:
            hit = t.vars & targets
            if not hit:
                if quiet:  # arrays are values: a call changes nothing but its targets
                    out.append(t)
                else:  # the callee or an argument may stop the run
                    for o in crash:
                        out.append(Term(t.r * o.r, t.vars | o.vars, join(t.why, o.why)))
                continue
            out += [times(t, o, targets) for o in self.call_terms(s, hit)]
        return self.w.prune(out)

    def call_terms(self, s: C.Call, hit: frozenset) -> list[Term]:
        """What `1 * R(hit)` becomes through the call, for `hit` some of its targets
        (memoised)."""
        key = (id(s), hit)
        cached = self._calls.get(key)
        if cached is not None:
            return cached
        callee = self.w.program.functions[s.callee]
        outputs = frozenset(r for t, r in zip(s.targets, callee.results) if t in hit)
        spec = best_spec(callee, outputs)
        if spec is not None:
            body = [Term(spec.factor, frozenset(spec.inputs))]
        else:
            self.no_recursion(s, callee)
            body = self.function_terms(callee, outputs)
        wx = math.prod(self.w.faults.wr(t) for t in s.targets if t in hit)
        out = self.bind(s, callee, body, wx, spec is not None)
        self._calls[key] = out
        return out

    def no_recursion(self, s: C.Call, callee: C.Function) -> None:
        """A call closing a cycle of functions without a spec cannot be analysed."""
        active = self.w.active
        if callee.name not in active:
            return
        # (the last entry: a crash summary may be under way inside the same function)
        last = len(active) - 1 - active[::-1].index(callee.name)
        cycle = active[last:]
        chain = " -> ".join(cycle + [callee.name])
        raise ReliabilityError(error(
            f"`{callee.name}` is recursive ({chain}) and has no reliability spec, so "
            "the analysis cannot analyse it in place", s.span, "reliability-spec",
            f"add `reliability R(result) >= c * R(...)` to `{callee.name}`; calls then "
            "use the spec, and the function body is checked against it"),
            frozenset(cycle))

    def call_crash(self, s: C.Call) -> list[Term]:
        """What `1 * R()` becomes through the call `f(args)`: the callee's own runtime
        checks (by its body, see function_crash) and those of the arguments."""
        hit = self._call_crash.get(id(s))
        if hit is None:
            callee = self.w.program.functions[s.callee]
            hit = self.bind(s, callee, self.function_crash(callee), 1.0, False)
            self._call_crash[id(s)] = hit
        return hit

    def bind(self, s: C.Call, callee: C.Function, body: list[Term], wx: float,
             by_spec: bool) -> list[Term]:
        """The callee's terms with its parameters replaced by the arguments: ρ(arg)
        and vars(arg) for a parameter in the term, only the argument's runtime checks
        for the others (it is evaluated all the same)."""
        w = self.w
        params = {p: a for p, a in zip(callee.params, s.args)}
        out = []
        for b in body:
            why: History
            f = wx  # x = result; each parameter p is bound to its argument (not written)
            vs: set = set()
            for v in b.vars:
                arg = params.get(v)
                if arg is None:
                    vs.add(v)
                    continue
                rho, av = w.faults.expr(arg)
                f *= rho
                vs |= av
            for p, arg in params.items():
                if p not in b.vars:
                    k, cv = w.crash.expr(arg)
                    f *= k
                    vs |= cv
            if by_spec:  # the whole factor is the call's
                why = Leaf(s, b.r * f) if b.r * f != 1.0 else None
            else:  # keep the callee's own statements in the history
                why = join(b.why, Leaf(s, f) if f != 1.0 else None)
            out.append(Term(b.r * f, frozenset(vs), why))
        return w.prune(out)
