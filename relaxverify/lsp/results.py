"""What a verification sends back from the worker process: the located messages
to show and one `Verdict` per obligation, as JSON (a process boundary)."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Optional

from relaxverify.report.finding import Finding, Status
from relaxverify.source import Span


@dataclass
class Verdict:
    """One obligation as the editor shows it: where, its verdict and, for a failed
    one, the counterexample's values per execution (variable -> value as Relax text)."""

    function: str
    kind: str
    side: str  # "original", "relaxed" or "relational"
    status: str  # "verified", "failed" or "unknown"
    span: Span
    message: str
    explanation: str
    notes: list[str] = field(default_factory=list)
    original: dict[str, str] = field(default_factory=dict)
    relaxed: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Verdict":
        return cls(**{**data, "span": Span(**data["span"])})


@dataclass
class VerifyOutcome:
    """A finished verification: the messages text output would show (failed and
    unknown obligations included) and every obligation's verdict."""

    messages: list[Finding]
    verdicts: list[Verdict]

    def to_json(self) -> dict[str, Any]:
        return {"messages": [finding_json(f) for f in self.messages],
                "verdicts": [v.to_json() for v in self.verdicts]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "VerifyOutcome":
        return cls([finding_from_json(f) for f in data["messages"]],
                   [Verdict.from_json(v) for v in data["verdicts"]])


def finding_json(f: Finding) -> dict[str, Any]:
    """A located message without its payload (the verdicts carry what hover needs)."""
    return {"status": f.status.value, "kind": f.kind, "message": f.message,
            "span": asdict(f.span) if f.span else None, "notes": list(f.notes),
            "rule": f.rule}


def finding_from_json(data: dict[str, Any]) -> Finding:
    span: Optional[Span] = Span(**data["span"]) if data["span"] else None
    return Finding(Status(data["status"]), data["kind"], data["message"], span,
                   list(data["notes"]), rule=data["rule"])
