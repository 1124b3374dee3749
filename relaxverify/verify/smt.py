"""Z3 building blocks for the verifier: sorts, literals, Python floor division,
arrays as (Z3 array, length) pairs, and reading values back out of a model.

Kept separate from the VC generator so that the encoding decisions (the ones
that must agree with the interpreter: floor `/` and `%`, array equality) sit in
one small place.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Any, Callable, Optional, Union

import z3

from relaxverify.core import arrays
from relaxverify.core.nodes import BOOL, INT, REAL, Type
from relaxverify.verify.rawast import app_kind
from relaxverify.verify.terms import connect, equal, memo


@dataclass(frozen=True)
class ArrayVal:
    """An array value: its elements (a Z3 array from Int) and its length. An array of
    several dimensions is one Z3 array from Int x Int x ... (`Select(arr, i, j)`, so
    no index is a product) with the lengths of dimensions 1, 2, ... in `more`."""

    arr: z3.ArrayRef
    length: z3.ArithRef
    more: tuple[z3.ArithRef, ...] = ()

    @property
    def lengths(self) -> tuple[z3.ArithRef, ...]:
        return (self.length,) + self.more

    def with_elements(self, arr: z3.ArrayRef) -> "ArrayVal":
        return replace(self, arr=arr)

    def same(self, other: "Value") -> bool:
        return (isinstance(other, ArrayVal) and self.arr.eq(other.arr)
                and all(a.eq(b) for a, b in zip(self.lengths, other.lengths)))


Value = Union[z3.ExprRef, ArrayVal]


def sort_of(ty: Type) -> z3.SortRef:
    table = memo()
    got = table.get(ty)
    if got is None:
        got = table[ty] = _sort_of(ty)
    return got


def _sort_of(ty: Type) -> z3.SortRef:
    # A float is the real it denotes (verify/floats.py abstracts its rounding).
    base = {"int": z3.IntSort(), "bool": z3.BoolSort()}.get(ty.base, z3.RealSort())
    return z3.ArraySort(*([z3.IntSort()] * ty.dims), base) if ty.array else base


def literal(value, ty: Type) -> z3.ExprRef:
    """The value as a term of the type's sort (one object per value and context)."""
    key = (ty, value)
    table = memo()
    got = table.get(key)
    if got is None:
        got = table[key] = _literal(value, ty)
    return got


def _literal(value, ty: Type) -> z3.ExprRef:
    if ty == BOOL:
        return z3.BoolVal(bool(value))
    if ty == INT:
        return z3.IntVal(int(value))
    f = Fraction(value)
    return z3.RealVal(f"{f.numerator}/{f.denominator}")


def default_value(ty: Type) -> z3.ExprRef:
    return literal({"int": 0, "bool": False}.get(ty.base, 0), Type(ty.base))


def same(a: Value, b: Value) -> bool:
    """Syntactic identity of two values (Z3 terms are hash-consed)."""
    if isinstance(a, ArrayVal) or isinstance(b, ArrayVal):
        return isinstance(a, ArrayVal) and a.same(b)
    return a.eq(b)


def conj(parts: list) -> z3.BoolRef:
    kept = []
    for p in parts:
        kind = _bool_kind(p)
        if kind == z3.Z3_OP_FALSE:
            return z3.BoolVal(False)
        if kind != z3.Z3_OP_TRUE:
            kept.append(p)
    if not kept:
        return z3.BoolVal(True)
    return kept[0] if len(kept) == 1 else connect("&&", kept)


def _bool_kind(p) -> int:
    """Z3_OP_TRUE or Z3_OP_FALSE for the constants, read through the C API (z3py's
    `is_true` builds two wrapper objects): conjunctions are built by the thousand."""
    if isinstance(p, z3.BoolRef):
        return app_kind(p.ctx.ref(), p.as_ast())
    return z3.Z3_OP_TRUE if z3.is_true(p) else z3.Z3_OP_FALSE if z3.is_false(p) else -1


def is_constant(p, value: bool) -> bool:
    """z3.is_true(p) or z3.is_false(p), as `conj` reads them (without wrappers)."""
    return _bool_kind(p) == (z3.Z3_OP_TRUE if value else z3.Z3_OP_FALSE)


def disj(parts: list) -> z3.BoolRef:
    parts = [p for p in parts if not is_constant(p, False)]
    if not parts:
        return z3.BoolVal(False)
    return parts[0] if len(parts) == 1 else z3.Or(parts)


