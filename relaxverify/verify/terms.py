"""Z3 terms built through the C API, for the generator's most frequent shapes.

z3py's operators coerce and check their arguments with a wrapper object and an
error check per C call; for the generator's terms (comparisons of two integers,
a fresh constant of a known sort) that was most of the time not spent in Z3
(issue 14). The builders below check what z3py would (both operands of one
arithmetic sort and context) and otherwise fall back to z3py itself. The terms are
those of the left operand's z3py method (`a.__lt__(b)`); Python's `a < b` would
call a numeral's reflected method first (its class is a subclass), `3 > x`.
"""
from __future__ import annotations

import operator
import weakref
from typing import Callable

import z3
from z3 import z3core

from relaxverify.verify.rawast import app_kind, ast_kind, num_args, raw

# The C functions used, without z3py's error check (their arguments are checked here).
(_get_sort, _sort_kind, _mk_symbol, _mk_const, _mk_numeral, _array_range, _array_arity,
 _array_domain_n, _mk_select_n, _is_eq_sort, _mk_eq, _mk_implies, _mk_and, _mk_or, _mk_lt,
 _mk_le, _mk_gt, _mk_ge, _mk_add, _mk_sub, _mk_mul, _mk_not) = (
    raw(getattr(z3core, "Z3_" + name)) for name in (
        "get_sort", "get_sort_kind", "mk_string_symbol", "mk_const", "mk_numeral",
        "get_array_sort_range", "get_array_arity", "get_array_sort_domain_n", "mk_select_n",
        "is_eq_sort", "mk_eq", "mk_implies", "mk_and", "mk_or", "mk_lt", "mk_le", "mk_gt",
        "mk_ge", "mk_add", "mk_sub", "mk_mul", "mk_not"))
_ARITH = (z3.Z3_INT_SORT, z3.Z3_REAL_SORT)

_COMPARE = {operator.lt: _mk_lt, operator.le: _mk_le, operator.gt: _mk_gt, operator.ge: _mk_ge}


def _arith_kind(t: z3.ExprRef) -> int:
    """Z3_INT_SORT or Z3_REAL_SORT for an arithmetic term of z3py, else -1."""
    if type(t) not in (z3.ArithRef, z3.IntNumRef, z3.RatNumRef):
        return -1
    ref = t.ctx.ref()
    return _sort_kind(ref, _get_sort(ref, t.as_ast()))


def compare(op: Callable, a, b) -> z3.BoolRef:
    """`op(a, b)` for op one of operator.lt, le, gt, ge; `b` may be a Python int."""
    if isinstance(b, int) and not isinstance(b, bool):
        b = numeral(b, a)
    if not _same_arith(a, b):
        return op(a, b)
    return z3.BoolRef(_COMPARE[op](a.ctx.ref(), a.as_ast(), b.as_ast()), a.ctx)


def _same_arith(a, b) -> bool:
    """Are a and b z3py terms of one arithmetic sort and context?"""
    kind = _arith_kind(a)
    return kind in _ARITH and a.ctx is getattr(b, "ctx", None) and _arith_kind(b) == kind


_ARITH_OPS = {"+": _mk_add, "-": _mk_sub, "*": _mk_mul}


def arith(op: str, a, b) -> z3.ArithRef:
    """`a + b`, `a - b` or `a * b` of two terms of one arithmetic sort; else z3py's."""
    if not _same_arith(a, b):
        return a + b if op == "+" else a - b if op == "-" else a * b
    args = (z3.Ast * 2)(a.as_ast(), b.as_ast())
    return z3.ArithRef(_ARITH_OPS[op](a.ctx.ref(), 2, args), a.ctx)


def numeral(k: int, like):
    """The integer `k` in the sort of the arithmetic term `like` (z3py's coercion)."""
    kind = _arith_kind(like)
    if kind not in _ARITH:
        return k
    ctx = like.ctx
    ref = ctx.ref()
    ast = _mk_numeral(ref, str(k).encode(), _get_sort(ref, like.as_ast()))
    return (z3.IntNumRef if kind == z3.Z3_INT_SORT else z3.RatNumRef)(ast, ctx)


def const(name: str, sort: z3.SortRef) -> z3.ExprRef:
    """z3.Const(name, sort) for an integer, real or Boolean sort; others by z3py."""
    kind = sort.kind()
    cls = _CONST_CLASS.get(kind)
    if cls is None:
        return z3.Const(name, sort)
    ctx = sort.ctx
    ref = ctx.ref()
    return cls(_mk_const(ref, _mk_symbol(ref, name.encode()), sort.ast), ctx)


