"""Side queries of the VC generator: are two conditions equal here, is this point
reachable? Answers steer the construction of the product program; an unknown
answer always means the sound choice ("apart", "reachable").
"""
from __future__ import annotations

import time
from typing import Optional

import z3

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

    def _limited_solver(self) -> z3.Solver:
        """A solver with the time limit and the deterministic resource limit."""
        s = z3.Solver()
        s.set("timeout", self.timeout_ms)
        s.set("rlimit", self.rlimit)
        return s

    def check_alone(self, formulas: list) -> z3.CheckSatResult:
        """Satisfiability of a self-contained (sliced) query, in a fresh solver."""
        t0 = time.perf_counter()
        s = self._limited_solver()
        s.add(formulas)
        return self._timed(s, t0)

    def check(self, facts: list, goal: z3.BoolRef) -> z3.CheckSatResult:
        t0 = time.perf_counter()
        if self._solver is None:
            self._solver = self._limited_solver()
            self._synced = 0
        s = self._solver
        for f in facts[self._synced:]:
            s.add(f)
        self._synced = len(facts)
        s.push()
        s.add(goal)
        try:
            return self._timed(s, t0)
        finally:
            s.pop()

    def _timed(self, s: z3.Solver, t0: float) -> z3.CheckSatResult:
        """One query: its answer (unknown if Z3 gives up with an error), counted and timed
        from t0 (the facts added for it included)."""
        self.queries += 1
        try:
            return s.check()
        except z3.Z3Exception:
            return z3.unknown
        finally:
            self.seconds += time.perf_counter() - t0


class Slicer:
    """Cone-of-influence slices of the background facts and path conjuncts."""

    def __init__(self, facts: list, defs: dict):
        self.facts = facts
        self.defs = defs  # symbol id -> index of the fact defining it
        self._symbols: dict[int, tuple] = {}

    def symbols(self, t: z3.ExprRef) -> frozenset:
        """Ids of the uninterpreted constants in `t` (memoised)."""
        key = t.get_id()
        got = self._symbols.get(key)
        if got is not None:
            return got[1]
        out: set = set()
        stack, seen = [t], set()
        while stack:
            x = stack.pop()
            xid = x.get_id()
            if xid in seen:
                continue
            seen.add(xid)
            known = self._symbols.get(xid)
            if known is not None:
                out |= known[1]
            elif z3.is_quantifier(x):
                stack.append(x.body())
            elif z3.is_app(x):
                if x.num_args() == 0 and x.decl().kind() == z3.Z3_OP_UNINTERPRETED:
                    out.add(xid)
                else:
                    stack.extend(x.children())
        result = frozenset(out)
        self._symbols[key] = (t, result)  # keeping t alive keeps its id unique
        return result

    def slice(self, parts: tuple, goal: z3.BoolRef) -> list:
        """`goal` with the facts and path conjuncts that share symbols with it,
        transitively: a weaker context than the whole path, so 'unsat' still
        means unsat under the path, at a cost that does not grow with it."""
        syms: set = set()
        chosen_facts: set = set()
        todo = list(self.symbols(goal))
        remaining = list(parts)
        chosen_parts: list = []
        while True:
            while todo:
                x = todo.pop()
                if x in syms:
                    continue
                syms.add(x)
                i = self.defs.get(x)
                if i is not None and i not in chosen_facts:
                    chosen_facts.add(i)
                    todo.extend(self.symbols(self.facts[i]) - syms)
            rest = []
            for p in remaining:
                ps = self.symbols(p)
                if ps & syms:
                    chosen_parts.append(p)
                    todo.extend(ps - syms)
                else:
                    rest.append(p)
            remaining = rest
            if not todo:
                break
        return [self.facts[i] for i in sorted(chosen_facts)] + chosen_parts + [goal]
