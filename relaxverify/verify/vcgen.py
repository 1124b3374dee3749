"""Verification conditions for one function: symbolic execution of the product
of its original (O) and relaxed (R) executions, in passive form.

Design (see docs/verifier.md):

* Every intermediate value and every reachability condition is a fresh Z3
  constant defined by one *background fact* (`x!7 == x!3 + 1`,
  `reach!9 == reach!8 && c`). Facts only define or loosely constrain fresh
  symbols, so any prefix of them is satisfiable from any state: an obligation
  is checked against the facts before it plus its own negation, and the query
  grows linearly with the program (no duplication of post-conditions across
  sequential `if`s).
* Two reachability conditions are tracked: `ro` (the original execution got
  here: only O's own conditions) and `rp` (the pair got here: O's and R's
  conditions and the relational assumptions). Checks on O are guarded by `ro`,
  so original correctness is plain Hoare logic on O; checks on R and relational
  checks are guarded by `rp`, so R may assume that O did not fail.
* Control flow: an `if` whose two conditions are provably equal runs in
  lockstep; otherwise O runs its `if`, then R runs its own. Loops run in
  lockstep while both conditions hold, then each side alone, all steps checked
  against the unary invariants of their side and the relational invariant.
  A relational check where the two executions may be apart is `alignment`.
"""
from __future__ import annotations

import itertools
from typing import Optional

import z3

from relaxverify.core import nodes as C
from relaxverify.syntax.ast import Span
from relaxverify.core.nodes import INT
from relaxverify.verify.decider import Decider, Slicer
from relaxverify.report.diagnostics import Diagnostic
from relaxverify.verify.obligations import SIDE_NAMES, Instance, Obligation, operand, show, var_text
from relaxverify.verify.smt import ArrayVal, Value, conj, default_value, same, sort_of
from relaxverify.verify.exprs import ExprGen, side_phrase
from relaxverify.verify.loops import LoopGen
from relaxverify.verify.state import BOTH, Cx, Faults, Record, State, eq_vars, is_shared_eq

__all__ = ["VCGen", "Decider", "Faults"]


