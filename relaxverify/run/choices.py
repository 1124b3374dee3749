"""Values for `relax`/`havoc` during a run: chosen at random, or reused.

Two ways to reuse choices. A verifier counterexample gives them in execution order
(`set_choices`). Monte Carlo reuses the fault-free run's choices *per statement
occurrence* (`set_choices_by_site`): the n-th run of a statement gets the value
the n-th run of the same statement had in the fault-free run, so a faulty run that
takes an extra `havoc` (in a branch a fault opened) does not shift every later
choice onto the wrong statement.

A predicate must be defined for every value it considers (core/checks.py: the
CHOICE check has the predicate as its operand): an index out of range or a
division by zero while evaluating it fails the run with that kind, at that
sub-expression, as the verifier obliges.
"""
from __future__ import annotations

import random
from typing import Any, Callable, Optional

from relaxverify.core import arrays
from relaxverify.core import checks as K
from relaxverify.core import nodes as C
from relaxverify.run.choose import ChoicePlan, ChooseError, kept_lengths
from relaxverify.run.externs import EXTERN_SITE
from relaxverify.run.outcome import RuntimeFailure, Site

Key = tuple[int, int]  # (id of the Choose statement, its occurrence in the run)


class Choices:
    """The choices of one configuration: drawing, reusing and logging them."""

    def __init__(self, sites: list[Site], plan: Callable[[int], ChoicePlan],
                 convert: Callable[[Any, C.Type], Any], rng: random.Random,
                 note: Callable[[str], None]):
        self.sites = sites
        self.plan = plan
        self.convert = convert
        self.rng = rng
        self.note = note
        self.log: list[dict] = []  # the choices made, by source name, in order
        self.by_site: dict[Key, dict] = {}  # the same, by statement occurrence
        self.counts: dict[int, int] = {}  # runs of each statement so far in this run
        self.ordered: Optional[list[dict]] = None  # choices to reuse, in order
        self.pos = 0
        self.keyed: Optional[dict[Key, dict]] = None  # choices to reuse, by occurrence

    def reset(self) -> None:
        """Start a run: logs and occurrence counts from zero."""
        self.pos = 0
        self.log, self.by_site, self.counts = [], {}, {}

    def choose(self, k: int, env: dict) -> tuple:
        stmt: C.Choose = self.sites[k].node
        plan = self.plan(k)
        n = self.counts.get(id(stmt), 0)
        self.counts[id(stmt)] = n + 1
        what = self.sites[k].what
        extern = what[len(EXTERN_SITE):] if what.startswith(EXTERN_SITE) else None
        # a counterexample lists the choices of relax/havoc statements only
        given = None if extern and self.keyed is None else self.recorded((id(stmt), n))
        new = None
        if given is not None:
            try:
                cand = {v.name: self.convert(given[v.source], v.type) for v in stmt.vars}
                if self.admits(stmt, plan, env, cand):
                    new = cand
                else:
                    self.note(f"the recorded choice for the `{stmt.kind}` at line "
                              f"{stmt.span.line} does not satisfy its predicate here; "
                              "a new one was chosen")
            except (KeyError, TypeError, ValueError):
                self.note(f"no usable recorded choice for the `{stmt.kind}` at line "
                          f"{stmt.span.line}; a new one was chosen")
        if new is None:
            try:
                new = self.draw(stmt, plan, env)
            except RuntimeFailure as exc:
                if extern is None or exc.kind != stmt.kind:
                    raise
                msg = (f"this call of the extern `{extern}` needs a result that satisfies "
                       f"its `ensures`, and none was found: {exc.message}" if stmt.vars else
                       f"the `ensures` of the extern `{extern}` does not hold on these "
                       "arguments, so this call has no run")
                raise RuntimeFailure(exc.kind, exc.span, msg) from None
        chosen = {v.source: new[v.name] for v in stmt.vars}
        self.log.append(chosen)
        self.by_site[(id(stmt), n)] = chosen
        return tuple(arrays.copy(new[v.name]) if v.type.array else new[v.name]
                     for v in stmt.vars)

    def recorded(self, key: Key) -> Optional[dict]:
        if self.keyed is not None:
            return self.keyed.get(key)
        if self.ordered is not None and self.pos < len(self.ordered):
            self.pos += 1
            return self.ordered[self.pos - 1]
        return None

    def draw(self, stmt: C.Choose, plan: ChoicePlan, env: dict) -> dict:
        try:
            return plan.choose(env, self.rng)
        except RuntimeFailure as exc:
            raise undefined(stmt, exc) from None
        except ChooseError as exc:
            raise RuntimeFailure(stmt.kind, stmt.span, str(exc)) from None
        except Exception as exc:  # noqa: BLE001 - e.g. the solver rejects the query
            raise RuntimeFailure(stmt.kind, stmt.span, f"cannot choose values for this "
                                 f"`{stmt.kind}`: {exc}") from None

    def admits(self, stmt: C.Choose, plan: ChoicePlan, env: dict, cand: dict) -> bool:
        """Whether a recorded choice satisfies the predicate, which must be defined there
        (as the verifier obliges: docs/semantics.md)."""
        if any(v.type.array and v.type.dims > 1 and v.kind != "result"
               and kept_lengths(cand[v.name], v.type) != kept_lengths(env[v.name], v.type)
               for v in stmt.vars):
            return False  # an array of several dimensions keeps its lengths
        try:
            return bool(plan.pred(env, cand))
        except RuntimeFailure as exc:
            raise undefined(stmt, exc) from None


def undefined(stmt: C.Choose, exc: RuntimeFailure) -> RuntimeFailure:
    """A failure inside a predicate, said as such (other kinds pass unchanged)."""
    if exc.kind not in (K.BOUNDS, K.DIVISION):
        return exc
    hint = ("guard the index, e.g. `0 <= i && i < len(a) && a[i] > 0`" if exc.kind == K.BOUNDS
            else "guard the divisor, e.g. `d != 0 && y == 10 / d`")
    return RuntimeFailure(exc.kind, exc.span,
                          f"the `{stmt.kind}` predicate is undefined here: {exc.message}; a "
                          f"predicate must be defined for every value it considers ({hint})")
