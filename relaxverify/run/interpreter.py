"""An interpreter for the core language (LANGUAGE.md §6-§8): original and relaxed
semantics, runtime checks, fault injection and counterexample replay.

Each configuration compiles the program to Python source: one `def` per Relax
function, Relax locals as Python locals, arrays as lists copied on assignment,
reals as float (or Fraction with `exact`). Runtime checks and fault sites are
inlined, so a Monte Carlo trial runs at close to the speed of hand-written Python
instead of walking the syntax tree. Anything that needs state (faults, choices,
records for replay) calls back into the `Interpreter` through the namespace.
"""
from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Callable, Optional

from relaxverify.core import nodes as C
from relaxverify.syntax.ast import Span
from relaxverify.run.choose import ChoicePlan, ChooseError, to_float, z3_admits, z3_holds
from relaxverify.verify.counterexample import Counterexample, ReplayOutcome
from relaxverify.report.diagnostics import source_lines
from relaxverify.run.faults import FaultMaker, FaultSpec, hazard
from relaxverify.check.hardware import RELIABLE

MAX_STEPS = 10_000_000  # iterations of one loop execution before a `limit` failure
MAX_ARRAY = 10_000_000  # elements of one array
# Bits of an int product before a `limit` failure: ints are unbounded, but a faulty
# value squared in a loop (one flipped high bit, then x = x * x) would fill the memory.
MAX_INT_BITS = 1_000_000
REPLAY_SECONDS = 2.0  # each run of a counterexample replay (its inputs may be huge)


class RuntimeFailure(Exception):
    """A failed runtime check. `kind` is an obligation kind of LANGUAGE.md §8 (assert,
    assume, bounds, division, length, bound, requires, ensures, invariant) or one of
    relax, havoc (no values satisfy the predicate) and limit (a resource limit)."""

    def __init__(self, kind: str, span: Optional[Span], message: str):
        super().__init__(message)
        self.kind = kind
        self.span = span
        self.message = message


class CompileLimit(Exception):
    """The program is beyond what the generated Python can express (deep nesting)."""


@dataclass
class Site:
    span: Span
    what: str = ""  # a description for messages, e.g. the array's name
    node: Any = None


@dataclass
class RunOutcome:
    result: Any
    failure: Optional[RuntimeFailure]
    records: list = field(default_factory=list)  # (tag, site, env) in execution order
    notes: list[str] = field(default_factory=list)


def _pyname(source: str) -> str:
    return "".join(c if c.isalnum() or c == "_" else "_" for c in source)


def zero(ty: C.Type, exact: bool):
    return {"int": 0, "bool": False}.get(ty.base, Fraction(0) if exact else 0.0)


# ---------------------------------------------------------------- code generation


