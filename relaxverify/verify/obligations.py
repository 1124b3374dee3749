"""Proof obligations, and core expressions shown back in source syntax.

One obligation is one source check (kind, side, place, meaning). The product
program may reach the same check on several paths (for example the body of a
divergent loop runs in lockstep and alone); each such reach is an `Instance`, and
the obligation holds when no instance can fail: one Z3 query asks for any.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Optional

import z3

from relaxverify.core import nodes as C
from relaxverify.source import Span
from relaxverify.verify.counterexample import Counterexample
from relaxverify.verify.smt import conj, disj

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

    @property
    def nfacts(self) -> int:
        return max(i.nfacts for i in self.instances)

    def negation(self) -> z3.BoolRef:
        """Some instance is reached and its goal fails."""
        return disj([conj([i.guard, z3.Not(i.goal)]) for i in self.instances])

    def to_json(self) -> dict:
        out = {"id": self.id, "function": self.function, "kind": self.kind, "side": self.side,
               "line": self.span.line, "column": self.span.column, "status": self.status,
               "message": self.message, "explanation": self.explanation,
               "time_ms": round(self.time_ms, 2)}
        if self.reason:
            out["reason"] = self.reason
        if self.counterexample is not None:
            out["counterexample"] = self.counterexample.to_json()
            out["concrete"] = self.counterexample.concrete
        return out

    @property
    def message(self) -> str:
        if self.status == "failed":
            return f"cannot prove that {self.explanation}"
        if self.status == "unknown":
            return f"could not decide whether {self.explanation} ({self.reason})"
        return self.explanation


# ---------------------------------------------------------------- source syntax

_PREC = {"<==>": 1, "==>": 2, "||": 3, "&&": 4, "==": 6, "!=": 6, "<": 6, "<=": 6, ">": 6,
         ">=": 6, "+": 7, "-": 7, "*": 8, "/": 8, "%": 8}


def show(e: C.Expr, side: Optional[str] = None, subst: Optional[dict] = None) -> str:
    """`e` in Relax syntax; with `side`, unadorned variables get `<o>`/`<r>`;
    `subst` maps (Var, side) to the text shown instead (a callee's parameters as
    the arguments of a call), as `operand` gives it."""
    return _show(e, side, 0, subst)


def operand(e: C.Expr, side: Optional[str]) -> tuple[str, int]:
    """`e` shown on `side`, with its precedence, to stand for a variable in `show`."""
    prec = _PREC[e.op] if isinstance(e, C.BinOp) else 0 if isinstance(e, C.Quant) else 10
    return show(e, side), prec


def var_text(var: C.Var, side: Optional[str]) -> str:
    """How `--explain` names the value of `var` in one execution: `x<o>`, `result<r>`."""
    name = "result" if var.kind == "result" else var.source
    return f"{name}<{side}>" if side else name


def _show(e: C.Expr, side: Optional[str], ctx: int, subst: Optional[dict] = None) -> str:
    if isinstance(e, C.Const):
        v = e.value
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, Fraction) or e.ty == C.REAL:
            f = Fraction(v)
            text = str(f.numerator) + ".0" if f.denominator == 1 else repr(float(f))
            return text if f >= 0 or ctx < 9 else f"({text})"
        return str(v) if v >= 0 or ctx < 9 else f"({v})"
    if isinstance(e, C.VarRef):
        name = "result" if e.var.kind == "result" else e.var.source
        s = e.side or (side if e.var.kind != "bound" else None)
        if subst and (e.var, s) in subst:
            text, p = subst[(e.var, s)]
            return f"({text})" if p < ctx else text
        name = f"{name}<{s}>" if s else name
        return f"old({name})" if e.old else name
    if isinstance(e, C.Unary):
        inner = _show(e.operand, side, 9, subst)
        return f"{e.op}{inner}"
    if isinstance(e, C.BinOp):
        p = _PREC[e.op]
        op = e.op + ("." if e.unreliable else "")
        right_assoc = e.op == "==>"
        lp = p + 1 if right_assoc or p == 6 else p
        rp = p if right_assoc else p + 1
        text = f"{_show(e.left, side, lp, subst)} {op} {_show(e.right, side, rp, subst)}"
        return f"({text})" if p < ctx else text
    if isinstance(e, C.Select):
        return f"{_show(e.array, side, 10, subst)}[{_show(e.index, side, 0, subst)}]"
    if isinstance(e, C.Apply):
        return f"{e.fn}({', '.join(_show(a, side, 0, subst) for a in e.args)})"
    if isinstance(e, C.Quant):
        text = f"{e.kind} {e.var.source}: {e.var.type} :: {_show(e.body, side, 0, subst)}"
        return f"({text})" if ctx > 0 else text
    return "?"
