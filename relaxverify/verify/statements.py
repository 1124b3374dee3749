"""The rules of the simple statements: assignments, array writes and declarations,
`assert`/`assume`/`accept`, `relax`/`havoc`.

Each statement makes the integrity checks `core/checks.py` lists for it
(`stmt_checks`) after evaluating its expressions, which make their own.
"""
from __future__ import annotations

from typing import Optional, Union

import z3

from relaxverify.core import checks as K
from relaxverify.core import nodes as C
from relaxverify.core.precision import write_rounding
from relaxverify.report.diagnostics import Diagnostic
from relaxverify.source import Span
from relaxverify.verify.env import Env
from relaxverify.verify.floats import finite, fmt_of
from relaxverify.verify.obligations import SIDE_NAMES
from relaxverify.core.printer import show, var_text
from relaxverify.verify.smt import ArrayVal, Value, conj, default_value, same, sort_of
from relaxverify.verify.state import BOTH, Cx, Record, State


class StatementRules:
    def __init__(self, env: Env):
        self.env = env
        self.facts = env.facts
        self.sink = env.sink
        self.exprs = env.exprs

    def s_Assign(self, s: C.Assign, st: State, sides: str) -> None:
        raw: dict[str, Value] = {}
        for side in sides:
            mark = len(self.sink.fault_notes)
            v = self.exprs.code(s.value, st, side)
            if side == "r":
                v = self.write_rounded(st, s.var, v, s.value, s.span)
            if side == "r" and self.env.faults.writes(s.var):
                v = self.faulty_write(st, s.var, v)
            if self.env.explain:
                self.facts.step(st, side, f"line {s.span.line}: {var_text(s.var, side)} := "
                                f"{show(s.value, side)}{self.sink.notes_since(mark)}")
            if side == "r" and "o" in raw and same(v, raw["o"]):
                st.r[s.var] = st.o[s.var]  # the same value in both executions
            else:
                st.vals(side)[s.var] = self.facts.define(f"{s.var.name}<{side}>", v)
            raw[side] = v

    def write_rounded(self, st: State, var: C.Var, v: Value, value: Union[C.Expr, str],
                      span: Span) -> Value:
        """A write to a region with `precision F` rounds to F in R, then to the
        variable's own float type (LANGUAGE.md section 9); its overflow check is the
        statement's (at `span`), as the interpreter reports it."""
        fmt = write_rounding(var, self.env.faults.model, True)
        if fmt is None:
            return v
        return self.exprs.rounder.write(st, var, v, fmt, value, span)

    def faulty_write(self, st: State, var: C.Var, v: Value, traced: bool = True) -> Value:
        """What a write of `v` to the `urel` variable `var` stores in R: any value,
        or the array with any elements (a whole-array write may damage them).
        Scalar assignments are trace events; call results and whole arrays are not
        (as in the interpreter's replay), so they make the trace abstract."""
        if not var.type.array and traced:
            assert not isinstance(v, ArrayVal)
            cx = Cx("r", {"o": st.o, "r": st.r}, code=True, st=st)
            return self.exprs.fault(cx, v, var.type, None, f"write {var.source}", var)
        self.sink.record(Record("abstract", "r", st.rp))
        if self.env.explain:
            self.sink.fault_notes.append(f"the write to urel `{var.source}` may "
                                         + ("damage its elements" if var.type.array
                                            else "store any value"))
        damaged = self.facts.fresh(f"damaged {var.name}", sort_of(var.type))
        if not var.type.array:
            return damaged
        assert isinstance(v, ArrayVal)
        return v.with_elements(damaged)

    def s_Store(self, s: C.Store, st: State, sides: str) -> None:
        done: dict = {}
        for side in sides:
            mark = len(self.sink.fault_notes)
            cx = Cx(side, {"o": st.o, "r": st.r}, code=True, st=st)
            a = st.vals(side)[s.var]
            idx = [self.exprs.expr(x, cx) for x in s.indices]
            i = idx[0]
            v = self.exprs.expr(s.value, cx)
            self.exprs.checks(K.stmt_checks(s), cx,
                              {**{id(x): t for x, t in zip(s.indices, idx)}, id(s.value): v})
            self.exprs.assume_checks(st, side, cx, s.span.line)
            if side == "r":
                v = self.write_rounded(st, s.var, v, s.value, s.span)
            if side == "r" and self.env.faults.writes(s.var):
                v = self.exprs.fault(cx, v, s.var.type.elem, None, f"write {s.var.source}[]",
                                     s.var)
            if self.env.explain:
                self.facts.step(st, side, f"line {s.span.line}: {var_text(s.var, side)}"
                                f"[{', '.join(show(x, side) for x in s.indices)}] := "
                                f"{show(s.value, side)}"
                                f"{self.sink.notes_since(mark)}")
            if ("o" in done and same(done["o"][0], a) and all(
                    x.eq(y) for x, y in zip(done["o"][1], idx)) and done["o"][2].eq(v)):
                st.r[s.var] = st.o[s.var]  # both executions store the same value
                continue
            done[side] = (a, idx, v)
            st.vals(side)[s.var] = self.facts.define(
                f"{s.var.name}<{side}>", a.with_elements(z3.Store(a.arr, *idx, v)))

    def s_NewArray(self, s: C.NewArray, st: State, sides: str) -> None:
        raw: dict = {}
        for side in sides:
            cx = Cx(side, {"o": st.o, "r": st.r}, code=True, st=st)
            ns = [self.exprs.expr(x, cx) for x in s.lengths]
            n = ns[0]
            assert isinstance(n, z3.ArithRef)
            self.exprs.checks(K.stmt_checks(s), cx, {id(x): t for x, t in zip(s.lengths, ns)})
            self.exprs.assume_checks(st, side, cx, s.span.line)
            elem = (z3.K(z3.IntSort(), default_value(s.var.type.elem)) if not s.more else
                    z3.Lambda([z3.Int(f"k!{d}") for d in range(len(ns))],
                              default_value(s.var.type.elem)))
            if self.env.explain:
                fill = {"bool": "false", "real": "0.0"}.get(s.var.type.base, "0")
                self.facts.step(st, side, f"line {s.span.line}: {var_text(s.var, side)} := a "
                                f"new array of length "
                                f"{', '.join(show(x, side) for x in s.lengths)}, filled with {fill}")
            if side == "r" and "o" in raw and all(same(x, y) for x, y in zip(ns, raw["o"])):
                st.r[s.var] = st.o[s.var]
            else:
                more = tuple(self.facts.define(f"len({s.var.name}, {d + 1})", m)
                             for d, m in enumerate(ns[1:]))
                st.vals(side)[s.var] = ArrayVal(elem, self.facts.define(f"len({s.var.name})", n),
                                                more)
            raw[side] = ns

    def s_Check(self, s: C.Check, st: State, sides: str) -> None:
        if s.kind == "accept" and s.query is not None:
            self.bound_query(s, st, sides)
            return
        if s.kind == "accept":
            if sides == BOTH:
                self.env.check_spec("accept", None, s.cond, st, "the accepted relation {e} "
                                    "holds between the two executions", span=s.span)
            else:
                self.sink.misaligned(s.span, st, "this `accept`", show(s.cond))
            return
        for side in sides:
            if s.kind == "assume" and side == "o":
                cx = Cx("o", {"o": st.o, "r": st.r}, st=st, wf=True)
                cond = self.exprs.expr(s.cond, cx)
                before = st.ro
                self.facts.assume(st, "o", conj(cx.assumed + [cond]),
                                  f"line {s.span.line}: assume {show(s.cond, 'o')}")
                self.vacuity_of_assume(s, before, st.ro)
            elif s.kind == "assume":
                self.env.check_spec("assume", "r", s.cond, st, "the relaxed execution satisfies "
                                    "{e}, which the original assumes", span=s.span)
            else:
                self.env.check_spec("assert", side, s.cond, st, "the assertion {e} holds{where}",
                                    span=s.span)

    def bound_query(self, s: C.Check, st: State, sides: str) -> None:
        """`accept E <= ?`: an obligation whose goal is found later, by the prover's
        search for the least bound B with `E > B` impossible (verify/bounds.py)."""
        assert s.query is not None
        if sides != BOTH:
            self.sink.misaligned(s.span, st, "this bound query", show(s.query))
            return
        cx = Cx(None, {"o": st.o, "r": st.r}, st=st)
        q = self.exprs.expr(s.query, cx)
        self.sink.oblige("accept", None, s.span, f"the bound query on `{show(s.query)}`",
                         f"{show(s.query)} <= ?", st.guard(None), z3.BoolVal(True), st,
                         query=q)

    def vacuity_of_assume(self, s: C.Check, before: z3.BoolRef, after: z3.BoolRef) -> None:
        """Warn when an `assume` discards every original run that reaches it (the
        function's assumptions contradict each other there), unless it is dead code."""
        if self.sink.dry or before.eq(after) or not self.facts.unreachable(after):
            return
        if self.facts.unreachable(before):
            return  # unreachable anyway
        self.sink.warn(Diagnostic(
            "warning", "this `assume` contradicts what is known here, so the original "
            "execution is always discarded at this statement; every obligation after it "
            "holds vacuously", s.span, "vacuous",
            ["check the assumption against the preconditions and the path to it"]))

    def s_Choose(self, s: C.Choose, st: State, sides: str) -> None:
        """Fresh values satisfying the predicate, which must be defined for every
        candidate value (the run evaluates it on the values it tries). An array of
        several dimensions keeps its lengths (docs/language-decisions.md)."""
        for side in sides:
            if s.kind == "relax" and side == "o":
                continue
            vals = st.vals(side)
            old = dict(vals)
            extra: list = []
            chosen = {}
            for var in s.vars:
                v, ex = self.facts.fresh_value(var, side, kept_lengths(var, old.get(var)))
                fmt = fmt_of(var.type)
                if fmt is not None and not var.type.array:
                    ex = ex + [finite(v, fmt)]  # a chosen float is finite
                vals[var] = v
                extra += ex
                chosen[var.source] = (v, var.type)
            names = ", ".join(var_text(var, side) for var in s.vars)
            cx = Cx(side, {"o": st.o, "r": st.r}, old={side: old}, st=st, wf=True,
                    local=list(extra), suffix=f", for every candidate value of {names} "
                    f"(the `{s.kind}` predicate must be defined)")
            with self.sink.abstract():  # a failing candidate is no choice the run made
                pred = self.exprs.expr(s.pred, cx)
            before = st.copy()
            such = ("" if isinstance(s.pred, C.Const) and s.pred.value is True
                    else f" such that {show(s.pred, side)}")
            self.facts.assume(st, side, conj(extra + cx.assumed + [pred]),
                              f"line {s.span.line}: {s.kind} {names} := any value"
                              f"{'s' if len(s.vars) > 1 else ''}{such}", step=True)
            self.sink.record(Record("choice", side, st.guard(side), values=chosen))
            self.vacuity_of_choice(s, side, before, conj(extra + [pred]))

    def vacuity_of_choice(self, s: C.Choose, side: str, before: State, pred) -> None:
        """Warn when no values satisfy the predicate (a sliced query first: cheap,
        and its 'unsat' is conclusive), unless the statement is dead code anyway."""
        if self.sink.dry or not self.facts.unsat_alone(before.parts, pred):
            return
        if self.facts.unreachable(before.guard(side)):
            return  # the statement is unreachable anyway
        who = ("the relaxed execution" if s.kind == "relax"
               else f"the {SIDE_NAMES[side]} execution")
        self.sink.warn(Diagnostic(
            "warning", f"the `{s.kind}` predicate can never be satisfied here, so {who} always "
            "stops at this statement; every obligation after it holds vacuously", s.span,
            "vacuous", ["check the predicate: no values of the variables satisfy it"]))



def kept_lengths(var: C.Var, before: object) -> Optional[tuple[z3.ArithRef, ...]]:
    """The lengths a chosen array keeps: all of them for several dimensions (only its
    elements are chosen), none for one dimension (its length is chosen too)."""
    if var.type.array and var.type.dims > 1 and isinstance(before, ArrayVal):
        return before.lengths
    return None