class _Gen:
    """Generates the Python source of one configuration."""

    def __init__(self, program: C.Program, opts: "Options", model: Optional[C.HardwareModel]):
        self.program = program
        self.opts = opts
        self.model = model
        self.sites: list[Site] = []
        self.fault_specs: dict[int, FaultSpec] = {}
        self.names: dict[int, str] = {}
        self.used: set[str] = set()
        self.consts: list[Any] = []
        self.tmp = 0
        self.lines: list[str] = []
        self.recording = False  # inside the recording copy of the top function
        self.resolver: Optional[Callable[[C.VarRef], str]] = None
        self.in_code = False  # generating program code (faults apply), not a specification
        self.fast = False  # generating the fault-free fast path of a straight-line run
        self.hazard_sum = 0.0  # total hazard of the fault sites generated so far
        self.bare: dict[str, tuple[str, str]] = {}  # "(a + b)" -> ("add", "a + b")
        self.trace_all = False  # trace mode without a model: every site may fail

    # ------------------------------------------------------------ helpers

    def site(self, span: Span, what: str = "", node: Any = None) -> int:
        self.sites.append(Site(span, what, node))
        return len(self.sites) - 1

    def fresh(self, prefix: str) -> str:
        self.tmp += 1
        return f"_{prefix}{self.tmp}"

    def py(self, var: C.Var) -> str:
        key = id(var)
        if key not in self.names:
            base = "v_" + _pyname(var.source)
            name, n = base, 1
            while name in self.used:
                n += 1
                name = f"{base}_{n}"
            self.used.add(name)
            self.names[key] = name
        return self.names[key]

    def emit(self, indent: int, text: str) -> None:
        self.lines.append("    " * indent + text)

    def const(self, value: Any, ty: C.Type) -> str:
        if isinstance(value, bool):
            return "True" if value else "False"
        if ty.base == "real" or isinstance(value, Fraction):
            if self.opts.exact:
                self.consts.append(Fraction(value))
                return f"_K[{len(self.consts) - 1}]"
            f = to_float(value)
            text = repr(f) if math.isfinite(f) else "1e999"  # 1e999 is the literal of inf
            return text if value >= 0 else f"(-{text.lstrip('-')})"
        return repr(int(value)) if value >= 0 else f"({int(value)})"

    # ------------------------------------------------------------ fault sites

    def faulty(self, code: str, prob: float, spec: FaultSpec, span: Span, what: str,
               read: bool = True) -> str:
        """`code` wrapped so that it may return a faulty value."""
        mode = self.opts.faults
        if mode == "none" or not self.in_code or self.fast:
            return code
        if mode == "trace":
            # The verifier's counterexamples list, in order, the operator results,
            # `urel` scalar/element reads and scalar/element writes that may fail (all
            # of them without a model), not call results or whole-array copies.
            if not read or (prob >= 1.0 and not self.trace_all):
                return code
            k = self.site(span, what)
            self.fault_specs[k] = spec
            return f"_U({k}, {code})"
        h = hazard(prob)
        if h == 0.0:
            return code
        self.hazard_sum += h
        k = self.site(span, what)
        self.fault_specs[k] = spec
        t = self.fresh("t")
        hs = "1e999" if math.isinf(h) else repr(h)  # 1e999 is inf: the site always fails
        return f"({t} if (({t} := {code}) is {t}) and (_B := _B - {hs}) >= 0.0 else _flt({k}, {t}))"

    # ------------------------------------------------------------ expressions

    def expr(self, e: C.Expr) -> str:
        return getattr(self, "e_" + type(e).__name__)(e)

    def e_Const(self, e: C.Const) -> str:
        return self.const(e.value, e.ty)

    def e_VarRef(self, e: C.VarRef) -> str:
        if self.resolver is not None:
            return self.resolver(e)
        name = self.py(e.var)
        if e.var.urel and self.model is not None and not e.var.type.array:
            # A whole array (copied, compared or passed on) is not a read access: only
            # its elements are (as in the reliability analysis).
            return self.faulty(name, self.model.read, FaultSpec(e.var.type), e.span,
                               e.var.source)
        return name

    def e_Unary(self, e: C.Unary) -> str:
        x = self.expr(e.operand)
        return f"(not {x})" if e.op == "!" else f"(-{x})"

    def e_BinOp(self, e: C.BinOp) -> str:
        op = e.op
        if op in ("&&", "||", "==>", "<==>"):
            a, b = self.expr(e.left), self.expr(e.right)
            if op in ("&&", "||"):
                py = "and" if op == "&&" else "or"
                return self.chain(e, self.left_bare(e, a, _GROUP[op]), py, b, _GROUP[op])
            return f"((not {a}) or {b})" if op == "==>" else f"({a} == {b})"
        a, b = self.expr(e.left), self.expr(e.right)
        if op in ("/", "%"):
            pyop = "//" if (op == "/" and e.ty == C.INT) else op
            if isinstance(e.right, C.Const) and e.right.value != 0:
                code = self.chain(e, self.left_bare(e, a, "mul"), pyop, b, "mul")
            else:
                k = self.site(e.span, "", e)
                l, r = self.fresh("l"), self.fresh("r")
                code = (f"({l} {pyop} {r} if (({l} := {a}) is {l}) and ({r} := {b}) != 0 "
                        f"else _dz({k}, {r}))")
        elif op == "*" and e.ty == C.INT:
            k = self.site(e.span, "", e)
            m = self.fresh("m")
            code = (f"({m} if ({m} := {a} * {b}).bit_length() <= {MAX_INT_BITS} "
                    f"else _huge({k}, {m}))")
        elif op in _GROUP:
            code = self.chain(e, self.left_bare(e, a, _GROUP[op]), op, b, _GROUP[op])
        else:
            code = f"({a} {op} {b})"
        if e.unreliable and self.model is not None:
            om = self.model.op(op)
            code = self.faulty(code, om.prob, FaultSpec(e.ty, om.error), e.span, op + ".")
            self.bare.pop(code, None)
        return code

    # Left-nested chains (`a + b + c + ...`, `p && q && ...`) are written without
    # inner parentheses: Python's parser allows only 200 nested ones.
    def chain(self, e: C.BinOp, a: str, op: str, b: str, group: str) -> str:
        code = f"({a} {op} {b})"
        self.bare[code] = (group, f"{a} {op} {b}")
        return code

    def left_bare(self, e: C.BinOp, a: str, group: str) -> str:
        hit = self.bare.get(a)
        return hit[1] if hit is not None and hit[0] == group else a

    def e_Select(self, e: C.Select) -> str:
        arr_ref = e.array
        assert isinstance(arr_ref, C.VarRef)
        a = self.resolver(arr_ref) if self.resolver is not None else self.py(arr_ref.var)
        k = self.site(e.span, arr_ref.var.source)
        if isinstance(e.index, C.Const) and e.index.value >= 0:
            i = self.expr(e.index)
            code = f"({a}[{i}] if {i} < len({a}) else _oob({k}, {i}, {a}))"
        else:
            i = self.expr(e.index)
            if i.isidentifier():
                code = f"({a}[{i}] if 0 <= {i} < len({a}) else _oob({k}, {i}, {a}))"
            else:
                t = self.fresh("i")
                code = f"({a}[{t}] if 0 <= ({t} := {i}) < len({a}) else _oob({k}, {t}, {a}))"
        var = arr_ref.var
        if var.urel and self.model is not None and self.resolver is None:
            return self.faulty(code, self.model.read, FaultSpec(var.type.elem), e.span,
                               var.source)
        return code

    def e_Apply(self, e: C.Apply) -> str:
        if e.fn == "len" and isinstance(e.args[0], C.VarRef) and self.resolver is None:
            return f"len({self.py(e.args[0].var)})"  # the length is not in unreliable memory
        args = [self.expr(a) for a in e.args]
        if e.fn == "real":
            return f"{'_Fr' if self.opts.exact else 'float'}({args[0]})"
        return f"{e.fn}({', '.join(args)})"

    def e_Quant(self, e: C.Quant) -> str:
        v = self.py(e.var)
        body = self.expr(e.body)
        agg = "all" if e.kind == "forall" else "any"
        if e.var.type == C.BOOL:
            return f"{agg}({body} for {v} in (False, True))"
        rng = self.quant_range(e) if e.var.type == C.INT else None
        if rng is not None:
            lo, hi = rng
            return f"{agg}({body} for {v} in range({lo}, {hi}))"
        k = self.site(e.span, "", e)
        env = self.env_dict(e)
        return f"_quant({k}, {env})"

    def quant_range(self, e: C.Quant) -> Optional[tuple[str, str]]:
        """[lo, hi) for the quantified int from guards such as `0 <= j < len(a) ==> ...`."""
        guard = e.body
        if e.kind == "forall":
            if not (isinstance(guard, C.BinOp) and guard.op == "==>"):
                return None
            guard = guard.left
        atoms = []
        stack = [guard]
        while stack:
            x = stack.pop()
            if isinstance(x, C.BinOp) and x.op == "&&":
                stack.extend((x.left, x.right))
            else:
                atoms.append(x)
        los, his = [], []
        flip = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "=="}

        def is_v(x):
            return isinstance(x, C.VarRef) and x.var is e.var

        def free_of_v(x):
            return not any(is_v(y) for y in C.subexprs(x))
        for a in atoms:
            if not isinstance(a, C.BinOp) or a.op not in flip:
                continue
            if is_v(a.left) and free_of_v(a.right):
                op, other = a.op, a.right
            elif is_v(a.right) and free_of_v(a.left):
                op, other = flip[a.op], a.left
            else:
                continue
            c = self.expr(other)
            if op in (">=", "=="):
                los.append(c)
            if op == ">":
                los.append(f"({c} + 1)")
            if op in ("<", ):
                his.append(c)
            if op in ("<=", "=="):
                his.append(f"({c} + 1)")
        if not los or not his:
            return None
        lo = los[0] if len(los) == 1 else f"max({', '.join(los)})"
        hi = his[0] if len(his) == 1 else f"min({', '.join(his)})"
        return lo, hi

    def env_dict(self, e: C.Expr, extra: tuple = ()) -> str:
        """A dict literal of the current values of e's free variables (by Var.name)."""
        names = {}
        for x in C.subexprs(e):
            if isinstance(x, C.VarRef) and x.var.kind != "bound":
                names[x.var.name] = x
        for v in extra:
            names[v.name] = C.VarRef(v, v.span)
        parts = []
        for name, ref in names.items():
            code = self.resolver(ref) if self.resolver is not None else self.py(ref.var)
            parts.append(f"{name!r}: {code}")
        return "{" + ", ".join(parts) + "}"

    # ------------------------------------------------------------ statements

    def code_expr(self, e: C.Expr) -> str:
        self.in_code = True
        try:
            return self.expr(e)
        finally:
            self.in_code = False

    def spec_expr(self, e: C.Expr) -> str:
        return self.expr(e)

    def block(self, stmts: list[C.Stmt], ind: int) -> None:
        n = len(self.lines)
        i = 0
        while i < len(stmts):
            j = i
            while j < len(stmts) and isinstance(stmts[j], _STRAIGHT):
                j += 1
            if j > i and self.opts.faults == "inject":
                self.straight(stmts[i:j], ind)
                i = j
                continue
            getattr(self, "s_" + type(stmts[i]).__name__)(stmts[i], ind)
            i += 1
        if len(self.lines) == n:
            self.emit(ind, "pass")

    def straight(self, stmts: list[C.Stmt], ind: int) -> None:
        """A run of assignments, with a fast path for when none of its fault sites fails.

        With budget B, the sites of the run fail exactly when B < H (the run's total
        hazard) at some site; so if B >= H the plain code runs and B becomes B - H,
        which is again Exp(1). Otherwise the budget is restored and the sites are
        checked one by one; the budget is then redrawn, since what is left of it is
        no longer exponential (this keeps the fault model exact; see faults.py)."""
        start = len(self.lines)
        self.hazard_sum = 0.0
        for s in stmts:
            getattr(self, "s_" + type(s).__name__)(s, ind + 1)
        slow = self.lines[start:]
        del self.lines[start:]
        total = self.hazard_sum
        if total == 0.0 or not math.isfinite(total):
            self.lines.extend(line[4:] for line in slow)
            return
        self.emit(ind, f"if (_B := _B - {total!r}) >= 0.0:")
        self.fast = True
        try:
            for s in stmts:
                getattr(self, "s_" + type(s).__name__)(s, ind + 1)
        finally:
            self.fast = False
        self.emit(ind, "else:")
        self.emit(ind + 1, f"_B += {total!r}")
        self.lines.extend(slow)
        self.emit(ind + 1, "_B = _expo()")

    def write(self, var: C.Var, code: str, span: Span, traced: bool = True) -> str:
        if var.urel and self.model is not None:
            self.in_code = True
            try:
                return self.faulty(code, self.model.write,
                                   FaultSpec(var.type, None, var.type.array), span, var.source,
                                   read=traced and not var.type.array)
            finally:
                self.in_code = False
        return code

    def s_Assign(self, s: C.Assign, ind: int) -> None:
        code = self.code_expr(s.value)
        if s.var.type.array and isinstance(s.value, C.VarRef):
            code = f"list({code})"
        self.emit(ind, f"{self.py(s.var)} = {self.write(s.var, code, s.span)}")

    def s_Store(self, s: C.Store, ind: int) -> None:
        a = self.py(s.var)
        i, v = self.fresh("i"), self.fresh("v")
        k = self.site(s.span, s.var.source)
        self.emit(ind, f"{i} = {self.code_expr(s.index)}")
        value = self.code_expr(s.value)
        elem = C.Var(s.var.name, s.var.source, s.var.type.elem, s.var.urel, s.var.kind, s.var.span)
        self.emit(ind, f"{v} = {self.write(elem, value, s.span)}")
        self.emit(ind, f"if not 0 <= {i} < len({a}): _oob({k}, {i}, {a})")
        self.emit(ind, f"{a}[{i}] = {v}")

    def s_NewArray(self, s: C.NewArray, ind: int) -> None:
        n = self.fresh("n")
        k = self.site(s.span, s.var.source)
        self.emit(ind, f"{n} = {self.code_expr(s.length)}")
        self.emit(ind, f"if not 0 <= {n} <= _MAXARRAY: _badlen({k}, {n})")
        z = self.const(zero(s.var.type, self.opts.exact), s.var.type.elem)
        self.emit(ind, f"{self.py(s.var)} = [{z}] * {n}")

    def s_Call(self, s: C.Call, ind: int) -> None:
        k = self.site(s.span, s.callee, s)
        args = [self.code_expr(a) for a in s.args]
        callee = self.program.functions[s.callee]
        if self.recording:
            temps = [self.fresh("a") for _ in args]
            for t, a in zip(temps, args):
                self.emit(ind, f"{t} = {a}")
            env = ", ".join(f"{p.name!r}: {t}" for p, t in zip(callee.params, temps))
            self.emit(ind, f"_rec('call', {k}, {{{env}}})")
            args = temps
        call = f"f_{s.callee}({', '.join([str(k)] + args)})"
        if s.target is None:
            self.emit(ind, call)
        else:
            self.emit(ind, f"{self.py(s.target)} = {self.write(s.target, call, s.span, False)}")

    def s_Choose(self, s: C.Choose, ind: int) -> None:
        if s.kind == "relax" and self.opts.semantics == "original":
            return
        k = self.site(s.span, s.kind, s)
        targets = ", ".join(self.py(v) for v in s.vars)
        self.emit(ind, f"{targets}, = _choose({k}, {self.env_dict(s.pred, tuple(s.vars))})")

    def s_Check(self, s: C.Check, ind: int) -> None:
        if s.kind == "accept":
            if self.recording:
                k = self.site(s.span, "accept", s)
                self.emit(ind, f"_rec('accept', {k}, {self.env_dict(s.cond)})")
            return
        k = self.site(s.span, s.kind, s)
        self.emit(ind, f"if not {self.spec_expr(s.cond)}: _fail({s.kind!r}, {k})")

    def s_If(self, s: C.If, ind: int) -> None:
        self.emit(ind, f"if {self.code_expr(s.cond)}:")
        self.block(s.then, ind + 1)
        if s.orelse:
            self.emit(ind, "else:")
            self.block(s.orelse, ind + 1)

    def loop_head(self, s: C.Loop, ind: int) -> None:
        if self.opts.specs:
            for inv in s.invariants:
                k = self.site(inv.span, "invariant", inv)
                self.emit(ind, f"if not {self.spec_expr(inv)}: _fail('invariant', {k})")
        if self.recording and s.invariants_r:
            k = self.site(s.span, "loop", s)
            env = self.env_dict(_conj(s.invariants_r))
            self.emit(ind, f"_rec('loop', {k}, {env})")

    def has_head(self, s: C.Loop) -> bool:
        return bool((self.opts.specs and s.invariants) or (self.recording and s.invariants_r))

    def s_Loop(self, s: C.Loop, ind: int) -> None:
        k = self.site(s.span, s.kind, s)
        step = s.body[-1] if s.body else None
        if (s.kind in ("for", "repeat") and s.counter is not None and isinstance(step, C.Assign)
                and step.var is s.counter and isinstance(s.cond, C.BinOp) and s.cond.op == "<"
                and isinstance(s.cond.left, C.VarRef) and s.cond.left.var is s.counter):
            c = self.py(s.counter)
            h = self.fresh("h")
            self.emit(ind, f"{h} = {self.code_expr(s.cond.right)}")
            self.emit(ind, f"if {h} - {c} > _MAXSTEPS: _lim({k})")
            self.emit(ind, f"for {c} in range({c}, {h}):")
            self.clock(c, k, ind + 1)
            self.loop_head(s, ind + 1)
            self.block(s.body[:-1], ind + 1)
            self.emit(ind, f"if {c} < {h}: {c} = {h}")
            self.loop_head(s, ind)
            return
        n = self.fresh("k")
        self.emit(ind, f"{n} = 0")
        b = None
        if s.bound is not None:
            b = self.fresh("b")
            self.emit(ind, f"{b} = {self.code_expr(s.bound)}")
            self.emit(ind, f"if {b} < 0: _negbound({k}, {b})")
        cond = self.code_expr(s.cond)
        if self.has_head(s):
            self.emit(ind, "while True:")
            self.loop_head(s, ind + 1)
            if b is not None:
                self.emit(ind + 1, f"if {n} >= {b}: break")
            self.emit(ind + 1, f"if not {cond}: break")
        elif b is not None:
            self.emit(ind, f"while {n} < {b} and {cond}:")
        else:
            self.emit(ind, f"while {cond}:")
        self.emit(ind + 1, f"{n} += 1")
        small = (isinstance(s.bound, C.Const) and not isinstance(s.bound.value, bool)
                 and s.bound.value <= self.opts.max_steps)
        if not small:  # a constant bound within the limit needs no step check
            self.emit(ind + 1, f"if {n} > _MAXSTEPS: _lim({k})")
        self.clock(n, k, ind + 1)
        self.block(s.body, ind + 1)

    def clock(self, count: str, k: int, ind: int) -> None:
        """With a time limit, look at the clock every 4,096 iterations of a loop."""
        if self.opts.time_limit is not None:
            self.emit(ind, f"if not ({count}) & 4095 and _now() > _DEADLINE: _slow({k})")

    # ------------------------------------------------------------ functions

    def function(self, fn: C.Function, name: str) -> None:
        params = ", ".join(["_cs"] + [self.py(p) for p in fn.params])
        self.emit(0, f"def {name}({params}):")
        if self.opts.faults == "inject":
            self.emit(1, "global _B")
        if self.opts.specs:
            for req in fn.requires:
                k = self.site(req.span, fn.name, req)
                self.emit(1, f"if not {self.spec_expr(req)}: _req({k}, _cs)")
        self.block(fn.body, 1)
        if self.opts.specs:
            for ens in fn.ensures:
                k = self.site(ens.span, fn.name, ens)
                self.emit(1, f"if not {self.spec_expr(ens)}: _fail('ensures', {k})")
        self.emit(1, f"return {self.py(fn.result) if fn.result else 'None'}")
        self.emit(0, "")

    def module(self, top: Optional[str]) -> str:
        self.resolver = None
        self.in_code = False
        self.emit(0, "_B = 0.0")
        self.emit(0, "def _flt(k, v):")
        self.emit(1, "global _B, _NF")
        self.emit(1, "_B = _expo()")
        self.emit(1, "_NF += 1")
        self.emit(1, "return _FAULTS[k](v)")
        self.emit(0, "")
        for fn in self.program.functions.values():
            self.function(fn, f"f_{fn.name}")
        if top is not None and self.opts.record:
            self.recording = True
            self.function(self.program.functions[top], f"f_{top}__top")
            self.recording = False
        return "\n".join(self.lines) + "\n"

    def closure(self, e: C.Expr, resolver: Callable[[C.VarRef], str], args: str) -> str:
        """Source of `def NAME(args): return e`, reading variables through `resolver`."""
        self.resolver = resolver
        self.in_code = False
        try:
            body = self.expr(e)
        finally:
            self.resolver = None
        name = self.fresh("closure")
        self.emit(0, f"def {name}({args}):")
        self.emit(1, f"return {body}")
        self.emit(0, "")
        return name


