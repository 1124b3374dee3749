"""The loop rule of the product program.

At the loop head both executions' modified variables are fresh and the
invariants assumed; one arbitrary step is checked: the lockstep step, and,
unless the two conditions are provably equal there, the step of O alone and of
R alone. Automatic candidates `v<o> == v<r>` (counters, condition variables)
that are inductive make ordinary loops lockstep (see docs/verifier.md).
"""
from __future__ import annotations

import z3

from relaxverify.core import nodes as C
from relaxverify.verify.obligations import SIDE_NAMES, show, var_text
from relaxverify.verify.smt import Value, conj, same, values_equal
from relaxverify.verify.exprs import side_phrase
from relaxverify.verify.state import BOTH, Cx, Record, State, eq_vars
from relaxverify.verify.state import store_only as store_only_arrays

# How --explain names a one-sided iteration (commands/verify.py looks for it).
ALONE_IN_LOOP = " execution is still in the loop"


class LoopGen:
    """Mixin of `VCGen`: loops."""

    def s_Loop(self, s: C.Loop, st: State, sides: str) -> None:
        mod = C.assigned_vars(s.body)
        store_only = store_only_arrays(s.body)
        counters: list[C.Var] = []
        bound_vars = None
        if s.bound is not None:
            n_var, it_var = self.ghost("bound", s.bound.span), self.ghost("iterations", s.span)
            for side in sides:
                n = self.code(s.bound, st, side)
                self.check_bound(s, st, side, n)
                st.vals(side)[n_var] = self.define(f"bound<{side}>", n)
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
                self.misaligned(e.span, st, "this loop (its `invariant_r` relates both "
                                "executions)", show(e))
        h, lock = self.loop_head(s, st, sides, mod, store_only, counters, bound_vars)
        self.record(Record("abstract", sides, h.ro if "o" in sides else h.rp))
        conds = {side: self.loop_cond(s, h, side, bound_vars) for side in sides}
        # lockstep (or the only side)
        body = h.copy()
        for side in sides:
            self.assume(body, side, conds[side],
                        f"line {s.span.line}: loop condition {show(s.cond, side)}")
        self.iteration(s, body, sides, bound_vars, relational=sides == BOTH)
        if not lock:
            for side in "or":
                other = "r" if side == "o" else "o"
                alone = h.copy()
                self.assume(alone, side, conds[side],
                            f"line {s.span.line}: loop condition {show(s.cond, side)}")
                self.assume(alone, "r", z3.Not(conds[other]),
                            f"line {s.span.line}: only the {SIDE_NAMES[side]}{ALONE_IN_LOOP}")
                self.iteration(s, alone, side, bound_vars, relational=True)
        # exit
        st.o, st.r, st.ro, st.rp, st.path, st.parts = h.o, h.r, h.ro, h.rp, h.path, h.parts
        for side in sides:
            self.assume(st, side, z3.Not(conds[side]),
                        f"line {s.span.line}: loop exit !({show(s.cond, side)})")

    def loop_head(self, s: C.Loop, st: State, sides: str, mod: set, store_only: set,
                  counters: list, bound_vars) -> tuple[State, bool]:
        """The state at the loop head (an arbitrary iteration), and whether the two
        executions provably run the loop in lockstep.

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
                        and self.equal_vals(st, st.o[c], st.r[c])):
                    cands.append(c)
        mark = len(self.facts)
        while True:
            h = self.havoc(s, st, sides, mod, store_only, cands, bound_vars)
            if cands:
                kept = self.preserved(s, h, cands, bound_vars)
                if len(kept) < len(cands):
                    self.drop_facts(mark)
                    cands = kept
                    continue
            conds = self.dry_conds(s, h, sides, bound_vars)
            lock = sides != BOTH or self.equal_here(h, conds["o"], conds["r"])
            if lock or not cands:
                return h, lock
            self.drop_facts(mark)
            cands = []

    def preserved(self, s: C.Loop, h: State, cands: list, bound_vars) -> list:
        """The candidates that a lockstep iteration keeps equal (a dry run)."""
        self._dry += 1
        try:
            body = h.copy()
            for side in BOTH:
                self.assume(body, side, self.loop_cond(s, body, side, bound_vars))
            self.block(s.body, body, BOTH)
            if bound_vars is not None:
                it = bound_vars[1]
                for side in BOTH:
                    body.vals(side)[it] = self.define("iterations", body.vals(side)[it] + 1)
            return [c for c in cands if c in body.o and c in body.r
                    and self.equal_vals(body, body.o[c], body.r[c])]
        finally:
            self._dry -= 1

    def check_bound(self, s: C.Loop, st: State, side: str, n: z3.ArithRef) -> None:
        self.oblige("bound", side, s.bound.span,
                    f"the loop bound `{show(s.bound)}` is not negative{side_phrase(side)}",
                    f"{show(s.bound, side)} >= 0", st.guard(side), n >= 0, st)
        self.assume(st, side, n >= 0)

    def equal_vals(self, st: State, a: Value, b: Value) -> bool:
        if same(a, b):
            return True
        query = self.slicer.slice(st.parts, z3.Not(values_equal(a, b)))
        return self.decider.check_alone(query) == z3.unsat

    def loop_invariants(self, s: C.Loop, st: State, sides: str, when: str,
                        relational: bool) -> None:
        """Oblige the unary invariants on each side in `sides`, and the relational
        ones when the loop is run as a product (`relational`)."""
        for side in sides:
            for e in s.invariants:
                self.check_spec("invariant", side, e, st, "the loop invariant {e} " + when +
                                "{where}")
        if relational:
            for e in s.invariants_r:
                self.check_spec("invariant_r", None, e, st, "the relational invariant {e} "
                                + when, assume_after=False)

    def havoc(self, s: C.Loop, st: State, sides: str, mod: set, store_only: set,
              cands: list, bound_vars=None) -> State:
        h = st.copy()
        extra = {"o": [], "r": []}
        for side in sides:
            table = h.vals(side)
            for var in mod:
                if var not in table:
                    continue
                keep = table[var].length if var in store_only else None
                v, ex = self.fresh_value(var, side, keep)
                table[var] = v
                extra[side] += ex
        kept = []
        if sides == BOTH:
            shared = set(cands) | eq_vars(s.invariants_r)
            for var in shared:
                if var in mod and var in h.o and var in h.r:
                    h.r[var] = h.o[var]
                    kept.append(var)
        for side in sides:
            facts = extra[side]
            for e in s.invariants + s.auto_invariants:
                facts.append(self.expr(e, Cx(side, {"o": h.o, "r": h.r})))
            if bound_vars is not None:  # the iteration count: 0 on entry, then below E
                n, it = (h.vals(side)[v] for v in bound_vars)
                facts.append(z3.And(0 <= it, it <= n))
            inv = " && ".join(show(e, side) for e in s.invariants)
            text = f"line {s.span.line}: loop head, invariant " + (inv or "true")
            if self.explain:
                auto = " && ".join(show(e, side) for e in s.auto_invariants)
                text = self.explain_head(s, h, side, mod, kept, inv, auto)
            self.assume(h, side, conj(facts), text, step=self.explain)
        if sides == BOTH:
            rel = [self.expr(e, Cx(None, {"o": h.o, "r": h.r})) for e in s.invariants_r]
            self.assume(h, None, conj(rel), f"line {s.span.line}: loop head, invariant_r "
                        + " && ".join(show(e) for e in s.invariants_r)
                        if rel else "")
        return h

    def explain_head(self, s: C.Loop, h: State, side: str, mod: set, kept: list,
                     inv: str, auto: str) -> str:
        """The loop head as a step of the path (--explain): an arbitrary iteration,
        so the variables the loop changes have any values the invariants allow."""
        fresh = sorted((var for var in mod if var in h.vals(side) and var.kind != "ghost"
                        and not (side == "r" and var in kept)), key=lambda var: var.source)
        if side == "r":
            for var in sorted(kept, key=lambda var: var.source):
                if var.kind != "ghost":
                    self.step(h, "r", f"line {s.span.line}: loop head, {var_text(var, 'r')} "
                              f":= {var_text(var, 'o')} (the executions keep it equal)")
        if not fresh:
            return f"line {s.span.line}: loop head, invariant " + (inv or "true")
        names = ", ".join(var_text(var, side) for var in fresh)
        such = f" such that the invariant {inv} holds" if inv else ""
        if auto:
            such += f"{' and' if inv else ' such that'} {auto} (the loop's range)"
        return (f"line {s.span.line}: loop head (any iteration), {names} := any "
                f"value{'s' if len(fresh) > 1 else ''}{such}")

    def dry_conds(self, s: C.Loop, h: State, sides: str, bound_vars) -> dict:
        """The loop conditions at the head, without emitting obligations (to decide
        whether the loop can run in lockstep)."""
        self._dry += 1
        try:
            probe = h.copy()
            out = {side: self.loop_cond(s, probe, side, bound_vars) for side in sides}
        finally:
            self._dry -= 1
        if sides == BOTH and self._has_faults(s.cond):
            out["r"] = self.fresh("unreliable-cond", z3.BoolSort())
        return out

    def _has_faults(self, e: C.Expr) -> bool:
        for x in C.subexprs(e):
            if isinstance(x, C.BinOp) and x.unreliable and self.faults.op(x.op + ".")[0]:
                return True
            if isinstance(x, C.VarRef) and x.var.urel and self.faults.read:
                return True
        return False

    def loop_cond(self, s: C.Loop, st: State, side: str, bound_vars) -> z3.BoolRef:
        if bound_vars is None:
            b = self.code(s.cond, st, side)
        else:  # after E iterations the loop exits without evaluating its condition
            n_var, it_var = bound_vars
            more = st.vals(side)[it_var] < st.vals(side)[n_var]
            b = z3.And(more, self.code(s.cond, st, side, when=more))
        return self.define(f"loop{s.span.line}<{side}>", b)

    def iteration(self, s: C.Loop, st: State, sides: str, bound_vars,
                  relational: bool = False) -> None:
        """One iteration from the head; then the invariants must hold again."""
        self.block(s.body, st, sides)
        if bound_vars is not None:
            it = bound_vars[1]
            for side in sides:
                st.vals(side)[it] = self.define(f"iterations<{side}>", st.vals(side)[it] + 1)
        self.loop_invariants(s, st, sides, "is preserved by an iteration", relational)
