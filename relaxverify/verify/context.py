"""What the parts of the VC generator share: the store of background facts and the
sink of obligations, trace records and warnings.

The expression translator, the statement rules, the call rule and the loop rule
each receive these two objects (and nothing of each other), so that what one
part may do to the verification conditions is visible in its signature: add a
fact, name a step of the path, make an obligation, record a trace event.
"""
from __future__ import annotations

import itertools
import time
from contextlib import contextmanager
from typing import Iterator, Optional

import z3

from relaxverify.core import nodes as C
from relaxverify.core.nodes import INT
from relaxverify.report.diagnostics import Diagnostic
from relaxverify.source import Span
from relaxverify.verify.decider import Decider, SharedProver
from relaxverify.verify.slicing import Slicer
from relaxverify.verify.obligations import SIDE_NAMES, Instance, Obligation
from relaxverify.verify.rawast import app_kind
from relaxverify.verify.smt import (ArrayVal, Value, conj, is_constant, same, sort_of,
                                    values_equal)
from relaxverify.verify.terms import const, equal, is_symbol, negate
from relaxverify.verify.state import Record, State


class FactStore:
    """The background facts (passive form: each defines or loosely constrains fresh
    symbols) and the side queries asked against them."""

    def __init__(self, decider: Decider):
        self.decider = decider
        self.facts: list[z3.BoolRef] = []
        self.defs: dict[int, int] = {}  # symbol id -> index of the fact defining it
        self.slicer = Slicer(self.facts, self.defs)
        self.prover = SharedProver()  # the obligations' incremental solver (prover.py)
        self._ids = itertools.count(1)
        self._ghosts = itertools.count(1)

    # ------------------------------------------------------------ symbols and facts

    def fresh(self, hint: str, sort: z3.SortRef) -> z3.ExprRef:
        return const(f"{hint}!{next(self._ids)}", sort)

    def fresh_value(self, var: C.Var, side: str,
                    keep_length: Optional[tuple[z3.ArithRef, ...]] = None
                    ) -> tuple[Value, list]:
        """A fresh value for `var`; arrays get fresh lengths >= 0 unless kept."""
        name = f"{var.name}<{side}>"
        if var.type.array:
            arr = self.fresh(name, sort_of(var.type))
            if keep_length is not None:
                return ArrayVal(arr, keep_length[0], tuple(keep_length[1:])), []
            ns = [self.fresh(f"len({name})" if d == 0 else f"len({name}, {d})", z3.IntSort())
                  for d in range(var.type.dims)]
            return ArrayVal(arr, ns[0], tuple(ns[1:])), [n >= 0 for n in ns]
        return self.fresh(name, sort_of(var.type)), []

    def define(self, hint: str, term: Value) -> Value:
        """A fresh constant equal to `term` (passive form), unless `term` is trivial."""
        if isinstance(term, ArrayVal):
            arr = term.arr if trivial(term.arr) else self.define(hint, term.arr)
            n = term.length if trivial(term.length) else self.define(f"len({hint})", term.length)
            more = tuple(m if trivial(m) else self.define(f"len({hint}, {d + 1})", m)
                         for d, m in enumerate(term.more))
            return ArrayVal(arr, n, more)
        if trivial(term):
            return term
        c = self.fresh(hint, term.sort())
        self.constrain(c, equal(c, term))
        return c

    def constrain(self, symbol: z3.ExprRef, fact: z3.BoolRef) -> None:
        """Add `fact`, which only constrains the fresh `symbol`."""
        self.defs[symbol.get_id()] = len(self.facts)
        self.facts.append(fact)

    def reach(self, term: z3.BoolRef) -> z3.BoolRef:
        return self.define("reach", term)

    def drop_facts(self, mark: int) -> None:
        """Forget the facts from index `mark` on. `defs` holds each fresh symbol once,
        in the order of its fact, so the dropped ones are its last entries."""
        del self.facts[mark:]
        while self.defs and next(reversed(self.defs.values())) >= mark:
            self.defs.popitem()
        self.decider.forget_after(mark)

    def ghost(self, source: str, span: Span) -> C.Var:
        return C.Var(f"{source}!{next(self._ghosts)}", source, INT, False, "ghost", span)

    # ------------------------------------------------------------ paths

    def assume(self, st: State, side: Optional[str], cond: z3.BoolRef, text: str = "",
               step: bool = False) -> None:
        """Continue only where `cond` holds (O's conditions also restrict the pair).
        `text` names the fact for --explain; a `step` (relax, havoc, loop head) also
        gives variables new values."""
        if is_constant(cond, True):
            return
        if side == "o":
            st.ro = self.reach(conj([st.ro, cond]))
            st.parts_o = st.parts_o + (cond,)
        st.rp = self.reach(conj([st.rp, cond]))
        st.parts = st.parts + (cond,)
        if text:  # (does O's proof use it?, the fact in source syntax, side of a step)
            st.path = st.path + ((side == "o", text, side if step else None),)

    @staticmethod
    def step(st: State, side: str, text: str) -> None:
        """Name an assignment of the path for --explain (call only when explaining):
        the facts named after it mean the new value."""
        st.path = st.path + ((side == "o", text, side),)

    # ------------------------------------------------------------ side queries

    def equal_here(self, st: State, a: z3.BoolRef, b: z3.BoolRef) -> bool:
        """Do the two conditions agree wherever the pair can be here?"""
        if a.eq(b) or self.definition(a).eq(self.definition(b)):
            return True
        return self.unsat_alone(st.parts, a != b)

    def equal_vals(self, st: State, a: Value, b: Value) -> bool:
        """Are the two values equal wherever the pair can be here?"""
        if same(a, b) or (not isinstance(a, ArrayVal) and not isinstance(b, ArrayVal)
                          and self.definition(a).eq(self.definition(b))):
            return True
        return self.unsat_alone(st.parts, negate(values_equal(a, b)))

    def definition(self, t: z3.ExprRef) -> z3.ExprRef:
        """The term a symbol of `define` stands for (else `t`): the two sides' copies
        of one computation on shared values are then seen equal without a query."""
        i = self.defs.get(t.get_id())
        if i is None:
            return t
        fact = self.facts[i]
        if z3.is_eq(fact) and fact.arg(0).eq(t):
            return fact.arg(1)
        return t

    def unsat_alone(self, parts: tuple, cond: z3.BoolRef) -> bool:
        """Is `cond` impossible under the slice of `parts` it depends on? (conclusive;
        the path's leaves join through their rarest symbols, so that a loop bound `n`
        every loop mentions pulls in no other loop. An answer other than unsat means
        "not shown": the value is then treated as possibly different, soundly.)"""
        query = self.slicer.goal_slice(parts, cond, None)
        assert query is not None  # (None only past a cap)
        return self.decider.check_alone(query) == z3.unsat

    def unreachable(self, guard: z3.BoolRef) -> bool:
        return self.decider.check(self.facts, guard) == z3.unsat


