"""Sound round-off error bounds for `accept abs(E<o> - E<r>) <= ?;` queries.

F(x, d) = r(x, d_r) - o(x, d_o).  By the mean value theorem (Lebourg's, with Clarke
gradients, at the kinks of abs/min/max), over a box X,
    |r(x,d_r) - o(x,0)| <= sum_i sup|dG/dv_i| * |v_i|
where G is one joint expression: r's tree, whose constants and subtrees that differ
from o's are blended as a + p*(b - a) with p in [0, 1] (G = o(x,0) at v = 0, G = r at
p = 1); o's own rounding adds sum_j sup|do/dd_j| * u_j.  The suprema are taken with
forward-mode AD in outward-rounded interval arithmetic, and a branch and bound over
sub-boxes of X tightens them (no second-order terms are dropped: the partials are
evaluated over the whole error box, which is what makes the bound rigorous).
"""
from __future__ import annotations

import heapq
import math
import time
from dataclasses import dataclass
from fractions import Fraction
from typing import Optional

from relaxverify.verify.errorir import Const, Expr, Op, Round, Rounding, Var
from relaxverify.verify.intervals import (
    ONE, ZERO, Interval, NotBounded, up_add, up_mul)

Box = dict[str, tuple[Fraction, Fraction]]
FBox = dict[str, Interval]
Partials = dict[tuple[object, ...], Interval]
# enclosures (a value or one partial) a bound may compute: about 0.45 s of CPU on the
# machine that set it; FPBench's largest kernels reach it, the rest stop at tolerance
WORK_BUDGET = 150_000
ETA = ("eta",)  # one pseudo-variable carries every absolute error term, times 1


@dataclass(frozen=True)
class BoundResult:
    bound: float
    method: str


@dataclass
class Dual:
    """A value enclosure and enclosures of its partials per error variable."""
    value: Interval
    d: Partials


class _Eval:
    """One forward AD pass over one box; `point` sets every error variable to 0 (used
    only for the branch and bound's lower estimate, never for the bound);
    `values_only` computes the enclosures without partials (a range, see Ranges)."""

    def __init__(self, box: FBox, point: bool = False, values_only: bool = False) -> None:
        self.box = box
        self.point = point
        self.values_only = values_only
        self.scale: dict[tuple[object, ...], Interval] = {}  # |v| range per variable
        self.cache: dict[tuple[int, int, bool], Dual] = {}
        self.keep: list[object] = []  # keep keyed nodes alive so ids stay unique
        self.work = 0  # enclosures computed: the branch and bound's budget unit

    # -- one side -----------------------------------------------------------------
    def side(self, e: Expr, rounded: bool) -> Dual:
        key = (0, id(e), rounded)
        hit = self.cache.get(key)
        if hit is not None:
            return hit
        self.keep.append(e)
        if isinstance(e, Var):
            if e.name not in self.box:
                raise NotBounded(f"variable {e.name!r} has no range")
            out = Dual(self.box[e.name], {})
        elif isinstance(e, Const):
            out = Dual(Interval.of_fraction(e.value), {})
        elif isinstance(e, Round):
            out = self.side(e.arg, rounded)
            if rounded:
                out = self.rounding(out, e, e.rounding)
        else:
            out = apply(e.op, [self.side(a, rounded) for a in e.args])
            if e.op == "*" and e.args[0] == e.args[1]:
                out = Dual(_square(self.side(e.args[0], rounded).value), out.d)
            if rounded and e.rounding is not None:
                out = self.rounding(out, e, e.rounding)
        self.cache[key] = out
        self.work += 1 + len(out.d)
        return out

    def rounding(self, y: Dual, node: Expr, r: Rounding) -> Dual:
        """z = y*(1+d) + e, with fresh d and e named after the node."""
        dk = ("d", id(node))
        factor, eta, u = _constants(r)
        if self.values_only:
            return Dual(y.value * factor + eta, {})
        if self.point:
            factor, err = ONE, ZERO
            d = dict(y.d)
        else:
            err = eta
            d = {k: v.times_positive(factor.lo, factor.hi) for k, v in y.d.items()}
        d[dk] = y.value
        self.scale[dk] = u
        if r.eta:  # all absolute errors folded: the enclosure of sum_k dz/de_k * e_k
            d[ETA] = d[ETA] + eta if ETA in d else eta
            self.scale[ETA] = ONE
        return Dual(y.value * factor + err, d)

    # -- o blended into r ------------------------------------------------------------
    def joint(self, a: Expr, b: Expr) -> Dual:
        """G: equals o(x, 0) when all variables are 0 and r(x, d) when every p is 1."""
        if a is b:
            return self.side(b, True)
        key = (id(a), id(b), True)
        hit = self.cache.get(key)
        if hit is not None:
            return hit
        self.keep.extend((a, b))
        out = self._joint(a, b)
        self.cache[key] = out
        self.work += 1 + len(out.d)
        return out

    def _joint(self, a: Expr, b: Expr) -> Dual:
        if isinstance(a, Round):
            return self.joint(a.arg, b)
        if isinstance(b, Round):
            return self.rounding(self.joint(a, b.arg), b, b.rounding)
        if isinstance(a, Var) and isinstance(b, Var) and a.name == b.name:
            return self.side(b, True)
        if isinstance(a, Const) and isinstance(b, Const):
            if a.value == b.value:
                return self.side(b, True)
            pk = ("p", id(a), id(b))
            self.scale[pk] = ONE
            lo, hi = sorted((a.value, b.value))
            val = Interval.of_fraction(a.value) if self.point else Interval.of_fraction(lo, hi)
            return Dual(val, {pk: Interval.of_fraction(b.value - a.value)})
        if isinstance(a, Op) and isinstance(b, Op) and a.op == b.op:
            out = apply(b.op, [self.joint(x, y) for x, y in zip(a.args, b.args)])
            return self.rounding(out, b, b.rounding) if b.rounding else out
        # different shapes: a + p*(b - a)
        av, bv = self.side(a, False), self.side(b, True)
        pk = ("p", id(a), id(b))
        self.scale[pk] = ONE
        p = ZERO if self.point else Interval(0.0, 1.0)
        diff = bv.value - av.value
        d = {k: v * p for k, v in bv.d.items()}
        d[pk] = diff
        return Dual(av.value + p * diff, d)


