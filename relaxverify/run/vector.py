"""The vectorised Monte Carlo backend: one numpy lane per trial (expressions here,
statements and the driver in vector_stmts.py; what it takes: vector_support.py).

The fault model is the interpreter's (faults.py), drawn differently: each fault
site occurrence fails in each lane it runs in independently with probability
1 - p, so the number of failing lanes among the n active ones is Binomial(n, 1 - p)
and which ones a uniform sample of that size. A failing lane gets the value the
interpreter's `FaultMaker` produces for that site (one bit flipped in the value's
own format, or uniform within `error`), and counts against `faults at most K`
exactly as `_flt` does. Control flow is by masks: both branches of an `if` run,
each on its lanes; a loop runs while any lane is in it. A lane that fails a runtime
check is dead from that point on (a failed trial, as in the interpreter).

Ints are int64 while they fit, Python ints beside them in the lanes where a result
does not (vector_ints.py): the arithmetic is the interpreter's unbounded one. numpy
is imported here only, when a Monte Carlo run starts.
"""
from __future__ import annotations

import math
import random
from fractions import Fraction
from typing import Any, Optional

import numpy as np

from relaxverify.core import checks as K
from relaxverify.core import nodes as C
from relaxverify.core.formats import FORMATS
from relaxverify.core.precision import fault_format
from relaxverify.run import vector_ints as W
from relaxverify.run.faults import FaultMaker, FaultSpec, hazard
from relaxverify.run.vector_ints import I64_MIN, WInt
from relaxverify.run.vector_support import Unsupported

DTYPES = {"int": np.int64, "bool": np.bool_, "float64": np.float64,
          "float32": np.float32, "float16": np.float16, "bfloat16": np.float32}
WIDE_BITS = 2 ** 28  # the bits the wide ints of one value may hold in all lanes (32 MB)
MAX_ELEMENTS = 2 ** 25  # the elements an array may have in all lanes together (256 MB)
UINTS = {16: np.uint16, 32: np.uint32, 64: np.uint64}  # a float format's bits


def dtype(ty: C.Type) -> Any:
    return DTYPES[ty.base]


def bfloat16_round(v: Any) -> Any:
    """float32 values rounded to bfloat16 (nearest, ties to even; beyond its range:
    inf). The + - * / of two bfloat16 values computed in float32 and rounded so is
    the correctly rounded result: float32 has 24 >= 2 * 8 + 2 bits, which makes the
    double rounding innocuous, and the same exponent range."""
    u = np.asarray(v, dtype=np.float32).view(np.uint32)
    with np.errstate(all="ignore"):
        r = (u + (np.uint32(0x7FFF) + ((u >> np.uint32(16)) & np.uint32(1)))) \
            & np.uint32(0xFFFF0000)
    return r.view(np.float32)


def bfloat16_of(x: Any) -> Any:
    """float64 values rounded once to bfloat16: to float32 with round-to-odd (exact
    enough: 24 >= 8 + 2 bits), then to nearest bfloat16."""
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(all="ignore"):
        f = x.astype(np.float32)
        u = f.view(np.uint32).copy()
        fix = (f.astype(np.float64) != x) & ((u & np.uint32(1)) == 0) & np.isfinite(f)
        up = np.abs(f.astype(np.float64)) < np.abs(x)
        u[fix & up] += np.uint32(1)
        u[fix & ~up] -= np.uint32(1)
    return bfloat16_round(u.view(np.float32))