class GenerationStopped(Exception):
    """The whole-run time limit of the generator ran out."""


class Sink:
    """Where the generator's results go: obligations (one per source check, one
    instance per path reaching it), trace records for counterexamples, warnings.
    In a dry run (deciding loop candidates) nothing is kept."""

    def __init__(self, fn_name: str, facts: FactStore, explain: bool,
                 deadline: Optional[float] = None):
        self.fn_name = fn_name
        self.facts = facts
        self.explain = explain  # name the assignments on each path (`verify --explain`)
        self.obligations: dict[tuple, Obligation] = {}
        self.ids: set[str] = set()  # of the obligations
        self.records: list[Record] = []
        self.warnings: list[Diagnostic] = []
        self.fault_notes: list[str] = []  # what each fault means, while explaining
        self.deadline = deadline  # time.monotonic() after which generation stops
        self.dry = 0
        self.abstract_depth = 0  # obligations made now have no replayable trace

    def oblige(self, kind: str, side: Optional[str], span: Span, explanation: str,
               goal_text: str, guard: z3.BoolRef, goal: z3.BoolRef, st: State,
               query: Optional[z3.ArithRef] = None) -> None:
        if self.dry:
            return
        side_name = SIDE_NAMES[side]
        key = (kind, side_name, span.line, span.column, explanation)
        ob = self.obligations.get(key)
        if ob is None:
            base = f"{self.fn_name}/{kind}/{side_name}@{span.line}:{span.column}"
            oid, n = base, 1
            while oid in self.ids:
                n += 1
                oid = f"{base}#{n}"
            self.ids.add(oid)
            ob = Obligation(oid, self.fn_name, kind, side_name, span, explanation, goal_text)
            self.obligations[key] = ob
        ob.instances.append(Instance(guard, goal, len(self.facts.facts), len(self.records),
                                     dict(st.o), dict(st.r), self._path(st, side),
                                     st.apart, st.rp, abstract=self.abstract_depth > 0,
                                     query=query,
                                     parts=_conjuncts_of(guard, st)))

    def _path(self, st: State, side: Optional[str]) -> tuple:
        """The facts and steps on the way (those O's proof may use, for O's checks):
        only `--explain` shows them, and copying them per check costs the square of
        the function's length."""
        if not self.explain:
            return ()
        return tuple((t, k is not None) for o, t, k in st.path if o or side != "o")

    def misaligned(self, span: Span, st: State, what: str, text: str) -> None:
        """A relational check reached where the executions may be apart."""
        self.oblige("alignment", None, span, f"both executions reach {what} together",
                    f"unreachable unless aligned: {text}", st.rp, z3.BoolVal(False), st)

    def record(self, rec: Record) -> None:
        if not self.dry:
            self.records.append(rec)

    def warn(self, d: Diagnostic) -> None:
        """Add a warning once (a loop body is generated for several steps)."""
        if not any(w.span == d.span and w.message == d.message for w in self.warnings):
            self.warnings.append(d)

    def notes_since(self, mark: int) -> str:
        """The faults of the relaxed execution since `mark`, in words (--explain)."""
        notes = list(dict.fromkeys(self.fault_notes[mark:]))
        return f" (unreliable: {'; '.join(notes)})" if notes else ""

    @contextmanager
    def dry_run(self) -> Iterator[None]:
        """Generate without keeping obligations, records or warnings."""
        self.dry += 1
        try:
            yield
        finally:
            self.dry -= 1

    @contextmanager
    def abstract(self) -> Iterator[None]:
        """Obligations made inside have counterexamples no run can replay."""
        self.abstract_depth += 1
        try:
            yield
        finally:
            self.abstract_depth -= 1

    def tick(self) -> None:
        """Stop the generation once its time limit has passed."""
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise GenerationStopped()


def trivial(t: z3.ExprRef) -> bool:
    """A symbol, a value, or a constant array of one: nothing to name."""
    if is_symbol(t):
        return True
    ref, a = t.ctx.ref(), t.as_ast()
    return app_kind(ref, a) == z3.Z3_OP_CONST_ARRAY and is_symbol(t.arg(0))


def _conjuncts_of(guard: z3.BoolRef, st: State) -> Optional[tuple]:
    """Conjuncts that `guard` implies, when it is one of the state's reach terms."""
    if guard.eq(st.rp):
        return st.parts
    if guard.eq(st.ro):
        return st.parts_o
    return None
