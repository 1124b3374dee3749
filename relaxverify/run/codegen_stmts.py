"""Python source for core statements and functions: one `def` per Relax function.

The runtime tests a statement performs are the ones
`relaxverify.core.checks.stmt_checks` lists for it (array stores, new arrays, loop
bounds and step limits, a callee's precondition and the call depth at a call,
`assert`/`assume`, the choice of a `relax`/`havoc`); the specifications the
interpreter checks besides (`ensures`, loop invariants, the entry's `requires`)
are claims of the program, checked when `Options.specs` is set.

Every function takes its call depth `_d` first (the number of calls made so far,
minus one: the top function runs at -1); the entry `_entry(_cs, ...)` checks the
top function's precondition and calls it.
"""
from __future__ import annotations

import math
from typing import Any, Callable, Optional

from relaxverify.core import checks as K
from relaxverify.core import nodes as C
from relaxverify.core.visitor import StmtVisitor
from relaxverify.run.codegen_floats import write_rounded
from relaxverify.run.codegen_specfns import emit_spec_functions
from relaxverify.run.codegen_exprs import FLAT_DEPTH, Code, ExprGen, depth, zero
from relaxverify.run.externs import extern_call
from relaxverify.run.options import Options
from relaxverify.source import Span

_STRAIGHT = (C.Assign, C.Store, C.NewArray)  # statements without control flow or calls
GUARDED_INDENT = 60  # `if`s deeper than this are written with guard variables


def expect(check: K.RuntimeCheck, *kinds: str) -> None:
    """Every check the table lists has a runtime test here: fail loudly otherwise."""
    assert check.kind in kinds, f"no runtime test for a `{check.kind}` check of {check.node}"


def _conj(es: list[C.Expr]) -> C.Expr:
    out = es[0]
    for e in es[1:]:
        out = C.BinOp("&&", out, e, C.BOOL, e.span)
    return out


# `_flt(k, v)`: site k fails (its hazard drew the budget B below 0): a fresh B, and
# the faulty value, unless the run has had its `faults at most K` (then v: the later
# sites are reliable, LANGUAGE.md v2 section 11).
FAULT_HANDLER = ((0, "_B = 0.0"), (0, "def _flt(k, v):"), (1, "global _B, _NF, _RF"),
                 (1, "_B = _expo()"), (1, "if _RF >= _FB:"), (2, "return v"), (1, "_RF += 1"),
                 (1, "_NF += 1"), (1, "return _FAULTS[k](v)"), (0, ""))