class Lanes:
    """The state of one chunk of trials: which lanes are alive, their hazard budgets
    (as the interpreter's `_B`, one per lane), the faults each has seen."""

    def __init__(self, n: int, model: Optional[C.HardwareModel], rng: np.random.Generator,
                 prng: random.Random, max_steps: int, max_array: int,
                 budgets: Optional[Any] = None, probe: bool = False):
        """`budgets`: each lane's initial hazard budget (None: no faults). `probe`:
        lane 0 is the fault-free run (its budget is infinite), and `path` sums the
        hazard of the sites it passes."""
        self.n = n
        self.model = model  # None: no fault sites at all
        self.rng = rng
        self.maker = FaultMaker(prng, True)
        self.alive = np.ones(n, dtype=bool)
        self.rf = np.zeros(n, dtype=np.int64)  # faults injected in each lane
        self.budget = model.budget if model is not None else None  # `faults at most K`
        self.B = np.full(n, math.inf) if budgets is None else budgets
        self.probe = probe
        self.path = 0.0
        self.nf = 0
        self.max_steps = max_steps
        self.max_array = max_array
        self.env: dict[int, Any] = {}  # id(Var) -> one value, n lanes, elements x n lanes
        self.lane_ids = np.arange(n)
        self.recent: list[tuple[Any, tuple[Any, bool, bool]]] = []  # for active()

    # ------------------------------------------------------------ helpers

    def full(self, v: Any) -> Any:
        """v as an array of one value per lane (or a WInt)."""
        if isinstance(v, WInt) or isinstance(v, np.ndarray) and v.ndim >= 1:
            return v
        return np.full(self.n, v)

    def fail(self, bad: Any, mask: Any) -> None:
        """The lanes of `bad` (active under mask) fail a runtime check."""
        if not np.ndim(bad) and not bad:
            return
        dying = np.asarray(bad, dtype=bool) & mask & self.alive
        if dying.any():
            self.alive &= ~dying
            self.recent.clear()

    def active(self, mask: Any) -> tuple[Any, bool, bool]:
        """(the live lanes of mask, whether that is every lane, whether it is every
        live lane), for the last few masks while no lane dies: a block's statements
        and fault sites share their mask, so this saves a few passes over the lanes
        at each. (A mask is never changed in place.)"""
        for m, known in self.recent:
            if m is mask:
                return known
        act = mask & self.alive
        every = bool(act.all())
        known = (act, every, every or bool(np.array_equal(act, self.alive)))
        self.recent[:0] = [(mask, known)]
        del self.recent[4:]
        return known

    def site(self, v: Any, mask: Any, prob: float, spec: FaultSpec) -> Any:
        """v, where an active lane's site fails: its budget drops below zero (as in
        the interpreter: probability exactly 1 - prob, independently per site)."""
        h = hazard(prob)
        if self.model is None or h == 0.0:
            return v
        act, every, _ = self.active(mask)
        if self.probe and act[0]:
            self.path += h
        if math.isinf(h):
            lanes = np.flatnonzero(act)
            if self.probe:
                lanes = lanes[lanes != 0]
        else:  # (`where=act` would be the same, and slower by several times)
            if every:
                self.B -= h
            else:
                self.B -= act * h
            low = self.B < 0.0  # (only active lanes' budgets went down)
            if not low.any():
                return v
            lanes = low.nonzero()[0]
        if not len(lanes):
            return v
        self.B[lanes] = self.rng.exponential(size=len(lanes))
        if self.budget is not None:
            lanes = lanes[self.rf[lanes] < self.budget]
            if not len(lanes):
                return v
        self.rf[lanes] += 1
        self.nf += len(lanes)
        return self.inject(v, lanes, spec)

    def temporary(self, v: Any) -> bool:
        """Whether v is a number per lane that no variable holds, so that a fault may
        change it in place (an operation's result, an element read; not a variable's
        value read or assigned): copying the lanes was a fifth of motion estimation."""
        lo = W.lo_of(v)
        return isinstance(lo, np.ndarray) and lo.ndim == 1 and lo.base is None and \
            lo.flags.writeable and not any(lo is W.lo_of(x) for x in self.env.values())

    def inject(self, v: Any, lanes: Any, spec: FaultSpec) -> Any:
        """v with the lanes' faulty values, as `FaultMaker` makes them (vectorised for
        bit flips of ints, bools and floats without an `error`)."""
        base = spec.ty.base
        if spec.whole_array or spec.error is not None:
            make = self.maker.make(spec)
            if base == "int" and not spec.whole_array:
                vals = np.array([make(x) for x in W.gather(v, lanes, self.n)] + [0],
                                dtype=object)[:-1]
                return W.union_patch(v, lanes, vals, self.n)
            out = np.array(self.full(v), copy=True)
            for i in lanes:
                if spec.whole_array:
                    row = make([_py(x) for x in out[:, i]])
                    if out.dtype == np.int64 and not all(W.fits(x) for x in row):
                        raise Unsupported("an int array element beyond 64 bits")
                    out[:, i] = row
                else:
                    out[i] = make(_py(out[i]))
            return out
        if base == "int":
            return W.flip(v, lanes, self.rng.integers(0, 64, size=len(lanes)), self.n,
                          self.temporary(v))
        if base == "bool":
            out = np.array(self.full(v), copy=True)
            out[lanes] = ~out[lanes]
            return out
        fmt = spec.fmt or FORMATS[base]
        if fmt.name != base:
            raise Unsupported(f"a faulty {base} value in {fmt.name}")
        out = v if self.temporary(v) else np.array(self.full(v), copy=True)
        bits = out.view(UINTS[out.dtype.itemsize * 8])
        low = bits.dtype.type(out.dtype.itemsize * 8 - fmt.width)  # bfloat16: the high half
        todo = lanes
        while len(todo):  # a uniform bit among those whose flip is finite (by rejection)
            b = self.rng.integers(0, fmt.width, size=len(todo)).astype(bits.dtype) + low
            cand = bits[todo] ^ (bits.dtype.type(1) << b)
            ok = np.isfinite(cand.view(out.dtype))
            bits[todo[ok]] = cand[ok]
            todo = todo[~ok]
        return out


