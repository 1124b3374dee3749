"""One execution of a function as a Z3 term, with a chosen set of faulty sites
(for the masking-aware value, precise.py).

Only what can be followed exactly: int, real and bool variables (ints are unbounded
and reals exact rationals, as in the interpreter by default), assignments, `if`, loops with a constant trip count (unrolled),
`assert`/`assume`. Anything else raises Unsupported with a reason, and the plain
value is reported. Besides the result, the encoding collects when the run stops at
a runtime check (a failed run is a wrong one): a zero divisor, an `assert` or
`assume` that fails, and, for the interpreter's limit on int products, an operand
of 256 bits or more (a product of smaller ones is far below the limit).

Sites are numbered in the order the (unrolled) execution meets them, the same in
every encoding of the function. A faulty site's value is a fresh constant: any value
of its type (an int within 2^64 of the exact value: the interpreter's faults flip
one of 64 bits), or within the operator's `error` (ints: within floor(error)).
"""
from __future__ import annotations

from fractions import Fraction
from typing import Optional

import z3

from relaxverify.core import nodes as C

MAX_SITES = 64  # more site occurrences: too many patterns, fall back
MAX_STEPS = 4000  # statements of the unrolled body


class Unsupported(Exception):
    """The function uses something the exact encoding does not follow."""


def _floor_div(a: z3.ArithRef, b: z3.ArithRef) -> z3.ArithRef:
    q = a / b  # Z3's int division is Euclidean: make it floor division (Python's)
    return z3.If(b > 0, q, z3.If(a % b == 0, q, q - 1))


def _floor_mod(a: z3.ArithRef, b: z3.ArithRef) -> z3.ArithRef:
    return a - b * _floor_div(a, b)


