"""Explanations: which statement lost the most reliability in a term."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional

from relaxverify.core import nodes as C
from relaxverify.reliability.loops import LoopGuard, UnboundedLoop
from relaxverify.reliability.terms import Join, Leaf, Located, Term
from relaxverify.source import Span


@dataclass
class Culprit:
    """The statement whose executions lost the most reliability in a term."""

    span: Span
    factor: float  # product of all its factors in the term
    kind: str  # "statement", "condition", "loop condition", "call" or "loop"
    hint: str = ""  # a loop of unknown trip count: what would bound it


def _uses(term: Term) -> tuple[list[object], dict[int, int]]:
    """The nodes of term's history DAG in post-order, and how often each is used
    (a statement inside `repeat (50)` is shared by 50 paths)."""
    order: list[object] = []
    seen: set[int] = set()
    stack: list[tuple[object, bool]] = [(term.why, False)]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        if isinstance(node, Join):
            stack.append((node.a, False))
            stack.append((node.b, False))
    count: dict[int, int] = {id(term.why): 1}
    for node in reversed(order):  # reverse post-order: parents first
        if isinstance(node, Join):
            n = count.get(id(node), 0)
            for child in (node.a, node.b):
                count[id(child)] = count.get(id(child), 0) + n
    return order, count


def _kind(stmt: object) -> str:
    if isinstance(stmt, C.Loop):
        return "loop"
    if isinstance(stmt, LoopGuard):
        return "loop condition"
    if isinstance(stmt, C.If):
        return "condition"
    if isinstance(stmt, C.Call):
        return "call"
    return "statement"


def culprit(term: Term) -> Optional[Culprit]:
    """The statement whose factors, over all its executions, lost the most in term."""
    if term.why is None:
        return None
    order, count = _uses(term)
    loss: dict[int, tuple[Located, float]] = {}
    hints: dict[int, str] = {}
    for node in reversed(order):
        if not isinstance(node, Leaf):
            continue
        n = count.get(id(node), 0)
        stmt = node.stmt
        if isinstance(node, UnboundedLoop):
            hints[id(stmt)] = node.hint
        log = -math.inf if node.factor <= 0 else math.log(node.factor)
        prev = loss.get(id(stmt), (stmt, 0.0))[1]
        loss[id(stmt)] = (stmt, prev + n * log)
    if not loss:
        return None
    stmt, log = min(loss.values(), key=lambda p: p[1])
    return Culprit(stmt.span, 0.0 if log == -math.inf else math.exp(log), _kind(stmt),
                   hints.get(id(stmt), ""))