class Generator(StmtVisitor):
    """Generates the Python source of one configuration of a program."""

    def __init__(self, program: C.Program, opts: Options, model: Optional[C.HardwareModel],
                 precision: Optional[C.HardwareModel] = None):
        self.program = program
        self.opts = opts
        self.c = Code(opts.exact)
        self.x = ExprGen(self.c, opts, model, precision)
        self.recording = False  # inside the recording copy of the top function
        self.nesting = 0  # blocks around the statement being generated
        self.loops = 0  # loops around it
        self.deepest: tuple[int, Optional[Span]] = (0, None)
        self.deepest_loop: tuple[int, Optional[Span]] = (0, None)
        self.loop_gen = LoopGen(self)

    @property
    def sites(self) -> list:
        return self.c.sites

    @property
    def fault_specs(self) -> dict:
        return self.c.fault_specs

    @property
    def lines(self) -> list[str]:
        return self.c.lines

    @property
    def consts(self) -> list:
        return self.c.consts

    def py(self, var: C.Var) -> str:
        return self.c.py(var)

    def emit(self, indent: int, text: str) -> None:
        self.c.emit(indent, text)

    # ------------------------------------------------------------ blocks

    def block(self, stmts: list[C.Stmt], ind: int) -> None:
        n = len(self.c.lines)
        self.nesting += 1
        if self.nesting > self.deepest[0] and stmts:
            self.deepest = (self.nesting, stmts[0].span)
        i = 0
        while i < len(stmts):
            j = i
            while j < len(stmts) and isinstance(stmts[j], _STRAIGHT):
                j += 1
            if j > i:  # a straight-line run stmts[i:j]
                if self.opts.faults == "inject":
                    self.straight(stmts[i:j], ind)
                else:
                    for s in stmts[i:j]:
                        self.stmt(s, ind)
                i = j
                continue
            self.stmt(stmts[i], ind)
            i += 1
        self.nesting -= 1
        if len(self.c.lines) == n:
            self.emit(ind, "pass")

    def straight(self, stmts: list[C.Stmt], ind: int) -> None:
        """A run of assignments, with a fast path for when none of its fault sites fails.

        With budget B, the sites of the run fail exactly when B < H (the run's total
        hazard) at some site; so if B >= H the plain code runs and B becomes B - H,
        which is again Exp(1). Otherwise the budget is restored and the sites are
        checked one by one; the budget is then redrawn, since what is left of it is
        no longer exponential (this keeps the fault model exact; see faults.py)."""
        lines = self.c.lines
        start = len(lines)
        self.x.hazard_sum = 0.0
        for s in stmts:
            self.stmt(s, ind + 1)
        slow = lines[start:]
        del lines[start:]
        total = self.x.hazard_sum
        if total == 0.0 or not math.isfinite(total):
            lines.extend(line[4:] for line in slow)
            return
        self.emit(ind, f"if (_B := _B - {total!r}) >= 0.0:")
        self.x.fast = True
        try:
            for s in stmts:
                self.stmt(s, ind + 1)
        finally:
            self.x.fast = False
        self.emit(ind, "else:")
        self.emit(ind + 1, f"_B += {total!r}")
        lines.extend(slow)
        self.emit(ind + 1, "_B = _expo()")

    # ------------------------------------------------------------ statements

    def s_Assign(self, s: C.Assign, ind: int) -> None:
        code = self.x.code(s.value, ind)
        if s.var.type.array and isinstance(s.value, C.VarRef):
            code = f"list({code})" if s.var.type.dims == 1 else f"_copynd({code})"
        self.emit(ind, f"{self.py(s.var)} = {self.x.write(s.var, code, s.span)}")

    def s_Store(self, s: C.Store, ind: int) -> None:
        if s.more: return _store_nd(self, s, ind)  # noqa: E701 (several dimensions)
        a = self.py(s.var)
        i, v = self.c.fresh("i"), self.c.fresh("v")
        self.emit(ind, f"{i} = {self.x.code(s.index, ind)}")
        value = self.x.code(s.value, ind)
        elem = C.Var(s.var.name, s.var.source, s.var.type.elem, s.var.urel, s.var.kind, s.var.span,
                     s.var.region)
        self.emit(ind, f"{v} = {self.x.write(elem, value, s.span)}")
        for check in K.stmt_checks(s):
            expect(check, K.BOUNDS)
            k = self.c.site(s.span, s.var.source)
            self.emit(ind, f"if not 0 <= {i} < len({a}): _oob({k}, {i}, {a})")
        self.emit(ind, f"{a}[{i}] = {v}")

    def s_NewArray(self, s: C.NewArray, ind: int) -> None:
        if s.more: return _new_nd(self, s, ind)  # noqa: E701 (several dimensions)
        n = self.c.fresh("n")
        self.emit(ind, f"{n} = {self.x.code(s.length, ind)}")
        tests = []
        for check in K.stmt_checks(s):
            expect(check, K.LENGTH, K.LIMIT)
            tests.append(f"0 <= {n}" if check.kind == K.LENGTH else f"{n} <= _MAXARRAY")
        if tests:  # one test for both: `_badlen` tells the kinds apart
            k = self.c.site(s.span, s.var.source)
            self.emit(ind, f"if not ({' and '.join(tests)}): _badlen({k}, {n})")
        z = self.c.const(zero(s.var.type, self.opts.exact), s.var.type.elem)
        self.emit(ind, f"{self.py(s.var)} = [{z}] * {n}")

    def s_Call(self, s: C.Call, ind: int) -> None:
        k = self.c.site(s.span, s.callee, s)
        args = [self.x.code(a, ind) for a in s.args]
        callee = self.program.functions[s.callee]
        checks = K.stmt_checks(s)
        needs_pre = self.opts.specs and bool(callee.requires)
        if self.recording or needs_pre or callee.extern:
            temps = [a if a.isidentifier() and not self.recording else self.c.fresh("a")
                     for a in args]
            for t, a in zip(temps, args):
                if t != a:
                    self.emit(ind, f"{t} = {a}")
            args = temps
        if self.recording:
            env = ", ".join(f"{p.name!r}: {t}" for p, t in zip(callee.params, args))
            self.emit(ind, f"_rec('call', {k}, {{{env}}})")
        for check in checks:
            expect(check, K.REQUIRES, K.LIMIT)
            if check.kind == K.REQUIRES and needs_pre:
                self.preconditions(callee, dict(zip((p.name for p in callee.params), args)),
                                   str(k), ind)
            elif check.kind == K.LIMIT:
                self.emit(ind, f"if _d >= _MAXDEPTH: _deep({k})")
        call = extern_call(self, s, callee, args, ind) if callee.extern else \
            f"f_{s.callee}({', '.join(['_d + 1'] + args)})"
        _keep_results(self, s, call, ind)

    def preconditions(self, callee: C.Function, args: dict[str, str], cs: str,
                      ind: int) -> None:
        """The callee's `requires` on the argument values; a failure names call site cs."""
        def res(r: C.VarRef) -> str:
            if r.var.kind != "bound" and r.var.name in args:
                return args[r.var.name]
            return self.py(r.var)
        for req in callee.requires:
            k = self.c.site(req.span, callee.name, req)
            self.x.resolver = res
            try:
                cond = self.x.spec(req, ind)
            finally:
                self.x.resolver = None
            self.emit(ind, f"if not {cond}: _req({k}, {cs})")

    def s_Choose(self, s: C.Choose, ind: int) -> None:
        if s.kind == "relax" and self.opts.semantics == "original":
            return
        for check in K.stmt_checks(s):
            expect(check, K.CHOICE)
            k = self.c.site(s.span, s.kind, s)
            targets = ", ".join(self.py(v) for v in s.vars)
            self.emit(ind, f"{targets}, = _choose({k}, {self.x.env_dict(s.pred, tuple(s.vars))})")

    def s_Check(self, s: C.Check, ind: int) -> None:
        if s.kind == "accept":
            if self.recording:
                k = self.c.site(s.span, "accept", s)
                seen = s.cond if s.query is None else s.query  # a bound query: E's state
                self.emit(ind, f"_rec('accept', {k}, {self.x.env_dict(seen)})")
            return
        for check in K.stmt_checks(s):
            expect(check, K.ASSERT, K.ASSUME)
            k = self.c.site(s.span, s.kind, s)
            self.emit(ind, f"if not {self.x.spec(s.cond, ind)}: _fail({s.kind!r}, {k})")

    def s_If(self, s: C.If, ind: int) -> None:
        if ind >= GUARDED_INDENT:
            self.guarded([s], None, ind)
            return
        self.emit(ind, f"if {self.x.code(s.cond, ind)}:")
        self.block(s.then, ind + 1)
        if s.orelse:
            self.emit(ind, "else:")
            self.block(s.orelse, ind + 1)

    def guarded(self, stmts: list[C.Stmt], g: Optional[str], ind: int) -> None:
        """Statements under guard variable g (None: always run), nested `if`s without
        indenting: each branch's condition goes to a guard variable of its own, and
        the statements of a branch run under `if GUARD:`. So an `if` nested 5,000
        deep stays within Python's 100 levels of indentation."""
        i = 0
        while i < len(stmts):
            s = stmts[i]
            if not isinstance(s, C.If):
                j = i
                while j < len(stmts) and not isinstance(stmts[j], C.If):
                    j += 1
                if g is None:
                    self.block(stmts[i:j], ind)
                else:
                    self.emit(ind, f"if {g}:")
                    self.block(stmts[i:j], ind + 1)
                i = j
                continue
            t = self.c.fresh("g")
            if g is None:
                self.emit(ind, f"{t} = {self.x.code(s.cond, ind)}")
            else:
                self.emit(ind, f"{t} = False")
                self.emit(ind, f"if {g}:")
                self.emit(ind + 1, f"{t} = {self.x.code(s.cond, ind + 1)}")
            self.guarded(s.then, t, ind)
            if s.orelse:
                other = self.c.fresh("g")
                self.emit(ind, f"{other} = {'' if g is None else g + ' and '}not {t}")
                self.guarded(s.orelse, other, ind)
            i += 1

    def s_Loop(self, s: C.Loop, ind: int) -> None:
        self.loop_gen.s_Loop(s, ind)

    # ------------------------------------------------------------ functions

    def function(self, fn: C.Function, name: str) -> None:
        params = ", ".join(["_d"] + [self.py(p) for p in fn.params])
        self.emit(0, f"def {name}({params}):")
        if self.opts.faults == "inject":
            self.emit(1, "global _B")
        for p in fn.params:  # a parameter in a region with a precision: rounded in R
            value = write_rounded(self.x, p, self.py(p), p.span)
            if value != self.py(p):
                self.emit(1, f"{self.py(p)} = {value}")
        self.block(fn.body, 1)
        if self.opts.specs:
            for ens in fn.ensures:
                k = self.c.site(ens.span, fn.name, ens)
                self.emit(1, f"if not {self.x.spec(ens, 1)}: _fail('ensures', {k})")
        results = [str(self.py(r)) for r in fn.results]
        self.emit(1, "return " + (results[0] if len(results) == 1 else
                                  f"({', '.join(results)})" if results else "None"))
        self.emit(0, "")

    def entry(self, fn: C.Function, target: str) -> None:
        """`_entry(_cs, ...)`: the top function's precondition, then the function at
        depth -1 (no call made yet). Without a precondition to check the entry is the
        function itself, called with -1: Monte Carlo pays no extra call per trial."""
        if not (self.opts.specs and fn.requires):
            self.emit(0, f"_entry = {target}")
            return
        params = [self.py(p) for p in fn.params]
        self.emit(0, f"def _entry({', '.join(['_cs'] + params)}):")
        self.preconditions(fn, {p.name: self.py(p) for p in fn.params}, "_cs", 1)
        self.emit(1, f"return {target}({', '.join(['-1'] + params)})")
        self.emit(0, "")

    def module(self, top: Optional[str]) -> str:
        self.x.resolver = None
        self.x.in_code = False
        for depth, line in FAULT_HANDLER:
            self.emit(depth, line)
        emit_spec_functions(self, self.program)
        for fn in [f for f in self.program.functions.values() if not f.extern]:
            self.function(fn, f"f_{fn.name}")  # (an extern's calls choose its result)
        if top is not None:
            target = f"f_{top}"
            if self.opts.record:
                self.recording = True
                self.function(self.program.functions[top], f"f_{top}__top")
                self.recording = False
                target = f"f_{top}__top"
            self.entry(self.program.functions[top], target)
        return "\n".join(self.c.lines) + "\n"


