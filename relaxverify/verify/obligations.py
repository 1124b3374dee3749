"""Proof obligations (core expressions are shown back by core/printer.py).

One obligation is one source check (kind, side, place, meaning). The product
program may reach the same check on several paths (for example the body of a
divergent loop runs in lockstep and alone); each such reach is an `Instance`, and
the obligation holds when no instance can fail: one Z3 query asks for any.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import z3

from relaxverify.core import nodes as C
from relaxverify.source import Span
from relaxverify.verify.counterexample import Counterexample
from relaxverify.verify.smt import conj, disj
from relaxverify.verify.terms import negate

SIDE_NAMES = {"o": "original", "r": "relaxed", None: "relational"}


@dataclass
class Instance:
    """One path on which the check is reached: under `guard`, `goal` must hold."""

    guard: z3.BoolRef
    goal: z3.BoolRef
    nfacts: int  # how many background facts precede it
    nrecords: int  # how many trace records (choices, faults) precede it
    values_o: dict  # Var -> Value at the check, per execution
    values_r: dict
    path: tuple  # (text, is it a step?) of the facts and assignments on the way, for --explain
    apart: tuple = ()  # (c_o, c_r, line) of enclosing `if`s run one side at a time
    pair: Optional[z3.BoolRef] = None  # the pair reaches the check (for O's checks)
    abstract: bool = False  # the failing values are not a run's (a relax candidate)
    query: Optional[z3.ArithRef] = None  # a bound query's expression (its goal is E <= B)
    parts: Optional[tuple] = None  # the guard's conjuncts, when known (sliced proofs)


@dataclass
class Obligation:
    id: str
    function: str
    kind: str
    side: str  # "original", "relaxed" or "relational"
    span: Span
    explanation: str
    goal_text: str
    instances: list[Instance] = field(default_factory=list)
    status: str = "pending"
    time_ms: float = 0.0
    reason: Optional[str] = None
    counterexample: Optional[Counterexample] = None
    branches_apart: list = field(default_factory=list)  # alignment: lines of ifs taken apart
    bound: Optional[float] = None  # a bound query's least proved bound (None: none proved)
    approximate: bool = False  # the counterexample relies on the rounding abstraction

    @property
    def is_query(self) -> bool:
        return any(i.query is not None for i in self.instances)

    def exceeds(self, bound: z3.ArithRef) -> z3.BoolRef:
        """A bound query's negation for `bound`: some instance's E exceeds it."""
        return disj([conj([i.guard, i.query > bound]) for i in self.instances
                     if i.query is not None])

    @property
    def nfacts(self) -> int:
        return max(i.nfacts for i in self.instances)

    def negation(self) -> z3.BoolRef:
        """Some instance is reached and its goal fails."""
        return disj([conj([i.guard, negate(i.goal)]) for i in self.instances])

    def to_json(self) -> dict:
        out = {"id": self.id, "function": self.function, "kind": self.kind, "side": self.side,
               "line": self.span.line, "column": self.span.column, "status": self.status,
               "message": self.message, "explanation": self.explanation,
               "time_ms": round(self.time_ms, 2)}
        if self.is_query:
            out["bound"] = None if self.bound is None else float(bound_text(self.bound))
        if self.reason:
            out["reason"] = self.reason
        if self.counterexample is not None:
            out["counterexample"] = self.counterexample.to_json()
            out["concrete"] = self.counterexample.concrete
        return out

    @property
    def message(self) -> str:
        if self.is_query:
            if self.bound is not None:
                return f"{self.explanation} (bound: {bound_text(self.bound)}, proved)"
            return f"could not prove a finite bound: {self.explanation} ({self.reason})"
        if self.status == "failed" and self.kind == "overflow" and " does not " in \
                self.explanation:
            return self.explanation.replace(" does not overflow ", " may overflow ", 1)
        if self.status == "failed":
            return f"cannot prove that {self.explanation}"
        if self.status == "unknown":
            return f"could not decide whether {self.explanation} ({self.reason})"
        return self.explanation


def bound_text(b: float) -> str:
    """A proved bound printed with 2 significant digits, rounded upward (so that the
    printed number is a bound too)."""
    import math
    if b == 0:
        return "0"
    text = f"{b:.1e}"
    if float(text) < b:
        m, e = text.split("e")
        up = float(m) + 0.1
        text = f"{up:.1f}e{e}" if up < 10 else f"1.0e{int(e) + 1:+03d}"
        if float(text) < b:  # the rounding of the decimal itself
            text = f"{math.nextafter(float(text), math.inf):.2e}"
    m, _, e = text.partition("e")
    return f"{m}e{int(e)}"
