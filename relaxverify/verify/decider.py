"""Side queries of the VC generator: are two conditions equal here, is this point
reachable? Answers steer the construction of the product program; an unknown
answer always means the sound choice ("apart", "reachable").
"""
from __future__ import annotations

import threading
import time
from typing import Callable, Iterable, Optional

import z3
from z3 import z3core

from relaxverify.verify.terms import memo

# Resource budget of one side query (a small constant keeps generation linear;
# running out only makes the generator treat the two executions as apart).
DECISION_RLIMIT = 300_000


def z3_timeout_ms(timeout_s: float) -> int:
    """Z3's `timeout` option for --timeout seconds: at least 1 ms, since 0 means
    no limit to Z3 (a tiny --timeout must not lift the limit)."""
    return max(1, int(timeout_s * 1000))


class Decider:
    """Side queries the generator asks while building the product (are two
    conditions equal here? is this point reachable?). Unknown counts as 'no',
    which is always the sound answer.

    One incremental solver holds the background facts as they are created
    (facts are definitional, so the current list is a sound context at any
    point); each question is a push/check/pop, which keeps the generator linear.
    """

    def __init__(self, timeout_s: float, rlimit: int):
        self.timeout_ms = z3_timeout_ms(timeout_s)
        self.rlimit = max(1, min(rlimit, DECISION_RLIMIT))
        self.seconds = 0.0
        self.queries = 0
        self._solver: Optional[z3.Solver] = None
        self._synced = 0

    def forget_after(self, n: int) -> None:
        """The generator dropped facts from index n on."""
        if n < self._synced:
            self._solver = None

    def check_alone(self, formulas: list) -> z3.CheckSatResult:
        """Satisfiability of a self-contained (sliced) query, in fresh solvers."""
        t0 = time.perf_counter()
        return self._timed(lambda: decide_alone(formulas, self.timeout_ms, self.rlimit), t0)

    def check(self, facts: list, goal: z3.BoolRef) -> z3.CheckSatResult:
        t0 = time.perf_counter()
        if self._solver is None:
            self._solver = limited_solver(self.timeout_ms, self.rlimit, simple=False)
            self._synced = 0
        s = self._solver
        assert_all(s, facts[self._synced:])
        self._synced = len(facts)
        s.push()
        s.add(goal)
        try:
            return self._timed(s.check, t0)
        finally:
            s.pop()

    def _timed(self, decide: Callable[[], z3.CheckSatResult], t0: float
               ) -> z3.CheckSatResult:
        """One query: its answer (unknown if Z3 gives up with an error), counted and timed
        from t0 (the facts added for it included)."""
        self.queries += 1
        try:
            return decide()
        except z3.Z3Exception:
            return z3.unknown
        finally:
            self.seconds += time.perf_counter() - t0


# Resource budget of the first try of a small query in Z3's plain SMT core.
FAST_RLIMIT = 300_000
# Queries of up to this many terms try that core first; larger ones gain more from
# the default solver's preprocessing (a 484-term slice: 31 ms in the core, 3.5 ms).
SIMPLE_UP_TO = 64


def decide_alone(query: list, timeout_ms: int, rlimit: int) -> z3.CheckSatResult:
    """A small self-contained query: first in Z3's plain SMT core within FAST_RLIMIT
    (its checks of such queries cost half the default solver's, whose preprocessing
    also grew with the number of terms in the context); when that cannot decide it,
    in the default solver with the full limits, as without the first try (a larger
    query goes there at once). The first try is a push/check/pop of one solver kept
    per context: making a solver cost five times a small check, and more in a
    context of more terms."""
    if len(query) <= SIMPLE_UP_TO:
        s = _slice_solver(timeout_ms, min(rlimit, FAST_RLIMIT))
        s.push()
        try:
            assert_all(s, query)
            answer = s.check()
        except z3.Z3Exception:
            answer = z3.unknown
        finally:
            s.pop()
        if answer != z3.unknown:
            return answer
    s = limited_solver(timeout_ms, rlimit, False)
    assert_all(s, query)
    try:
        return s.check()
    except z3.Z3Exception:
        return z3.unknown


def _slice_solver(timeout_ms: int, rlimit: int) -> z3.Solver:
    """The plain-core solver kept for small queries in the current context."""
    table = memo()
    s = table.get(("slices", timeout_ms, rlimit))
    if s is None:
        s = table[("slices", timeout_ms, rlimit)] = limited_solver(timeout_ms, rlimit, True)
    return s