def floor_div(a: z3.ArithRef, b: z3.ArithRef) -> z3.ArithRef:
    """Python's `a // b`. Z3's `div` is Euclidean (0 <= a mod b < |b|); for b < 0
    with a non-zero remainder the floor quotient is one less."""
    return z3.If(z3.And(b < 0, a % b != 0), a / b - 1, a / b)


def floor_mod(a: z3.ArithRef, b: z3.ArithRef) -> z3.ArithRef:
    """Python's `a % b` (the sign of b): `a == b * (a // b) + a % b`."""
    return z3.If(z3.And(b < 0, a % b != 0), a % b + b, a % b)


_counter = [0]


def bound_var(sort: z3.SortRef, hint: str) -> z3.ExprRef:
    _counter[0] += 1
    return z3.Const(f"{hint}!{_counter[0]}", sort)


def array_eq(a: ArrayVal, b: ArrayVal) -> z3.BoolRef:
    """Equal length and equal elements below it (elements beyond are irrelevant)."""
    if a.same(b):
        return z3.BoolVal(True)
    ks = [bound_var(z3.IntSort(), "k") for _ in a.lengths]
    inside = z3.And([z3.And(0 <= k, k < n) for k, n in zip(ks, a.lengths)])
    return z3.And(*[n == m for n, m in zip(a.lengths, b.lengths)],
                  z3.ForAll(ks, z3.Implies(inside, z3.Select(a.arr, *ks) == z3.Select(b.arr, *ks))))


def values_equal(a: Value, b: Value) -> z3.BoolRef:
    if isinstance(a, ArrayVal):
        return array_eq(a, b)
    return equal(a, b)


# ---------------------------------------------------------------- models

MAX_ELEMENTS = 10_000  # longer arrays are cut, and the counterexample is then abstract


def array_too_long(model: z3.ModelRef, v: Value) -> bool:
    if not isinstance(v, ArrayVal):
        return False
    total = 1
    for length in v.lengths:
        n = model.eval(length, model_completion=True)
        if not z3.is_int_value(n):
            return False
        total *= max(n.as_long(), 0)
    return total > MAX_ELEMENTS


def model_value(model: z3.ModelRef, v: Value, ty: Type):
    """A Python value (int, Fraction, bool, or a list of them) for `v` in `model`."""
    if isinstance(v, ArrayVal):
        ns = [_scalar(model.eval(n, model_completion=True), INT) for n in v.lengths]
        if any(not isinstance(n, int) or n < 0 for n in ns):
            return [] if len(ns) == 1 else arrays.Rows([], (0,) * (len(ns) - 1))
        most = MAX_ELEMENTS if len(ns) == 1 else int(MAX_ELEMENTS ** (1 / len(ns)))
        cut = [min(n, most) for n in ns]
        if len(ns) == 1:
            return _vector(model, v.arr, cut[0], ty.elem)
        return arrays.rows(_elements(model, v.arr, cut, (), ty.elem), tuple(cut))
    return _scalar(model.eval(v, model_completion=True), ty)


def _vector(model: z3.ModelRef, arr: z3.ExprRef, count: int, ty: Type) -> list:
    """A one-dimensional array's first `count` elements, read in one pass when the
    model's array has a form `_array_elements` knows (else element by element)."""
    element = _array_elements(model, arr)
    if element is not None:
        cache: dict[int, Any] = {}

        def value(t: z3.ExprRef) -> Any:
            key = t.get_id()
            if key not in cache:
                cache[key] = _scalar(t, ty)
            return cache[key]
        try:
            return [value(element(k)) for k in range(count)]
        except (z3.Z3Exception, TypeError):  # a lambda body beyond the compiled forms
            pass
    return [_scalar(model.eval(z3.Select(arr, k), model_completion=True), ty)
            for k in range(count)]


def _elements(model: z3.ModelRef, arr: z3.ArrayRef, ns: list[int], at: tuple, ty: Type):
    """The elements of `arr` below the lengths `ns`, as nested lists (one per dimension)."""
    if len(at) == len(ns) - 1:
        return [_scalar(model.eval(z3.Select(arr, *at, k), model_completion=True), ty)
                for k in range(ns[len(at)])]
    return [_elements(model, arr, ns, at + (k,), ty) for k in range(ns[len(at)])]


Element = Callable[[int], z3.ExprRef]


def _is_value(t: z3.ExprRef) -> bool:
    return (z3.is_int_value(t) or z3.is_rational_value(t) or z3.is_true(t) or
            z3.is_false(t) or z3.is_algebraic_value(t))