_GROUP = {"+": "add", "-": "add", "*": "mul", "/": "mul", "%": "mul", "&&": "and", "||": "or"}
_STRAIGHT = (C.Assign, C.Store, C.NewArray)  # statements without control flow or calls


def _conj(es: list[C.Expr]) -> C.Expr:
    out = es[0]
    for e in es[1:]:
        out = C.BinOp("&&", out, e, C.BOOL, e.span)
    return out


# ---------------------------------------------------------------- the interpreter


@dataclass
class Options:
    semantics: str = "original"  # "original" or "relaxed": whether `relax` takes effect
    exact: bool = False  # reals as Fraction
    faults: str = "none"  # "none", "inject" (random, from a model) or "trace" (given values)
    specs: bool = True  # check requires, ensures and invariants
    record: bool = False  # record accepts, calls and loop heads of the top function
    max_steps: int = MAX_STEPS
    max_array: int = MAX_ARRAY  # elements of one array before a `limit` failure
    # Seconds a run may take before a `limit` failure (None: no limit). For replays of
    # counterexamples, whose inputs may make loops run for a very long time; checked
    # every 4,096 iterations of each loop, and only when set (Monte Carlo never pays).
    time_limit: Optional[float] = None


class Interpreter:
    """One compiled configuration of a program, ready to run a function many times."""

    def __init__(self, program: C.Program, fn: str, options: Options,
                 model: Optional[C.HardwareModel] = None, seed: int = 0,
                 source: Optional[str] = None):
        self.program = program
        self.fn = program.functions[fn]
        self.opts = options
        self.source = source
        self.fault_rng = random.Random(f"faults:{seed}")
        self.choice_rng = random.Random(f"choices:{seed}")
        trace_all = options.faults == "trace" and model is None
        if trace_all:
            model = RELIABLE  # trace mode without a model: every site, as the verifier does
        gen = _Gen(program, options, model if options.faults != "none" else None)
        gen.trace_all = trace_all
        text = gen.module(fn)
        self.gen = gen
        self.sites = gen.sites
        self.plans: dict[int, ChoicePlan] = {}
        maker = FaultMaker(self.fault_rng, options.exact)
        faults = [None] * len(self.sites)
        for k, spec in gen.fault_specs.items():
            faults[k] = maker.make(spec)
        # state of one run
        self.choice_log: list[dict] = []  # the choices made, by source name
        self.replay_choices: Optional[list[dict]] = None
        self.replay_pos = 0
        self.trace: list = []
        self.trace_pos = 0
        self.records: list = []
        self.notes: list[str] = []
        ns: dict[str, Any] = {
            "_K": gen.consts, "_Fr": Fraction, "_FAULTS": faults,
            "_expo": lambda: self.fault_rng.expovariate(1.0),
            "_MAXSTEPS": options.max_steps, "_MAXARRAY": options.max_array,
            "_DEADLINE": math.inf, "_now": time.monotonic, "_slow": self._slow,
            "_fail": self._fail, "_oob": self._oob, "_dz": self._dz, "_lim": self._lim,
            "_badlen": self._badlen, "_negbound": self._negbound, "_req": self._req,
            "_huge": self._huge,
            "_choose": self._choose, "_U": self._trace, "_rec": self._rec,
            "_quant": self._quant,
        }
        self.ns = ns
        try:
            code = compile(text, f"<relax {program.path}>", "exec")
        except (SyntaxError, RecursionError, MemoryError, ValueError) as exc:
            raise CompileLimit("the program is too deeply nested for the interpreter "
                               f"({exc.__class__.__name__}: {getattr(exc, 'msg', exc)}); split "
                               "long chains of unreliable operations into several "
                               "assignments") from None
        exec(code, ns)
        ns["_B"] = self.fault_rng.expovariate(1.0)
        ns["_NF"] = 0  # faults injected so far
        self.source_text = text
        self.entry = ns[f"f_{fn}__top" if options.record else f"f_{fn}"]
        self._closures: dict[int, Callable] = {}

    # ------------------------------------------------------------ running

    def run(self, args: list) -> RunOutcome:
        """Run the function on `args` (in parameter order, already converted)."""
        self.replay_pos = 0
        self.trace_pos = 0
        self.choice_log = []
        self.records = []
        self.notes = []
        if self.opts.time_limit is not None:
            self.ns["_DEADLINE"] = time.monotonic() + self.opts.time_limit
        try:
            result = self.entry(-1, *args)
            return RunOutcome(result, None, self.records, self.notes)
        except RuntimeFailure as f:
            return RunOutcome(None, f, self.records, self.notes)
        except RecursionError:
            f = RuntimeFailure("limit", self.fn.span, "the calls nest too deeply (is there a "
                               "recursion without a base case?)")
        except (MemoryError, OverflowError) as exc:
            what = "memory" if isinstance(exc, MemoryError) else "the range of a float"
            f = RuntimeFailure("limit", self.fn.span, f"the run exceeded {what} ({exc})")
        return RunOutcome(None, f, self.records, self.notes)

    def convert(self, value: Any, ty: C.Type) -> Any:
        """A Python value (int, Fraction, float, bool, list) as this configuration's value."""
        if ty.array:
            return [self.convert(x, ty.elem) for x in value]
        if ty.base == "real":
            return Fraction(value) if self.opts.exact else to_float(value)
        if ty.base == "int":
            return int(value)
        return bool(value)

    # ------------------------------------------------------------ failures

    def snippet(self, span: Span) -> str:
        if self.source is None or span is None:
            return ""
        lines = source_lines(self.source)
        if not 1 <= span.line <= len(lines):
            return ""
        line = lines[span.line - 1]
        end = span.end_column if span.end_line == span.line else len(line) + 1
        return line[span.column - 1:end - 1].strip()

    def _quoted(self, span: Span) -> str:
        text = self.snippet(span)
        return f" `{text}`" if text and len(text) <= 80 else ""

    def _fail(self, kind: str, k: int):
        site = self.sites[k]
        node = site.node
        span = node.span if node is not None else site.span
        if kind == "ensures":
            msg = f"`{site.what}` returns, but its postcondition{self._quoted(span)} is false"
        elif kind == "invariant":
            msg = f"the loop invariant{self._quoted(span)} is false here"
        elif kind == "assume":
            msg = (f"the assumption{self._quoted(span)} is false: this input is outside what "
                   "the function handles")
        else:
            msg = f"the assertion{self._quoted(span)} is false"
        raise RuntimeFailure(kind, site.span, msg)

    def _oob(self, k: int, i: int, a: list):
        site = self.sites[k]
        raise RuntimeFailure("bounds", site.span,
                             f"index {i} is outside the array `{site.what}` of length {len(a)} "
                             f"(valid indices: 0 .. {len(a) - 1})" if a else
                             f"index {i} is outside the array `{site.what}`, which is empty")

    def _dz(self, k: int, r: Any):
        raise RuntimeFailure("division", self.sites[k].span, "division by zero")

    def _lim(self, k: int):
        raise RuntimeFailure("limit", self.sites[k].span,
                             f"the loop ran more than {self.opts.max_steps} iterations; "
                             "it may not terminate (raise the limit with --max-steps)")

    def _slow(self, k: int):
        raise RuntimeFailure("limit", self.sites[k].span,
                             f"the run took more than {self.opts.time_limit:g} s (this loop "
                             "ran for too long); it was stopped")

    def _huge(self, k: int, n: int):
        raise RuntimeFailure("limit", self.sites[k].span,
                             f"this product has {n.bit_length():,} bits, more than the "
                             f"interpreter allows ({MAX_INT_BITS:,}); it was stopped")

    def _badlen(self, k: int, n: int):
        site = self.sites[k]
        if n < 0:
            raise RuntimeFailure("length", site.span,
                                 f"the array `{site.what}` would have negative length {n}")
        raise RuntimeFailure("limit", site.span, f"the array `{site.what}` would have {n} "
                             f"elements, more than the interpreter allows ({self.opts.max_array})")

    def _negbound(self, k: int, b: int):
        raise RuntimeFailure("bound", self.sites[k].span, f"the loop bound is negative ({b})")

    def _req(self, k: int, cs: int):
        site = self.sites[k]
        if cs < 0:
            raise RuntimeFailure("requires", site.span,
                                 f"the arguments do not satisfy the precondition"
                                 f"{self._quoted(site.node.span)} of `{site.what}`")
        raise RuntimeFailure("requires", self.sites[cs].span,
                             f"the precondition{self._quoted(site.node.span)} of `{site.what}` "
                             f"does not hold at this call")

    # ------------------------------------------------------------ choices

    def plan(self, k: int) -> ChoicePlan:
        if k not in self.plans:
            stmt: C.Choose = self.sites[k].node
            targets = {v.name for v in stmt.vars}

            def env_res(r: C.VarRef) -> str:
                return f"E[{r.var.name!r}]"

            def pred_res(r: C.VarRef) -> str:
                if r.var.name in targets and not r.old and r.var.kind != "bound":
                    return f"N[{r.var.name!r}]"
                return f"E[{r.var.name!r}]" if r.var.kind != "bound" else self.gen.py(r.var)

            def closed(e: C.Expr) -> Callable:
                return self._compile(e, lambda r: env_res(r) if r.var.kind != "bound"
                                     else self.gen.py(r.var), "E")

            pred = self._compile(stmt.pred, pred_res, "E, N")
            self.plans[k] = ChoicePlan(stmt, closed, pred, self.opts.exact)
        return self.plans[k]

    def _compile(self, e: C.Expr, resolver, args: str) -> Callable:
        start = len(self.gen.lines)
        name = self.gen.closure(e, resolver, args)
        text = "\n".join(self.gen.lines[start:]) + "\n"
        exec(compile(text, "<relax closure>", "exec"), self.ns)
        return self.ns[name]

    def set_choices(self, choices: Optional[list[dict]]) -> None:
        """Choices to reuse, in execution order (by source name); None: choose at random."""
        self.replay_choices = choices

    def _choose(self, k: int, env: dict) -> tuple:
        stmt: C.Choose = self.sites[k].node
        plan = self.plan(k)
        new = None
        if self.replay_choices is not None and self.replay_pos < len(self.replay_choices):
            given = self.replay_choices[self.replay_pos]
            self.replay_pos += 1
            try:
                cand = {v.name: self.convert(given[v.source], v.type) for v in stmt.vars}
                if self._admits(stmt, plan, env, cand):
                    new = cand
                else:
                    self.notes.append(f"the recorded choice for the `{stmt.kind}` at line "
                                      f"{stmt.span.line} does not satisfy its predicate here; "
                                      "a new one was chosen")
            except (KeyError, TypeError, ValueError):
                self.notes.append(f"no usable recorded choice for the `{stmt.kind}` at line "
                                  f"{stmt.span.line}; a new one was chosen")
        if new is None:
            try:
                new = plan.choose(env, self.choice_rng)
            except ChooseError as exc:
                raise RuntimeFailure(stmt.kind, stmt.span, str(exc)) from None
            except Exception as exc:  # noqa: BLE001 - e.g. the solver rejects the query
                raise RuntimeFailure(stmt.kind, stmt.span, f"cannot choose values for this "
                                     f"`{stmt.kind}`: {exc}") from None
        self.choice_log.append({v.source: new[v.name] for v in stmt.vars})
        return tuple(list(new[v.name]) if v.type.array else new[v.name] for v in stmt.vars)

    @staticmethod
    def _admits(stmt: C.Choose, plan: ChoicePlan, env: dict, cand: dict) -> bool:
        """Whether a recorded choice satisfies the predicate. An index out of range or
        a division by zero in it is no failure: as in the verifier (a Z3 array is
        total), such a value is unspecified, and the choice is admitted when some
        values of it make the predicate true."""
        try:
            return bool(plan.pred(env, cand))
        except RuntimeFailure as exc:
            if exc.kind not in ("bounds", "division"):
                raise
        try:
            return z3_admits(stmt, env, cand) is True
        except ChooseError:
            return False

    # ------------------------------------------------------------ traces and records

    def set_trace(self, values: list) -> None:
        self.trace = list(values)

    def _trace(self, k: int, v: Any) -> Any:
        if self.trace_pos >= len(self.trace):
            return v
        given = self.trace[self.trace_pos]
        self.trace_pos += 1
        if given is None:
            return v
        spec = self.gen.fault_specs[k]
        ty = C.Type(spec.ty.base, spec.whole_array)
        try:
            return self.convert(given, ty)
        except (TypeError, ValueError):
            self.notes.append(f"the recorded value {given!r} at line {self.sites[k].span.line} "
                              "does not fit; the exact value was used")
            return v

    def _rec(self, tag: str, k: int, env: dict) -> None:
        self.records.append((tag, k, {n: list(v) if isinstance(v, list) else v
                                      for n, v in env.items()}))

    def _quant(self, k: int, env: dict) -> bool:
        try:
            holds = z3_holds(self.sites[k].node, env)
        except Exception:  # noqa: BLE001 - a quantifier the solver cannot take
            holds = None
        if holds is None:
            self.notes.append(f"the quantifier at line {self.sites[k].span.line} could not be "
                              "evaluated; it was taken to hold")
            return True
        return holds

    def relation(self, e: C.Expr) -> Callable[[dict, dict], bool]:
        """A relational predicate as a function of the two states (by Var.name)."""
        key = id(e)
        if key not in self._closures:
            def res(r: C.VarRef) -> str:
                if r.var.kind == "bound":
                    return self.gen.py(r.var)
                return f"{'R' if r.side == 'r' else 'O'}[{r.var.name!r}]"
            self._closures[key] = self._compile(e, res, "O, R")
        return self._closures[key]