def limited_solver(timeout_ms: int, rlimit: int, simple: bool) -> z3.Solver:
    """Z3's plain SMT core (`simple`) or its default solver, with a time limit and a
    deterministic resource limit; the parameters are made once per context (z3py's
    `set` builds them per call)."""
    table = memo()
    params = table.get(("limits", timeout_ms, rlimit))
    if params is None:
        params = table[("limits", timeout_ms, rlimit)] = z3.ParamsRef()
        params.set("timeout", timeout_ms)
        params.set("rlimit", rlimit)
    s = z3.SimpleSolver() if simple else z3.Solver()
    z3core.Z3_solver_set_params(s.ctx.ref(), s.solver, params.params)
    return s


def assert_all(s: z3.Solver, formulas: Iterable[z3.BoolRef]) -> None:
    """`s.add(formulas)` without z3py's per-formula sort check and cast (wrapper
    objects through ctypes: the larger part of building a query); the formulas
    are Boolean terms of the default context."""
    ctx, ref = s.ctx.ref(), s.solver
    for f in formulas:
        z3core.Z3_solver_assert(ctx, ref, f.as_ast())


class SharedProver:
    """One incremental solver per function for its obligations: the background
    facts asserted once, in order, and each obligation a push/check/pop (Z3 keeps
    what it learnt from the facts). Only an obligation whose facts include all
    asserted so far may use it (its context is then exactly its own facts); a
    busy solver (another thread) is skipped."""

    def __init__(self) -> None:
        self.solver: Optional[z3.Solver] = None
        self.synced = 0
        self.lock = threading.Lock()

    def unsat(self, facts: list, n: int, goals: list, limits: tuple[int, int]
              ) -> Optional[bool]:
        """Is `goals` unsat with facts[:n]? None: this solver cannot tell."""
        if n < self.synced or not self.lock.acquire(blocking=False):
            return None
        try:
            if self.solver is None:
                self.solver = z3.Solver()
                self.solver.set("timeout", limits[0])
                self.solver.set("rlimit", limits[1])
            s = self.solver
            assert_all(s, facts[self.synced:n])
            self.synced = n
            s.push()
            try:
                assert_all(s, goals)
                return s.check() == z3.unsat
            except z3.Z3Exception:
                return False
            finally:
                s.pop()
        finally:
            self.lock.release()


class SlicedSolver(z3.Solver):
    """An obligation's whole query (the background facts before it, exactly as
    without slicing), decided first on slices of it (`sliced(alone)`: do queries,
    each decided by `alone` in a private solver, show it?), then by the function's
    incremental solver.

    The slice is a subset of the whole, so `unsat` on it is `unsat` on the whole
    (a proof), and the whole is never built. Any other answer is decided again on
    the whole query, so verdicts, models and counterexamples are those of the
    unsliced query (the counterexample reads symbols outside the slice). The
    whole is asserted on first use (`check` past the slice, `to_smt2`,
    `assertions`)."""

    def __init__(self, timeout_ms: int, rlimit: int,
                 sliced: Callable[[Callable[[list], bool]], bool], whole: list,
                 shared: Optional[tuple[SharedProver, list, int, list]] = None):
        self._shared = shared  # (the function's prover, its facts, how many, the goals)
        self._sliced: Optional[Callable[[Callable[[list], bool]], bool]] = sliced
        self._whole: Optional[list] = whole
        self._limits = (timeout_ms, rlimit)
        # Z3's solver is made only past the slices (most obligations never need it)
        self.ctx, self.solver, self.backtrack_level = z3.main_ctx(), None, 4000000000

    def _materialise(self) -> None:
        if self.solver is None:
            super().__init__(ctx=self.ctx)
            self.set("timeout", self._limits[0])
            self.set("rlimit", self._limits[1])
        if self._whole is not None:
            whole, self._whole = self._whole, None
            assert_all(self, whole)

    def check(self, *assumptions):
        if not assumptions and self._sliced is not None:
            sliced, self._sliced = self._sliced, None
            if sliced(self._alone):
                return z3.unsat
        if not assumptions and self._shared is not None:
            (prover, facts, n, goals), self._shared = self._shared, None
            if prover.unsat(facts, n, goals, self._limits):
                return z3.unsat
        self._materialise()
        return super().check(*assumptions)

    def _alone(self, query: list) -> bool:
        """Is this slice unsat, in private solvers?"""
        return decide_alone(query, *self._limits) == z3.unsat

    def assertions(self):
        self._materialise()
        return super().assertions()

    def to_smt2(self) -> str:
        self._materialise()
        return super().to_smt2()

    def sexpr(self) -> str:
        self._materialise()
        return super().sexpr()

    def push(self) -> None:
        self._materialise()
        super().push()

    def assert_exprs(self, *args) -> None:
        """(`add`: after the whole query, as without slicing; the slice stays a
        weaker query, so its unsat remains a proof.)"""
        self._materialise()
        super().assert_exprs(*args)