def _array_elements(model: z3.ModelRef, arr: z3.ExprRef) -> Optional[Element]:
    """The model's array as a function from an index to its value: Z3 gives stores
    over a constant array, a function interpretation, or a lambda over the index
    (arrays constrained by ranges); None for anything else."""
    ev = model.eval(arr, model_completion=True)
    if z3.is_quantifier(ev):
        return _compiled_lambda(ev) if ev.is_lambda() and ev.num_vars() == 1 else None
    entries: dict[int, z3.ExprRef] = {}
    while z3.is_store(ev):
        index = ev.arg(1)
        if not z3.is_int_value(index):
            return None
        entries.setdefault(index.as_long(), ev.arg(2))
        ev = ev.arg(0)
    if z3.is_K(ev):
        default = ev.arg(0)
    elif z3.is_as_array(ev):
        rows = model[z3.get_as_array_func(ev)].as_list()
        for row in rows[:-1]:
            if not z3.is_int_value(row[0]):
                return None
            entries.setdefault(row[0].as_long(), row[1])
        default = rows[-1]
    else:
        return None
    if not all(_is_value(t) for t in [default, *entries.values()]):
        return None  # an expression, not a value: evaluate element by element
    return lambda k: entries.get(k, default)


class _NotSimple(Exception):
    pass


_OPS: dict[int, Callable[..., Any]] = {
    z3.Z3_OP_AND: lambda *xs: all(xs), z3.Z3_OP_OR: lambda *xs: any(xs),
    z3.Z3_OP_NOT: lambda x: not x, z3.Z3_OP_LE: lambda a, b: a <= b,
    z3.Z3_OP_LT: lambda a, b: a < b, z3.Z3_OP_GE: lambda a, b: a >= b,
    z3.Z3_OP_GT: lambda a, b: a > b, z3.Z3_OP_EQ: lambda a, b: a == b,
    z3.Z3_OP_ADD: lambda *xs: sum(xs), z3.Z3_OP_SUB: lambda a, *bs: a - sum(bs),
    z3.Z3_OP_UMINUS: lambda a: -a}


def _compiled_lambda(lam: z3.QuantifierRef) -> Optional[Element]:
    """`Lambda(k, body)` as a Python function of k, when the body is if-then-else
    over comparisons and sums of k and numerals, with values at the leaves."""
    def compile(t: z3.ExprRef) -> Callable[[int], Any]:
        if z3.is_var(t):
            return lambda k: k
        if z3.is_int_value(t):
            n = t.as_long()
            return lambda k: n
        if _is_value(t):
            return lambda k: t
        if not z3.is_app(t):
            raise _NotSimple()
        parts = [compile(c) for c in t.children()]
        if t.decl().kind() == z3.Z3_OP_ITE:
            c, a, b = parts
            return lambda k: a(k) if c(k) else b(k)
        op = _OPS.get(t.decl().kind())
        if op is None:
            raise _NotSimple()
        return lambda k: op(*(f(k) for f in parts))
    try:
        f = compile(lam.body())
    except _NotSimple:
        return None

    def element(k: int) -> z3.ExprRef:
        v = f(k)
        if isinstance(v, bool):
            return z3.BoolVal(v)
        return z3.IntVal(v) if isinstance(v, int) else v
    return element


def _scalar(t: z3.ExprRef, ty: Type):
    kind = app_kind(t.ctx.ref(), t.as_ast())  # (the constants read without wrappers)
    if kind == z3.Z3_OP_TRUE:
        return True
    if kind == z3.Z3_OP_FALSE:
        return False
    if isinstance(t, z3.IntNumRef):
        return t.as_long()
    if z3.is_rational_value(t):
        f = Fraction(t.numerator_as_long(), t.denominator_as_long())
        return f if ty == REAL else f
    if z3.is_algebraic_value(t):
        return Fraction(t.approx(12).as_fraction())
    return None


def is_true_in(model: z3.ModelRef, b: z3.BoolRef) -> bool:
    """Does `b` hold in `model`? Z3 does not reduce quantifiers when evaluating;
    what is left is then a closed formula, decided by a small query."""
    v = model.eval(b, model_completion=True)
    if z3.is_true(v) or z3.is_false(v):
        return z3.is_true(v)
    s = z3.Solver()
    s.set("timeout", 2000)
    s.add(z3.Not(v))
    return s.check() == z3.unsat




def optional_error(err: Optional[float]) -> Optional[z3.ArithRef]:
    if err is None:
        return None
    # The decimal the model wrote (0.01, not the float nearest to it), but only
    # when it is that float: rounding 1e-13 to 0 used to prove faults exact.
    f = Fraction(err).limit_denominator(10 ** 12)
    if float(f) != err:
        f = Fraction(err)
    return z3.RealVal(f"{f.numerator}/{f.denominator}")