class LoopGen:
    """Loops: a counted `for` as a Python `for` over a range, others as `while`."""

    def __init__(self, gen: Generator):
        self.g = gen

    def loop_head(self, s: C.Loop, ind: int) -> None:
        if self.g.opts.specs:
            for inv in s.invariants:
                k = self.g.c.site(inv.span, "invariant", inv)
                self.g.emit(ind, f"if not {self.g.x.spec(inv, ind)}: _fail('invariant', {k})")
        if self.g.recording and s.invariants_r:
            k = self.g.c.site(s.span, "loop", s)
            env = self.g.x.env_dict(_conj(s.invariants_r))
            self.g.emit(ind, f"_rec('loop', {k}, {env})")

    def has_head(self, s: C.Loop) -> bool:
        return bool((self.g.opts.specs and s.invariants) or (self.g.recording and s.invariants_r))

    def step_limit(self, s: C.Loop) -> bool:
        """Whether the loop needs its step test: the table's `limit` check, unless the
        trip count is a constant within --max-steps and no fault can change it."""
        listed = any(c.kind == K.LIMIT for c in K.stmt_checks(s))
        if s.trips is not None:
            faulty = self.g.opts.faults != "none" and s.counter is not None and s.counter.urel
            return listed or faulty or s.trips > self.g.opts.max_steps
        bound = s.bound
        if isinstance(bound, C.Const) and not isinstance(bound.value, bool):
            return listed and bound.value > self.g.opts.max_steps  # decided statically
        return listed

    def s_Loop(self, s: C.Loop, ind: int) -> None:
        k = self.g.c.site(s.span, s.kind, s)
        self.g.loops += 1
        if self.g.loops > self.g.deepest_loop[0]:
            self.g.deepest_loop = (self.g.loops, s.span)
        try:
            if self.is_counted(s):
                self.counted_loop(s, k, ind)
            else:
                self.while_loop(s, k, ind)
        finally:
            self.g.loops -= 1

    def is_counted(self, s: C.Loop) -> bool:
        step = s.body[-1] if s.body else None
        return (s.kind in ("for", "repeat") and s.counter is not None
                and isinstance(step, C.Assign) and step.var is s.counter
                and isinstance(s.cond, C.BinOp) and s.cond.op == "<"
                and isinstance(s.cond.left, C.VarRef) and s.cond.left.var is s.counter)

    def counted_loop(self, s: C.Loop, k: int, ind: int) -> None:
        """`for c in lo .. hi` as a Python `for` over a range."""
        assert s.counter is not None and isinstance(s.cond, C.BinOp)
        c = self.g.py(s.counter)
        h = self.g.c.fresh("h")
        self.g.emit(ind, f"{h} = {self.g.x.code(s.cond.right, ind)}")
        if self.step_limit(s):
            self.g.emit(ind, f"if {h} - {c} > _MAXSTEPS: _lim({k})")
        self.g.emit(ind, f"for {c} in range({c}, {h}):")
        self.clock(c, k, ind + 1)
        self.loop_head(s, ind + 1)
        self.g.block(s.body[:-1], ind + 1)
        self.g.emit(ind, f"if {c} < {h}: {c} = {h}")
        self.loop_head(s, ind)

    def while_loop(self, s: C.Loop, k: int, ind: int) -> None:
        n = self.g.c.fresh("k")
        self.g.emit(ind, f"{n} = 0")
        b = None
        for check in K.stmt_checks(s):
            expect(check, K.BOUND, K.LIMIT)
            if check.kind == K.BOUND and s.bound is not None:
                b = self.g.c.fresh("b")
                self.g.emit(ind, f"{b} = {self.g.x.code(s.bound, ind)}")
                self.g.emit(ind, f"if {b} < 0: _negbound({k}, {b})")
        if self.has_head(s) or depth(s.cond) > FLAT_DEPTH:
            self.g.emit(ind, "while True:")
            self.loop_head(s, ind + 1)
            if b is not None:
                self.g.emit(ind + 1, f"if {n} >= {b}: break")
            self.g.emit(ind + 1, f"if not {self.g.x.code(s.cond, ind + 1)}: break")
        elif b is not None:
            self.g.emit(ind, f"while {n} < {b} and {self.g.x.code(s.cond, ind)}:")
        else:
            self.g.emit(ind, f"while {self.g.x.code(s.cond, ind)}:")
        self.g.emit(ind + 1, f"{n} += 1")
        if self.step_limit(s):
            self.g.emit(ind + 1, f"if {n} > _MAXSTEPS: _lim({k})")
        self.clock(n, k, ind + 1)
        self.g.block(s.body, ind + 1)

    def clock(self, count: str, k: int, ind: int) -> None:
        """With a time limit, look at the clock every 4,096 iterations of a loop."""
        if self.g.opts.time_limit is not None:
            self.g.emit(ind, f"if not ({count}) & 4095 and _now() > _DEADLINE: _slow({k})")