def _py(x: Any) -> Any:
    """A numpy element as the Python value the interpreter would hold."""
    if isinstance(x, (bool, np.bool_)):
        return bool(x)
    if isinstance(x, (int, np.integer)):
        return int(x)
    return float(x)


def spec_of(e: Any, ty: C.Type, error: Optional[float], whole: bool = False) -> FaultSpec:
    elem = ty.elem if whole else ty
    return FaultSpec(ty, error, whole, fault_format(elem, None))


class ExprEval:
    """Evaluates expressions over all lanes under a mask (the lanes that run them)."""

    def __init__(self, lanes: Lanes, cache: Optional[dict] = None):
        self.L = lanes
        self.code = False  # program code (fault sites apply), not a check
        self.cache: dict = {} if cache is None else cache  # id(node) -> what it needs

    def site_of(self, key: Any, make: Any) -> Any:
        """(probability, FaultSpec) of a fault site, computed once per run."""
        hit = self.cache.get(key)
        if hit is None:
            hit = self.cache[key] = make()
        return hit

    def eval(self, e: C.Expr, mask: Any, code: bool) -> Any:
        old, self.code = self.code, code
        try:
            return self.ev(e, mask)
        finally:
            self.code = old

    def ev(self, e: C.Expr, mask: Any) -> Any:
        return getattr(self, "e_" + type(e).__name__)(e, mask)

    def faulty(self, v: Any, mask: Any, prob: float, spec: FaultSpec) -> Any:
        if not self.code or self.L.model is None:
            return v
        return self.L.site(v, mask, prob, spec)

    def e_Const(self, e: C.Const, mask: Any) -> Any:
        return self.site_of(("c", id(e)), lambda: self.const(e))

    def const(self, e: C.Const) -> Any:
        if isinstance(e.value, bool):
            return np.bool_(e.value)
        if e.ty.is_float:
            return DTYPES[e.ty.base](float(Fraction(e.value)))
        v = int(e.value)
        if not W.fits(v):
            raise Unsupported("an int constant beyond 64 bits")
        return np.int64(v)

    def e_VarRef(self, e: C.VarRef, mask: Any) -> Any:
        v = self.L.env[id(e.var)]
        if e.var.urel and self.L.model is not None and not e.var.type.array:
            var, model = e.var, self.L.model
            prob, spec = self.site_of(("r", id(var)), lambda: (
                model.memory(var.region).read, spec_of(var, var.type, None)))
            return self.faulty(v, mask, prob, spec)
        return v

    def e_Unary(self, e: C.Unary, mask: Any) -> Any:
        x = self.ev(e.operand, mask)
        if e.op == "!":
            return ~np.asarray(x, dtype=bool)
        if e.ty.base == "int":
            return W.unary("-", x, self.L.n)
        return -x

    def e_Cond(self, e: C.Cond, mask: Any) -> Any:
        c = np.asarray(self.ev(e.cond, mask), dtype=bool)
        a = self.ev(e.then, mask & c)
        b = self.ev(e.orelse, mask & ~c)
        if e.ty.base == "int" and not e.ty.array:
            return W.where(c, a, b, self.L.n)
        return np.where(c, a, b)  # (an array's lanes are its last axis)

    def e_BinOp(self, e: C.BinOp, mask: Any) -> Any:
        op = e.op
        if op in ("&&", "||", "==>"):
            a = np.asarray(self.ev(e.left, mask), dtype=bool)
            if op == "&&":
                v = a & np.asarray(self.ev(e.right, mask & a), dtype=bool)
            elif op == "||":
                v = a | np.asarray(self.ev(e.right, mask & ~a), dtype=bool)
            else:
                v = ~a | np.asarray(self.ev(e.right, mask & a), dtype=bool)
        else:
            a, b = self.ev(e.left, mask), self.ev(e.right, mask)
            if op == "<==>":
                v = np.asarray(a, dtype=bool) == np.asarray(b, dtype=bool)
            elif op in C.CMP_OPS:
                v = W.compare(op, a, b, self.L.n)
            elif e.ty.is_float:
                v = self.float_op(e, a, b, mask)
            else:
                v = self.int_op(e, a, b, mask)
        if e.unreliable and self.L.model is not None and op not in C.LOGIC_OPS:
            # (the interpreter's `&&.` and the like are reliable: codegen_exprs.e_BinOp)
            model = self.L.model
            prob, spec = self.site_of(id(e), lambda: (
                model.op(op).prob, spec_of(e, e.ty, model.op(op).error)))
            v = self.faulty(v, mask, prob, spec)
        return v

    def float_op(self, e: C.BinOp, a: Any, b: Any, mask: Any) -> Any:
        """IEEE arithmetic (numpy rounds + - * / correctly); a lane whose result is
        beyond the format (or divides by zero) fails, as `_ovf`/`_fop`/`_dz` do."""
        if np.result_type(a, b) != dtype(e.ty):
            raise Unsupported(f"`{e.op}` on operands of another type than its result")
        with np.errstate(all="ignore"):
            if e.op == "/":
                zero = b == 0
                self.L.fail(zero, mask)
                b = np.where(zero, np.ones_like(b), b)
            v = {"+": np.add, "-": np.subtract, "*": np.multiply, "/": np.divide}[e.op](a, b)
        v = np.asarray(v, dtype=dtype(e.ty))
        if e.ty.base == "bfloat16":
            v = bfloat16_round(v)
        self.L.fail(~np.isfinite(v), mask)
        return v

    def int_op(self, e: C.BinOp, a: Any, b: Any, mask: Any) -> Any:
        """Python's unbounded int arithmetic: int64 while no active lane leaves it."""
        op = e.op
        checks = self.site_of(("k", id(e)), lambda: {c.kind for c in K.expr_checks(e)})
        if not checks <= {K.DIVISION, K.LIMIT, K.OVERFLOW}:
            raise Unsupported(f"a `{op}` check the vectorised backend has no test for")
        if op in ("/", "%"):
            zero = np.asarray(W.lo_of(b)) == 0  # (a wide lane holds 1 there)
            if K.DIVISION in checks:
                self.L.fail(zero, mask)
            elif np.any(zero):
                raise Unsupported("division by a zero constant")
            b = W.where(zero, np.int64(1), b, self.L.n)
        v = W.arith(op, a, b, self.L.active(mask)[0], self.L.n)
        if K.LIMIT in checks and isinstance(v, WInt):
            bits = [x.bit_length() for x in v.val]
            if sum(bits) > WIDE_BITS:
                raise Unsupported("ints of many bits in many trials at once (the "
                                  "interpreter takes one trial at a time)")
            big = [i for i, b in zip(v.idx, bits) if b > K.LIMITS.int_bits]
            if big:
                bad = np.zeros(self.L.n, dtype=bool)
                bad[big] = True
                self.L.fail(bad, mask)
        return v

    def e_Select(self, e: C.Select, mask: Any) -> Any:
        assert isinstance(e.array, C.VarRef)
        var = e.array.var
        arr = self.L.env[id(var)]
        i, ok = self.index(self.ev(e.index, mask), arr.shape[0])
        if arr.shape[0] == 0:
            self.L.fail(True, mask)
            return np.zeros(self.L.n, dtype=arr.dtype)
        if ok is np.True_:
            idx = i
        else:
            self.L.fail(~ok, mask)
            idx = np.where(ok, i, 0).astype(np.int64)
        # (a row is copied, not viewed: a later store to the array must not change v)
        v = arr[idx, self.L.lane_ids] if idx.ndim else arr[int(idx)].copy()
        if var.urel and self.L.model is not None:
            model = self.L.model
            prob, spec = self.site_of(("e", id(var)), lambda: (
                model.memory(var.region).read, spec_of(var, var.type.elem, None)))
            v = self.faulty(v, mask, prob, spec)
        return v

    def index(self, x: Any, length: int) -> tuple[Any, Any]:
        """An index and where it is within [0, length) (a wide lane never is)."""
        i = np.asarray(W.lo_of(x))
        if not isinstance(x, WInt) and (i.size and 0 <= int(i.min()) and
                                        int(i.max()) < length):
            return i, np.True_
        ok = (i >= 0) & (i < length)
        if isinstance(x, WInt):
            ok = np.array(np.broadcast_to(ok, (self.L.n,)), copy=True)
            ok[x.idx] = False
        return i, ok

    def e_Apply(self, e: C.Apply, mask: Any) -> Any:
        if e.fn == "len":
            assert isinstance(e.args[0], C.VarRef)
            return np.int64(self.L.env[id(e.args[0].var)].shape[0])
        args = [self.ev(a, mask) for a in e.args]
        if e.ty.base == "int" and e.fn == "abs":
            return W.unary("abs", args[0], self.L.n)
        if e.ty.base == "int" and e.fn in ("min", "max"):
            return W.arith(e.fn, args[0], args[1], mask & self.L.alive, self.L.n)
        if e.fn == "abs":
            return np.abs(args[0])
        if e.fn in ("min", "max"):  # Python's: the first unless the second is beyond it
            a, b = args
            return np.where(b < a if e.fn == "min" else b > a, b, a)
        return self.convert(e, args[0], mask)

    def convert(self, e: C.Apply, x: Any, mask: Any) -> Any:
        """`float32(x)`: x's exact value rounded once to the format (a lane beyond its
        range fails, as `_cvt` does). Ints beyond 2^53 are rounded one by one."""
        fmt = FORMATS[e.fn]
        if e.fn == "bfloat16" and e.args[0].ty.base not in ("int", "bfloat16"):
            v = bfloat16_of(self.L.full(x))  # one rounding of the exact value
        elif e.args[0].ty.base == "int":
            lo = W.lo_full(x, self.L.n)
            exact = np.abs(lo.astype(np.float64)) < 2.0 ** 53
            with np.errstate(all="ignore"):
                wide = np.where(exact, lo, 0).astype(np.float64)
                v = bfloat16_of(wide) if e.fn == "bfloat16" else wide.astype(dtype(e.ty))
            ix = W.union(np.flatnonzero(~exact), W.idx_of(x))
            for i, big in zip(ix, W.gather(x, ix, self.L.n)):
                v[i] = fmt.round(int(big))
        else:
            with np.errstate(all="ignore"):
                v = np.asarray(x).astype(dtype(e.ty))
        self.L.fail(~np.isfinite(v), mask)
        return v