def _square(v: Interval) -> Interval:
    """x * x for x in v: never negative (plain interval product loses that: x1 * x1
    + 1 over [-5, 5] would include 0, and a division by it would not be bounded)."""
    sq = v * v
    return Interval(0.0, sq.hi) if v.contains_zero() else sq


# id(rounding) -> (rounding, its constants): by identity, as hashing the Fractions
# cost more than the rest of a rounding step (the entry keeps the key's object alive)
_CONSTANTS: dict[int, tuple[Rounding, tuple[Interval, Interval, Interval]]] = {}


def _constants(r: Rounding) -> tuple[Interval, Interval, Interval]:
    """[1-u, 1+u], [-eta, eta] and [u, u] as float intervals, converted once."""
    hit = _CONSTANTS.get(id(r))
    if hit is None:
        hit = (r, (Interval.of_fraction(1 - r.u, 1 + r.u),
                   Interval.of_fraction(-r.eta, r.eta), Interval.of_fraction(r.u)))
        _CONSTANTS[id(r)] = hit
    return hit[1]


def apply(op: str, xs: list[Dual]) -> Dual:
    """An operation on duals: the value and the chain rule for every partial."""
    a = xs[0]
    if op == "neg":
        return Dual(-a.value, {k: -v for k, v in a.d.items()})
    if op == "sqrt":
        z = a.value.sqrt()
        if z.lo <= 0.0 and a.d:
            raise NotBounded("square root near 0 has no bounded derivative")
        two_z = z + z
        return Dual(z, {k: v / two_z for k, v in a.d.items()})
    if op == "abs":
        v = a.value
        s = ONE if v.lo >= 0 else (-ONE if v.hi <= 0 else Interval(-1.0, 1.0))
        return Dual(v.abs(), {k: s * dv for k, dv in a.d.items()})
    b = xs[1]
    if op == "+":
        return Dual(a.value + b.value, _combine(a.d, ONE, b.d, ONE))
    if op == "-":
        return Dual(a.value - b.value, _combine(a.d, ONE, b.d, -ONE))
    if op == "*":
        return Dual(a.value * b.value, _combine(a.d, b.value, b.d, a.value))
    if op == "/":
        z = a.value / b.value
        inv = ONE / b.value
        return Dual(z, _combine(a.d, inv, b.d, -(z * inv)))
    keys = set(a.d) | set(b.d)
    da = {k: a.d.get(k, ZERO) for k in keys}
    db = {k: b.d.get(k, ZERO) for k in keys}
    if op in ("min", "max"):
        first_low = a.value.hi <= b.value.lo
        second_low = b.value.hi <= a.value.lo
        if op == "min":
            val = a.value.min(b.value)
            pick = a if first_low else (b if second_low else None)
        else:
            val = a.value.max(b.value)
            pick = b if first_low else (a if second_low else None)
        if pick is not None:
            return Dual(val, dict(pick.d))
        return Dual(val, {k: da[k].hull(db[k]) for k in keys})
    raise ValueError(f"unknown operation {op!r}")


def _combine(da: Partials, fa: Interval, db: Partials, fb: Interval) -> Partials:
    """The partials of fa*a + fb*b (only the variables each side depends on)."""
    out = {k: v * fa for k, v in da.items()} if fa is not ONE else dict(da)
    for k, v in db.items():
        w = v if fb is ONE else (-v if fb.lo == fb.hi == -1.0 else v * fb)
        out[k] = out[k] + w if k in out else w
    return out


