"""Terms `r * R(S)`, the unit of the reliability analysis, and their histories.

A term says R(result) >= r * R(S). Its `why` is a DAG of `Leaf`s (one statement
multiplied r by a factor) joined by `Join`s; only explanations (culprit.py) read it.
"""
from __future__ import annotations

from typing import Callable, Iterable, NamedTuple, Optional, Protocol, Union

from relaxverify.core import nodes as C
from relaxverify.source import Span

EMPTY: frozenset = frozenset()
MAX_TERMS = 64


class Located(Protocol):
    """A statement (or the synthetic condition of a loop iteration)."""

    @property
    def span(self) -> Span: ...


class Leaf:
    """One statement multiplied a term by `factor` (used to explain failures)."""

    __slots__ = ("stmt", "factor")

    def __init__(self, stmt: Located, factor: float):
        self.stmt = stmt
        self.factor = factor


class Join:
    """Both parts' factors apply (a term's history is a tree of these)."""

    __slots__ = ("a", "b")

    def __init__(self, a: "History", b: "History"):
        self.a = a
        self.b = b


History = Union[Leaf, Join, None]


def join(a: History, b: History) -> History:
    """The history of a term whose factor is the product of both histories'."""
    if a is None:
        return b
    if b is None:
        return a
    return Join(a, b)


class Term(NamedTuple):
    """`r * R(vars)`: R(result) is at least r times the joint reliability of vars.
    `why` records which statements multiplied r (not part of the term's meaning)."""

    r: float
    vars: frozenset
    why: History = None

    def text(self) -> str:
        return f"{format_factor(self.r)} * R({', '.join(var_names(self.vars))})"


ONE = Term(1.0, EMPTY)  # `1 * R()`: what a run that may stop nowhere needs


def is_one(terms: list[Term]) -> bool:
    """Is this exactly `1 * R()` (nothing can go wrong)?"""
    return len(terms) == 1 and terms[0].r == 1.0 and not terms[0].vars


def format_factor(r: float) -> str:
    """A probability with enough digits to see how far from 1 it is."""
    if r == 0 or r == 1:
        return str(int(r))
    return f"{r:.12g}"


def var_names(vs: Iterable[C.Var]) -> list[str]:
    return sorted(v.name for v in vs)


def prune(terms: list[Term], on_merge: Optional[Callable[[int], None]] = None) -> list[Term]:
    """Drop every term implied by another: r1 <= r2 and S2 ⊆ S1 make `r2 * R(S2)`
    redundant (the weaker bound `r1 * R(S1)` is the one that must hold).

    Paths through `if`s with different inputs can multiply the terms; beyond
    MAX_TERMS they are merged into one, `min r * R(∪ S)`, which implies them all
    (sound, but later statements may then cost it more): `on_merge` is told."""
    if len(terms) < 2:
        return terms
    ordered = sorted(terms, key=lambda t: (t.r, -len(t.vars)))
    kept: list[Term] = []
    for t in ordered:
        if not any(t.vars <= k.vars for k in kept):
            kept.append(t)
    if len(kept) > MAX_TERMS:
        if on_merge is not None:
            on_merge(len(kept))
        kept = [Term(kept[0].r, frozenset().union(*(t.vars for t in kept)), kept[0].why)]
    return kept


def times(t: Term, o: Term, gone: frozenset = EMPTY) -> Term:
    """t after a statement whose own transfer of `1 * R(t.vars & gone)` is o: the
    factors multiply, o's variables replace those of t in `gone`."""
    return Term(t.r * o.r, o.vars | (t.vars - gone), join(t.why, o.why))
