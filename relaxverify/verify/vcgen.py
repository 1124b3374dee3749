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

The parts: `FactStore` and `Sink` (context.py) hold what is built; the
`ExprTranslator` (exprs.py) and the statement rules (statements.py,
branches.py, calls.py, loops.py) build it. `VCGen` wires them and runs a
function.
"""
from __future__ import annotations

import time
from typing import Callable, Optional

import z3

from relaxverify.core import nodes as C
from relaxverify.report.diagnostics import Diagnostic
from relaxverify.verify.branches import BranchRule
from relaxverify.verify.calls import CallRule
from relaxverify.verify.context import FactStore, GenerationStopped, Sink
from relaxverify.verify.decider import Decider
from relaxverify.verify.env import Env
from relaxverify.verify.exprs import ExprTranslator
from relaxverify.verify.floats import finite, fmt_of
from relaxverify.verify.loops import LoopRule, Speculation
from relaxverify.verify.obligations import Obligation
from relaxverify.core.printer import show
from relaxverify.verify.smt import conj
from relaxverify.verify.statements import StatementRules
from relaxverify.verify.stopped import mark_unknown, stop_reason
from relaxverify.verify.state import BOTH, Cx, Faults, Record, State, eq_vars, is_shared_eq

__all__ = ["VCGen", "Decider", "Faults", "Obligation"]

# The whole run's time limit: this many times --timeout, and at least MIN seconds.
GENERATION_TIMEOUTS = 6
GENERATION_MIN_SECONDS = 20.0


def generation_limit(decider: Decider) -> float:
    """Seconds the generation of one function may take (Z3's side queries included)."""
    return max(GENERATION_MIN_SECONDS, GENERATION_TIMEOUTS * decider.timeout_ms / 1000)


class VCGen:
    """Builds the obligations of one function: `run()`, then read `facts`,
    `obligations`, `records` (trace events for counterexamples) and `warnings`."""

    def __init__(self, program: C.Program, fn: C.Function, faults: Faults, decider: Decider,
                 explain: bool = False):
        self.program = program
        self.fn = fn
        self.faults = faults
        self.decider = decider
        self.explain = explain
        self.entry_o: dict = {}
        self.entry_r: dict = {}
        self.time_limit: Optional[float] = generation_limit(decider)  # None: no limit
        self.stopped: Optional[str] = None  # why the generation stopped early
        self.wire(speculate=True)

    def wire(self, speculate: bool) -> None:
        """Fresh parts: a fact store and sink, and the rules that fill them."""
        self.decider.forget_after(0)
        self.store = FactStore(self.decider)
        self.sink = Sink(self.fn.name, self.store, self.explain)
        self.exprs = ExprTranslator(self.store, self.sink, self.faults)
        env = Env(self.program, self.fn, self.faults, self.store, self.sink, self.exprs, self)
        self.statements = StatementRules(env)
        self.branches = BranchRule(env)
        self.calls = CallRule(env, self.statements)
        self.loops = LoopRule(env, speculate)
        self.env = env
        self._rules: dict[type, Callable] = {
            C.Assign: self.statements.s_Assign, C.Store: self.statements.s_Store,
            C.NewArray: self.statements.s_NewArray, C.Check: self.statements.s_Check,
            C.Choose: self.statements.s_Choose, C.If: self.branches.s_If,
            C.Call: self.calls.s_Call, C.Loop: self.loops.s_Loop}

    # What the prover and the command read.

    @property
    def facts(self) -> list[z3.BoolRef]:
        return self.store.facts

    @property
    def obligations(self) -> dict[tuple, Obligation]:
        return self.sink.obligations

    @property
    def records(self) -> list[Record]:
        return self.sink.records

    @property
    def warnings(self) -> list[Diagnostic]:
        return self.sink.warnings

    # ------------------------------------------------------------ functions

    def block(self, stmts: list[C.Stmt], st: State, sides: str) -> None:
        for s in stmts:
            self.sink.tick()
            self._rules[type(s)](s, st, sides)

    def run(self) -> None:
        """Generate; past the time limit, every obligation is unknown, with the reason."""
        deadline = None if self.time_limit is None else time.monotonic() + self.time_limit
        self.sink.deadline = deadline
        try:
            try:
                self.generate()
            except Speculation:  # a guessed loop candidate failed: again, proving each
                defining = self.exprs.defining  # (a spec function's body: set by the caller)
                self.wire(speculate=False)
                self.exprs.defining = defining
                self.sink.deadline = deadline
                self.generate()
        except GenerationStopped:
            self.stopped = stop_reason(self.time_limit or 0.0)
            mark_unknown(self.fn, self.program, self.sink.obligations, self.stopped)
            self.sink.dry = 0

    def generate(self) -> None:
        fn = self.fn
        if fn.extern:  # no body: its contract is trusted, there is nothing to prove
            return
        facts = self.store
        st = State({}, {}, z3.BoolVal(True), z3.BoolVal(True))
        shared = eq_vars(fn.requires_r)
        entry_facts_o: list = []
        entry_facts_r: list = []
        for p in fn.params:
            v, extra = facts.fresh_value(p, "o")
            st.o[p] = v
            entry_facts_o += extra
            if p in shared:
                st.r[p] = v
            else:
                v, extra = facts.fresh_value(p, "r")
                st.r[p] = v
                entry_facts_r += extra
        for p in fn.params:  # float parameters are finite values of their format
            fmt = fmt_of(p.type)
            if fmt is not None and not p.type.array:
                entry_facts_o.append(finite(st.o[p], fmt))
                entry_facts_r.append(finite(st.r[p], fmt))
        self.entry_o, self.entry_r = dict(st.o), dict(st.r)
        facts.assume(st, "o", conj(entry_facts_o))
        facts.assume(st, "r", conj(entry_facts_r))
        for e in fn.requires:
            facts.assume(st, "o", self.exprs.expr(e, Cx("o", {"o": st.o, "r": st.r})),
                         f"line {e.span.line}: requires {show(e, 'o')}")
        ro_requires = st.ro
        for e in fn.requires:
            facts.assume(st, "r", self.exprs.expr(e, Cx("r", {"o": st.o, "r": st.r})),
                         f"line {e.span.line}: requires {show(e, 'r')}")
        for e in fn.requires_r:
            text = f"line {e.span.line}: requires_r {show(e)}" + (
                " (the default)" if fn.requires_r_default else "")
            if not is_shared_eq(e, shared):
                facts.assume(st, None, self.exprs.expr(e, Cx(None, {"o": st.o, "r": st.r})),
                             text)
            else:  # shared values need no constraint, but `--explain` must list the fact
                st.path = st.path + ((False, text, None),)
        self.region_parameters(st)  # the preconditions are of the arguments
        self.vacuity_of_preconditions(ro_requires, st.rp)
        self.block(fn.body, st, BOTH)
        for e in fn.ensures:
            for side in "or":
                self.env.check_spec("ensures", side, e, st,
                                    "the postcondition {e} holds at the end of `" + fn.name +
                                    "`{where}")
        for e in fn.ensures_r:
            self.env.check_spec("ensures_r", None, e, st, "the relational postcondition {e} "
                                "holds at the end of `" + fn.name + "`", assume_after=False)

    def region_parameters(self, st: State) -> None:
        """In R, a parameter in a region with `precision F` holds its argument
        rounded to F (then to its own type)."""
        for p in self.fn.params:
            st.r[p] = self.exprs.rounder.parameter(st, p, st.r[p], self.faults.model)

    def vacuity_of_preconditions(self, ro: z3.BoolRef, rp: z3.BoolRef) -> None:
        if not (self.fn.requires or not self.fn.requires_r_default):
            return
        if self.store.unreachable(ro):
            msg = f"the preconditions of `{self.fn.name}` are contradictory"
        elif self.store.unreachable(rp):
            msg = (f"the preconditions of `{self.fn.name}` (with `requires_r`) cannot hold for "
                   "any pair of executions")
        else:
            return
        self.warnings.append(Diagnostic("warning", msg + "; every obligation of this function "
                                        "then holds vacuously", self.fn.span, "vacuous",
                                        ["no input satisfies them, so the proofs say nothing"]))

