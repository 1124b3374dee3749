"""The obligation of each implicit runtime check (relaxverify/core/checks.py):
its goal over the values of the check's operands, and how it is described.

The checks themselves come from the one table in `core/checks.py`; this module
only says, per kind, what the verifier proves and how the message reads.
"""
from __future__ import annotations

import operator
from typing import Optional, Sequence

import z3

from relaxverify.core import checks as K
from relaxverify.core import nodes as C
from relaxverify.source import Span
from relaxverify.core.printer import show
from relaxverify.verify.smt import ArrayVal, Value, conj
from relaxverify.verify.terms import compare

# The kinds the verifier obliges where an expression or statement is evaluated.
# OVERFLOW is obliged by verify/floats.py at each rounding (it knows which happen).
OBLIGED = (K.BOUNDS, K.DIVISION, K.LENGTH, K.BOUND, K.OVERFLOW)


def side_phrase(side: Optional[str]) -> str:
    return _PHRASES.get(side, "")


_PHRASES: dict[Optional[str], str] = {"o": " in the original execution",
                                      "r": " in the relaxed execution"}


def obliged_here(check: K.RuntimeCheck) -> bool:
    """Is `check` an implicit integrity obligation (not a specification, not a limit)?"""
    return check.obliged and check.kind in OBLIGED


# How a quantified definedness obligation says where it holds; the API's notes look
# for it to say why such a counterexample may not replay.
QUANTIFIED = "where the quantifier evaluates it"


def goal_of(check: K.RuntimeCheck, vals: Sequence[Value]) -> z3.BoolRef:
    """What must hold of the operands' values for the check to pass."""
    if check.kind == K.BOUNDS:
        i, a = vals
        assert isinstance(a, ArrayVal) and isinstance(i, z3.ArithRef)
        return conj([compare(operator.ge, i, 0), compare(operator.lt, i, a.lengths[check.dim])])
    (x,) = vals
    assert isinstance(x, z3.ArithRef)
    if check.kind == K.DIVISION:
        return x != 0
    if check.kind == K.OVERFLOW:  # its range part is the rounder's: here the domain
        fn = getattr(check.node, "fn", None)
        return (compare(operator.ge, x, 0) if fn == "sqrt" else compare(operator.gt, x, 0)
                if fn == "log" else z3.BoolVal(True))
    return compare(operator.ge, x, 0)  # LENGTH, BOUND


def span_of(check: K.RuntimeCheck) -> Span:
    """Where the obligation is reported: a loop's bound at the bound expression."""
    return check.operands[0].span if check.kind == K.BOUND else check.span


def describe(check: K.RuntimeCheck, side: Optional[str]) -> tuple[str, str]:
    """(explanation, goal in source syntax on `side`) of the check's obligation."""
    ops = check.operands
    where = side_phrase(side)
    if check.kind == K.BOUNDS and _dims(array_of(check)) > 1:
        index, array = ops
        d = check.dim
        return (f"the index `{show(index)}` of dimension {d} is within "
                f"`0 <= {show(index)} < len({show(array)}, {d})`{where}",
                f"0 <= {show(index, side)} < len({show(array, side)}, {d})")
    if check.kind == K.BOUNDS:
        index, array = ops
        return (f"the index `{show(index)}` is within `0 <= i < len({show(array)})`{where}",
                f"0 <= {show(index, side)} < len({show(array, side)})")
    if check.kind == K.LENGTH and isinstance(check.node, C.NewArray) and check.node.more:
        return (f"the array length `{show(ops[0])}` of dimension {check.dim} is not "
                f"negative{where}", f"{show(ops[0], side)} >= 0")
    if check.kind == K.DIVISION:
        return (f"the divisor `{show(ops[0])}` is not zero{where}", f"{show(ops[0], side)} != 0")
    if check.kind == K.LENGTH:
        return (f"the array length `{show(ops[0])}` is not negative{where}",
                f"{show(ops[0], side)} >= 0")
    if check.kind == K.OVERFLOW:
        fn = getattr(check.node, "fn", "")
        rel = K.DOMAIN.get(fn, "")
        node = check.node
        assert isinstance(node, (C.BinOp, C.Apply))
        return (f"the operand of `{show(node)}` is {rel}{where}" if rel else
                f"`{show(node)}` does not overflow{where}",
                f"{show(ops[0], side)} {rel}" if rel else "true")
    return (f"the loop bound `{show(ops[0])}` is not negative{where}",
            f"{show(ops[0], side)} >= 0")


def array_of(check: K.RuntimeCheck) -> C.Expr:
    """The array a BOUNDS check indexes."""
    return check.operands[1]


def _dims(a: C.Expr) -> int:
    return a.ty.dims if a.ty.array else 1
