"""Where a faulty run may stop: the runtime checks of core/checks.py, as costs.

A faulty run that fails a runtime check stops without a result, so a term passing a
statement with checks must also pay for the checks behaving as in the fault-free
run (docs/reliability.md, "Runtime checks in faulty runs"). The checks themselves
come from the one table, core/checks.py; this module only says what a fault may
change to make a check behave differently:

* the check's operands (the index and array of `a[i]`, a divisor, a product's
  factors, a length, a bound, an assertion), and
* the guards of a check in a short-circuit right operand (`c && a[i]`: a fault in
  `c` may reach a check the fault-free run skips).

(κ, cv) of a set of checks: κ the probability that every fault site of those
sub-computations is fault-free (each site once), cv the variables they read.
Expressions that are specifications (`assert`, `assume`, a `havoc` predicate) are
evaluated without faults: their checks cost no κ, only their variables.
"""
from __future__ import annotations

from typing import Optional

from relaxverify.core import checks as K
from relaxverify.core import nodes as C
from relaxverify.reliability.constants import NotConstant, constant_value
from relaxverify.core.precision import FloatFault, rounding_of
from relaxverify.reliability.faults import FaultSites

# Checks a faulty run performs. `requires` is a specification: faulty runs do not
# check it (run --trials runs them with specs off), so it cannot stop them.
# An OVERFLOW check (a float operation whose rounded result is infinite or NaN, §9)
# stops a run too, unless its operation rounds nothing in R on this model (a dotted
# `real` operator without `precision`): see Crash.stops.
STOPS = frozenset((K.BOUNDS, K.DIVISION, K.LENGTH, K.BOUND, K.ASSERT, K.ASSUME, K.CHOICE,
                   K.LIMIT, K.OVERFLOW))
SPEC_KINDS = (K.ASSERT, K.ASSUME, K.CHOICE)  # their operands are evaluated reliably

Sites = list[tuple[K.RuntimeCheck, tuple[K.Guard, ...]]]  # checks with their guards


def _reads_nothing(e: C.Expr) -> bool:
    return not any(isinstance(x, C.VarRef) for x in C.subexprs(e))


def assumes_requires(fn: C.Function) -> bool:
    """Does fn's analysis assume its `requires`: a loop whose trip count they may bound
    (tripcount.py)? The fault-free run meets them; a faulty run that reaches a call
    the fault-free run does not may break them, and the loop may then stop it."""
    return bool(fn.requires) and any(
        isinstance(s, C.Loop) and (s.trips is None if s.kind == "for" else
                                   s.bound is not None and C.const_int(s.bound) is None)
        for s in C.walk(fn.body))