def _store_nd(self: Generator, s: C.Store, ind: int) -> None:
    """`m[i, j] = e`: the indices, then the value, then each index's check."""
    idx = []
    for i in s.indices:
        t = self.c.fresh("i")
        self.emit(ind, f"{t} = {self.x.code(i, ind)}")
        idx.append(t)
    v = self.c.fresh("v")
    value = self.x.code(s.value, ind)
    elem = C.Var(s.var.name, s.var.source, s.var.type.elem, s.var.urel, s.var.kind, s.var.span,
                 s.var.region)  # the region: a model's memory of that name is the fault rate
    self.emit(ind, f"{v} = {self.x.write(elem, value, s.span)}")
    for check in K.stmt_checks(s):
        expect(check, K.BOUNDS)
    k = self.c.site(s.span, s.var.source)
    self.emit(ind, f"_put({k}, {self.py(s.var)}, {v}, {', '.join(idx)})")


def _new_nd(self: Generator, s: C.NewArray, ind: int) -> None:
    """`var m: T[n, k]`: each length checked (`length`), then the element count."""
    ns = []
    for n in s.lengths:
        t = self.c.fresh("n")
        self.emit(ind, f"{t} = {self.x.code(n, ind)}")
        ns.append(t)
    for check in K.stmt_checks(s):
        expect(check, K.LENGTH, K.LIMIT)
    k = self.c.site(s.span, s.var.source)
    z = self.c.const(zero(s.var.type, self.opts.exact), s.var.type.elem)
    self.emit(ind, f"{self.py(s.var)} = _newnd({k}, {z}, _MAXARRAY, {', '.join(ns)})")


def _keep_results(gen: Generator, s: C.Call, call: str, ind: int) -> None:
    """The call's code, its results written to the targets (a callee with several
    results returns a tuple)."""
    if not s.targets:
        if call:
            gen.emit(ind, call)
        return
    value = call
    if len(s.targets) > 1:
        value = gen.c.fresh("c")
        gen.emit(ind, f"{value} = {call}")
    for i, var in enumerate(s.targets):
        one = value if len(s.targets) == 1 else f"{value}[{i}]"
        gen.emit(ind, f"{gen.py(var)} = {gen.x.write(var, one, s.span, False)}")
