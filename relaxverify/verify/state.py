"""The symbolic state of the product program, and how expressions are evaluated.

`State` holds the values of both executions and the two reachability conditions
(`ro`: the original execution got here; `rp`: the pair got here); `Cx` says how
one expression is read; `Record`s are the trace events counterexamples report;
`Faults` says which unreliable operations may fail under the `--hardware` model.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import z3

from relaxverify.core import nodes as C
from relaxverify.core.nodes import Type

BOTH = "or"


@dataclass
class State:
    """Values of each execution's variables, and how the executions got here."""

    o: dict  # Var -> Value
    r: dict
    ro: z3.BoolRef  # the original execution reaches this point
    rp: z3.BoolRef  # the pair reaches this point (implies ro)
    path: tuple = ()  # (does O's proof use it?, text, side of a step or None) per named fact
    parts: tuple = ()  # the conjuncts of rp, for sliced side queries
    parts_o: tuple = ()  # the conjuncts of ro, for sliced proofs of O's checks
    apart: tuple = ()  # (c_o, c_r, line) of the enclosing `if`s run one side at a time

    def copy(self) -> "State":
        return State(dict(self.o), dict(self.r), self.ro, self.rp, self.path, self.parts,
                     self.parts_o, self.apart)

    def vals(self, side: str) -> dict:
        return self.o if side == "o" else self.r

    def guard(self, side: Optional[str]) -> z3.BoolRef:
        return self.ro if side == "o" else self.rp


@dataclass
class Cx:
    """How to evaluate one expression: on which side, with which variables, as code
    (integrity checks, faults) or as a specification (exact, total)."""

    side: Optional[str]
    vals: dict  # "o"/"r" -> {Var: Value}
    code: bool = False
    st: Optional[State] = None  # for integrity checks
    wf: bool = False  # a specification the executions evaluate: index/divisor checks
    old: Optional[dict] = None
    local: list = field(default_factory=list)  # short-circuit conditions
    bound: dict = field(default_factory=dict)
    assumed: list = field(default_factory=list)
    assumed_text: list = field(default_factory=list)  # the same checks, for --explain
    suffix: str = ""  # added to the explanation of each check (a relax predicate's)


@dataclass
class Record:
    """A trace event a counterexample reports: a relax/havoc choice, a fault, or a
    loop/call summarised by its specification (which makes the trace abstract)."""

    kind: str  # "choice", "fault", "abstract" or "rounding" (verify/floats.py)
    side: str
    guard: z3.BoolRef
    values: dict = field(default_factory=dict)  # source name -> (term, Type) for choices
    term: Optional[z3.ExprRef] = None
    exact: Optional[z3.ExprRef] = None
    ty: Optional[Type] = None


@dataclass
class Faults:
    """Which unreliable operations may fail in R (from the --hardware model)."""

    model: Optional[C.HardwareModel]

    def op(self, op: str) -> tuple[bool, Optional[float]]:
        if self.model is None:
            return True, None
        m = self.model.op(op)
        return m.prob < 1.0, m.error

    @property
    def budget(self) -> Optional[int]:
        """`faults at most K` of the model (verify/budget.py), None without one."""
        return None if self.model is None else self.model.budget

    @property
    def read(self) -> bool:
        return self.model is None or self.model.read < 1.0

    @property
    def write(self) -> bool:
        return self.model is None or self.model.write < 1.0

    def reads(self, var: C.Var) -> bool:
        """May reading `var` (in a region) fail in R? Its region's own `read`."""
        if not var.urel:
            return False
        return self.model is None or self.model.memory(var.region).read < 1.0

    def writes(self, var: C.Var) -> bool:
        if not var.urel:
            return False
        return self.model is None or self.model.memory(var.region).write < 1.0


# ---------------------------------------------------------------- shared values


def eq_conjuncts(e: C.Expr):
    if isinstance(e, C.BinOp) and e.op == "&&":
        yield from eq_conjuncts(e.left)
        yield from eq_conjuncts(e.right)
    elif (isinstance(e, C.BinOp) and e.op == "==" and isinstance(e.left, C.VarRef)
          and isinstance(e.right, C.VarRef) and e.left.var is e.right.var
          and {e.left.side, e.right.side} == {"o", "r"} and not e.left.old):
        yield e.left.var


def eq_vars(exprs: list[C.Expr]) -> set:
    return {v for e in exprs for v in eq_conjuncts(e)}


def is_shared_eq(e: C.Expr, shared: set) -> bool:
    """Is `e` only `x<o> == x<r>` conjuncts over shared variables?"""
    if isinstance(e, C.BinOp) and e.op == "&&":
        return is_shared_eq(e.left, shared) and is_shared_eq(e.right, shared)
    return bool(set(eq_conjuncts(e)) & shared) and set(eq_conjuncts(e)) <= shared


def store_only(body: list[C.Stmt]) -> set:
    """Arrays the loop body changes only element-wise (their length is kept): by
    stores, and by `relax`/`havoc` of an array of several dimensions."""
    stored = {s.var for s in C.walk(body) if isinstance(s, C.Store)}
    other = set()
    for s in C.walk(body):
        if isinstance(s, (C.Assign, C.NewArray)):
            other.add(s.var)
        elif isinstance(s, C.Call):
            other.update(s.targets)
        elif isinstance(s, C.Choose):
            grids = {v for v in s.vars if v.type.array and v.type.dims > 1}
            stored.update(grids)
            other.update(set(s.vars) - grids)
    return stored - other
