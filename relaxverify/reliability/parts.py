"""The interface the loop and call rules see of the walker that owns them.

`Walker` (walker.py) composes `Loops` and `Calls` and hands itself to them; they
walk loop and callee bodies through it. This protocol is all they may use.
"""
from __future__ import annotations

from typing import Protocol

from relaxverify.core import nodes as C
from relaxverify.reliability.crash import Crash
from relaxverify.reliability.faults import FaultSites
from relaxverify.reliability.terms import Term


class Walk(Protocol):
    program: C.Program
    faults: FaultSites
    crash: Crash
    active: list[str]  # the functions being analysed, innermost last

    def block(self, stmts: list[C.Stmt], terms: list[Term]) -> list[Term]: ...

    def stmt(self, s: C.Stmt, terms: list[Term]) -> list[Term]: ...

    def prune(self, terms: list[Term]) -> list[Term]: ...

    def crash_terms(self, s: C.Stmt) -> list[Term]: ...

    def may_crash(self, s: C.Stmt) -> bool: ...

    def assigned_in(self, s: C.Stmt) -> frozenset: ...

    def set_assigned(self, s: C.Stmt, vs: frozenset) -> None: ...
