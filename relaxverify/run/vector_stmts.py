"""Statements of the vectorised backend (vector.py) and the driver that runs the
trials in chunks of lanes.

Each statement runs on the lanes of its mask, as the interpreter's generated code
runs it (codegen_stmts.py): the same checks in the same order, the same fault
sites (a `urel` write after its value is computed, before the store's bounds test),
loops in the interpreter's two forms (a counted `for`/`repeat` evaluates its bound
once, a `while` its condition before each iteration, with the same step limit).
"""
from __future__ import annotations

import math
import random
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, Callable, Optional, cast

import numpy as np

from relaxverify.core import checks as K
from relaxverify.core import nodes as C
from relaxverify.run import interrupt
from relaxverify.run import vector_ints as W
from relaxverify.run.codegen_stmts import LoopGen
from relaxverify.run.options import MAX_ARRAY, Options
from relaxverify.run.vector import MAX_ELEMENTS, ExprEval, Lanes, dtype, spec_of
from relaxverify.run.vector_ints import WInt
from relaxverify.run.vector_support import Unsupported

CHUNK = 32768  # lanes computed at once (fewer pay numpy's cost per call more)


class StmtEval(ExprEval):
    """Runs a function's body over all lanes of a `Lanes`."""

    def __init__(self, lanes: Lanes, semantics: str, cache: Optional[dict] = None):
        super().__init__(lanes, cache)
        opts = Options(semantics, True, "inject", False, max_steps=lanes.max_steps)
        self.loops = LoopGen(cast(Any, SimpleNamespace(opts=opts)))

    def block(self, stmts: list[C.Stmt], mask: Any) -> None:
        for s in stmts:
            if not self.L.active(mask)[0].any():
                return
            getattr(self, "s_" + type(s).__name__)(s, mask)

    def assign(self, var: C.Var, v: Any, mask: Any) -> None:
        """var = v in the lanes of mask (the others keep their value). A value the
        same in every lane stays one 0-d value while every live lane is assigned it:
        loop counters and indices then cost one operation, not one per lane."""
        env = self.L.env
        old = env.get(id(var))
        if old is None or self.L.active(mask)[2]:
            env[id(var)] = v
        elif isinstance(v, WInt) or isinstance(old, WInt):
            env[id(var)] = W.where(mask, v, old, self.L.n)
        elif (np.ndim(v) > 1 or np.ndim(old) > 1) and np.shape(old) != np.shape(v):
            raise Unsupported(f"`{var.source}` has arrays of different lengths in different "
                              "trials")
        else:
            env[id(var)] = np.where(mask, v, old)  # (an array: elements x lanes)

    def write(self, var: C.Var, v: Any, mask: Any, whole: bool = False) -> Any:
        """The value written to var: a fault site when var is `urel`."""
        if var.urel and self.L.model is not None:
            model = self.L.model
            prob, spec = self.site_of(("w", id(var), whole), lambda: (
                model.memory(var.region).write, spec_of(var, var.type, None, whole)))
            return self.faulty(v, mask, prob, spec)
        return v

    def s_Assign(self, s: C.Assign, mask: Any) -> None:
        v = self.eval(s.value, mask, True)
        if s.var.type.array:
            v = np.array(v, copy=True)
        self.code = True
        try:
            v = self.write(s.var, v, mask, s.var.type.array)
        finally:
            self.code = False
        self.assign(s.var, v, mask)

    def s_Store(self, s: C.Store, mask: Any) -> None:
        index = self.eval(s.index, mask, True)
        v = self.eval(s.value, mask, True)
        var = s.var  # (the element's Var is kept in the cache: its id names its site)
        elem = self.site_of(("elem", id(s)), lambda: C.Var(
            var.name, var.source, var.type.elem, var.urel, var.kind, var.span, var.region))
        self.code = True
        try:
            v = self.L.full(self.write(elem, v, mask))
        finally:
            self.code = False
        arr = self.L.env[id(s.var)]
        i, ok = self.index(index, arr.shape[0])
        for check in K.stmt_checks(s):
            if check.kind != K.BOUNDS:
                raise Unsupported(f"a `{check.kind}` check of a store")
            if ok is not np.True_:
                self.L.fail(~ok, mask)
        lanes = np.flatnonzero(mask & self.L.alive)
        if not len(lanes):
            return
        v = W.plain(v, mask & self.L.alive, "an array element")
        idx = np.broadcast_to(i, (self.L.n,))[lanes].astype(np.int64)
        arr[idx, lanes] = v[lanes]

    def s_NewArray(self, s: C.NewArray, mask: Any) -> None:
        length = self.eval(s.length, mask, True)
        n, inside = self.index(length, self.L.max_array + 1)  # wide lanes fail the checks
        self.L.fail(~inside & (n >= 0) & (n <= self.L.max_array), mask)
        for check in K.stmt_checks(s):
            if check.kind == K.LENGTH:
                self.L.fail(n < 0, mask)
            elif check.kind == K.LIMIT:
                self.L.fail(n > self.L.max_array, mask)
            else:
                raise Unsupported(f"a `{check.kind}` check of a new array")
        act = mask & self.L.alive
        sizes = np.unique(np.broadcast_to(n, (self.L.n,))[act])
        if len(sizes) == 0:
            return
        if len(sizes) > 1:
            raise Unsupported(f"`{s.var.source}` has different lengths in different trials")
        if int(sizes[0]) * self.L.n > MAX_ELEMENTS:
            raise Unsupported(f"`{s.var.source}` has too many elements to hold one per trial")
        new = np.zeros((int(sizes[0]), self.L.n), dtype=dtype(s.var.type))
        self.assign(s.var, new, mask)

    def s_If(self, s: C.If, mask: Any) -> None:
        c = np.asarray(self.eval(s.cond, mask, True), dtype=bool)
        self.block(s.then, mask & c)
        self.block(s.orelse, mask & ~c)

    def s_Check(self, s: C.Check, mask: Any) -> None:
        if s.kind == "accept":
            return
        for check in K.stmt_checks(s):
            if check.kind not in (K.ASSERT, K.ASSUME):
                raise Unsupported(f"a `{check.kind}` check")
            self.L.fail(~np.asarray(self.eval(s.cond, mask, False), dtype=bool), mask)

    def s_Choose(self, s: C.Choose, mask: Any) -> None:
        if not (s.kind == "relax" and self.loops.g.opts.semantics == "original"):
            raise Unsupported(f"a `{s.kind}` statement")

    def s_Call(self, s: C.Call, mask: Any) -> None:
        raise Unsupported(f"it calls `{s.callee}`")

    def s_Loop(self, s: C.Loop, mask: Any) -> None:
        if self.loops.is_counted(s):
            self.counted(s, mask)
        else:
            self.while_loop(s, mask)

    def counted(self, s: C.Loop, mask: Any) -> None:
        """`for c in range(c, h)` with h evaluated once, then `if c < h: c = h`."""
        assert s.counter is not None and isinstance(s.cond, C.BinOp)
        live = mask & self.L.alive
        h = W.plain(self.eval(s.cond.right, mask, True), live, "a loop bound")
        var = s.counter
        it = W.plain(self.L.env[id(var)], live, "a loop counter")
        if self.loops.step_limit(s):
            with np.errstate(all="ignore"):
                self.L.fail(h - it > self.L.max_steps, mask)
        uniform = not np.ndim(h) and not np.ndim(it)  # (the counter then stays 0-d)
        if not uniform:
            h, it = self.L.full(h), W.lo_full(it, self.L.n)
        while True:
            act = mask & self.L.alive & (it < h)
            if not act.any():
                break
            self.assign(var, it, act)
            self.block(s.body[:-1], act)
            it = it + 1 if uniform else np.where(act, it + 1, it)
        c = self.L.env[id(var)]
        self.assign(var, np.where(c < h, h, c), mask & self.L.alive)

    def while_loop(self, s: C.Loop, mask: Any) -> None:
        steps = np.zeros(self.L.n, dtype=np.int64)
        bound = None
        for check in K.stmt_checks(s):
            if check.kind == K.BOUND and s.bound is not None:
                bound = self.L.full(W.plain(self.eval(s.bound, mask, True),
                                            mask & self.L.alive, "a loop bound"))
                self.L.fail(bound < 0, mask)
            elif check.kind not in (K.BOUND, K.LIMIT):
                raise Unsupported(f"a `{check.kind}` check of a loop")
        limit = self.loops.step_limit(s)
        active = mask  # (a new array at each step: masks are not changed in place)
        while True:
            active = active & self.L.alive
            if bound is not None:
                active = active & (steps < bound)
            if not active.any():
                break
            active = active & np.asarray(self.eval(s.cond, active, True), dtype=bool)
            if not active.any():
                break
            steps += active
            if limit:
                self.L.fail(steps > self.L.max_steps, active)
            active = active & self.L.alive
            self.block(s.body, active)


