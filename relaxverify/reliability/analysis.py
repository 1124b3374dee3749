"""Reliability analysis (LANGUAGE.md §7): Rely's backward analysis on the core language.

Starting from `1 * R(result)` at the end of a function, each statement is walked
backwards and turns the conjunction of terms `r * R(S)` into the one that must hold
before it. The final terms bound the probability that the result is exactly right:
`R(result) >= r * R(S)` for each term. Decisions where §7 is silent are recorded in
docs/reliability.md.

Speed: every statement is visited once per term set; loops with a known trip count
are applied as the power T^n of their body's transfer function, computed by
repeated squaring on terms relative to the loop's assigned variables (the transfer
of a term only depends on `S ∩ assigned`), so `repeat (1000000)` costs about 20
compositions. Callees without a spec are analysed once and reused at every call.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, NamedTuple, Optional

from relaxverify.core import nodes as C
from relaxverify.syntax.ast import Span
from relaxverify.report.diagnostics import Diagnostic, error
from relaxverify.gcpause import gc_paused

EMPTY: frozenset = frozenset()
_MISSING = object()
_BUSY = object()


# ---------------------------------------------------------------- terms


class Leaf:
    """One statement multiplied a term by `factor` (used to explain failures)."""

    __slots__ = ("stmt", "factor")

    def __init__(self, stmt, factor: float):
        self.stmt = stmt
        self.factor = factor


class Join:
    """Both parts' factors apply (a term's history is a tree of these)."""

    __slots__ = ("a", "b")

    def __init__(self, a, b):
        self.a = a
        self.b = b


def _join(a, b):
    if a is None:
        return b
    if b is None:
        return a
    return Join(a, b)


class Term(NamedTuple):
    """`r * R(vars)`: R(result) is at least r times the joint reliability of vars.
    `why` records which statements multiplied r (not part of the term's meaning)."""

    r: float
    vars: frozenset
    why: object = None

    def text(self) -> str:
        return f"{format_factor(self.r)} * R({', '.join(var_names(self.vars))})"


def format_factor(r: float) -> str:
    """A probability with enough digits to see how far from 1 it is."""
    if r == 0 or r == 1:
        return str(int(r))
    return f"{r:.12g}"


def var_names(vs) -> list[str]:
    return sorted(v.name for v in vs)


MAX_TERMS = 64


def prune(terms: list[Term], on_merge: Optional[Callable[[int], None]] = None) -> list[Term]:
    """Drop every term implied by another: r1 <= r2 and S2 ⊆ S1 make `r2 * R(S2)`
    redundant (the weaker bound `r1 * R(S1)` is the one that must hold).

    Paths through `if`s with different inputs can multiply the terms; beyond
    MAX_TERMS they are merged into one, `min r * R(∪ S)`, which implies them all
    (sound, but later statements may then cost it more): `on_merge` is told."""
    if len(terms) < 2:
        return terms
    ordered = sorted(terms, key=lambda t: (t.r, -len(t.vars)))
    kept: list[Term] = []
    for t in ordered:
        if not any(t.vars <= k.vars for k in kept):
            kept.append(t)
    if len(kept) > MAX_TERMS:
        if on_merge is not None:
            on_merge(len(kept))
        kept = [Term(kept[0].r, frozenset().union(*(t.vars for t in kept)), kept[0].why)]
    return kept


# ---------------------------------------------------------------- results


class ReliabilityError(Exception):
    """The analysis cannot proceed (recursion without a spec); carries a located message."""

    def __init__(self, diagnostic: Diagnostic, cycle: frozenset = frozenset()):
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic
        self.cycle = cycle  # the functions of a recursive cycle, reported once


@dataclass
class Culprit:
    """The statement whose executions lost the most reliability in a term."""

    span: Span
    factor: float  # product of all its factors in the term
    kind: str  # "statement", "condition", "loop condition", "call" or "loop"


@dataclass
class SpecCheck:
    spec: C.ReliabilitySpec
    holds: bool
    breaking: Optional[Term] = None
    extra_vars: list[str] = field(default_factory=list)  # S \ P of the breaking term
    culprit: Optional[Culprit] = None

    @property
    def reason(self) -> str:
        """Why the breaking term breaks the spec, for a student."""
        t = self.breaking
        if t is None:
            return ""
        parts = []
        if t.r < self.spec.factor:
            parts.append(f"its factor {format_factor(t.r)} is below "
                         f"{format_factor(self.spec.factor)}")
        if self.extra_vars:
            names = ", ".join(f"`{n}`" for n in self.extra_vars)
            parts.append(f"it depends on {names}, which the spec does not list in R(...)")
        return " and ".join(parts)


@dataclass
class FunctionResult:
    function: C.Function
    terms: list[Term]
    checks: list[SpecCheck]
    merged: int = 0  # > 0: that many terms were merged into one (see prune)

    @property
    def value(self) -> float:
        """The smallest r: the result's reliability when every input is reliable."""
        return min((t.r for t in self.terms), default=1.0)

    @property
    def status(self) -> str:
        if not self.checks:
            return "none"
        return "verified" if all(c.holds for c in self.checks) else "failed"


# ---------------------------------------------------------------- helpers


def _inside(var: C.Var, span: Span) -> bool:
    """Is var declared inside the statement at span?"""
    s = var.span
    return ((span.line, span.column) <= (s.line, s.column)
            and (s.end_line, s.end_column) <= (span.end_line, span.end_column))


class _Guard(C.If):
    """`if (b) { body }`: one iteration of `while (b) bound E` (E constant)."""


class _Power:
    """A transfer function on *relative* terms: key (S ∩ assigned) -> terms started
    from `1 * R(key)`. Memoised, so composing it with itself is cheap."""

    def __init__(self, fn: Callable[[frozenset], list[Term]], assigned: frozenset,
                 prune_fn: Callable[[list[Term]], list[Term]] = prune, crashy: bool = False):
        self.fn = fn
        self.assigned = assigned
        self.prune = prune_fn
        self.crashy = crashy  # the body may fail a runtime check: the empty key moves too
        self.memo: dict[frozenset, list[Term]] = {}

    def __call__(self, key: frozenset) -> list[Term]:
        out = self.memo.get(key)
        if out is None:
            out = [Term(1.0, EMPTY)] if not key and not self.crashy else self.fn(key)
            self.memo[key] = out
        return out

    def then(self, other: "_Power") -> "_Power":
        """This transfer, then `other` (both for the same loop body)."""
        a = self.assigned

        def composed(key: frozenset) -> list[Term]:
            out = []
            for o in self(key):
                rest = o.vars - a
                for p in other(o.vars & a):
                    out.append(Term(o.r * p.r, p.vars | rest, _join(o.why, p.why)))
            return self.prune(out)

        return _Power(composed, a, self.prune, self.crashy or other.crashy)


# ---------------------------------------------------------------- the analysis


SHORT_CIRCUIT = ("&&", "||", "==>")  # the right operand is evaluated only on some runs


def _risky_division(x: C.Expr) -> bool:
    """A `/` or `%` whose divisor may be zero (anything but a non-zero constant)."""
    return (isinstance(x, C.BinOp) and x.op in ("/", "%")
            and not (isinstance(x.right, C.Const) and x.right.value != 0))


class Analysis:
    """The reliability analysis of one program on one hardware model."""

    def __init__(self, program: C.Program, model: C.HardwareModel):
        self.program = program
        self.model = model
        self._exprs: dict[int, tuple[float, frozenset]] = {}
        self._assigned: dict[int, frozenset] = {}
        self._leaves: dict[int, Leaf] = {}
        self._powers: dict[int, dict[int, _Power]] = {}
        self._flows: dict[int, tuple] = {}
        self._calls: dict[int, list[Term]] = {}
        self._summaries: dict[str, list[Term]] = {}
        self._active: list[str] = []
        self.merged: dict[str, int] = {}  # function -> most terms merged at once
        self._shapes: dict[int, tuple] = {}  # holds the synthetic `if`s, keeping their ids
        self._checks: dict[int, tuple[float, frozenset]] = {}
        self._crash_terms: dict[int, list[Term]] = {}
        self._crashy: dict[int, bool] = {}
        self._call_crash: dict[int, list[Term]] = {}
        self._fn_crash: dict[str, object] = {}

    def prune(self, terms: list[Term]) -> list[Term]:
        return prune(terms, self._note_merge)

    def _note_merge(self, count: int) -> None:
        name = self._active[-1] if self._active else ""
        self.merged[name] = max(self.merged.get(name, 0), count)

    # ------------------------------------------------------------ functions

    def function_terms(self, fn: C.Function) -> list[Term]:
        """The final terms of fn: analysed once, then reused (also at calls)."""
        cached = self._summaries.get(fn.name)
        if cached is not None:
            return cached
        if fn.result is None:
            terms: list[Term] = []
        else:
            self._active.append(fn.name)
            try:
                terms = self.prune(self.block(fn.body, [Term(1.0, frozenset((fn.result,)))]))
            finally:
                self._active.pop()
        terms = sorted(terms, key=lambda t: (t.r, var_names(t.vars)))
        self._summaries[fn.name] = terms
        return terms

    def analyse(self, fn: C.Function) -> FunctionResult:
        terms = self.function_terms(fn)
        return FunctionResult(fn, terms, [self.check_spec(spec, terms) for spec in fn.reliability],
                              self.merged.get(fn.name, 0))

    def check_spec(self, spec: C.ReliabilitySpec, terms: list[Term]) -> SpecCheck:
        """Every term must have r >= c and S ⊆ P; report the worst one that does not."""
        allowed = frozenset(spec.inputs)
        bad = [t for t in terms if t.r < spec.factor or not t.vars <= allowed]
        if not bad:
            return SpecCheck(spec, True)
        worst = min(bad, key=lambda t: (t.r >= spec.factor, t.r))
        return SpecCheck(spec, False, worst, var_names(worst.vars - allowed), culprit(worst))

    # ------------------------------------------------------------ expressions

    def expr(self, e: C.Expr) -> tuple[float, frozenset]:
        """(ρ(e), vars(e)): the probability that evaluating e is fault-free (every
        unreliable operator and every urel read) and the variables it reads."""
        key = id(e)
        hit = self._exprs.get(key)
        if hit is not None:
            return hit
        rho = 1.0
        reads = set()
        quantified = False
        for x in C.subexprs(e):
            if isinstance(x, C.VarRef):
                reads.add(x.var)
                if x.var.urel and not x.var.type.array:
                    rho *= self.model.read
            elif isinstance(x, C.BinOp):
                if x.unreliable:
                    rho *= self.model.op(x.op).prob
            elif isinstance(x, C.Select):
                if isinstance(x.array, C.VarRef) and x.array.var.urel:
                    rho *= self.model.read
            elif isinstance(x, C.Quant):
                quantified = True
        out = (rho, frozenset(C.free_vars(e) if quantified else reads))
        self._exprs[key] = out
        return out

    def wr(self, var: C.Var) -> float:
        return self.model.write if var.urel else 1.0

    def leaf(self, stmt, factor: float, tag: int = 0) -> Optional[Leaf]:
        if factor == 1.0:
            return None
        key = (id(stmt), tag)
        hit = self._leaves.get(key)
        if hit is None or hit.factor != factor:
            hit = Leaf(stmt, factor)
            self._leaves[key] = hit
        return hit

    # ------------------------------------------------------------ runtime checks

    def site(self, x) -> float:
        """The probability that node x, if it is a fault site, is fault-free (as in expr)."""
        if isinstance(x, C.VarRef):
            return self.model.read if x.var.urel and not x.var.type.array else 1.0
        if isinstance(x, C.BinOp):
            return self.model.op(x.op).prob if x.unreliable else 1.0
        if isinstance(x, C.Select):
            return self.model.read if isinstance(x.array, C.VarRef) and x.array.var.urel else 1.0
        return 1.0

    def checks(self, whole: list, scan: list, extra: frozenset = EMPTY
               ) -> tuple[float, frozenset]:
        """(κ, cv) of the runtime checks that evaluating these expressions performs (a
        faulty run may fail them; docs/reliability.md): each of `whole` is checked as a
        whole (a store's index, an allocation's length, a loop bound); in `scan`, every
        element read's index and array and every divisor (but a non-zero constant).
        κ is the probability that every fault site of those sub-computations is
        fault-free (each site once), cv their variables, plus `extra`."""
        subs = list(whole)
        for e in scan:
            for x in C.subexprs(e):
                if isinstance(x, C.Select):
                    subs.append(x.index)
                    subs.append(x.array)
                elif _risky_division(x):
                    subs.append(x.right)
                elif (isinstance(x, C.BinOp) and x.op in SHORT_CIRCUIT
                      and any(isinstance(y, C.Select) or _risky_division(y)
                              for y in C.subexprs(x.right))):
                    # `c && a[i]`: a fault in c may reach a check the fault-free run skips
                    subs.append(x.left)
        if not subs:
            return 1.0, extra
        seen: set[int] = set()
        k = 1.0
        vs = set(extra)
        for e in subs:
            vs |= self.expr(e)[1]
            for x in C.subexprs(e):
                if id(x) not in seen:
                    seen.add(id(x))
                    k *= self.site(x)
        return k, frozenset(vs)

    def stmt_checks(self, s) -> tuple[float, frozenset]:
        """(κ, cv) of the runtime checks a simple statement (or the condition and bound
        of an `if` or loop) performs itself; calls are handled by `call`."""
        hit = self._checks.get(id(s))
        if hit is not None:
            return hit
        out: tuple[float, frozenset] = (1.0, EMPTY)
        if isinstance(s, C.Assign):
            out = self.checks([], [s.value])
        elif isinstance(s, C.Store):
            out = self.checks([s.index], [s.index, s.value], frozenset((s.var,)))
        elif isinstance(s, C.NewArray):
            out = self.checks([s.length], [s.length])
        elif isinstance(s, C.Check) and s.kind in ("assert", "assume"):
            out = (1.0, self.expr(s.cond)[1])  # checked in faulty runs; no fault sites
        elif isinstance(s, C.Choose) and s.kind == "havoc":
            out = (1.0, self.havoc_reads(s))  # no value satisfying P is a failure
        elif isinstance(s, C.If):
            out = self.checks([], [s.cond])
        elif isinstance(s, C.Loop):
            whole = [s.bound] if s.bound is not None else []
            out = self.checks(whole, [s.cond] + whole)
        self._checks[id(s)] = out
        return out

    def crashed(self, s, terms: list[Term], k: float, cv: frozenset,
                skip: Optional[C.Var] = None) -> list[Term]:
        """Every term (but those with `skip`) times κ, with cv added."""
        if k == 1.0 and not cv:
            return terms
        lf = self.leaf(s, k, 1)
        return [t if (skip is not None and skip in t.vars) or (k == 1.0 and cv <= t.vars)
                else Term(t.r * k, t.vars | cv, _join(t.why, lf)) for t in terms]

    def crash_terms(self, s) -> list[Term]:
        """What `1 * R()` becomes through s: when s may stop the run (memoised)."""
        hit = self._crash_terms.get(id(s))
        if hit is None:
            hit = self.stmt(s, [Term(1.0, EMPTY)])
            self._crash_terms[id(s)] = hit
        return hit

    def may_crash(self, s) -> bool:
        hit = self._crashy.get(id(s))
        if hit is None:
            ct = self.crash_terms(s)
            hit = not (len(ct) == 1 and ct[0].r == 1.0 and not ct[0].vars)
            self._crashy[id(s)] = hit
        return hit

    def function_crash(self, fn: C.Function) -> list[Term]:
        """What `1 * R()` becomes through fn's body (the callee may stop the run), over
        fn's parameters; inside a recursive cycle, fn's spec or `0 * R(params)`."""
        hit = self._fn_crash.get(fn.name, _MISSING)
        if hit is _BUSY:
            if fn.reliability:
                spec = max(fn.reliability, key=lambda sp: (sp.factor, -len(sp.inputs)))
                return [Term(spec.factor, frozenset(spec.inputs))]
            return [Term(0.0, frozenset(fn.params))]
        if hit is not _MISSING:
            return hit  # type: ignore[return-value]
        self._fn_crash[fn.name] = _BUSY
        self._active.append(fn.name)
        try:
            out = self.prune(self.block(fn.body, [Term(1.0, EMPTY)]))
        except BaseException:
            del self._fn_crash[fn.name]
            raise
        finally:
            self._active.pop()
        self._fn_crash[fn.name] = out
        return out

    # ------------------------------------------------------------ statements

    def block(self, stmts: list[C.Stmt], terms: list[Term]) -> list[Term]:
        for s in reversed(stmts):
            if terms:
                if len(terms) == 1 and not terms[0].vars and terms[0].r == 1.0:
                    terms = self.crash_terms(s)
                else:
                    terms = self.stmt(s, terms)
        return terms

    def stmt(self, s: C.Stmt, terms: list[Term]) -> list[Term]:
        if isinstance(s, C.Assign):
            return self.rewrite(s, s.var, terms, s.value, True)
        if isinstance(s, C.Store):
            return self.store(s, terms)
        if isinstance(s, C.NewArray):
            return self.rewrite(s, s.var, terms, s.length, False)
        if isinstance(s, C.Call):
            return self.call(s, terms)
        if isinstance(s, C.If):
            return self.if_(s, terms)
        if isinstance(s, C.Loop):
            return self.loop(s, terms)
        if isinstance(s, C.Choose) and s.kind == "havoc":
            return self.havoc(s, terms)
        if isinstance(s, C.Check):
            k, cv = self.stmt_checks(s)
            return self.prune(self.crashed(s, terms, k, cv)) if cv else terms
        return terms  # relax (as in O), accept: no effect

    def rewrite(self, s, var: C.Var, terms: list[Term], value: C.Expr, write: bool) -> list[Term]:
        """`x = e`: r * ρ(e) * wr(x) * R(S \\ {x} ∪ vars(e)). A declaration `var a: T[n]`
        allocates zero-filled memory: only ρ(n), no write (docs/reliability.md). The
        other terms get the runtime checks of e (ρ(e) and vars(e) cover them for the
        terms with x)."""
        k, cv = self.stmt_checks(s)
        if not any(var in t.vars for t in terms):
            if k == 1.0 and not cv:
                return terms
            return self.prune(self.crashed(s, terms, k, cv))
        rho, vs = self.expr(value)
        f = rho * (self.wr(var) if write else 1.0)
        lf = self.leaf(s, f)
        gone = frozenset((var,))
        out = [Term(t.r * f, (t.vars - gone) | vs, _join(t.why, lf)) for t in terms
               if var in t.vars]
        out += self.crashed(s, [t for t in terms if var not in t.vars], k, cv)
        return self.prune(out)

    def store(self, s: C.Store, terms: list[Term]) -> list[Term]:
        """`a[i] = e`: r * ρ(e) * ρ(i) * wr(a) * R(S ∪ vars(e) ∪ vars(i)); the other
        terms get the runtime checks (the index against a's length, those in e)."""
        k, cv = self.stmt_checks(s)
        if not any(s.var in t.vars for t in terms):
            if k == 1.0 and not cv:
                return terms
            return self.prune(self.crashed(s, terms, k, cv))
        rho_e, ve = self.expr(s.value)
        rho_i, vi = self.expr(s.index)
        f = rho_e * rho_i * self.wr(s.var)
        lf = self.leaf(s, f)
        vs = ve | vi
        out = [Term(t.r * f, t.vars | vs, _join(t.why, lf)) for t in terms if s.var in t.vars]
        out += self.crashed(s, [t for t in terms if s.var not in t.vars], k, cv)
        return self.prune(out)

    def havoc(self, s: C.Choose, terms: list[Term]) -> list[Term]:
        """`havoc (X) st (P)`: the new X is a function of what P reads before it (its
        other variables and `old(x)`); no factor (docs/reliability.md)."""
        targets = frozenset(s.vars)
        reads = self.havoc_reads(s)
        if not reads and not any(t.vars & targets for t in terms):
            return terms
        # A term without X gets reads(P) too: a faulty run fails when no value satisfies P.
        return self.prune([Term(t.r, (t.vars - targets) | reads, t.why)
                           if t.vars & targets or not reads <= t.vars else t for t in terms])

    def havoc_reads(self, s: C.Choose) -> frozenset:
        targets = frozenset(s.vars)
        return frozenset(x.var for x in C.subexprs(s.pred) if isinstance(x, C.VarRef)
                         and (x.old or x.var not in targets) and x.var.kind != "bound")

    def if_(self, s: C.If, terms: list[Term]) -> list[Term]:
        """Terms meeting what the branches assign go through both branches, then get
        ρ(b) and vars(b); the others only get the condition's runtime checks. When a
        branch may stop the run, every term goes through the branches."""
        assigned = self.assigned_in(s)
        k, cv = self.stmt_checks(s)
        if self.branches_crash(s):
            keep, meet = [], terms
        else:
            keep = [t for t in terms if not (t.vars & assigned)]
            meet = [t for t in terms if t.vars & assigned]
        if not meet:
            if k == 1.0 and not cv:
                return terms
            return self.prune(self.crashed(s, terms, k, cv))
        rho, vs = self.expr(s.cond)
        lf = self.leaf(s, rho)
        out = self.crashed(s, keep, k, cv)
        for branch in (s.then, s.orelse):
            for t in self.block(branch, meet):
                out.append(Term(t.r * rho, t.vars | vs, _join(t.why, lf)))
        return self.prune(out)

    def branches_crash(self, s: C.If) -> bool:
        """May a branch stop the run? Either a fault may break one of its checks
        (may_crash), or it holds a check that fails whenever it is reached, whatever
        the faults (`1 / 0`): a faulty condition may reach it where the fault-free run
        does not, although no fault site or variable feeds it."""
        hit = self._crashy.get(-id(s))
        if hit is None:
            hit = (any(self.may_crash(x) for x in s.then + s.orelse)
                   or self.closed_check(s.then + s.orelse, set()))
            self._crashy[-id(s)] = hit
        return hit

    def closed_check(self, stmts: list[C.Stmt], seen: set) -> bool:
        """Do the statements (callees included) hold a runtime check that reads no
        variable and is not a constant that passes: a divisor, an array length or a
        loop bound without variables, an assert or assume without variables? (Any
        other check reads a variable, which may_crash accounts for.)"""
        def closed(e: C.Expr) -> bool:
            return not any(isinstance(x, C.VarRef) for x in C.subexprs(e))

        def fails(e: C.Expr, ok) -> bool:  # closed, and not a constant that passes
            if not closed(e):
                return False
            v = C.const_int(e)
            return v is None or not ok(v)

        for st in C.walk(stmts):
            exprs: list[C.Expr] = []
            if isinstance(st, C.Assign):
                exprs = [st.value]
            elif isinstance(st, C.Store):
                exprs = [st.index, st.value]
            elif isinstance(st, C.NewArray):
                exprs = [st.length]
                if fails(st.length, lambda v: v >= 0):
                    return True
            elif isinstance(st, C.Check) and st.kind in ("assert", "assume"):
                if closed(st.cond) and not (isinstance(st.cond, C.Const)
                                            and st.cond.value is True):
                    return True
            elif isinstance(st, C.If):
                exprs = [st.cond]
            elif isinstance(st, C.Loop):
                exprs = [st.cond] + ([st.bound] if st.bound is not None else [])
                if st.bound is not None and fails(st.bound, lambda v: v >= 0):
                    return True
            elif isinstance(st, C.Call):
                exprs = list(st.args)
                if st.callee not in seen:
                    seen.add(st.callee)
                    if self.closed_check(self.program.functions[st.callee].body, seen):
                        return True
            for e in exprs:
                for x in C.subexprs(e):
                    if _risky_division(x) and fails(x.right, lambda v: v != 0):
                        return True
        return False

    # ------------------------------------------------------------ calls

    def call(self, s: C.Call, terms: list[Term]) -> list[Term]:
        """`x = f(args)`: by f's spec, or by f's own final terms (analysed in place
        once), with f's parameters replaced by the arguments."""
        x = s.target
        crash = self.call_crash(s)
        quiet = len(crash) == 1 and crash[0].r == 1.0 and not crash[0].vars
        if x is None or not any(x in t.vars for t in terms):
            if quiet:
                return terms  # arrays are values: a call changes nothing but its target
            outs: list[Term] = []
        else:
            outs = self.call_terms(s)
        gone = frozenset((x,))
        out = []
        for t in terms:
            if x is None or x not in t.vars:
                if quiet:
                    out.append(t)
                else:  # the callee or an argument may stop the run
                    for o in crash:
                        out.append(Term(t.r * o.r, t.vars | o.vars, _join(t.why, o.why)))
                continue
            rest = t.vars - gone
            for o in outs:
                out.append(Term(t.r * o.r, o.vars | rest, _join(t.why, o.why)))
        return self.prune(out)

    def call_terms(self, s: C.Call) -> list[Term]:
        """What `1 * R({x})` becomes through the call `x = f(args)` (memoised)."""
        hit = self._calls.get(id(s))
        if hit is not None:
            return hit
        callee = self.program.functions[s.callee]
        if callee.reliability:
            spec = max(callee.reliability, key=lambda sp: (sp.factor, -len(sp.inputs)))
            body = [Term(spec.factor, frozenset(spec.inputs))]
        else:
            if callee.name in self._active:
                cycle = self._active[self._active.index(callee.name):]
                chain = " -> ".join(cycle + [callee.name])
                raise ReliabilityError(error(
                    f"`{callee.name}` is recursive ({chain}) and has no reliability spec, so "
                    "the analysis cannot analyse it in place", s.span, "reliability-spec",
                    f"add `reliability R(result) >= c * R(...)` to `{callee.name}`; calls then "
                    "use the spec, and the function body is checked against it"),
                    frozenset(cycle))
            body = self.function_terms(callee)
        out = self.bind(s, callee, body, self.wr(s.target), bool(callee.reliability))
        self._calls[id(s)] = out
        return out

    def call_crash(self, s: C.Call) -> list[Term]:
        """What `1 * R()` becomes through the call `f(args)`: the callee's own runtime
        checks (by its body, see function_crash) and those of the arguments."""
        hit = self._call_crash.get(id(s))
        if hit is None:
            callee = self.program.functions[s.callee]
            hit = self.bind(s, callee, self.function_crash(callee), 1.0, False)
            self._call_crash[id(s)] = hit
        return hit

    def bind(self, s: C.Call, callee: C.Function, body: list[Term], wx: float,
             by_spec: bool) -> list[Term]:
        """The callee's terms with its parameters replaced by the arguments: ρ(arg)
        and vars(arg) for a parameter in the term, only the argument's runtime checks
        for the others (it is evaluated all the same)."""
        params = {p: a for p, a in zip(callee.params, s.args)}
        out = []
        for b in body:
            f = wx  # x = result; each parameter p is bound to its argument (not written)
            vs: set = set()
            for v in b.vars:
                arg = params.get(v)
                if arg is None:
                    vs.add(v)
                    continue
                rho, av = self.expr(arg)
                f *= rho
                vs |= av
            for p, arg in params.items():
                if p not in b.vars:
                    k, cv = self.checks([], [arg])
                    f *= k
                    vs |= cv
            if by_spec:  # the whole factor is the call's
                why = Leaf(s, b.r * f) if b.r * f != 1.0 else None
            else:  # keep the callee's own statements in the history
                why = _join(b.why, Leaf(s, f) if f != 1.0 else None)
            out.append(Term(b.r * f, frozenset(vs), why))
        return self.prune(out)

    # ------------------------------------------------------------ loops

    def loop(self, s: C.Loop, terms: list[Term]) -> list[Term]:
        assigned = self.assigned_in(s)
        trips, step = self.loop_shape(s)
        if trips is None:
            return self.other_loop(s, terms, assigned)
        crashy = trips > 0 and any(self.may_crash(x) for x in step)
        if not crashy and not any(t.vars & assigned for t in terms):
            return terms
        power = self.loop_power(s, trips, step, assigned, crashy)
        out = []
        for t in terms:
            key = t.vars & assigned
            if not key and not crashy:
                out.append(t)
                continue
            rest = t.vars - assigned
            for o in power(key):
                out.append(Term(t.r * o.r, o.vars | rest, _join(t.why, o.why)))
        return self.prune(out)

    def loop_shape(self, s: C.Loop) -> tuple[Optional[int], list[C.Stmt]]:
        """(iterations, one iteration) for repeat, constant for, and while with a
        constant bound (an iteration is then `if (b) { body }`); (None, _) otherwise."""
        hit = self._shapes.get(id(s))
        if hit is not None:
            return hit
        out: tuple[Optional[int], list[C.Stmt]] = (None, s.body)
        if s.kind in ("for", "repeat"):
            out = (s.trips, s.body)
        elif s.bound is not None:
            n = C.const_int(s.bound)
            if n is not None:
                guard = _Guard(s.cond, s.body, [], s.span)
                self._assigned[id(guard)] = self.assigned_in(s)
                out = (max(n, 0), [guard])
        self._shapes[id(s)] = out
        return out

    def loop_power(self, s: C.Loop, trips: int, step: list[C.Stmt], assigned,
                   crashy: bool = False) -> _Power:
        """The body's transfer function to the power `trips` (memoised per loop)."""
        cache = self._powers.setdefault(id(s), {})
        if trips in cache:
            return cache[trips]
        base = _Power(lambda key: self.prune(self.block(step, [Term(1.0, key)])), assigned,
                      self.prune, crashy)
        result: Optional[_Power] = None
        n, square = trips, base
        while n:
            if n & 1:
                result = square if result is None else result.then(square)
            n >>= 1
            if n:
                square = square.then(square)
        result = result or _Power(lambda key: [Term(1.0, key)], assigned, self.prune)
        cache[trips] = result
        return result

    def other_loop(self, s: C.Loop, terms: list[Term], assigned) -> list[Term]:
        """A loop without a known trip count: terms meeting a variable computed
        unreliably in it get r = 0; others meeting what it assigns gain the condition's
        variables and every variable flowing into theirs. The loop may also stop the
        run (a runtime check in it, or a faulty trip count that never ends): if a fault
        inside it can do that, every term gets r = 0; otherwise every term gains what
        flows into its checks and its condition (and bound)."""
        deps, unreliable, control, local, cvars, dead = self.loop_flow(s)
        zero = Leaf(s, 0.0)

        def closure(start) -> frozenset:
            seen = set(start)
            todo = [v for v in seen if v in deps]
            while todo:
                for w in deps[todo.pop()]:
                    if w not in seen:
                        seen.add(w)
                        if w in deps:
                            todo.append(w)
            return frozenset(seen) - local

        # The trip count's inputs too: a faulty one may make the loop run (nearly)
        # forever, which the interpreter stops with a failure.
        crash = closure(cvars | control)
        out = []
        for t in terms:
            key = t.vars & assigned
            if dead or key & unreliable:
                out.append(Term(0.0, t.vars, _join(t.why, zero)))
            elif not key:
                out.append(Term(t.r, t.vars | crash, t.why) if not crash <= t.vars else t)
            else:
                out.append(Term(t.r, t.vars | closure(key | control) | crash, t.why))
        return self.prune(out)

    def loop_flow(self, s: C.Loop):
        """Per loop, once: deps[x] (what flows into x, control included), the
        unreliably computed variables, the condition's variables, loop locals, the
        variables the loop's runtime checks depend on (with their conditions), and
        whether a fault inside the loop may stop the run."""
        hit = self._flows.get(id(s))
        if hit is not None:
            return hit
        rho_c, control = self.expr(s.cond)
        if s.bound is not None:
            rho_b, vb = self.expr(s.bound)
            rho_c *= rho_b
            control = control | vb
        deps: dict[C.Var, set] = {}
        seeds: set = set()
        cvars: set = set()  # what the runtime checks in the loop read, with their context
        inner: set = set()  # the control of nested loops of unknown trip count
        flags = {"crash": False, "stall": rho_c < 1.0}

        def check(k: float, cv: frozenset, ctx: frozenset, shaky: bool) -> None:
            if k < 1.0 or cv:
                cvars.update(cv, ctx)
                if shaky or k < 1.0:
                    flags["crash"] = True

        def visit(stmts: list[C.Stmt], ctx: frozenset, shaky: bool) -> None:
            for st in stmts:
                if shaky and not flags["crash"] and self.closed_check([st], set()):
                    flags["crash"] = True  # `1 / 0` that a faulty condition may reach
                    # (each look walks a subtree: none is needed once this is known)
                if isinstance(st, C.If):
                    rho, vs = self.expr(st.cond)
                    check(*self.stmt_checks(st), ctx, shaky)
                    visit(st.then, ctx | vs, shaky or rho < 1.0)
                    visit(st.orelse, ctx | vs, shaky or rho < 1.0)
                elif isinstance(st, C.Loop):
                    rho, vs = self.expr(st.cond)
                    if st.bound is not None:
                        rb, vb2 = self.expr(st.bound)
                        rho, vs = rho * rb, vs | vb2
                    check(*self.stmt_checks(st), ctx, shaky)
                    if self.loop_shape(st)[0] is None:
                        inner.update(vs)
                        if rho < 1.0:
                            flags["stall"] = True
                    visit(st.body, ctx | vs, shaky or rho < 1.0)
                else:
                    for o in self.crash_terms(st):
                        check(o.r, o.vars, ctx, shaky)
                    for x in self.assigned_in(st):
                        outs = self.stmt(st, [Term(1.0, frozenset((x,)))])
                        d = deps.setdefault(x, set())
                        d |= ctx
                        for o in outs:
                            d |= o.vars
                        if shaky or any(o.r < 1.0 for o in outs):
                            seeds.add(x)

        visit(s.body, control, rho_c < 1.0)
        unreliable = set(seeds)
        changed = True
        while changed:
            changed = False
            for x, d in deps.items():
                if x not in unreliable and d & unreliable:
                    unreliable.add(x)
                    changed = True
        # Declared in the body: a fresh value every iteration, never one from before
        # the loop. (The counter and ghosts of a `for` are declared by its header, and
        # its synthetic `counter = counter + 1` carries the loop's own span.)
        body_spans = [st.span for st in s.body if st.span != s.span]
        local = frozenset(v for v in deps if v.kind in ("local", "counter", "ghost")
                          and any(_inside(v, sp) for sp in body_spans))
        check(*self.stmt_checks(s), control, rho_c < 1.0)
        # A fault inside may stop the run: a check whose computation is unreliable or
        # under a condition that is, or one reading an unreliably computed variable;
        # or a trip count computed unreliably (the run may never end).
        dead = (flags["crash"] or flags["stall"] or bool(cvars & unreliable)
                or bool((control | inner) & unreliable))
        out = (deps, frozenset(unreliable), frozenset(control), local, frozenset(cvars), dead)
        self._flows[id(s)] = out
        return out

    # ------------------------------------------------------------ assigned variables

    def assigned_in(self, s) -> frozenset:
        """Variables a statement may change for reliability (`relax` changes nothing:
        reliability compares runs with `relax` as in the original)."""
        key = id(s)
        hit = self._assigned.get(key)
        if hit is not None:
            return hit
        if isinstance(s, (C.Assign, C.Store, C.NewArray)):
            out = frozenset((s.var,))
        elif isinstance(s, C.Call):
            out = frozenset((s.target,)) if s.target is not None else EMPTY
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


# ---------------------------------------------------------------- explanations


def culprit(term: Term) -> Optional[Culprit]:
    """The statement whose factors, over all its executions, lost the most in term."""
    if term.why is None:
        return None
    # Count how often each node of the history DAG is used, parents before children.
    order: list = []
    seen: set[int] = set()
    stack = [(term.why, False)]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        if isinstance(node, Join):
            stack.append((node.a, False))
            stack.append((node.b, False))
    count: dict[int, int] = {id(term.why): 1}
    loss: dict[int, tuple[object, float]] = {}
    for node in reversed(order):  # reverse post-order: parents first
        n = count.get(id(node), 0)
        if isinstance(node, Join):
            for child in (node.a, node.b):
                count[id(child)] = count.get(id(child), 0) + n
        else:
            stmt = node.stmt
            log = -math.inf if node.factor <= 0 else math.log(node.factor)
            prev = loss.get(id(stmt), (stmt, 0.0))[1]
            loss[id(stmt)] = (stmt, prev + n * log)
    if not loss:
        return None
    stmt, log = min(loss.values(), key=lambda p: p[1])
    kind = ("loop" if isinstance(stmt, C.Loop) else "loop condition"
            if isinstance(stmt, _Guard) else "condition" if isinstance(stmt, C.If)
            else "call" if isinstance(stmt, C.Call) else "statement")
    return Culprit(stmt.span, 0.0 if log == -math.inf else math.exp(log), kind)


# ---------------------------------------------------------------- public API


def analyse_program(program: C.Program, model: C.HardwareModel, only: Optional[str] = None
                    ) -> tuple[list[FunctionResult], list[Diagnostic]]:
    """Every function's result (or only `only`'s), and the errors of the functions
    that cannot be analysed (recursion without a spec)."""
    analysis = Analysis(program, model)
    results, errors, cycles = [], [], set()
    with gc_paused():
        for fn in program.functions.values():
            if only is None or fn.name == only:
                try:
                    results.append(analysis.analyse(fn))
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
        analysis = Analysis(program, model)
        if fn.result is None:
            return min((t.r for t in analysis.function_crash(fn)), default=1.0)
        return analysis.analyse(fn).value