class Crash:
    """The runtime checks of statements as (κ, cv), memoised per statement; and
    whether statements hold a check that fails whenever it is reached."""

    def __init__(self, faults: FaultSites, program: C.Program):
        self.faults = faults
        self.program = program
        self._stmts: dict[int, tuple[float, frozenset]] = {}
        self._exprs: dict[int, tuple[float, frozenset]] = {}
        self._recursive: dict[str, bool] = {}
        self._fails: dict[int, bool] = {}
        self._sites: dict[int, Sites] = {}

    # ------------------------------------------------------------ what a fault may change

    def inputs(self, check: K.RuntimeCheck) -> list[C.Expr]:
        """The sub-computations a fault may change to change check's outcome."""
        if check.kind == K.LIMIT and not check.operands:
            return []  # a trip count or a call depth: see loops.py and calls.py
        return list(check.operands)

    def cost(self, sites: Sites) -> tuple[float, frozenset]:
        """(κ, cv) of checks, each with the guards it runs under."""
        subs: list[C.Expr] = []
        vs: set[C.Var] = set()
        for check, guards in sites:
            if not self.stops(check):
                continue
            if check.kind in SPEC_KINDS:
                vs |= self.spec_reads(check)
                continue
            subs += self.inputs(check)
            subs += [g.cond for g in guards]
        if not subs:
            return 1.0, frozenset(vs)
        seen: set[int] = set()
        k = 1.0
        for e in subs:
            vs |= self.faults.expr(e)[1]
            for x in C.subexprs(e):
                if id(x) not in seen:
                    seen.add(id(x))
                    k *= self.faults.site(x)
        return k, frozenset(vs)

    def stops(self, check: K.RuntimeCheck) -> bool:
        """May check stop a faulty run? Every kind of STOPS; an OVERFLOW check only
        when its operation rounds in R on this model (a faulty and a fault-free run
        both run at the model's precisions, LANGUAGE.md §9): a dotted `real`
        operator without `precision` is exact and cannot overflow, so v1 programs
        on reals keep their values."""
        if check.kind not in STOPS:
            return False
        if check.kind == K.OVERFLOW and isinstance(check.node, (C.BinOp, C.Apply)):
            return not rounding_of(check.node, self.faults.model, relaxed=True).exact
        return True

    def spec_reads(self, check: K.RuntimeCheck) -> frozenset:
        """The variables a specification check reads before it runs: an assertion's;
        for a `havoc (X) st (P)`, what P reads other than the new X (its `old(x)`
        included): no value satisfying P is a failure."""
        if isinstance(check.node, C.Choose):
            return self.havoc_reads(check.node)
        return frozenset().union(*(self.faults.expr(e)[1] for e in check.operands))

    def havoc_reads(self, s: C.Choose) -> frozenset:
        """What P reads before the statement, and each target array of several
        dimensions (its lengths are kept: the new value depends on the old one's)."""
        targets = frozenset(s.vars)
        kept = frozenset(v for v in s.vars if v.type.array and v.type.dims > 1)
        return kept | frozenset(x.var for x in C.subexprs(s.pred) if isinstance(x, C.VarRef)
                                and (x.old or x.var not in targets) and x.var.kind != "bound")

    # ------------------------------------------------------------ the checks of a statement

    def sites(self, s: C.Stmt) -> Sites:
        """Every check s performs itself: those of the expressions it evaluates
        (with their short-circuit guards), then its own (core/checks.py). Memoised."""
        hit = self._sites.get(id(s))
        if hit is not None:
            return hit
        out = [site for e in K.code_exprs(s) for site in self.expr_sites(e)]
        if not (isinstance(s, C.Choose) and s.kind == "relax"):  # as in the original run
            out += [(check, ()) for check in K.stmt_checks(s)]
        self._sites[id(s)] = out
        return out

    @staticmethod
    def expr_sites(e: C.Expr) -> Sites:
        """The checks evaluating e performs, with their guards. (Most expressions
        have none: asking each node first is cheaper than the recursive walk.)"""
        if not any(map(K.expr_checks, C.subexprs(e))):
            return []
        return [(site.check, site.guards) for site in K.checks_in(e)]

    def stmt(self, s: C.Stmt) -> tuple[float, frozenset]:
        """(κ, cv) of the runtime checks a simple statement (or the condition and bound
        of an `if` or loop) performs itself; a call's callee is calls.py's."""
        hit = self._stmts.get(id(s))
        if hit is None:
            hit = self.cost(self.sites(s))
            self._stmts[id(s)] = hit
        return hit

    def expr(self, e: C.Expr) -> tuple[float, frozenset]:
        """(κ, cv) of the checks evaluating e performs (an argument of a call)."""
        hit = self._exprs.get(id(e))
        if hit is None:
            hit = self.cost(self.expr_sites(e))
            self._exprs[id(e)] = hit
        return hit

    # ------------------------------------------------------------ checks no fault feeds

    def closed(self, stmts: list[C.Stmt], seen: Optional[set] = None) -> bool:
        """Do the statements (callees included) hold a check that no fault can change
        and that fails whenever it is reached (`1 / 0`, `var a: int[-1]`, `assert
        false`, `while (true)`, a recursive call, a call whose analysis assumes the
        callee's `requires`)? A faulty condition may reach it
        where the fault-free run does not. (Any other check reads a variable, which
        the walker's may_crash accounts for.)"""
        seen = set() if seen is None else seen
        for st in C.walk(stmts):
            if self.fails_when_reached(st):
                return True
            if isinstance(st, C.Call) and st.callee not in seen:
                seen.add(st.callee)
                callee = self.program.functions[st.callee]
                if assumes_requires(callee) or self.closed(callee.body, seen):
                    return True
        return False

    def fails_when_reached(self, s: C.Stmt) -> bool:
        """Does s itself (not its sub-statements) perform such a check? (memoised)"""
        hit = self._fails.get(id(s))
        if hit is None:
            hit = any(self.stops(check) and self.always_fails(check, guards)
                      for check, guards in self.sites(s))
            self._fails[id(s)] = hit
        return hit

    def always_fails(self, check: K.RuntimeCheck, guards: tuple[K.Guard, ...]) -> bool:
        """Does check read nothing (so no fault changes it) yet fail when reached?"""
        if not all(_reads_nothing(g.cond) for g in guards):
            return False
        node, ops = check.node, check.operands
        if check.kind == K.LIMIT and not ops:
            return self.limit_fails(node)
        if check.kind == K.CHOICE:
            return False  # the verifier proves some value satisfies P: none is read here
        if not all(_reads_nothing(e) for e in ops):
            return False
        if check.kind in (K.ASSERT, K.ASSUME):
            return not (isinstance(ops[0], C.Const) and ops[0].value is True)
        if check.kind == K.OVERFLOW:
            return self.overflows(node)
        v = C.const_int(ops[0]) if ops else None
        if check.kind == K.DIVISION:
            return v is None or v == 0
        if check.kind in (K.LENGTH, K.BOUND):
            return v is None or v < 0
        if check.kind == K.LIMIT and isinstance(node, C.NewArray):
            ns = [C.const_int(n) for n in ops]
            total = 1
            for n in ns:
                if n is None:
                    return True
                total *= max(n, 0)
            return total > K.LIMITS.array_length
        if check.kind == K.LIMIT and isinstance(node, C.BinOp):
            w = C.const_int(ops[1])
            return v is None or w is None or (v * w).bit_length() > K.LIMITS.int_bits
        return False

    def overflows(self, node: object) -> bool:
        """Does a float operation on constants overflow in R (or may it: an operand
        this cannot evaluate counts as overflowing, which is the sound side)?"""
        try:
            constant_value(node, self.faults.model, relaxed=True)
        except (FloatFault, NotConstant, ZeroDivisionError, ValueError, OverflowError):
            return True
        return False

    def limit_fails(self, node: object) -> bool:
        """A loop's step limit or a call's depth limit, when nothing it reads can be
        changed by a fault: a loop without variables in its condition that may run
        past the limit; a call that may recurse (its depth is then the faults')."""
        if isinstance(node, C.Loop):
            if node.trips is not None:
                return node.trips > K.LIMITS.loop_steps
            exprs = [node.cond] + ([node.bound] if node.bound is not None else [])
            if not all(_reads_nothing(e) for e in exprs):
                return False  # the trip count's inputs: see loops.other_loop
            n = C.const_int(node.bound) if node.bound is not None else None
            runs = not (isinstance(node.cond, C.Const) and node.cond.value is False)
            return runs and not (n is not None and n <= K.LIMITS.loop_steps)
        if isinstance(node, C.Call):
            return self.recursive(node.callee)
        return False

    def recursive(self, name: str) -> bool:
        """Can function `name` call itself, directly or not?"""
        hit = self._recursive.get(name)
        if hit is None:
            todo, seen = [name], set()
            while todo:
                for s in C.walk(self.program.functions[todo.pop()].body):
                    if isinstance(s, C.Call) and s.callee not in seen:
                        seen.add(s.callee)
                        todo.append(s.callee)
            hit = name in seen
            self._recursive[name] = hit
        return hit
