"""`Finding`: the one result record every analysis emits (docs/architecture.md, "Reporting").

A finding is a verdict on one thing (an obligation, a function's reliability spec)
or a message (a syntax error, a warning). The renderers of `report/` read only
findings: text with a code frame, JSON (docs/language.md, spec §8) and SARIF. A finding with a
`payload` belongs to its command's listing (JSON `obligations`, `functions`); one
without is a diagnostic (JSON `diagnostics`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Optional, Protocol

from relaxverify.source import Span


class Status(Enum):
    """A verdict (`verified` ... `none`: no spec to check) or a message's severity."""

    VERIFIED = "verified"
    FAILED = "failed"
    UNKNOWN = "unknown"
    NONE = "none"
    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"

    @property
    def severity(self) -> Optional[str]:
        """The severity of the located message a finding with this status is shown as."""
        return _SEVERITY.get(self)


_SEVERITY = {Status.FAILED: "error", Status.ERROR: "error", Status.UNKNOWN: "warning",
             Status.WARNING: "warning", Status.NOTE: "note"}


class Payload(Protocol):
    """Command-specific data of a finding (an obligation and its counterexample, a
    function's reliability terms and value), as its command's JSON lists it."""

    def to_json(self) -> dict[str, Any]: ...


@dataclass
class Finding:
    status: Status
    kind: str  # a code or an obligation kind of report/codes.py, or `run/<check>`
    message: str
    span: Optional[Span] = None
    notes: list[str] = field(default_factory=list)
    payload: Optional[Payload] = None
    path: Optional[str] = None  # used when there is no span
    # The SARIF rule id (and JSON `code`) of the located message this finding is shown
    # as in text and SARIF; None for a verdict shown only in its listing (verified).
    rule: Optional[str] = None

    @property
    def severity(self) -> str:
        return self.status.severity or "note"

    @property
    def file(self) -> str:
        return self.span.path if self.span else (self.path or "<unknown>")

    @property
    def line(self) -> int:
        """The 1-based line, as JSON gives it (1 when there is no span)."""
        return self.span.line if self.span else 1

    @property
    def column(self) -> int:
        return self.span.column if self.span else 1

    @property
    def shown(self) -> bool:
        """Shown as a located message in text and SARIF."""
        return self.rule is not None

    def to_json(self) -> dict[str, Any]:
        """A diagnostic's entry of JSON `diagnostics`; a listed finding's payload."""
        if self.payload is not None:
            return self.payload.to_json()
        out: dict[str, Any] = {"severity": self.severity, "code": self.rule or self.kind,
                               "message": self.message}
        if self.span:
            out.update(line=self.span.line, column=self.span.column,
                       end_line=self.span.end_line, end_column=self.span.end_column)
        else:
            out.update(line=1, column=1)
        if self.notes:
            out["notes"] = list(self.notes)
        return out