# ---------------------------------------------------------------- values from outside


def default_value(ty: C.Type) -> Any:
    return [] if ty.array else zero(ty, True)


def inputs_by_source(fn: C.Function, values: dict[str, Any], interp: Interpreter,
                     notes: list[str]) -> list:
    out = []
    for p in fn.params:
        if p.source in values:
            out.append(interp.convert(values[p.source], p.type))
        else:
            notes.append(f"the counterexample gives no value for `{p.source}`; "
                         f"{'[]' if p.type.array else 'the default'} was used")
            out.append(interp.convert(default_value(p.type), p.type))
    return out


# ---------------------------------------------------------------- replay


RELATIONAL = ("accept", "ensures_r", "requires_r", "invariant_r", "alignment")


def _overlaps(a: Optional[Span], b: Optional[Span]) -> bool:
    if a is None or b is None:
        return False
    return ((a.line, a.column) <= (b.end_line, b.end_column)
            and (b.line, b.column) <= (a.end_line, a.end_column))


def _where(span: Optional[Span]) -> str:
    return f"{span.line}:{span.column}" if span else "?"


def _outcome_text(name: str, out: RunOutcome) -> str:
    if out.failure is not None:
        return f"the {name} run fails the {out.failure.kind} check at {_where(out.failure.span)}"
    return f"the {name} run completes"