class Encoder:
    """The result of fn's execution where exactly the sites in `faulty` fail."""

    def __init__(self, fn: C.Function, model: C.HardwareModel, faulty: frozenset,
                 inputs: Optional[dict] = None):
        self.fn = fn
        self.model = model
        self.faulty = faulty
        self.sites: list[tuple[float, str]] = []  # (probability correct, kind)
        # A model that computes reals in a float format in R (`precision`): the runs
        # round, this encoding would not.
        self.rounds = (any(o.precision for o in model.operators.values())
                       or any(m.precision for m in model.regions.values()))
        self.steps = 0
        self.inputs: dict = inputs if inputs is not None else {
            v: self.const(v.name, v.type) for v in fn.params if not v.type.array}
        self.env: dict = dict(self.inputs)
        self.path: list = []  # the conditions of the enclosing `if`s
        self.fails: list = []  # conditions under which the run stops at a check

    # ------------------------------------------------------------ values

    def const(self, name: str, ty: C.Type) -> z3.ExprRef:
        if ty.array:
            raise Unsupported("arrays (only int, real and bool values are followed exactly)")
        if ty == C.INT:
            return z3.Int(name)
        if ty == C.BOOL:
            return z3.Bool(name)
        if ty == C.REAL and not self.rounds:
            return z3.Real(name)
        raise Unsupported(f"a `{ty}` value (only int, real and bool are followed exactly)")

    def site(self, prob: float, exact: z3.ExprRef, ty: C.Type, err: Optional[float],
             kind: str) -> z3.ExprRef:
        """A fault site: its exact value, or (when faulty) any value it may take."""
        if prob >= 1.0:
            return exact
        k = len(self.sites)
        self.sites.append((prob, kind))
        if len(self.sites) > MAX_SITES:
            raise Unsupported(f"more than {MAX_SITES} fault sites")
        if k not in self.faulty:
            return exact
        v = self.const(f"fault_{k}", ty)
        if ty == C.INT:
            e = z3.IntVal(int(err // 1)) if err is not None else z3.IntVal(2 ** 64 - 1)
            return z3.If(z3.And(exact - e <= v, v <= exact + e), v, exact)
        if ty == C.REAL and err is not None:
            r = z3.RealVal(Fraction(err))
            return z3.If(z3.And(exact - r <= v, v <= exact + r), v, exact)
        return v

    def fail_if(self, cond: z3.BoolRef) -> None:
        """The run stops here when cond holds."""
        self.fails.append(z3.And(*self.path, cond) if self.path else cond)

    def read(self, var: C.Var) -> z3.ExprRef:
        if var.type.array:
            raise Unsupported("arrays")
        v = self.env.get(var)
        if v is None:
            self.const(var.name, var.type)  # (checks the type)
            v = self._default(var)
        return v

    # ------------------------------------------------------------ statements

    def run(self) -> tuple[z3.ExprRef, z3.BoolRef]:
        """The function's result, and when the run stops at a check."""
        fn = self.fn
        for v in fn.params + fn.locals:
            self.const(v.name, v.type)
        assert fn.result is not None
        self.block(fn.body)
        return self.read(fn.result), z3.Or(*self.fails) if self.fails else z3.BoolVal(False)

    def requires(self) -> list:
        """fn's `requires` on the inputs, those the encoding understands (dropping one
        only allows more inputs)."""
        out = []
        for e in self.fn.requires:
            saved, self.env = self.env, dict(self.inputs)
            try:
                out.append(self.expr(e))
            except (Unsupported, z3.Z3Exception):
                pass
            finally:
                self.env = saved
        return out

    def block(self, stmts: list[C.Stmt]) -> None:
        for s in stmts:
            self.steps += 1
            if self.steps > MAX_STEPS:
                raise Unsupported(f"more than {MAX_STEPS} statements once loops are unrolled")
            self.stmt(s)

    def stmt(self, s: C.Stmt) -> None:
        if isinstance(s, C.Assign):
            value = self.expr(s.value)
            if s.var.region is not None:
                value = self.site(self.model.memory(s.var.region).write, value, s.var.type,
                                  None, "write")
            self.const(s.var.name, s.var.type)
            self.env[s.var] = value
        elif isinstance(s, C.If):
            cond = self.expr(s.cond)
            before = self.env
            self.env = dict(before)
            self.path.append(cond)
            self.block(s.then)
            then = self.env
            self.env = dict(before)
            self.path[-1] = z3.Not(cond)
            self.block(s.orelse)
            self.path.pop()
            other = self.env
            merged = {}
            for v in set(then) | set(other):
                tv = then.get(v)
                ov = other.get(v)
                tv = self._default(v) if tv is None else tv
                ov = self._default(v) if ov is None else ov
                merged[v] = tv if tv.eq(ov) else z3.If(cond, tv, ov)
            self.env = merged
        elif isinstance(s, C.Loop):
            self.loop(s)
        elif isinstance(s, C.Check) and s.kind in ("assert", "assume"):
            self.fail_if(z3.Not(self.expr(s.cond)))
        else:
            raise Unsupported(f"a `{type(s).__name__}` statement")

    def _default(self, v: C.Var) -> z3.ExprRef:
        self.const(v.name, v.type)  # (checks the type)
        return {C.INT: z3.IntVal(0), C.REAL: z3.RealVal(0)}.get(v.type, z3.BoolVal(False))

    def loop(self, s: C.Loop) -> None:
        if s.invariants or s.invariants_r:
            raise Unsupported("a loop with invariants")
        if s.kind in ("for", "repeat") and s.trips is not None:
            for _ in range(s.trips):
                self.block(s.body)
            return
        n = C.const_int(s.bound) if s.bound is not None else None
        if n is None or n < 0:
            raise Unsupported("a loop without a constant trip count")
        guard = C.If(s.cond, s.body, [], s.span)
        for _ in range(max(n, 0)):
            self.stmt(guard)

    # ------------------------------------------------------------ expressions

    def expr(self, e: C.Expr) -> z3.ExprRef:
        if isinstance(e, C.Const):
            if isinstance(e.value, bool):
                return z3.BoolVal(e.value)
            if e.ty == C.INT:
                return z3.IntVal(int(e.value))
            if e.ty == C.REAL and not self.rounds:
                return z3.RealVal(Fraction(e.value))
            raise Unsupported(f"a `{e.ty}` constant")
        if isinstance(e, C.VarRef):
            v = self.read(e.var)
            if e.var.region is not None:
                v = self.site(self.model.memory(e.var.region).read, v, e.var.type, None,
                              "read")
            return v
        if isinstance(e, C.Unary):
            a = self.expr(e.operand)
            return z3.Not(a) if e.op == "!" else -a
        if isinstance(e, C.BinOp):
            return self.binop(e)
        if isinstance(e, C.Apply) and e.ty in (C.INT, C.REAL) and e.fn in ("abs", "min", "max"):
            args = [self.expr(a) for a in e.args]
            if e.fn == "abs" and len(args) == 1:
                return z3.If(args[0] < 0, -args[0], args[0])
            if len(args) == 2:
                a, b = args
                return z3.If(a <= b, a, b) if e.fn == "min" else z3.If(a >= b, a, b)
        raise Unsupported(f"the expression `{type(e).__name__}`")

    def binop(self, e: C.BinOp) -> z3.ExprRef:
        if e.left.ty.array or e.right.ty.array:
            raise Unsupported("arrays")
        a, b = self.expr(e.left), self.expr(e.right)
        op = e.op
        if op in ("&&", "||", "==>", "<==>"):
            out = {"&&": z3.And, "||": z3.Or, "==>": z3.Implies, "<==>": lambda x, y: x == y
                   }[op](a, b)
        elif op in C.CMP_OPS:
            out = {"==": lambda x, y: x == y, "!=": lambda x, y: x != y,
                   "<": lambda x, y: x < y, "<=": lambda x, y: x <= y,
                   ">": lambda x, y: x > y, ">=": lambda x, y: x >= y}[op](a, b)
        elif e.ty == C.INT and op in ("+", "-", "*"):
            out = a + b if op == "+" else a - b if op == "-" else a * b
            if op == "*":
                big = z3.IntVal(2 ** 256)
                self.fail_if(z3.Or(a >= big, -a >= big, b >= big, -b >= big))
        elif e.ty == C.REAL and op in ("+", "-", "*", "/") and not self.rounds:
            out = a + b if op == "+" else a - b if op == "-" else a * b if op == "*" else a / b
            if op == "/":
                self.fail_if(b == 0)
        elif e.ty == C.INT and op in ("/", "%"):
            out = _floor_div(a, b) if op == "/" else _floor_mod(a, b)
            self.fail_if(b == 0)
        else:
            raise Unsupported(f"the operator `{op}` on `{e.ty}`")
        if e.unreliable:
            m = self.model.op(op)
            out = self.site(m.prob, out, e.ty, m.error, "operator")
        return out
