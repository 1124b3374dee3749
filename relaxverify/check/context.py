"""What every part of the checker shares: the diagnostic sink, and the position an
expression stands in (which decides what it may contain; see docs/language-decisions.md,
"Placement")."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Optional

from relaxverify.core import nodes as C
from relaxverify.report.diagnostics import Diagnostic, error
from relaxverify.source import Span


@dataclass
class Sink:
    """Collects the errors of one file: checking goes on after an error, so that one
    run reports every mistake, and they are raised together at the end."""

    diagnostics: list[Diagnostic] = field(default_factory=list)

    def err(self, msg: str, span: Span, code: str = "type", *notes: str) -> None:
        self.diagnostics.append(error(msg, span, code, *notes))


@dataclass
class Position:
    """Where an expression stands, which decides what it may contain."""

    where: str  # a phrase for messages: "an `assert`", "a condition", ...
    mode: str  # "code", "unary" or "relational"
    allow_old: bool = False
    allow_result: bool = False
    side: Optional[str] = None  # the enclosing adornment in relational mode
    in_eq: bool = False
    bound: dict[str, C.Var] = field(default_factory=dict)  # quantified variables in scope

    def with_(self, **changes: Any) -> "Position":
        return dataclasses.replace(self, **changes)
