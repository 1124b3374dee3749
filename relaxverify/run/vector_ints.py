"""Unbounded ints for the vectorised backend: int64 lanes, and the few lanes whose
value leaves int64 (a flipped high bit, squared) as Python ints beside them.

Relax ints are unbounded (the interpreter computes with Python ints), and a faulty
lane whose value is 2^124 may still be correct (`ssd <. minssd` is false for it).
So a value is an int64 array, or a `WInt`: the int64 array with the lanes `idx`
holding 1 (never 0: no spurious division by zero) and their exact values in `val`
(an object array of Python ints). Every operation computes all lanes in int64 and
then the wide lanes, and those whose int64 result may have wrapped, exactly with
Python ints: as fast as int64 when no lane is wide. Arrays hold int64 only (a wide
element makes the run Unsupported).
"""
from __future__ import annotations

import operator
from dataclasses import dataclass
from typing import Any

import numpy as np

from relaxverify.run.vector_support import Unsupported

I64_MIN, I64_MAX = -(2 ** 63), 2 ** 63 - 1
BIG = float(2 ** 62)  # a product estimated beyond this is recomputed exactly

NP_OPS: dict[str, Any] = {
    "+": np.add, "-": np.subtract, "*": np.multiply, "/": np.floor_divide, "%": np.remainder,
    "<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal,
    "==": np.equal, "!=": np.not_equal, "min": np.minimum, "max": np.maximum}
PY_OPS: dict[str, Any] = {
    "+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.floordiv,
    "%": operator.mod, "min": min, "max": max}
EMPTY = np.zeros(0, dtype=np.int64)


@dataclass
class WInt:
    lo: Any  # int64 array; 1 in the lanes of idx
    idx: Any  # sorted lanes whose value is beyond int64
    val: Any  # their values (object array of Python ints)


def fits(v: int) -> bool:
    return I64_MIN <= v <= I64_MAX


def lo_of(x: Any) -> Any:
    return x.lo if isinstance(x, WInt) else x


def idx_of(x: Any) -> Any:
    return x.idx if isinstance(x, WInt) else EMPTY


def lo_full(x: Any, n: int) -> Any:
    """The int64 part of x as a fresh array of n lanes."""
    lo = lo_of(x)
    if np.ndim(lo) == 1:
        return lo.astype(np.int64)  # (a copy)
    return np.full(n, lo, dtype=np.int64)


def gather(x: Any, ix: Any, n: int) -> Any:
    """The exact values of x at lanes ix (sorted), as Python ints."""
    out = np.broadcast_to(lo_of(x), (n,))[ix].astype(object)
    if isinstance(x, WInt) and len(x.idx) and len(ix):
        pos = np.minimum(np.searchsorted(ix, x.idx), len(ix) - 1)
        hit = ix[pos] == x.idx  # (ix need not hold every wide lane of x)
        out[pos[hit]] = x.val[hit]
    return out


def patch(lo: Any, ix: Any, vals: Any) -> Any:
    """lo (a fresh full int64 array) with lanes ix set to vals (Python ints): int64
    where they fit, else wide."""
    if not len(ix):
        return lo
    small = np.asarray((vals >= I64_MIN) & (vals <= I64_MAX), dtype=bool)
    lo[ix[small]] = vals[small].astype(np.int64)
    if small.all():
        return lo
    lo[ix[~small]] = 1
    return WInt(lo, ix[~small], vals[~small])


def union_patch(x: Any, lanes: Any, vals: Any, n: int) -> Any:
    """x with lanes (unique) set to vals (Python ints)."""
    order = np.argsort(lanes)
    lanes, vals = np.asarray(lanes)[order], vals[order]
    ix = union(lanes, idx_of(x))
    exact = gather(x, ix, n)
    exact[np.searchsorted(ix, lanes)] = vals
    return patch(lo_full(x, n), ix, exact)


