"""The backward walk over statements: each turns the terms after it into the terms
before it (docs/language.md (spec §7)'s rules, plus the runtime checks of faulty runs).

`Walker` holds the simple statements and `if`; loops (loops.py) and calls
(calls.py) are parts it delegates to, each given the walker back for their bodies.
"""
from __future__ import annotations

from typing import Optional

from relaxverify.core import nodes as C
from relaxverify.core.visitor import StmtVisitor
from relaxverify.reliability.calls import Calls
from relaxverify.reliability.crash import Crash
from relaxverify.reliability.faults import FaultSites
from relaxverify.reliability.loops import Loops
from relaxverify.reliability.terms import (EMPTY, ONE, Leaf, Located, Term, is_one, join,
                                           prune)


class Walker(StmtVisitor):
    """The reliability analysis of one program on one hardware model."""

    def __init__(self, program: C.Program, model: C.HardwareModel,
                 trips: Optional[dict[int, int]] = None):
        self.program = program
        self.faults = FaultSites(model)
        self.crash = Crash(self.faults, program)
        self.loops = Loops(self, trips)  # trips: see Loops
        self.calls = Calls(self)
        self.active: list[str] = []  # the functions being analysed, innermost last
        self.merged: dict[str, int] = {}  # function -> most terms merged at once
        self._assigned: dict[int, frozenset] = {}
        self._leaves: dict[tuple[int, int], Leaf] = {}
        self._crash_terms: dict[int, list[Term]] = {}
        self._crashy: dict[int, bool] = {}

    # ------------------------------------------------------------ bookkeeping

    def prune(self, terms: list[Term]) -> list[Term]:
        return prune(terms, self._note_merge)

    def _note_merge(self, count: int) -> None:
        name = self.active[-1] if self.active else ""
        self.merged[name] = max(self.merged.get(name, 0), count)

    def leaf(self, stmt: Located, factor: float, tag: int = 0) -> Optional[Leaf]:
        """The history node of stmt's factor (one per statement and tag, reused)."""
        if factor == 1.0:
            return None
        key = (id(stmt), tag)
        hit = self._leaves.get(key)
        if hit is None or hit.factor != factor:
            hit = Leaf(stmt, factor)
            self._leaves[key] = hit
        return hit

    def assigned_in(self, s: C.Stmt) -> frozenset:
        """Variables a statement may change for reliability (`relax` changes nothing:
        reliability compares runs with `relax` as in the original)."""
        key = id(s)
        hit = self._assigned.get(key)
        if hit is not None:
            return hit
        if isinstance(s, (C.Assign, C.Store, C.NewArray)):
            out = frozenset((s.var,))
        elif isinstance(s, C.Call):
            out = frozenset(s.targets)
        elif isinstance(s, C.Choose):
            out = frozenset(s.vars) if s.kind == "havoc" else EMPTY
        elif isinstance(s, C.If):
            out = frozenset().union(*(self.assigned_in(x) for x in s.then + s.orelse))
        elif isinstance(s, C.Loop):
            out = frozenset().union(*(self.assigned_in(x) for x in s.body))
        else:
            out = EMPTY
        self._assigned[key] = out
        return out

    def set_assigned(self, s: C.Stmt, vs: frozenset) -> None:
        """For a synthetic statement (a loop iteration's `if`)."""
        self._assigned[id(s)] = vs

    # ------------------------------------------------------------ crashes

    def crashed(self, s: Located, terms: list[Term], k: float, cv: frozenset) -> list[Term]:
        """Every term times κ, with cv added (s's checks behave as without faults)."""
        if k == 1.0 and not cv:
            return terms
        lf = self.leaf(s, k, 1)
        return [t if k == 1.0 and cv <= t.vars else Term(t.r * k, t.vars | cv, join(t.why, lf))
                for t in terms]

    def crash_terms(self, s: C.Stmt) -> list[Term]:
        """What `1 * R()` becomes through s: when s may stop the run (memoised)."""
        hit = self._crash_terms.get(id(s))
        if hit is None:
            hit = self.stmt(s, [ONE])
            self._crash_terms[id(s)] = hit
        return hit

    def may_crash(self, s: C.Stmt) -> bool:
        """May a fault make s stop the run?"""
        hit = self._crashy.get(id(s))
        if hit is None:
            hit = not is_one(self.crash_terms(s))
            self._crashy[id(s)] = hit
        return hit

    def branches_crash(self, s: C.If) -> bool:
        """May a branch stop the run? Either a fault may break one of its checks
        (may_crash), or it holds a check that fails whenever it is reached, whatever
        the faults (`1 / 0`): a faulty condition may reach it where the fault-free run
        does not, although no fault site or variable feeds it."""
        hit = self._crashy.get(-id(s))
        if hit is None:
            hit = (any(self.may_crash(x) for x in s.then + s.orelse)
                   or self.crash.closed(s.then + s.orelse))
            self._crashy[-id(s)] = hit
        return hit

    # ------------------------------------------------------------ statements

    def block(self, stmts: list[C.Stmt], terms: list[Term]) -> list[Term]:
        for s in reversed(stmts):
            if terms:
                terms = self.crash_terms(s) if is_one(terms) else self.stmt(s, terms)
        return terms

    # One method per statement class (core.visitor): what the terms become through s.
    def s_Assign(self, s: C.Assign, terms: list[Term]) -> list[Term]:
        return self.rewrite(s, s.var, terms, s.value, True)

    def s_Store(self, s: C.Store, terms: list[Term]) -> list[Term]:
        return self.store(s, terms)

    def s_NewArray(self, s: C.NewArray, terms: list[Term]) -> list[Term]:
        return self.rewrite(s, s.var, terms, _together(s.lengths, s.span), False)

    def s_Call(self, s: C.Call, terms: list[Term]) -> list[Term]:
        return self.calls.call(s, terms)

    def s_If(self, s: C.If, terms: list[Term]) -> list[Term]:
        return self.if_(s, terms)

    def s_Loop(self, s: C.Loop, terms: list[Term]) -> list[Term]:
        return self.loops.loop(s, terms)

    def s_Choose(self, s: C.Choose, terms: list[Term]) -> list[Term]:
        return self.havoc(s, terms) if s.kind == "havoc" else terms  # relax: as in O

    def s_Check(self, s: C.Check, terms: list[Term]) -> list[Term]:
        k, cv = self.crash.stmt(s)
        return self.prune(self.crashed(s, terms, k, cv)) if cv else terms

    def rewrite(self, s: C.Assign | C.NewArray, var: C.Var, terms: list[Term], value: C.Expr,
                write: bool) -> list[Term]:
        """`x = e`: r * ρ(e) * wr(x) * R(S \\ {x} ∪ vars(e)). A declaration `var a: T[n]`
        allocates zero-filled memory: only ρ(n), no write (docs/reliability.md). The
        other terms get the runtime checks of e (ρ(e) and vars(e) cover them for the
        terms with x)."""
        k, cv = self.crash.stmt(s)
        if not any(var in t.vars for t in terms):
            if k == 1.0 and not cv:
                return terms
            return self.prune(self.crashed(s, terms, k, cv))
        rho, vs = self.faults.expr(value)
        f = rho * (self.faults.wr(var) if write else 1.0)
        lf = self.leaf(s, f)
        gone = frozenset((var,))
        out = [Term(t.r * f, (t.vars - gone) | vs, join(t.why, lf)) for t in terms
               if var in t.vars]
        out += self.crashed(s, [t for t in terms if var not in t.vars], k, cv)
        return self.prune(out)

    def store(self, s: C.Store, terms: list[Term]) -> list[Term]:
        """`a[i] = e`: r * ρ(e) * ρ(i) * wr(a) * R(S ∪ vars(e) ∪ vars(i)); the other
        terms get the runtime checks (the index against a's length, those in e)."""
        k, cv = self.crash.stmt(s)
        if not any(s.var in t.vars for t in terms):
            if k == 1.0 and not cv:
                return terms
            return self.prune(self.crashed(s, terms, k, cv))
        rho_e, ve = self.faults.expr(s.value)
        rho_i, vi = self.faults.expr(_together(s.indices, s.span))
        f = rho_e * rho_i * self.faults.wr(s.var)
        lf = self.leaf(s, f)
        vs = ve | vi
        out = [Term(t.r * f, t.vars | vs, join(t.why, lf)) for t in terms if s.var in t.vars]
        out += self.crashed(s, [t for t in terms if s.var not in t.vars], k, cv)
        return self.prune(out)

    def havoc(self, s: C.Choose, terms: list[Term]) -> list[Term]:
        """`havoc (X) st (P)`: the new X is a function of what P reads before it (its
        other variables and `old(x)`); no factor (docs/reliability.md)."""
        targets = frozenset(s.vars)
        reads = self.crash.havoc_reads(s)
        if not reads and not any(t.vars & targets for t in terms):
            return terms
        # A term without X gets reads(P) too: a faulty run fails when no value satisfies P.
        return self.prune([Term(t.r, (t.vars - targets) | reads, t.why)
                           if t.vars & targets or not reads <= t.vars else t for t in terms])

    def if_(self, s: C.If, terms: list[Term]) -> list[Term]:
        """Terms meeting what the branches assign go through both branches, then get
        ρ(b) and vars(b); the others only get the condition's runtime checks. When a
        branch may stop the run, every term goes through the branches."""
        assigned = self.assigned_in(s)
        k, cv = self.crash.stmt(s)
        if self.branches_crash(s):
            keep, meet = [], terms
        else:
            keep = [t for t in terms if not (t.vars & assigned)]
            meet = [t for t in terms if t.vars & assigned]
        if not meet:
            if k == 1.0 and not cv:
                return terms
            return self.prune(self.crashed(s, terms, k, cv))
        rho, vs = self.faults.expr(s.cond)
        lf = self.leaf(s, rho)
        out = self.crashed(s, keep, k, cv)
        for branch in (s.then, s.orelse):
            for t in self.block(branch, meet):
                out.append(Term(t.r * rho, t.vars | vs, join(t.why, lf)))
        return self.prune(out)


def _together(parts: tuple[C.Expr, ...], span) -> C.Expr:
    """One expression evaluating all of `parts` (the indices or lengths of an array of
    several dimensions): its ρ is their product, its vars their union."""
    out = parts[0]
    for p in parts[1:]:
        out = C.BinOp("+", out, p, C.INT, span)
    return out
