"""Loops: a known trip count is a power of the body's transfer (by squaring); any
other loop goes by its flow summary (what flows into what, what is unreliable)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional

from relaxverify.core import checks as K
from relaxverify.core import nodes as C
from relaxverify.reliability.parts import Walk
from relaxverify.reliability.terms import EMPTY, Leaf, Term, join, prune, times
from relaxverify.reliability.tripcount import TripBound, trip_bound
from relaxverify.source import Span


def _inside(var: C.Var, span: Span) -> bool:
    """Is var declared inside the statement at span?"""
    s = var.span
    return ((span.line, span.column) <= (s.line, s.column)
            and (s.end_line, s.end_column) <= (span.end_line, span.end_column))


class LoopGuard(C.If):
    """`if (b) { body }`: one iteration of `while (b) bound E` (E constant)."""


class UnboundedLoop(Leaf):
    """The factor 0 of a loop of unknown trip count, with what would bound it."""

    __slots__ = ("hint",)

    def __init__(self, stmt: C.Loop, hint: str):
        super().__init__(stmt, 0.0)
        self.hint = hint


class Power:
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

    def then(self, other: "Power") -> "Power":
        """This transfer, then `other` (both for the same loop body)."""
        a = self.assigned

        def composed(key: frozenset) -> list[Term]:
            return self.prune([times(o, p, a) for o in self(key) for p in other(o.vars & a)])

        return Power(composed, a, self.prune, self.crashy or other.crashy)


@dataclass(frozen=True)
class Flow:
    """The flow summary of a loop of unknown trip count (computed once per loop)."""

    deps: dict  # x -> what flows into x in the loop, control included
    unreliable: frozenset  # variables computed unreliably in the loop
    control: frozenset  # the loop condition's and bound's variables
    local: frozenset  # declared in the body: fresh each iteration
    check_vars: frozenset  # what the loop's runtime checks read, with their context
    dead: bool  # a fault inside the loop may stop the run


class Loops:
    """The loop rules, for the walker `w` (which walks the bodies)."""

    def __init__(self, w: Walk, trips: Optional[dict[int, int]] = None):
        self.w = w
        # id(loop) -> the trip count to use for a loop bounded by the requires (to
        # compute the value as a function of it); default: the largest one allowed
        self.trips = trips or {}
        self.bounds: dict[int, tuple[C.Loop, TripBound]] = {}  # the loops of §12
        self._shapes: dict[int, tuple[Optional[int], list[C.Stmt]]] = {}
        self._powers: dict[int, dict[int, Power]] = {}
        self._flows: dict[int, Flow] = {}

    def loop(self, s: C.Loop, terms: list[Term]) -> list[Term]:
        w = self.w
        assigned = w.assigned_in(s)
        trips, step = self.shape(s)
        if trips is None:
            return self.other_loop(s, terms, assigned)
        crashy = trips > 0 and any(w.may_crash(x) for x in step)
        # A trip count that the requires limit (§12) reads parameters: with a wrong
        # one, a faulty run may iterate more and stop, so every term gets them.
        extra = self.bounds[id(s)][1].inputs if id(s) in self.bounds else EMPTY
        if not crashy and not extra and not any(t.vars & assigned for t in terms):
            return terms
        power = self.power(s, trips, step, assigned, crashy)
        out = []
        for t in terms:
            key = t.vars & assigned
            if not key and not crashy:
                out.append(t._replace(vars=t.vars | extra) if extra else t)
                continue
            out += [times(t, o, assigned)._replace(vars=o.vars | (t.vars - assigned) | extra)
                    if extra else times(t, o, assigned) for o in power(key)]
        return w.prune(out)

    def shape(self, s: C.Loop) -> tuple[Optional[int], list[C.Stmt]]:
        """(iterations, one iteration) for repeat, constant for, and while with a
        constant bound within the step limit (an iteration is then `if (b) { body }`);
        (None, _) otherwise."""
        hit = self._shapes.get(id(s))
        if hit is not None:
            return hit
        out: tuple[Optional[int], list[C.Stmt]] = (None, s.body)
        if s.kind in ("for", "repeat"):
            out = (s.trips, s.body)
        elif s.bound is not None:
            n = C.const_int(s.bound)
            # Past the step limit a faulty trip count may stop the run before the
            # bound does (the interpreter checks the steps then): an unknown count.
            if n is not None and n <= K.LIMITS.loop_steps:
                out = (max(n, 0), [self.guard(s)])
        if out[0] is None:
            out = self.bounded(s, out)
        self._shapes[id(s)] = out  # (keeps the synthetic `if`, and so its id, alive)
        return out

    def guard(self, s: C.Loop) -> LoopGuard:
        guard = LoopGuard(s.cond, s.body, [], s.span)
        self.w.set_assigned(guard, self.w.assigned_in(s))
        return guard

    def bounded(self, s: C.Loop, out: tuple[Optional[int], list[C.Stmt]]
                ) -> tuple[Optional[int], list[C.Stmt]]:
        """A loop whose trip count the requires bound (tripcount.py): that many copies
        of `if (cond) { body }`."""
        w = self.w
        fn = w.program.functions.get(w.active[-1]) if w.active else None
        if fn is None:
            return out
        tb = trip_bound(fn, w.faults.model, s)
        self.bounds[id(s)] = (s, tb)
        if tb.count is None:
            return out
        return (self.trips.get(id(s), tb.count), [self.guard(s)])

    def hint(self, s: C.Loop) -> str:
        """What would bound loop s (empty when the requires do or it is not §12's)."""
        hit = self.bounds.get(id(s))
        if hit is not None:
            return hit[1].hint
        if s.kind == "while" and s.bound is None:
            return (f"give the loop at line {s.span.line} a `bound` that the `requires` "
                    "limit, or a constant one")
        return ""

    def power(self, s: C.Loop, trips: int, step: list[C.Stmt], assigned: frozenset,
              crashy: bool = False) -> Power:
        """The body's transfer function to the power `trips` (memoised per loop)."""
        cache = self._powers.setdefault(id(s), {})
        if trips in cache:
            return cache[trips]
        w = self.w
        base = Power(lambda key: w.prune(w.block(step, [Term(1.0, key)])), assigned,
                     w.prune, crashy)
        result: Optional[Power] = None
        n, square = trips, base
        while n:
            if n & 1:
                result = square if result is None else result.then(square)
            n >>= 1
            if n:
                square = square.then(square)
        result = result or Power(lambda key: [Term(1.0, key)], assigned, w.prune)
        cache[trips] = result
        return result

    def other_loop(self, s: C.Loop, terms: list[Term], assigned: frozenset) -> list[Term]:
        """A loop without a known trip count: terms meeting a variable computed
        unreliably in it get r = 0; others meeting what it assigns gain the condition's
        variables and every variable flowing into theirs. The loop may also stop the
        run (a runtime check in it, or a faulty trip count that never ends): if a fault
        inside it can do that, every term gets r = 0; otherwise every term gains what
        flows into its checks and its condition (and bound)."""
        flow = self.flow(s)
        deps, local = flow.deps, flow.local
        zero = UnboundedLoop(s, self.hint(s))

        def closure(start: frozenset) -> frozenset:
            seen = set(start)
            todo = [v for v in seen if v in deps]
            while todo:
                for v in deps[todo.pop()]:
                    if v not in seen:
                        seen.add(v)
                        if v in deps:
                            todo.append(v)
            return frozenset(seen) - local

        # The trip count's inputs too: a faulty one may make the loop run past the
        # interpreter's step limit, which stops the run with a failure.
        crash = closure(flow.check_vars | flow.control)
        out = []
        for t in terms:
            key = t.vars & assigned
            if flow.dead or key & flow.unreliable:
                out.append(Term(0.0, t.vars, join(t.why, zero)))
            elif not key:
                out.append(Term(t.r, t.vars | crash, t.why) if not crash <= t.vars else t)
            else:
                out.append(Term(t.r, t.vars | closure(key | flow.control) | crash, t.why))
        return self.w.prune(out)

    def flow(self, s: C.Loop) -> Flow:
        hit = self._flows.get(id(s))
        if hit is None:
            hit = FlowBuilder(self.w, self).build(s)
            self._flows[id(s)] = hit
        return hit


class FlowBuilder:
    """Builds the Flow of one loop: one walk over its body."""

    def __init__(self, w: Walk, loops: Loops):
        self.w = w
        self.loops = loops
        self.deps: dict[C.Var, set] = {}
        self.seeds: set = set()  # assigned with a factor below 1 (or under shaky control)
        self.check_vars: set = set()  # what the runtime checks in the loop read
        self.inner: set = set()  # the control of nested loops of unknown trip count
        self.crash = False  # a fault inside may break a check
        self.stall = False  # a trip count is computed unreliably

    def control(self, s: C.Loop) -> tuple[float, frozenset]:
        """(ρ, vars) of a loop's condition and bound together."""
        rho, vs = self.w.faults.expr(s.cond)
        if s.bound is not None:
            rb, vb = self.w.faults.expr(s.bound)
            rho, vs = rho * rb, vs | vb
        return rho, vs

    def check(self, k: float, cv: frozenset, ctx: frozenset, shaky: bool) -> None:
        """A check with (κ, cv), under conditions reading ctx (shaky: one is unreliable)."""
        if k < 1.0 or cv:
            self.check_vars.update(cv, ctx)
            if shaky or k < 1.0:
                self.crash = True

    def visit(self, stmts: list[C.Stmt], ctx: frozenset, shaky: bool) -> None:
        w = self.w
        for st in stmts:
            if shaky and not self.crash and w.crash.closed([st]):
                self.crash = True  # `1 / 0` that a faulty condition may reach
                # (each look walks a subtree: none is needed once this is known)
            if isinstance(st, C.If):
                rho, vs = w.faults.expr(st.cond)
                self.check(*w.crash.stmt(st), ctx, shaky)
                self.visit(st.then, ctx | vs, shaky or rho < 1.0)
                self.visit(st.orelse, ctx | vs, shaky or rho < 1.0)
            elif isinstance(st, C.Loop):
                rho, vs = self.control(st)
                self.check(*w.crash.stmt(st), ctx, shaky)
                if self.loops.shape(st)[0] is None:
                    self.inner.update(vs)
                    if rho < 1.0:
                        self.stall = True
                self.visit(st.body, ctx | vs, shaky or rho < 1.0)
            else:
                for o in w.crash_terms(st):
                    self.check(o.r, o.vars, ctx, shaky)
                for x in w.assigned_in(st):
                    outs = w.stmt(st, [Term(1.0, frozenset((x,)))])
                    d = self.deps.setdefault(x, set())
                    d |= ctx
                    for o in outs:
                        d |= o.vars
                    if shaky or any(o.r < 1.0 for o in outs):
                        self.seeds.add(x)

    def build(self, s: C.Loop) -> Flow:
        rho_c, control = self.control(s)
        self.stall = rho_c < 1.0
        self.visit(s.body, control, rho_c < 1.0)
        unreliable = set(self.seeds)
        changed = True
        while changed:
            changed = False
            for x, d in self.deps.items():
                if x not in unreliable and d & unreliable:
                    unreliable.add(x)
                    changed = True
        # Declared in the body: a fresh value every iteration, never one from before
        # the loop. (The counter and ghosts of a `for` are declared by its header, and
        # its synthetic `counter = counter + 1` carries the loop's own span.)
        body_spans = [st.span for st in s.body if st.span != s.span]
        local = frozenset(v for v in self.deps if v.kind in ("local", "counter", "ghost")
                          and any(_inside(v, sp) for sp in body_spans))
        self.check(*self.w.crash.stmt(s), control, rho_c < 1.0)
        # A fault inside may stop the run: a check whose computation is unreliable or
        # under a condition that is, or one reading an unreliably computed variable;
        # or a trip count computed unreliably (the run may never end).
        dead = (self.crash or self.stall or bool(self.check_vars & unreliable)
                or bool((control | self.inner) & unreliable))
        return Flow(self.deps, frozenset(unreliable), frozenset(control), local,
                    frozenset(self.check_vars), dead)