def replay(program: C.Program, cex: Counterexample, kind: str, side: str,
           span: Span, model: Optional[C.HardwareModel] = None) -> ReplayOutcome:
    """Run O and R from a verifier counterexample and say whether the failure recurs.

    O runs with `inputs_o` and `choices_o`; R with `inputs_r`, `choices_r` and the
    values of its unreliable operations from `faults` (None or running out: exact):
    operator results, `urel` reads and `urel` scalar/element writes in execution
    order; with `model` (the verifier's --hardware) only those that may fail in it.
    Reals are exact rationals, as in the verifier. The first failure of each run is
    recorded, and for relational kinds the states at accepts, calls and loop heads of
    the function are paired in order and the relation evaluated on each pair.
    """
    if cex.function not in program.functions:
        return ReplayOutcome(False, f"there is no function `{cex.function}` to replay")
    try:
        return _replay(program, cex, kind, side, span, model)
    except Exception as exc:  # noqa: BLE001 - a replay must never break the report
        return ReplayOutcome(False, f"the replay could not run ({type(exc).__name__}: {exc})")


def _replay(program: C.Program, cex: Counterexample, kind: str, side: str,
            span: Span, model: Optional[C.HardwareModel]) -> ReplayOutcome:
    fn = program.functions[cex.function]
    o = Interpreter(program, fn.name, Options("original", True, "none", True, True,
                                              time_limit=REPLAY_SECONDS))
    r = Interpreter(program, fn.name, Options("relaxed", True, "trace", True, True,
                                              time_limit=REPLAY_SECONDS), model)
    notes: list[str] = []
    o.set_choices(list(cex.choices_o))
    r.set_choices(list(cex.choices_r))
    r.set_trace(cex.faults)
    out_o = o.run(inputs_by_source(fn, cex.inputs_o, o, notes))
    out_r = r.run(inputs_by_source(fn, cex.inputs_r, r, notes))
    notes += out_o.notes + out_r.notes
    summary = f"{_outcome_text('original', out_o)}; {_outcome_text('relaxed', out_r)}"
    stopped = any(out.failure is not None and out.failure.kind == "limit"
                  for out in (out_o, out_r))
    if kind not in RELATIONAL:
        out = out_o if side == "original" else out_r
        name = "original" if side == "original" else "relaxed"
        f = out.failure
        hit = f is not None and f.kind == kind and _overlaps(f.span, span)
        if hit:
            detail = f"reproduced: the {name} run fails the {kind} check at {_where(span)}"
        else:
            detail = f"not reproduced: {summary}"
        return ReplayOutcome(hit, _with_notes(detail, notes), stopped)
    hit, detail = _relational(program, fn, o, r, out_o, out_r, kind, span, cex)
    if not hit and out_o.failure is not None and out_o.failure.kind == "assume":
        detail += " (the original run violates an assumption, so the pair is discarded)"
    return ReplayOutcome(hit, _with_notes(detail if hit else f"not reproduced: {summary}; "
                                          f"{detail}", notes), stopped)


