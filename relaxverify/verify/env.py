"""The toolbox the statement rules share: the program, the fact store, the sink,
the expression translator, and the one way back into statements (`Runner`).

Statement rules (statements.py, branches.py, calls.py, loops.py) receive an
`Env`, not the generator: they run nested blocks through `Env.runner`, whose
only method is `block`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Protocol

import z3

from relaxverify.core import nodes as C
from relaxverify.source import Span
from relaxverify.verify.context import FactStore, Sink
from relaxverify.verify.exprs import ExprTranslator, side_phrase
from relaxverify.core.printer import show
from relaxverify.verify.state import Cx, Faults, State


class Runner(Protocol):
    """Runs a block of statements on `sides` ("o", "r" or "or")."""

    def block(self, stmts: list[C.Stmt], st: State, sides: str) -> None: ...


@dataclass
class Env:
    program: C.Program
    fn: C.Function
    faults: Faults
    facts: FactStore
    sink: Sink
    exprs: ExprTranslator
    runner: Runner

    @property
    def explain(self) -> bool:
        return self.sink.explain

    def check_spec(self, kind: str, side: Optional[str], e: C.Expr, st: State, what: str,
                   span: Optional[Span] = None, vals: Optional[dict] = None,
                   assume_after: bool = True, subst: Optional[dict] = None,
                   label: str = "") -> z3.BoolRef:
        """Oblige `e` on `side` (None: relational), then assume it. A unary
        specification is evaluated by the execution, so it must be defined: its
        indices and divisors are checked first, inside quantifiers for every value
        of the quantified variables."""
        cx = Cx(side, vals or {"o": st.o, "r": st.r}, st=st, wf=side is not None)
        goal = self.exprs.expr(e, cx)
        line = (span or e.span).line
        self.exprs.assume_checks(st, side, cx, line)
        shown = show(e, side, subst) if not self.sink.dry or self.explain else ""
        if not self.sink.dry:  # (a dry run keeps no obligation: its texts go unread)
            self.sink.oblige(kind, side, span or e.span, what.format(
                e=f"`{show(e)}`", where=side_phrase(side)), shown, st.guard(side), goal, st)
        if assume_after:  # the fact's name is for --explain only
            self.facts.assume(st, side, goal,
                              f"line {line}: {label or kind} {shown}" if self.explain else "")
        return goal