def _first_order(ev: _Eval, duals: list[Dual]) -> float:
    total = 0.0
    for dual in duals:
        for k, v in dual.d.items():
            total = up_add(total, up_mul(v.mag(), ev.scale[k].mag()))
    return total if total == total else math.inf


def _has_rounding(e: Expr, seen: Optional[set[int]] = None) -> bool:
    seen = set() if seen is None else seen
    if id(e) in seen:
        return False
    seen.add(id(e))
    if isinstance(e, Round):
        return True
    if isinstance(e, Op):
        return e.rounding is not None or any(_has_rounding(a, seen) for a in e.args)
    return False


def _box_bound(o: Expr, r: Expr, box: FBox, o_rounded: bool, point: bool
               ) -> tuple[float, int]:
    """An upper bound of |o - r| on this box (an estimate when point), and the work
    it took (enclosures computed)."""
    ev = _Eval(box, point)
    ev2 = _Eval(box, point)
    try:
        bound = _first_order(ev, [ev.joint(o, r)])
        if o_rounded:
            bound = up_add(bound, _first_order(ev2, [ev2.side(o, True)]))
    except NotBounded:
        bound = math.inf
    return bound, ev.work + ev2.work


def _fbox(box: Box) -> Optional[FBox]:
    out = {}
    for name, (lo, hi) in box.items():
        try:
            iv = Interval.of_fraction(Fraction(lo), Fraction(hi))
        except (OverflowError, ValueError):  # an infinite or NaN end point
            return None
        if lo > hi or not (math.isfinite(iv.lo) and math.isfinite(iv.hi)):
            return None
        out[name] = iv
    return out


def _split(box: FBox, widths: dict[str, float]) -> tuple[FBox, FBox]:
    name = max(box, key=lambda n: (box[n].hi - box[n].lo) / widths[n] if widths[n] else 0)
    iv = box[name]
    mid = iv.lo + (iv.hi - iv.lo) / 2
    return {**box, name: Interval(iv.lo, mid)}, {**box, name: Interval(mid, iv.hi)}


def _center(box: FBox) -> FBox:
    return {n: Interval.point(iv.lo + (iv.hi - iv.lo) / 2) for n, iv in box.items()}


def error_bound(o: Expr, r: Expr, box: Box, max_boxes: int = 400,
                tolerance: float = 0.03, budget: int = WORK_BUDGET,
                time_limit: float = 5.0) -> Optional[BoundResult]:
    """The smallest bound this method proves on sup |o - r| over the box and all
    rounding errors, or None when it cannot bound it.  Splitting stops at max_boxes,
    after `budget` enclosures, or when the bound is within tolerance of an estimate
    of the true maximum; every stop gives a sound bound."""
    # a count of work, not a clock, so that every machine proves the same bound; the
    # CPU time limit is only a guard and is not reached on FPBench-sized formulas
    deadline = time.process_time() + time_limit
    fbox = _fbox(box)
    if fbox is None:
        return None
    o_rounded = _has_rounding(o)
    widths = {n: iv.hi - iv.lo for n, iv in fbox.items()}
    first, spent = _box_bound(o, r, fbox, o_rounded, False)
    best_low, work = _box_bound(o, r, _center(fbox), o_rounded, True)
    spent += work
    heap = [(-first, 0, fbox)]
    count, seq = 1, 1
    while count < max_boxes and spent < budget and time.process_time() < deadline:
        top = -heap[0][0]
        if best_low > 0 and math.isfinite(top) and top - best_low <= tolerance * top:
            break
        if top == 0.0:
            break
        _, _, b = heapq.heappop(heap)
        halves = []
        for half in _split(b, widths):
            ub, work = _box_bound(o, r, half, o_rounded, False)
            halves.append((ub, half))
            spent += work
        worst = max(halves, key=lambda t: t[0])[1]
        low, work = _box_bound(o, r, _center(worst), o_rounded, True)
        best_low, spent = max(best_low, low), spent + work
        for ub, half in halves:
            heapq.heappush(heap, (-ub, seq, half))
            seq += 1
        count += 1
    top = -heap[0][0]
    if not math.isfinite(top):
        return None
    return BoundResult(top, f"first-order mean value form with interval AD over "
                            f"{len(heap)} boxes")


class Ranges:
    """Enclosures of the values (with their rounding errors) of many expressions over
    one box: the checks of one function share their sub-expressions, so one pass
    without partials serves them all."""

    def __init__(self, box: Box) -> None:
        fbox = _fbox(box)
        self._ev = _Eval(fbox, values_only=True) if fbox is not None else None

    def of(self, e: Expr) -> Optional[tuple[float, float]]:
        if self._ev is None:
            return None
        try:
            v = self._ev.side(e, True).value
        except NotBounded:
            return None
        return (v.lo, v.hi)
