"""The call rule: a call is replaced by its callee's contract.

The arguments are evaluated (with their checks), the callee's `requires` is
obliged per side and its `requires_r` on the pair, then the target gets fresh
values satisfying `ensures` per side and `ensures_r` when the executions are
aligned. Recursion needs nothing more.
"""
from __future__ import annotations

from typing import Optional

from relaxverify.core import nodes as C
from relaxverify.report.diagnostics import Diagnostic
from relaxverify.verify.env import Env
from relaxverify.verify.inline import inline_call
from relaxverify.core.printer import operand, show, var_text
from relaxverify.verify.smt import conj
from relaxverify.verify.state import BOTH, Cx, Record, State, eq_conjuncts
from relaxverify.verify.statements import StatementRules


class CallRule:
    def __init__(self, env: Env, statements: StatementRules):
        self.env = env
        self.facts = env.facts
        self.sink = env.sink
        self.statements = statements  # for the faulty write of a urel target
        self._stops: dict[str, Optional[str]] = {}
        self._contracts: set[tuple[int, str]] = set()  # calls whose contract was checked
        self.inlining: set[str] = set()  # callees analysed in place now (verify/inline.py)

    def arguments(self, s: C.Call, f: C.Function, st: State, sides: str
                  ) -> tuple[dict, str]:
        """The arguments' values per side, and the words that say where the callee's
        precondition must hold ("holds at this call (with p = e)")."""
        args = {side: {p: self.env.exprs.code(a, st, side) for p, a in zip(f.params, s.args)}
                for side in sides}
        binds = [f"{p.source} = {show(a)}" for p, a in zip(f.params, s.args)
                 if show(a) != p.source]
        return args, " holds at this call" + (f" (with {', '.join(binds)})" if binds else "")

    def s_Call(self, s: C.Call, st: State, sides: str) -> None:
        env = self.env
        f = env.program.functions[s.callee]
        if env.faults.budget is not None and not f.extern:
            inline_call(self, s, f, st, sides)  # the callee's faults count: analysed in place
            return  # (an extern has no body: its contract is trusted, as without a budget)
        args, at = self.arguments(s, f, st, sides)
        subst: dict = {}  # --explain shows the callee's contract on the arguments
        if env.explain:
            for side in sides:
                for p, a in zip(f.params, s.args):
                    subst[(p, side)] = operand(a, side)
        for side in sides:
            for e in f.requires:
                env.check_spec("requires", side, e, st, "the precondition {e} of `" + f.name +
                               "`" + at + "{where}", span=s.span, vals={side: args[side]},
                               subst=subst, label=f"{f.name} requires")
        if sides == BOTH:
            for e in f.requires_r:
                env.check_spec("requires_r", None, e, st, "the relational precondition {e} of `"
                               + f.name + "`" + at, span=s.span, vals=args, subst=subst,
                               label=f"{f.name} requires_r")
        else:
            self.alone(s, f, st, sides)
        self.results(s, f, st, sides, args, subst)

    def alone(self, s: C.Call, f: C.Function, st: State, sides: str) -> None:
        """A call one execution makes while the other is elsewhere. The callee's
        relaxed contract is proved for the pairs of runs its `requires_r` admits:
        a `requires_r` that any partner on the same arguments meets (`eq` of
        parameters, `true`: what the contract says, written out or not) needs no
        partner here; any other relates two calls, so both must be here."""
        if not any_partner(f):
            self.sink.misaligned(s.span, st, f"this call of `{f.name}` (its `requires_r` "
                                 "relates both executions)",
                                 " && ".join(show(e) for e in f.requires_r))
        elif sides == "r":
            why = self.stops_original(f.name)
            if why:
                self.sink.misaligned(s.span, st, f"this call of `{f.name}` ({why} may stop its "
                                     "original run, on which its relaxed contract relies)",
                                     f"{f.name}'s original run completes")

    def results(self, s: C.Call, f: C.Function, st: State, sides: str, args: dict,
                subst: dict) -> None:
        """The targets' new values: any that the callee's `ensures` allow."""
        env = self.env
        if "r" in sides:  # R's callee holds region parameters rounded (as vcgen does)
            args["r"] = dict(args["r"])
            for p in f.params:
                args["r"][p] = env.exprs.rounder.parameter(st, p, args["r"][p],
                                                         env.faults.model)
        for side in sides:
            for t, result in zip(s.targets, f.results):
                v, extra = self.facts.fresh_value(t, side)
                st.vals(side)[t] = v
                args[side][result] = v
                self.facts.assume(st, side, conj(extra))
                if env.explain:
                    subst[(result, side)] = (var_text(t, side), 10)
            if env.explain and s.targets:
                names = ", ".join(var_text(t, side) for t in s.targets)
                self.facts.step(st, side, f"line {s.span.line}: {names} := {f.name}("
                                f"{', '.join(show(a, side) for a in s.args)}), "
                                f"a value `{f.name}`'s contract allows")
            ensures = []
            for e in f.ensures:
                ensures.append(env.exprs.expr(e, Cx(side, {side: args[side]})))
                self.facts.assume(st, side, ensures[-1],
                                  f"line {s.span.line}: {f.name} ensures {show(e, side, subst)}")
            self.vacuity_of_contract(s, f, st, side, args[side], ensures)
        if sides == BOTH:
            for e in f.ensures_r:
                self.facts.assume(st, None, env.exprs.expr(e, Cx(None, args)),
                                  f"line {s.span.line}: {f.name} ensures_r "
                                  f"{show(e, None, subst)}")
        self.sink.record(Record("abstract", sides, st.ro if "o" in sides else st.rp))
        for t in s.targets if "r" in sides else ():
            # the write of a result to a region rounds
            st.r[t] = self.statements.write_rounded(st, t, st.r[t], f"{f.name}(...)", s.span)
            if env.faults.writes(t):
                mark = len(self.sink.fault_notes)
                st.r[t] = self.statements.faulty_write(st, t, st.r[t], traced=False)
                if env.explain:
                    value = ("any value" if not t.type.array
                             else f"{t.source}<r> with any elements")
                    self.facts.step(st, "r", f"line {s.span.line}: {var_text(t, 'r')} := "
                                    f"{value}{self.sink.notes_since(mark)}")

    def vacuity_of_contract(self, s: C.Call, f: C.Function, st: State, side: str, args: dict,
                            ensures: list) -> None:
        """Warn when no result satisfies the callee's `ensures` given its `requires`
        on these arguments (a conclusive sliced query): the proof then assumes the
        call never returns. A recursive function proves such a contract for itself."""
        key = (id(s), side)
        if self.sink.dry or not ensures or key in self._contracts:
            return
        self._contracts.add(key)
        requires = [self.env.exprs.expr(e, Cx(side, {side: args})) for e in f.requires]
        if not self.facts.unsat_alone((), conj(requires + ensures)):
            return
        if requires and self.facts.unsat_alone((), conj(requires)):
            return  # the call breaks `requires`: its obligation says so
        what = "result" if s.targets else "run of it"
        self.sink.warn(Diagnostic(
            "warning", f"the contract of `{f.name}` is contradictory: no {what} satisfies its "
            "`ensures` (given its `requires`) at this call, so the proof assumes that the call "
            "never returns; every obligation after it holds vacuously", s.span, "vacuous",
            [f"check the `ensures` of `{f.name}`: the proof of a recursive function assumes "
             "its own contract at the recursive call, so a contradictory contract proves "
             "itself"]))

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
        for s in C.walk(self.env.program.functions[name].body):
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


def any_partner(f: C.Function) -> bool:
    """Is every conjunct of f's `requires_r` `p<o> == p<r>` or `true`? Then an
    original run on the relaxed call's own arguments is a partner it admits. (The
    flag `requires_r_default` is not the test: `requires_r eq(x)` written out
    means the default, and `requires_r true` asks less.)"""
    return all(_partner_free(e) for e in f.requires_r)


def _partner_free(e: C.Expr) -> bool:
    if isinstance(e, C.Const):
        return e.value is True
    if isinstance(e, C.BinOp) and e.op == "&&":
        return _partner_free(e.left) and _partner_free(e.right)
    return any(True for _ in eq_conjuncts(e))