def union(*parts: Any) -> Any:
    """The sorted union of sorted lane arrays (each without repeats)."""
    arrays = [np.asarray(p, dtype=np.int64) for p in parts if len(p)]
    if len(arrays) <= 1:
        return arrays[0] if arrays else EMPTY
    lanes = np.concatenate(arrays)
    lanes.sort()  # (np.unique is slower by half on these few lanes)
    return lanes[np.concatenate(([True], lanes[1:] != lanes[:-1]))]


def _span(x: Any) -> int:
    """The largest |value| of int64 lanes x."""
    if not x.ndim:
        return abs(int(x))
    return max(int(x.max()), -int(x.min())) if x.size else 0


def _spare(t: Any, u: Any) -> Any:
    """Of two temporaries, one that holds every lane (to compute into), or None."""
    return t if np.ndim(t) else u if np.ndim(u) else None


def _wrapped(op: str, a: Any, b: Any, v: Any, mask: Any) -> Any:
    """The lanes of mask where v = a op b (int64 lanes, computed by numpy) may have
    wrapped around: none when the operands' largest magnitudes say so (a few
    reductions); else for + and -, exactly those whose operands' signs say so; for
    *, those whose operands do not both fit 32 bits and whose product estimated in
    binary64 is beyond BIG; for /, I64_MIN / -1 (% never leaves int64)."""
    if op in ("+", "-", "*"):  # (a few reductions first: no lane may wrap)
        sa, sb = _span(a), _span(b)
        if (sa * sb if op == "*" else sa + sb) <= I64_MAX:
            return EMPTY
    if op in ("+", "-"):  # two's complement: the sign of v is wrong
        t, u = a ^ v, (b ^ v if op == "+" else a ^ b)
        t = np.bitwise_and(t, u, out=_spare(t, u))
        if t.min() >= 0:  # (a reduction: cheaper than testing each lane)
            return EMPTY
        hot = t < 0
    elif op == "*":  # x + 2^31 < 2^32 (unsigned): x fits 32 bits
        off, top = np.uint64(2 ** 31), np.uint64(2 ** 32)
        t, u = a.view(np.uint64) + off, b.view(np.uint64) + off
        t = np.bitwise_or(t, u, out=_spare(t, u))
        if t.max() < top:
            return EMPTY
        hot = t >= top
    elif op == "/":
        if a.min() > I64_MIN:
            return EMPTY
        hot = (a == I64_MIN) & (b == -1)
    else:
        return EMPTY
    n = len(mask)
    lanes = np.flatnonzero(np.broadcast_to(hot, (n,)) & mask)
    if op == "*" and len(lanes):  # of these (few), those whose product may be large
        fa = np.broadcast_to(a, (n,))[lanes].astype(np.float64)
        lanes = lanes[np.abs(fa * np.broadcast_to(b, (n,))[lanes]) >= BIG]
    return lanes


def arith(op: str, a: Any, b: Any, mask: Any, n: int) -> Any:
    """a op b exactly (op of + - * / % min max, / the floor division; b is nonzero
    wherever it matters: the caller has failed the others and made them 1) in the
    lanes of mask (the live lanes that use it); the others get any value, so a dead
    trial's huge int is not squared on. int64 arithmetic, and Python ints in the
    lanes that are wide or whose int64 result may have wrapped."""
    alo, blo = np.asarray(lo_of(a)), np.asarray(lo_of(b))
    if not alo.ndim and not blo.ndim and not isinstance(a, WInt) and \
            not isinstance(b, WInt):  # the same in every lane: one Python operation
        r = PY_OPS[op](int(alo), int(blo))
        if fits(r):
            return np.int64(r)
    with np.errstate(all="ignore"):
        v = NP_OPS[op](alo, blo)
        risky = _wrapped(op, alo, blo, v, np.broadcast_to(mask, (n,)))
    ix = union(risky, idx_of(a), idx_of(b))
    if len(ix):
        ix = ix[np.broadcast_to(mask, (n,))[ix]]
    if not len(ix):
        return v
    exact = NP_OPS[op](gather(a, ix, n), gather(b, ix, n))
    return patch(lo_full(v, n), ix, exact)