def _with_notes(detail: str, notes: list[str]) -> str:
    return detail + "".join(f"; note: {n}" for n in notes)



def _arrivals(interp: Interpreter, out: RunOutcome, span: Span) -> dict[int, tuple]:
    """The states recorded at each accept, call and loop head whose (invariant_r) span
    overlaps `span`, in arrival order, by statement: id(node) -> (node, [env, ...])."""
    found: dict[int, tuple] = {}
    for tag, k, env in out.records:
        node = interp.sites[k].node
        if tag == "loop":
            here = any(_overlaps(e.span, span) for e in node.invariants_r)
        else:
            here = _overlaps(node.span, span)
        if here:
            found.setdefault(id(node), (node, []))[1].append(env)
    return found


def _what(node: Any) -> str:
    return {C.Call: "call", C.Loop: "loop head"}.get(type(node), "accept")


def _accept(o: Interpreter, r: Interpreter, out_o: RunOutcome, out_r: RunOutcome,
            span: Span) -> tuple[bool, str]:
    """Pair the k-th arrival of O at the accept with the k-th arrival of R at it."""
    ao, ar = _arrivals(o, out_o, span), _arrivals(r, out_r, span)
    for key, (node, envs_o) in ao.items():
        if not isinstance(node, C.Check) or key not in ar:
            continue
        for i, (envo, envr) in enumerate(zip(envs_o, ar[key][1])):
            if not o.relation(node.cond)(envo, envr):
                return True, (f"reproduced: the accept at {_where(span)} is false when both "
                              f"runs reach it (time {i + 1})")
    return False, f"the accept at {_where(span)} holds every time both runs reach it"