def lane_values(lanes: Lanes, ty: C.Type, value: Any) -> Any:
    """A parameter's value (a Python value) in every lane."""
    if ty.base == "int" and not all(W.fits(x) for x in (value if ty.array else [value])):
        raise Unsupported("an int argument beyond 64 bits")
    if ty.array:
        row = np.array(value, dtype=dtype(ty))
        return np.tile(row[:, None], (1, lanes.n))  # element k of every lane: row k
    return np.array(value, dtype=dtype(ty))[()]  # the same in every lane: 0-d


def matches(got: Any, ty: C.Type, expected: Any, n: int) -> Any:
    """Per lane: whether the lane's value is exactly the fault-free one (an exact
    comparison: floats as binary64, ints as Python ints)."""
    if ty.array:
        if got.shape[0] != len(expected):
            return np.zeros(n, dtype=bool)
        if not len(expected):
            return np.ones(n, dtype=bool)
        if ty.base == "int" and not all(W.fits(x) for x in expected):
            return np.zeros(n, dtype=bool)  # int64 elements cannot be these
        want = np.array(expected, dtype=np.float64 if ty.is_float else dtype(ty))
        return (np.asarray(got, dtype=want.dtype) == want[:, None]).all(axis=0)
    if ty.base == "int":
        return W.equal_to(got, int(expected), n)
    if ty.is_float:
        return np.broadcast_to(np.asarray(got, dtype=np.float64) == float(expected), (n,))
    return np.broadcast_to(np.asarray(got, dtype=bool) == bool(expected), (n,))