class VCGen(ExprGen, LoopGen):
    """Builds the obligations of one function: `run()`, then read `facts`,
    `obligations`, `records` (trace events for counterexamples) and `warnings`."""

    def __init__(self, program: C.Program, fn: C.Function, faults: Faults, decider: Decider,
                 explain: bool = False):
        self.program = program
        self.explain = explain  # name the assignments on each path (`verify --explain`)
        self.fault_notes: list[str] = []  # what each fault means, while explaining
        self.fn = fn
        self.faults = faults
        self.decider = decider
        self.facts: list[z3.BoolRef] = []
        self.defs: dict[int, int] = {}  # symbol id -> index of the fact defining it
        self.slicer = Slicer(self.facts, self.defs)
        self.obligations: dict[tuple, Obligation] = {}
        self.records: list[Record] = []
        self.warnings: list[Diagnostic] = []
        self.entry_o: dict = {}
        self.entry_r: dict = {}
        self._ids = itertools.count(1)
        self._ghosts = itertools.count(1)
        self._dry = 0
        self._stops: dict[str, Optional[str]] = {}

    # ------------------------------------------------------------ fresh symbols

    def fresh(self, hint: str, sort: z3.SortRef) -> z3.ExprRef:
        return z3.Const(f"{hint}!{next(self._ids)}", sort)

    def fresh_value(self, var: C.Var, side: str, keep_length: Optional[z3.ArithRef] = None
                    ) -> tuple[Value, list]:
        """A fresh value for `var`; arrays get a fresh length >= 0 unless kept."""
        name = f"{var.name}<{side}>"
        if var.type.array:
            arr = self.fresh(name, sort_of(var.type))
            if keep_length is not None:
                return ArrayVal(arr, keep_length), []
            n = self.fresh(f"len({name})", z3.IntSort())
            return ArrayVal(arr, n), [n >= 0]
        return self.fresh(name, sort_of(var.type)), []

    def define(self, hint: str, term: Value) -> Value:
        """A fresh constant equal to `term` (passive form), unless `term` is trivial."""
        if isinstance(term, ArrayVal):
            arr = term.arr if _trivial(term.arr) else self.define(hint, term.arr)
            n = term.length if _trivial(term.length) else self.define(f"len({hint})", term.length)
            return ArrayVal(arr, n)
        if _trivial(term):
            return term
        c = self.fresh(hint, term.sort())
        self.defs[c.get_id()] = len(self.facts)
        self.facts.append(c == term)
        return c

    def reach(self, term: z3.BoolRef) -> z3.BoolRef:
        return self.define("reach", term)

    def assume(self, st: State, side: Optional[str], cond: z3.BoolRef, text: str = "",
               step: bool = False) -> None:
        """Continue only where `cond` holds (O's conditions also restrict the pair).
        `text` names the fact for --explain; a `step` (relax, havoc, loop head) also
        gives variables new values."""
        if z3.is_true(cond):
            return
        if side == "o":
            st.ro = self.reach(conj([st.ro, cond]))
        st.rp = self.reach(conj([st.rp, cond]))
        st.parts = st.parts + (cond,)
        if text:  # (does O's proof use it?, the fact in source syntax, side of a step)
            st.path = st.path + ((side == "o", text, side if step else None),)

    def step(self, st: State, side: str, text: str) -> None:
        """Name an assignment of the path for --explain (call only when explaining):
        the facts named after it mean the new value."""
        st.path = st.path + ((side == "o", text, side),)

    def notes_since(self, mark: int) -> str:
        """The faults of the relaxed execution since `mark`, in words (--explain)."""
        notes = list(dict.fromkeys(self.fault_notes[mark:]))
        return f" (unreliable: {'; '.join(notes)})" if notes else ""

    def ghost(self, source: str, span: Span) -> C.Var:
        return C.Var(f"{source}!{next(self._ghosts)}", source, INT, False, "ghost", span)

    # ------------------------------------------------------------ obligations

    def oblige(self, kind: str, side: Optional[str], span: Span, explanation: str,
               goal_text: str, guard: z3.BoolRef, goal: z3.BoolRef, st: State) -> None:
        if self._dry:
            return
        side_name = SIDE_NAMES[side]
        key = (kind, side_name, span.line, span.column, explanation)
        ob = self.obligations.get(key)
        if ob is None:
            base = f"{self.fn.name}/{kind}/{side_name}@{span.line}:{span.column}"
            taken = {o.id for o in self.obligations.values()}
            oid, n = base, 1
            while oid in taken:
                n += 1
                oid = f"{base}#{n}"
            ob = Obligation(oid, self.fn.name, kind, side_name, span, explanation, goal_text)
            self.obligations[key] = ob
        ob.instances.append(Instance(guard, goal, len(self.facts), len(self.records),
                                     dict(st.o), dict(st.r),
                                     tuple((t, k is not None) for o, t, k in st.path
                                           if o or side != "o"),
                                     st.apart, st.rp))

    def drop_facts(self, mark: int) -> None:
        del self.facts[mark:]
        for k in [k for k, i in self.defs.items() if i >= mark]:
            del self.defs[k]
        self.decider.forget_after(mark)

    def record(self, rec: Record) -> None:
        if not self._dry:
            self.records.append(rec)

    def check_spec(self, kind: str, side: Optional[str], e: C.Expr, st: State, what: str,
                   span: Optional[Span] = None, vals: Optional[dict] = None,
                   assume_after: bool = True, subst: Optional[dict] = None,
                   label: str = "") -> z3.BoolRef:
        """Oblige `e` on `side` (None: relational), then assume it. A unary
        specification is evaluated by the execution, so its indices and divisors
        are checked first (outside quantifiers, which are mathematical)."""
        cx = Cx(side, vals or {"o": st.o, "r": st.r}, st=st, wf=side is not None)
        goal = self.expr(e, cx)
        line = (span or e.span).line
        self.assume_checks(st, side, cx, line)
        text = show(e)
        where = side_phrase(side)
        self.oblige(kind, side, span or e.span, what.format(e=f"`{text}`", where=where),
                    show(e, side, subst), st.guard(side), goal, st)
        if assume_after:
            self.assume(st, side, goal, f"line {line}: {label or kind} {show(e, side, subst)}")
        return goal

    # ------------------------------------------------------------ functions

    def run(self) -> None:
        fn = self.fn
        st = State({}, {}, z3.BoolVal(True), z3.BoolVal(True))
        shared = eq_vars(fn.requires_r)
        entry_facts_o, entry_facts_r = [], []
        for p in fn.params:
            v, extra = self.fresh_value(p, "o")
            st.o[p] = v
            entry_facts_o += extra
            if p in shared:
                st.r[p] = v
            else:
                v, extra = self.fresh_value(p, "r")
                st.r[p] = v
                entry_facts_r += extra
        self.entry_o, self.entry_r = dict(st.o), dict(st.r)
        self.assume(st, "o", conj(entry_facts_o))
        self.assume(st, "r", conj(entry_facts_r))
        for e in fn.requires:
            self.assume(st, "o", self.expr(e, Cx("o", {"o": st.o, "r": st.r})),
                        f"line {e.span.line}: requires {show(e, 'o')}")
        ro_requires = st.ro
        for e in fn.requires:
            self.assume(st, "r", self.expr(e, Cx("r", {"o": st.o, "r": st.r})),
                        f"line {e.span.line}: requires {show(e, 'r')}")
        for e in fn.requires_r:
            text = f"line {e.span.line}: requires_r {show(e)}" + (
                " (the default)" if fn.requires_r_default else "")
            if not is_shared_eq(e, shared):
                self.assume(st, None, self.expr(e, Cx(None, {"o": st.o, "r": st.r})), text)
            else:  # shared values need no constraint, but `--explain` must list the fact
                st.path = st.path + ((False, text, None),)
        self.vacuity_of_preconditions(ro_requires, st.rp)
        self.block(fn.body, st, BOTH)
        for e in fn.ensures:
            for side in "or":
                self.check_spec("ensures", side, e, st,
                                "the postcondition {e} holds at the end of `" + fn.name +
                                "`{where}")
        for e in fn.ensures_r:
            self.check_spec("ensures_r", None, e, st, "the relational postcondition {e} holds "
                            "at the end of `" + fn.name + "`", assume_after=False)

    def vacuity_of_preconditions(self, ro: z3.BoolRef, rp: z3.BoolRef) -> None:
        if not (self.fn.requires or not self.fn.requires_r_default):
            return
        if self.decider.check(self.facts, ro) == z3.unsat:
            msg = f"the preconditions of `{self.fn.name}` are contradictory"
        elif self.decider.check(self.facts, rp) == z3.unsat:
            msg = (f"the preconditions of `{self.fn.name}` (with `requires_r`) cannot hold for "
                   "any pair of executions")
        else:
            return
        self.warnings.append(Diagnostic("warning", msg + "; every obligation of this function "
                                        "then holds vacuously", self.fn.span, "vacuous",
                                        ["no input satisfies them, so the proofs say nothing"]))

    # ------------------------------------------------------------ statements

    def block(self, stmts: list[C.Stmt], st: State, sides: str) -> None:
        for s in stmts:
            getattr(self, "s_" + type(s).__name__)(s, st, sides)

    def s_Assign(self, s: C.Assign, st: State, sides: str) -> None:
        raw = {}
        for side in sides:
            mark = len(self.fault_notes)
            v = self.code(s.value, st, side)
            if side == "r" and s.var.urel and self.faults.write:
                v = self.faulty_write(st, s.var, v)
            if self.explain:
                self.step(st, side, f"line {s.span.line}: {var_text(s.var, side)} := "
                          f"{show(s.value, side)}{self.notes_since(mark)}")
            if side == "r" and "o" in raw and same(v, raw["o"]):
                st.r[s.var] = st.o[s.var]  # the same value in both executions
            else:
                st.vals(side)[s.var] = self.define(f"{s.var.name}<{side}>", v)
            raw[side] = v

    def faulty_write(self, st: State, var: C.Var, v: Value, traced: bool = True) -> Value:
        """What a write of `v` to the `urel` variable `var` stores in R: any value,
        or the array with any elements (a whole-array write may damage them).
        Scalar assignments are trace events; call results and whole arrays are not
        (as in the interpreter's replay), so they make the trace abstract."""
        if not var.type.array and traced:
            cx = Cx("r", {"o": st.o, "r": st.r}, code=True, st=st)
            return self.fault(cx, v, var.type, None, f"write {var.source}")
        self.record(Record("abstract", "r", st.rp))
        if self.explain:
            self.fault_notes.append(f"the write to urel `{var.source}` may "
                                    + ("damage its elements" if var.type.array
                                       else "store any value"))
        if not var.type.array:
            return self.fresh(f"damaged {var.name}", sort_of(var.type))
        return ArrayVal(self.fresh(f"damaged {var.name}", sort_of(var.type)), v.length)

    def s_Store(self, s: C.Store, st: State, sides: str) -> None:
        done: dict = {}
        for side in sides:
            mark = len(self.fault_notes)
            cx = Cx(side, {"o": st.o, "r": st.r}, code=True, st=st)
            a = st.vals(side)[s.var]
            i = self.expr(s.index, cx)
            v = self.expr(s.value, cx)
            self.integrity("bounds", cx, s.span,
                           f"the index `{show(s.index)}` is within `0 <= i < len({s.var.source})`"
                           f"{side_phrase(side)}",
                           f"0 <= {show(s.index, side)} < len({s.var.source}<{side}>)",
                           z3.And(0 <= i, i < a.length))
            self.assume_checks(st, side, cx, s.span.line)
            if side == "r" and s.var.urel and self.faults.write:
                v = self.fault(cx, v, s.var.type.elem, None, f"write {s.var.source}[]")
            if self.explain:
                self.step(st, side, f"line {s.span.line}: {var_text(s.var, side)}"
                          f"[{show(s.index, side)}] := {show(s.value, side)}"
                          f"{self.notes_since(mark)}")
            if "o" in done and same(done["o"][0], a) and done["o"][1].eq(i) and done["o"][2].eq(v):
                st.r[s.var] = st.o[s.var]  # both executions store the same value
                continue
            done[side] = (a, i, v)
            st.vals(side)[s.var] = self.define(f"{s.var.name}<{side}>",
                                               ArrayVal(z3.Store(a.arr, i, v), a.length))

    def s_NewArray(self, s: C.NewArray, st: State, sides: str) -> None:
        raw: dict = {}
        for side in sides:
            cx = Cx(side, {"o": st.o, "r": st.r}, code=True, st=st)
            n = self.expr(s.length, cx)
            self.integrity("length", cx, s.span,
                           f"the array length `{show(s.length)}` is not negative"
                           f"{side_phrase(side)}", f"{show(s.length, side)} >= 0", n >= 0)
            self.assume_checks(st, side, cx, s.span.line)
            elem = z3.K(z3.IntSort(), default_value(s.var.type.elem))
            if self.explain:
                fill = {"bool": "false", "real": "0.0"}.get(s.var.type.base, "0")
                self.step(st, side, f"line {s.span.line}: {var_text(s.var, side)} := a new "
                          f"array of length {show(s.length, side)}, filled with {fill}")
            if side == "r" and "o" in raw and n.eq(raw["o"]):
                st.r[s.var] = st.o[s.var]
            else:
                st.vals(side)[s.var] = ArrayVal(elem, self.define(f"len({s.var.name})", n))
            raw[side] = n

    def s_Check(self, s: C.Check, st: State, sides: str) -> None:
        if s.kind == "accept":
            if sides == BOTH:
                self.check_spec("accept", None, s.cond, st, "the accepted relation {e} holds "
                                "between the two executions", span=s.span)
            else:
                self.misaligned(s.span, st, "this `accept`", show(s.cond))
            return
        for side in sides:
            if s.kind == "assume" and side == "o":
                cx = Cx("o", {"o": st.o, "r": st.r}, st=st, wf=True)
                cond = self.expr(s.cond, cx)
                before = st.ro
                self.assume(st, "o", conj(cx.assumed + [cond]),
                            f"line {s.span.line}: assume {show(s.cond, 'o')}")
                self.vacuity_of_assume(s, before, st.ro)
            elif s.kind == "assume":
                self.check_spec("assume", "r", s.cond, st, "the relaxed execution satisfies "
                                "{e}, which the original assumes", span=s.span)
            else:
                self.check_spec("assert", side, s.cond, st, "the assertion {e} holds{where}",
                                span=s.span)

    def vacuity_of_assume(self, s: C.Check, before: z3.BoolRef, after: z3.BoolRef) -> None:
        """Warn when an `assume` discards every original run that reaches it (the
        function's assumptions contradict each other there), unless it is dead code."""
        if self._dry or before.eq(after) or self.decider.check(self.facts, after) != z3.unsat:
            return
        if self.decider.check(self.facts, before) == z3.unsat:
            return  # unreachable anyway
        self.warn(Diagnostic(
            "warning", "this `assume` contradicts what is known here, so the original "
            "execution is always discarded at this statement; every obligation after it "
            "holds vacuously", s.span, "vacuous",
            ["check the assumption against the preconditions and the path to it"]))

    def warn(self, d: Diagnostic) -> None:
        """Add a warning once (a loop body is generated for several steps)."""
        if not any(w.span == d.span and w.message == d.message for w in self.warnings):
            self.warnings.append(d)

    def misaligned(self, span: Span, st: State, what: str, text: str) -> None:
        self.oblige("alignment", None, span, f"both executions reach {what} together",
                    f"unreachable unless aligned: {text}", st.rp, z3.BoolVal(False), st)

    def s_Choose(self, s: C.Choose, st: State, sides: str) -> None:
        for side in sides:
            if s.kind == "relax" and side == "o":
                continue
            vals = st.vals(side)
            old = dict(vals)
            extra = []
            chosen = {}
            for var in s.vars:
                v, ex = self.fresh_value(var, side)
                vals[var] = v
                extra += ex
                chosen[var.source] = (v, var.type)
            cx = Cx(side, {"o": st.o, "r": st.r}, old={side: old})
            pred = self.expr(s.pred, cx)
            before = st.copy()
            names = ", ".join(var_text(var, side) for var in s.vars)
            such = ("" if isinstance(s.pred, C.Const) and s.pred.value is True
                    else f" such that {show(s.pred, side)}")
            self.assume(st, side, conj(extra + [pred]),
                        f"line {s.span.line}: {s.kind} {names} := any value"
                        f"{'s' if len(s.vars) > 1 else ''}{such}", step=True)
            self.record(Record("choice", side, st.guard(side), values=chosen))
            self.vacuity_of_choice(s, side, before, conj(extra + [pred]))

    def vacuity_of_choice(self, s: C.Choose, side: str, before: State, pred) -> None:
        """Warn when no values satisfy the predicate (a sliced query first: cheap,
        and its 'unsat' is conclusive), unless the statement is dead code anyway."""
        if self._dry:
            return
        if self.decider.check_alone(self.slicer.slice(before.parts, pred)) != z3.unsat:
            return
        if self.decider.check(self.facts, before.guard(side)) == z3.unsat:
            return  # the statement is unreachable anyway
        who = "the relaxed execution" if s.kind == "relax" else f"the {SIDE_NAMES[side]} execution"
        self.warn(Diagnostic(
            "warning", f"the `{s.kind}` predicate can never be satisfied here, so {who} always "
            "stops at this statement; every obligation after it holds vacuously", s.span,
            "vacuous", ["check the predicate: no values of the variables satisfy it"]))

    def s_If(self, s: C.If, st: State, sides: str) -> None:
        conds = {side: self.code(s.cond, st, side) for side in sides}
        if sides == BOTH and not self.equal_here(st, conds["o"], conds["r"]):
            outer = st.apart
            st.apart = outer + ((conds["o"], conds["r"], s.span.line),)
            for side in "or":  # the executions may part: O's `if`, then R's
                self.branch(s, st, side, {side: conds[side]})
            st.apart = outer
            return
        self.branch(s, st, sides, conds)

    def branch(self, s: C.If, st: State, sides: str, conds: dict) -> None:
        """Run both arms of `s` on `sides` (whose conditions agree) and join them."""
        then, other = st.copy(), st.copy()
        for side in sides:
            text = show(s.cond, side)
            self.assume(then, side, conds[side], f"line {s.span.line}: if ({text}) [then]")
            self.assume(other, side, z3.Not(conds[side]), f"line {s.span.line}: if ({text}) [else]")
        entry = (then.ro, then.rp, other.ro, other.rp)
        self.block(s.then, then, sides)
        self.block(s.orelse, other, sides)
        self.join(st, then, other, conds, sides, entry, s)

    def join(self, st: State, a: State, b: State, conds: dict, sides: str,
             entry: tuple, s: Optional[C.If] = None) -> None:
        """Merge the arms: values by the condition; reachability as the disjunction,
        or unchanged when neither arm added an assumption (so that sequential
        `if`s do not pile up disjunctions for the solver to split)."""
        cache: dict = {}
        before = {side: dict(st.vals(side)) for side in sides} if self.explain else None
        for side in sides:
            c = conds[side]
            table = st.vals(side)
            for var in list(table):
                va, vb = a.vals(side).get(var), b.vals(side).get(var)
                if va is None or vb is None:
                    continue
                if same(va, vb):
                    table[var] = va
                    continue
                key = (_key(va), _key(vb), c.get_id())
                if key not in cache:
                    cache[key] = self.define(f"{var.name}<{side}>", _ite(c, va, vb))
                table[var] = cache[key]
        if before is not None and s is not None:
            self.explain_join(st, a, b, s, sides, before)
        if a.ro.eq(entry[0]) and b.ro.eq(entry[2]):
            pass  # st.ro: neither arm restricted the original execution
        else:
            st.ro = a.ro if a.ro.eq(b.ro) else self.reach(z3.Or(a.ro, b.ro))
        if a.rp.eq(entry[1]) and b.rp.eq(entry[3]):
            pass
        elif a.rp.eq(b.rp):
            st.rp, st.parts = a.rp, a.parts
        else:
            st.rp = self.reach(z3.Or(a.rp, b.rp))
            n = len(st.parts)
            st.parts = st.parts + (z3.Or(conj(list(a.parts[n:])), conj(list(b.parts[n:]))),)

    def explain_join(self, st: State, a: State, b: State, s: C.If, sides: str,
                     before: dict) -> None:
        """Name, after an `if`, the variables its branches changed (--explain)."""
        n = len(st.path)
        for side in sides:
            table = st.vals(side)
            changed = sorted((var for var, v in before[side].items()
                              if var in table and not same(v, table[var])),
                             key=lambda var: var.source)
            if not changed:
                continue
            arms = ["; ".join(t for _, t, k in arm.path[n:] if k == side) or "no change"
                    for arm in (a, b)]
            detail = f" (then: {arms[0]}; else: {arms[1]})"
            if len(detail) > 240:
                detail = " (see the lines of each branch)"
            self.step(st, side, f"line {s.span.line}: after the if ({show(s.cond, side)}), "
                      + ", ".join(var_text(var, side) for var in changed)
                      + " as set by the branch taken" + detail)

    def equal_here(self, st: State, a: z3.BoolRef, b: z3.BoolRef) -> bool:
        """Do the two conditions agree wherever the pair can be here?"""
        if a.eq(b):
            return True
        return self.decider.check_alone(self.slicer.slice(st.parts, a != b)) == z3.unsat

    # ------------------------------------------------------------ calls

    def s_Call(self, s: C.Call, st: State, sides: str) -> None:
        f = self.program.functions[s.callee]
        env: dict = {}
        for side in sides:
            env[side] = {p: self.code(a, st, side) for p, a in zip(f.params, s.args)}
        binds = [f"{p.source} = {show(a)}" for p, a in zip(f.params, s.args)
                 if show(a) != p.source]
        at = " holds at this call" + (f" (with {', '.join(binds)})" if binds else "")
        subst: dict = {}  # --explain shows the callee's contract on the arguments
        if self.explain:
            for side in sides:
                for p, a in zip(f.params, s.args):
                    subst[(p, side)] = operand(a, side)
        for side in sides:
            for e in f.requires:
                self.check_spec("requires", side, e, st, "the precondition {e} of `" + f.name +
                                "`" + at + "{where}", span=s.span, vals={side: env[side]},
                                subst=subst, label=f"{f.name} requires")
        if sides == BOTH:
            for e in f.requires_r:
                self.check_spec("requires_r", None, e, st, "the relational precondition {e} of `"
                                + f.name + "`" + at, span=s.span, vals=env, subst=subst,
                                label=f"{f.name} requires_r")
        elif f.requires_r and not f.requires_r_default:
            self.misaligned(s.span, st, f"this call of `{f.name}` (its `requires_r` relates "
                            "both executions)", " && ".join(show(e) for e in f.requires_r))
        elif sides == "r":
            why = self.stops_original(f.name)
            if why:
                self.misaligned(s.span, st, f"this call of `{f.name}` ({why} may stop its "
                                "original run, on which its relaxed contract relies)",
                                f"{f.name}'s original run completes")
        for side in sides:
            if s.target is not None:
                v, extra = self.fresh_value(s.target, side)
                st.vals(side)[s.target] = v
                env[side][f.result] = v
                self.assume(st, side, conj(extra))
                if self.explain:
                    subst[(f.result, side)] = (var_text(s.target, side), 10)
                    self.step(st, side, f"line {s.span.line}: {var_text(s.target, side)} := "
                              f"{f.name}({', '.join(show(a, side) for a in s.args)}), "
                              f"a value `{f.name}`'s contract allows")
            for e in f.ensures:
                self.assume(st, side, self.expr(e, Cx(side, {side: env[side]})),
                            f"line {s.span.line}: {f.name} ensures {show(e, side, subst)}")
        if sides == BOTH:
            for e in f.ensures_r:
                self.assume(st, None, self.expr(e, Cx(None, env)),
                            f"line {s.span.line}: {f.name} ensures_r {show(e, None, subst)}")
        self.record(Record("abstract", sides, st.ro if "o" in sides else st.rp))
        t = s.target
        if t is not None and "r" in sides and t.urel and self.faults.write:
            mark = len(self.fault_notes)
            st.r[t] = self.faulty_write(st, t, st.r[t], traced=False)
            if self.explain:
                value = "any value" if not t.type.array else f"{t.source}<r> with any elements"
                self.step(st, "r", f"line {s.span.line}: {var_text(t, 'r')} := {value}"
                          f"{self.notes_since(mark)}")

    def stops_original(self, name: str) -> str:
        """Why the original execution of `name` may not complete ("" if it always
        does, unless it fails a check): an `assume` (discards the run), a `havoc`
        (blocks when its predicate has no values), a `while` without `bound` or
        recursion (may not terminate), here or in a callee. The callee's proof
        for R leans on that partner run (R may assume what O assumed), so R may
        not call it alone without one."""
        memo = self._stops
        if name in memo:
            why = memo[name]
            return f"recursion in `{name}`" if why is None else why
        memo[name] = None  # on the stack: a cycle is recursion
        why = ""
        for s in C.walk(self.program.functions[name].body):
            if isinstance(s, C.Check) and s.kind == "assume":
                why = f"the `assume` at line {s.span.line} of `{name}`"
            elif isinstance(s, C.Choose) and s.kind == "havoc":
                why = f"the `havoc` at line {s.span.line} of `{name}`"
            elif isinstance(s, C.Loop) and s.kind == "while" and s.bound is None:
                why = f"the `while` loop at line {s.span.line} of `{name}` (no `bound`)"
            elif isinstance(s, C.Call):
                why = self.stops_original(s.callee)
            if why:
                break
        memo[name] = why
        return why


# ---------------------------------------------------------------- helpers


def _trivial(t: z3.ExprRef) -> bool:
    return z3.is_const(t) or (z3.is_app_of(t, z3.Z3_OP_CONST_ARRAY)
                              and z3.is_const(t.arg(0)))


def _key(v: Value):
    if isinstance(v, ArrayVal):
        return (v.arr.get_id(), v.length.get_id())
    return v.get_id()


def _ite(c: z3.BoolRef, a: Value, b: Value) -> Value:
    if isinstance(a, ArrayVal):
        return ArrayVal(z3.If(c, a.arr, b.arr), z3.If(c, a.length, b.length))
    return z3.If(c, a, b)