def compare(op: str, a: Any, b: Any, n: int) -> Any:
    v = np.asarray(NP_OPS[op](lo_of(a), lo_of(b)), dtype=bool)
    ix = union(idx_of(a), idx_of(b))
    if not len(ix):
        return v
    v = np.array(np.broadcast_to(v, (n,)), copy=True)
    v[ix] = np.asarray(NP_OPS[op](gather(a, ix, n), gather(b, ix, n)), dtype=bool)
    return v


def unary(op: str, x: Any, n: int) -> Any:
    """-x or abs(x): I64_MIN leaves int64."""
    lo = np.asarray(lo_of(x))
    with np.errstate(all="ignore"):
        v = np.negative(lo) if op == "-" else np.abs(lo)
    edge = lo == I64_MIN
    ix = union(np.flatnonzero(np.broadcast_to(edge, (n,))) if edge.any() else EMPTY,
               idx_of(x))
    if not len(ix):
        return v
    g = gather(x, ix, n)
    return patch(lo_full(v, n), ix, -g if op == "-" else np.abs(g))


def where(c: Any, a: Any, b: Any, n: int) -> Any:
    """a in the lanes of c, else b."""
    v = np.where(c, lo_of(a), lo_of(b))
    if not isinstance(a, WInt) and not isinstance(b, WInt):
        return v
    c = np.broadcast_to(c, (n,))
    ia, ib = idx_of(a), idx_of(b)
    ka, kb = c[ia], ~c[ib]
    ix = np.concatenate([ia[ka], ib[kb]])
    if not len(ix):
        return v
    vals = np.concatenate([a.val[ka] if len(ia) else np.zeros(0, object),
                           b.val[kb] if len(ib) else np.zeros(0, object)])
    order = np.argsort(ix)
    return WInt(lo_full(v, n), ix[order], vals[order])


def plain(x: Any, mask: Any, what: str) -> Any:
    """x as int64 where it matters (a loop bound, an array element); Unsupported when
    an active lane is wide."""
    if isinstance(x, WInt):
        if np.any(np.broadcast_to(mask, x.lo.shape)[x.idx]):
            raise Unsupported(f"{what} beyond 64 bits")
        return x.lo
    return x


def equal_to(x: Any, want: int, n: int) -> Any:
    """Per lane: x == want (an exact Python int)."""
    v = np.array(np.broadcast_to(lo_of(x) == want, (n,)) if fits(want) else
                 np.zeros(n, dtype=bool), dtype=bool)
    if isinstance(x, WInt):
        v[x.idx] = np.asarray(x.val == want, dtype=bool)
    return v


def flip(x: Any, lanes: Any, bits: Any, n: int, in_place: bool = False) -> Any:
    """x with bit bits[k] of lane lanes[k] flipped in 64-bit two's complement
    (faults.flip_int; a wide value keeps its high part); `in_place`: x's int64
    lanes may be changed (no one else holds them)."""
    lo = lo_of(x) if in_place else lo_full(x, n)
    wide = np.zeros(len(lanes), bool)
    if isinstance(x, WInt):
        pos = np.minimum(np.searchsorted(x.idx, lanes), len(x.idx) - 1)
        wide = x.idx[pos] == lanes
    small = lanes[~wide]
    u = lo.view(np.uint64)
    u[small] ^= np.left_shift(np.uint64(1), bits[~wide].astype(np.uint64))
    if not wide.any():
        return WInt(lo, x.idx, x.val) if isinstance(x, WInt) else lo
    from relaxverify.run.faults import flip_int
    vals = x.val.copy()
    back = []  # the wide values a flip brings back into int64 (the others stay wide)
    for k, bit in zip(pos[wide], bits[wide]):
        vals[k] = flip_int(vals[k], int(bit))
        if fits(vals[k]):
            back.append(k)
    if not back:
        return WInt(lo, x.idx, vals)
    lo[x.idx[back]] = np.array([vals[k] for k in back], dtype=np.int64)
    keep = np.ones(len(x.idx), dtype=bool)
    keep[back] = False
    return WInt(lo, x.idx[keep], vals[keep]) if keep.any() else lo