def _contains(a: Span, b: Span) -> bool:
    return ((a.line, a.column) <= (b.line, b.column)
            and (b.end_line, b.end_column) <= (a.end_line, a.end_column))


def _cut_short(fn: C.Function, node: Any, out: RunOutcome, interp: Interpreter) -> bool:
    """Whether the run's failure may have kept it from reaching `node` (again): not
    when it completed, failed an `ensures` of `fn`, or failed in the body of `fn`
    after `node` or in the other branch of an `if`, outside every loop around both
    (a failure in a callee is placed at the call of `fn` that was running)."""
    f = out.failure
    if f is None:
        return False
    if f.span is None:
        return True
    if f.kind == "ensures" and any(_overlaps(e.span, f.span) for e in fn.ensures):
        return False
    stmts = list(C.walk(fn.body))
    where = f.span
    if not any(_contains(s.span, where) for s in stmts):
        # In a callee (the last record of fn is the call it happened in, since every
        # call of fn is recorded just before it runs) or in fn's precondition.
        last = interp.sites[out.records[-1][1]].node if out.records else None
        if not isinstance(last, C.Call):
            return True
        where = last.span
    after = (where.line, where.column) > (node.span.end_line, node.span.end_column)
    looped = any(isinstance(s, C.Loop) and _contains(s.span, node.span)
                 and _contains(s.span, where) for s in stmts)
    apart = any(isinstance(s, C.If) and (
        (_within(s.then, where) and _within(s.orelse, node.span))
        or (_within(s.orelse, where) and _within(s.then, node.span))) for s in stmts)
    return looped or not (after or apart)


