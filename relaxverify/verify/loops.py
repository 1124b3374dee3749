"""The loop rule of the product program.

At the loop head both executions' modified variables are fresh and the
invariants assumed; one arbitrary step is checked: the lockstep step, and,
unless the two conditions are provably equal there, the step of O alone and of
R alone. Automatic candidates `v<o> == v<r>` (counters, condition variables)
that are inductive make ordinary loops lockstep (see docs/verifier.md).
"""
from __future__ import annotations

from typing import Optional, Sequence

import z3

from relaxverify.core import checks as K
from relaxverify.core import nodes as C
from relaxverify.verify.context import FactStore
from relaxverify.verify.env import Env
from relaxverify.verify.integrity import describe, goal_of, span_of
from relaxverify.verify.obligations import SIDE_NAMES
from relaxverify.core.printer import show, var_text
from relaxverify.verify.smt import conj, same
from relaxverify.verify.terms import negate
from relaxverify.verify.state import BOTH, Cx, Record, State, eq_vars
from relaxverify.verify.state import store_only as store_only_arrays

# How --explain names a one-sided iteration (cli/verify.py looks for it).
ALONE_IN_LOOP = " execution is still in the loop"

BoundVars = Optional[tuple[C.Var, C.Var]]  # ghosts: the bound's value, iterations so far


class Speculation(Exception):
    """A candidate decided on a trusted guess did not survive the real iteration:
    the function is generated again without guesses (vcgen.py)."""