@dataclass
class VectorCounts:
    trials: int = 0
    correct: int = 0
    failures: int = 0
    faults: int = 0
    most_faults: int = 0
    partial: bool = False  # stopped by an interrupt before all trials ran


def run_chunk(fn: C.Function, args: list, model: Optional[C.HardwareModel], n: int,
              rng: np.random.Generator, prng: random.Random, semantics: str, max_steps: int,
              expected: Any, budgets: Optional[Any],
              cache: Optional[dict] = None, probe: bool = False) -> tuple[Lanes, Any]:
    """n lanes of fn on args: the lanes' state and which lanes are correct (`probe`:
    lane 0 is the fault-free run, see Lanes)."""
    lanes = Lanes(n, model, rng, prng, max_steps, MAX_ARRAY, budgets, probe)
    for p, a in zip(fn.params, args):
        lanes.env[id(p)] = lane_values(lanes, p.type, a)
    ev = StmtEval(lanes, semantics, cache)
    with np.errstate(all="ignore"):
        ev.block(fn.body, np.ones(n, dtype=bool))
    ok = lanes.alive.copy()
    if fn.results:
        want = expected if len(fn.results) > 1 else (expected,)
        for r, w in zip(fn.results, want):
            ok &= matches(lanes.env[id(r)], r.type, w, n)
    return lanes, ok