def _within(stmts: list, span: Span) -> bool:
    return any(_contains(x.span, span) for x in C.walk(stmts))


def _alignment(fn: C.Function, o: Interpreter, r: Interpreter, out_o: RunOutcome,
               out_r: RunOutcome, span: Span) -> tuple[bool, str]:
    """Reproduced when the runs reach a relational check at `span` (an accept, a call
    with a relational contract, a loop head with `invariant_r`) a different number of
    times and the run that reaches it fewer times was not cut short by a failure that
    might come before a further arrival. Arrivals past the other run's failure count."""
    ao, ar = _arrivals(o, out_o, span), _arrivals(r, out_r, span)
    for key in list(ao) + [k for k in ar if k not in ao]:
        node = (ao.get(key) or ar[key])[0]
        no, nr = len(ao.get(key, (None, []))[1]), len(ar.get(key, (None, []))[1])
        fewer, interp = (out_o, o) if no < nr else (out_r, r)
        if no != nr and not _cut_short(fn, node, fewer, interp):
            return True, (f"reproduced: the original run reaches the {_what(node)} at "
                          f"{_where(span)} {no} time(s), the relaxed run {nr} time(s)")
    counts = ", ".join(f"{_what(n)} at {_where(n.span)}: {len(e)} and "
                       f"{len(ar.get(k, (None, []))[1])}" for k, (n, e) in ao.items())
    return False, (f"the runs reach the checks at {_where(span)} equally often or a run "
                   f"stopped early ({counts or 'not reached by the original run'})")

def _relational(program, fn, o: Interpreter, r: Interpreter, out_o: RunOutcome,
                out_r: RunOutcome, kind: str, span: Span,
                cex: Counterexample) -> tuple[bool, str]:
    """Pair the recorded states of the two runs and evaluate the relation. Records are
    compared by the core statement they come from (the runs are compiled separately)."""
    def events(interp: Interpreter, out: RunOutcome, tag: str, here: bool = False) -> list:
        evs = [(interp.sites[k].node, env) for t, k, env in out.records if t == tag]
        return [x for x in evs if _overlaps(x[0].span, span)] if here else evs

    if kind == "accept":
        return _accept(o, r, out_o, out_r, span)
    if kind == "alignment":
        return _alignment(fn, o, r, out_o, out_r, span)
    if kind == "ensures_r":
        if out_o.failure is not None or out_r.failure is not None:
            return False, "a run did not reach the end of the function"
        so = {p.name: o.convert(cex.inputs_o.get(p.source, default_value(p.type)), p.type)
              for p in fn.params}
        sr = {p.name: o.convert(cex.inputs_r.get(p.source, default_value(p.type)), p.type)
              for p in fn.params}
        if fn.result is not None:
            so[fn.result.name], sr[fn.result.name] = out_o.result, out_r.result
        clauses = [e for e in fn.ensures_r if _overlaps(e.span, span)] or fn.ensures_r
        for e in clauses:
            if not o.relation(e)(so, sr):
                return True, f"reproduced: the relational postcondition at {_where(e.span)} is false"
        return False, "the relational postcondition holds on the final states"
    if kind == "requires_r":
        eo, er = events(o, out_o, "call", True), events(r, out_r, "call", True)
        for (call, envo), (_c, envr) in zip(eo, er):
            callee = program.functions[call.callee]
            for e in callee.requires_r:
                if not o.relation(e)(envo, envr):
                    return True, (f"reproduced: the relational precondition of `{callee.name}` "
                                  f"is false at the call at {_where(span)}")
        return False, f"the relational precondition holds at every paired call at {_where(span)}"
    if kind == "invariant_r":
        eo, er = events(o, out_o, "loop", True), events(r, out_r, "loop", True)
        for i, ((loop, envo), (_l, envr)) in enumerate(zip(eo, er)):
            for e in loop.invariants_r:
                if not o.relation(e)(envo, envr):
                    return True, (f"reproduced: the relational invariant at {_where(e.span)} is "
                                  f"false at loop head {i + 1} (in lockstep)")
        return False, "the relational invariant holds at every lockstep loop head"
    return False, f"obligations of kind `{kind}` are not replayed"