_CONST_CLASS = {z3.Z3_INT_SORT: z3.ArithRef, z3.Z3_REAL_SORT: z3.ArithRef,
                z3.Z3_BOOL_SORT: z3.BoolRef}


def select(arr: z3.ArrayRef, idx: list) -> z3.ExprRef:
    """z3.Select(arr, *idx) for integer indices into an array from as many integers
    to integers, reals or Booleans; others by z3py."""
    if type(arr) is not z3.ArrayRef or not idx \
            or any(i.ctx is not arr.ctx or _arith_kind(i) != z3.Z3_INT_SORT for i in idx):
        return z3.Select(arr, *idx)
    ref = arr.ctx.ref()
    sort = _get_sort(ref, arr.as_ast())
    cls = _CONST_CLASS.get(_sort_kind(ref, _array_range(ref, sort)))
    if cls is None or _array_arity(ref, sort) != len(idx) or any(
            _sort_kind(ref, _array_domain_n(ref, sort, k)) != z3.Z3_INT_SORT
            for k in range(len(idx))):
        return z3.Select(arr, *idx)
    args = (z3.Ast * len(idx))(*(i.as_ast() for i in idx))
    return cls(_mk_select_n(ref, arr.as_ast(), len(idx), args), arr.ctx)


_BOOL_OPS = {"&&": _mk_and, "||": _mk_or}


def equal(a, b) -> z3.BoolRef:
    """`a == b` of two terms of one sort and context; else z3py's."""
    if not (isinstance(a, z3.ExprRef) and isinstance(b, z3.ExprRef)) or a.ctx is not b.ctx:
        return a == b
    ref = a.ctx.ref()
    if not _is_eq_sort(ref, _get_sort(ref, a.as_ast()), _get_sort(ref, b.as_ast())):
        return a == b
    return z3.BoolRef(_mk_eq(ref, a.as_ast(), b.as_ast()), a.ctx)


def negate(a) -> z3.BoolRef:
    """z3.Not(a) of a Boolean term (a quantifier too: z3py's class for it is one of
    BoolRef's); others by z3py."""
    if not isinstance(a, z3.BoolRef):
        return z3.Not(a)
    return z3.BoolRef(_mk_not(a.ctx.ref(), a.as_ast()), a.ctx)


def logic(op: str, a, b) -> z3.BoolRef:
    """`a && b`, `a || b` or `a ==> b` of two Boolean terms of one context."""
    if op != "==>":
        return connect(op, [a, b])
    if type(a) is not z3.BoolRef or type(b) is not z3.BoolRef or a.ctx is not b.ctx:
        return z3.Implies(a, b)
    return z3.BoolRef(_mk_implies(a.ctx.ref(), a.as_ast(), b.as_ast()), a.ctx)


def connect(op: str, parts: list) -> z3.BoolRef:
    """`p && q && ...` (op "&&") or `p || q || ...` ("||") of Boolean terms of one
    context; else z3py's (whose coercion of the argument list cost more than
    building the term: conjunctions are built by the thousand)."""
    ctx = parts[0].ctx if isinstance(parts[0], z3.BoolRef) else None
    if ctx is None or not all(isinstance(p, z3.BoolRef) and p.ctx is ctx for p in parts):
        return (z3.And if op == "&&" else z3.Or)(parts)
    args = (z3.Ast * len(parts))(*(p.as_ast() for p in parts))
    return z3.BoolRef(_BOOL_OPS[op](ctx.ref(), len(parts), args), ctx)


_memo: tuple = (lambda: None, {})


def memo() -> dict:
    """A table for terms of the default context (which `verify` swaps per unit):
    a new one whenever that context is another. It holds the context weakly, so
    that a finished unit's context can be freed (verify/pool.py)."""
    global _memo
    ctx = z3.main_ctx()
    got = _memo
    if got[0]() is not ctx:
        got = _memo = (weakref.ref(ctx), {})
    return got[1]


def is_symbol(t: z3.ExprRef) -> bool:
    """z3.is_const(t) (an application without arguments: a symbol or a value)."""
    ref = t.ctx.ref()
    a = t.as_ast()
    return ast_kind(ref, a) in _APPS and num_args(ref, a) == 0


_APPS = (z3.Z3_APP_AST, z3.Z3_NUMERAL_AST)  # (z3py's is_app: a numeral is one too)


def is_and(t: z3.ExprRef) -> bool:
    return app_kind(t.ctx.ref(), t.as_ast()) == z3.Z3_OP_AND