def vector_trials(fn: C.Function, args: list, model: C.HardwareModel, trials: int, seed: int,
                  semantics: str, max_steps: int, expected: Any,
                  progress: Optional[Callable[[int], None]] = None,
                  hazard: Optional[float] = None) -> VectorCounts:
    """The trials, CHUNK at a time. A fault-free lane must give the interpreter's
    fault-free result (else Unsupported: the interpreter runs them) and measures the
    hazard of the fault-free path. H is `hazard`, the interpreter's (at least the
    lane's: _fault_free), when given, and the lane rides in the first chunk (a chunk
    of its own costs as much as 20,000 lanes of a small program); else the lane runs
    first and measures H. A trial whose budget is at least H sees no fault (the
    interpreter's skip, montecarlo.py): of m trials, Binomial(m, 1 - e^-H) are
    computed, each with its budget drawn below H (an Exp(1) conditioned on it), and
    the others are the fault-free run."""
    seeds = random.Random(f"vector:{seed}")
    rng = np.random.default_rng(seeds.getrandbits(64))
    prng = random.Random(f"vector-faults:{seed}")
    cache: dict = {}  # what each node needs, computed once (the nodes outlive the run)
    probe = hazard is not None  # the first chunk's lane 0 is the fault-free run
    if hazard is None:  # measured first, by a chunk of that one lane
        lanes, ok = run_chunk(fn, args, model, 1, rng, prng, semantics, max_steps, expected,
                              None, cache, True)
        hazard = lanes.path
        _fault_free(ok, lanes.path, hazard)
    hit = 1.0 if math.isinf(hazard) else -math.expm1(-hazard)  # P(a fault on the path)
    out = VectorCounts()
    width = max([len(a) for a, p in zip(args, fn.params) if p.type.array] + [1])
    lanes_max = min(CHUNK, MAX_ELEMENTS // width)
    if lanes_max < 256:
        raise Unsupported(f"an argument of {width} elements is too large to hold one per trial")
    block = lanes_max if hit >= 1.0 else max(lanes_max, int(lanes_max / max(hit, 1e-9)))
    while out.trials < trials:
        if interrupt.requested():
            out.partial = True
            break
        left = trials - out.trials  # in equal blocks (a small last one costs as much)
        parts = (left + block - 1) // block
        m = (left + parts - 1) // parts
        n = m if hit >= 1.0 else int(rng.binomial(m, hit))
        if n or probe:
            if hit >= 1.0:
                budgets = rng.exponential(size=n)
            else:  # Exp(1) below H: the inverse of its distribution function
                budgets = -np.log1p(-rng.random(n) * hit)
            if probe:
                budgets = np.concatenate(([math.inf], budgets))
            lanes, ok = run_chunk(fn, args, model, n + probe, rng, prng, semantics, max_steps,
                                  expected, budgets, cache, probe)
            alive = lanes.alive
            if probe:
                _fault_free(ok, lanes.path, hazard)
                ok, alive, probe = ok[1:], alive[1:], False
            out.correct += int(np.count_nonzero(ok))
            out.failures += int(np.count_nonzero(~alive))
            out.faults += lanes.nf
            out.most_faults = max(out.most_faults, int(lanes.rf.max()))
        out.correct += m - n  # the fault-free run (it meets its checks: it ran)
        out.trials += m
        if progress is not None:
            progress(out.trials)
    return out


def _fault_free(ok: Any, measured: float, hazard: float) -> None:
    """Unsupported unless the fault-free lane (0) gave the interpreter's result and
    passed sites of at most the hazard H the trials' budgets were drawn below. (The
    interpreter's H may be larger: it charges a straight-line block's sites at once,
    both operands of a `||` too. A trial whose budget is between the two then runs
    and sees no fault: exact still. A larger one would make skipped trials wrong;
    the slack is the interpreter's rounding, at most 2^-43 per subtraction from
    1024, which its own skip has too: 1e-7 allows a million of them, and changes
    a trial's probability of a fault by at most that.)"""
    if not ok[0]:
        raise Unsupported("its fault-free run differs from the interpreter's")
    if measured > hazard * (1 + 1e-9) + 1e-7:
        raise Unsupported(f"its fault-free run has hazard {measured}, the interpreter's "
                          f"{hazard}")