class LoopRule:
    def __init__(self, env: Env, speculate: bool = True):
        self.env = env
        self.facts = env.facts
        self.sink = env.sink
        # The candidates each loop kept last time, by the candidates it started from
        # and the variables both executions share on entry: tried first, so that a
        # loop nest does not repeat the Houdini rounds of its inner loops at every
        # level. In a dry run they are trusted without a proof (`speculate`): the
        # real iteration of the loop around then proves its own candidates, and
        # raises `Speculation` when one fails (see docs/verifier.md).
        self._kept: dict[tuple, list[C.Var]] = {}
        self.speculate = speculate
        self._trusted = 0  # guesses trusted so far

    def s_Loop(self, s: C.Loop, st: State, sides: str) -> None:
        mod = C.assigned_vars(s.body)
        counters: list[C.Var] = []
        bound_vars: BoundVars = None
        if s.bound is not None:
            n_var = self.facts.ghost("bound", s.bound.span)
            it_var = self.facts.ghost("iterations", s.span)
            for side in sides:
                n = self.env.exprs.code(s.bound, st, side)
                self.check_bound(s, st, side, n)
                st.vals(side)[n_var] = self.facts.define(f"bound<{side}>", n)
                st.vals(side)[it_var] = z3.IntVal(0)
            bound_vars = (n_var, it_var)
            mod = mod | {it_var}
            counters.append(it_var)
        if s.counter is not None:
            counters.append(s.counter)
        # entry
        self.loop_invariants(s, st, sides, "holds when the loop is entered", sides == BOTH)
        if sides != BOTH and s.invariants_r:
            for e in s.invariants_r:
                self.sink.misaligned(e.span, st, "this loop (its `invariant_r` relates both "
                                     "executions)", show(e))
        h, lock, prove = self.loop_head(s, st, sides, mod, counters, bound_vars)
        self.sink.record(Record("abstract", sides, h.ro if "o" in sides else h.rp))
        conds = {side: self.loop_cond(s, h, side, bound_vars) for side in sides}
        if self.sink.dry:  # only the exit state matters: the iterations make obligations
            self.exit(s, st, h, sides, conds)
            return
        # lockstep (or the only side)
        body = h.copy()
        for side in sides:
            self.facts.assume(body, side, conds[side],
                              f"line {s.span.line}: loop condition {show(s.cond, side)}")
        self.iteration(s, body, sides, bound_vars, relational=sides == BOTH, keeps=prove)
        if not lock:
            for side in "or":
                other = "r" if side == "o" else "o"
                alone = h.copy()
                self.facts.assume(alone, side, conds[side],
                                  f"line {s.span.line}: loop condition {show(s.cond, side)}")
                self.facts.assume(alone, "r", negate(conds[other]),
                                  f"line {s.span.line}: only the {SIDE_NAMES[side]}"
                                  f"{ALONE_IN_LOOP}")
                self.iteration(s, alone, side, bound_vars, relational=True)
        self.exit(s, st, h, sides, conds)

    def exit(self, s: C.Loop, st: State, h: State, sides: str, conds: dict) -> None:
        """After the loop: the head's state where every condition is false."""
        st.o, st.r, st.ro, st.rp, st.path = h.o, h.r, h.ro, h.rp, h.path
        st.parts, st.parts_o = h.parts, h.parts_o
        for side in sides:
            self.facts.assume(st, side, negate(conds[side]),
                              f"line {s.span.line}: loop exit !({show(s.cond, side)})")

    def check_bound(self, s: C.Loop, st: State, side: str, n: z3.ArithRef) -> None:
        """The `bound` check `core/checks.py` lists for the loop (made on entry)."""
        for c in K.stmt_checks(s):
            if c.kind == K.BOUND:
                explanation, text = describe(c, side)
                goal = goal_of(c, [n])
                self.sink.oblige(c.kind, side, span_of(c), explanation, text, st.guard(side),
                                 goal, st)
                self.facts.assume(st, side, goal)

    def loop_head(self, s: C.Loop, st: State, sides: str, mod: set, counters: list,
                  bound_vars: BoundVars) -> tuple[State, bool, list[C.Var]]:
        """The state at the loop head (an arbitrary iteration), whether the two
        executions provably run the loop in lockstep, and the candidates the real
        iteration must still prove (decided with trusted guesses of inner loops).

        Candidate relational facts `v<o> == v<r>` (loop counters, variables of the
        condition) are kept when they hold on entry, are preserved by a lockstep
        iteration (Houdini: drop the failing ones and retry), and make the two
        conditions equal, which rules out the one-sided iterations that could break
        them. They make ordinary counted loops run in lockstep without annotations.
        """
        cands: list[C.Var] = []
        if sides == BOTH:
            pool = list(counters) + sorted(C.free_vars(s.cond) & mod, key=lambda v: v.name)
            for c in pool:
                if (c not in cands and c in st.o and c in st.r
                        and self.facts.equal_vals(st, st.o[c], st.r[c])):
                    cands.append(c)
        key = (id(s), tuple(cands), self.shared(st) if cands else None)
        guess = self._kept.get(key)
        mark = len(self.facts.facts)
        if guess is not None and len(guess) < len(cands):
            cands = guess  # a subset: proved inductive again below, or dropped
        trust = guess is not None and self.speculate and self.sink.dry > 0
        self._trusted += trust
        trusted = self._trusted
        while True:
            self.sink.tick()
            h = self.havoc(s, st, sides, mod, cands, bound_vars)
            if cands and not trust:
                kept = self.preserved(s, h, cands, bound_vars)
                if len(kept) < len(cands):
                    self.facts.drop_facts(mark)
                    cands = kept
                    continue
            conds = self.dry_conds(s, h, sides, bound_vars)
            lock = sides != BOTH or self.facts.equal_here(h, conds["o"], conds["r"])
            if lock or not cands:
                self._kept[key] = cands
                return h, lock, cands if self._trusted > trusted else []
            self.facts.drop_facts(mark)
            cands = []

    @staticmethod
    def shared(st: State) -> frozenset:
        """The variables both executions hold as one term: what a candidate's proof
        may rest on, so that a guess is reused only where as much is shared."""
        return frozenset(v for v, a in st.o.items() if v in st.r and same(a, st.r[v]))

    def preserved(self, s: C.Loop, h: State, cands: list, bound_vars: BoundVars) -> list:
        """The candidates that a lockstep iteration keeps equal (a dry run). Its facts
        are dropped after: it keeps no obligation or record that could name them, and
        in a nest each level's dry run holds the inner levels' (quadratic in depth)."""
        mark = len(self.facts.facts)
        with self.sink.dry_run():
            body = h.copy()
            for side in BOTH:
                self.facts.assume(body, side, self.loop_cond(s, body, side, bound_vars))
            self.env.runner.block(s.body, body, BOTH)
            if bound_vars is not None:
                it = bound_vars[1]
                for side in BOTH:
                    body.vals(side)[it] = self.facts.define("iterations",
                                                            body.vals(side)[it] + 1)
            kept = [c for c in cands if c in body.o and c in body.r
                    and self.facts.equal_vals(body, body.o[c], body.r[c])]
        self.facts.drop_facts(mark)
        return kept

    def loop_invariants(self, s: C.Loop, st: State, sides: str, when: str,
                        relational: bool) -> None:
        """Oblige the unary invariants on each side in `sides`, and the relational
        ones when the loop is run as a product (`relational`)."""
        for side in sides:
            for e in s.invariants:
                self.env.check_spec("invariant", side, e, st, "the loop invariant {e} " + when +
                                    "{where}")
        if relational:
            for e in s.invariants_r:
                self.env.check_spec("invariant_r", None, e, st, "the relational invariant {e} "
                                    + when, assume_after=False)

    def havoc(self, s: C.Loop, st: State, sides: str, mod: set, cands: list,
              bound_vars: BoundVars = None) -> State:
        h = st.copy()
        store_only = store_only_arrays(s.body)
        extra: dict[str, list] = {"o": [], "r": []}
        for side in sides:
            table = h.vals(side)
            for var in mod:
                if var not in table:
                    continue
                keep = table[var].lengths if var in store_only else None
                v, ex = self.facts.fresh_value(var, side, keep)
                table[var] = v
                extra[side] += ex
        kept = []
        if sides == BOTH:
            shared = set(cands) | eq_vars(s.invariants_r)
            for var in shared:
                if var in mod and var in h.o and var in h.r:
                    h.r[var] = h.o[var]
                    kept.append(var)
        exprs = self.env.exprs
        for side in sides:
            facts = extra[side]
            for e in s.invariants + s.auto_invariants:
                facts.append(exprs.expr(e, Cx(side, {"o": h.o, "r": h.r})))
            if bound_vars is not None:  # the iteration count: 0 on entry, then below E
                n, it = (h.vals(side)[v] for v in bound_vars)
                facts.append(z3.And(0 <= it, it <= n))
            inv = " && ".join(show(e, side) for e in s.invariants)
            text = f"line {s.span.line}: loop head, invariant " + (inv or "true")
            if self.env.explain:
                auto = " && ".join(show(e, side) for e in s.auto_invariants)
                text = explain_head(s, h, side, mod, kept, inv, auto)
            self.facts.assume(h, side, conj(facts), text, step=self.env.explain)
        if sides == BOTH:
            rel = [exprs.expr(e, Cx(None, {"o": h.o, "r": h.r})) for e in s.invariants_r]
            self.facts.assume(h, None, conj(rel), f"line {s.span.line}: loop head, invariant_r "
                              + " && ".join(show(e) for e in s.invariants_r)
                              if rel else "")
        return h

    def dry_conds(self, s: C.Loop, h: State, sides: str, bound_vars: BoundVars) -> dict:
        """The loop conditions at the head, without emitting obligations (to decide
        whether the loop can run in lockstep)."""
        with self.sink.dry_run():
            probe = h.copy()
            out = {side: self.loop_cond(s, probe, side, bound_vars) for side in sides}
        if sides == BOTH and self._has_faults(s.cond):
            out["r"] = self.facts.fresh("unreliable-cond", z3.BoolSort())
        return out

    def _has_faults(self, e: C.Expr) -> bool:
        faults = self.env.faults
        for x in C.subexprs(e):
            if isinstance(x, C.BinOp) and x.unreliable and faults.op(x.op + ".")[0]:
                return True
            if isinstance(x, C.VarRef) and faults.reads(x.var):
                return True
        return False

    def loop_cond(self, s: C.Loop, st: State, side: str, bound_vars: BoundVars) -> z3.BoolRef:
        if bound_vars is None:
            b = self.env.exprs.code(s.cond, st, side)
        else:  # after E iterations the loop exits without evaluating its condition
            n_var, it_var = bound_vars
            more = st.vals(side)[it_var] < st.vals(side)[n_var]
            b = z3.And(more, self.env.exprs.code(s.cond, st, side, when=more))
        return self.facts.define(f"loop{s.span.line}<{side}>", b)

    def iteration(self, s: C.Loop, st: State, sides: str, bound_vars: BoundVars,
                  relational: bool = False, keeps: Sequence[C.Var] = ()) -> None:
        """One iteration from the head; it must keep the candidates `keeps` equal,
        and then the invariants must hold again."""
        self.env.runner.block(s.body, st, sides)
        if bound_vars is not None:
            it = bound_vars[1]
            for side in sides:
                st.vals(side)[it] = self.facts.define(f"iterations<{side}>",
                                                      st.vals(side)[it] + 1)
        if any(not (c in st.o and c in st.r and self.facts.equal_vals(st, st.o[c], st.r[c]))
               for c in keeps):
            raise Speculation()
        self.loop_invariants(s, st, sides, "is preserved by an iteration", relational)


def explain_head(s: C.Loop, h: State, side: str, mod: set, kept: list, inv: str,
                 auto: str) -> str:
    """The loop head as a step of the path (--explain): an arbitrary iteration,
    so the variables the loop changes have any values the invariants allow."""
    fresh = sorted((var for var in mod if var in h.vals(side) and var.kind != "ghost"
                    and not (side == "r" and var in kept)), key=lambda var: var.source)
    if side == "r":
        for var in sorted(kept, key=lambda var: var.source):
            if var.kind != "ghost":
                FactStore.step(h, "r", f"line {s.span.line}: loop head, {var_text(var, 'r')} "
                               f":= {var_text(var, 'o')} (the executions keep it equal)")
    if not fresh:
        return f"line {s.span.line}: loop head, invariant " + (inv or "true")
    names = ", ".join(var_text(var, side) for var in fresh)
    such = f" such that the invariant {inv} holds" if inv else ""
    if auto:
        such += f"{' and' if inv else ' such that'} {auto} (the loop's range)"
    return (f"line {s.span.line}: loop head (any iteration), {names} := any "
            f"value{'s' if len(fresh) > 1 else ''}{such}")
