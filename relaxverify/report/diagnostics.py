"""Diagnostics: the located messages the stages report (docs/architecture.md, "Reporting").

A `Diagnostic` is a `Finding` built the way a stage states a problem: a severity, a
message, a span, a code of report/codes.py and notes. `RelaxError` carries the
diagnostics that stop the pipeline.
"""
from __future__ import annotations

from typing import Iterable, Optional

from relaxverify.report.finding import Finding, Status
from relaxverify.report.text import source_lines
from relaxverify.source import Span

__all__ = ["Diagnostic", "RelaxError", "error", "source_lines"]  # source_lines: stages use it


class Diagnostic(Finding):
    """A message finding: `Diagnostic("error", message, span, code, notes)`."""

    def __init__(self, severity: str, message: str, span: Optional[Span],
                 code: str = "syntax", notes: Optional[Iterable[str]] = None,
                 path: Optional[str] = None) -> None:
        super().__init__(Status(severity), code, message, span, list(notes or []),
                         path=path, rule=code)

    @property
    def code(self) -> str:
        return self.kind


class RelaxError(Exception):
    """Raised by a stage with the diagnostics that stop the pipeline."""

    def __init__(self, diagnostics: list[Diagnostic]):
        super().__init__("; ".join(d.message for d in diagnostics))
        self.diagnostics = diagnostics


def error(message: str, span: Optional[Span], code: str, *notes: str) -> Diagnostic:
    return Diagnostic("error", message, span, code, list(notes))
