"""Findings (relaxverify/report/finding.py) as the protocol's diagnostics: the
message with its notes below it, the finding's rule as the code."""
from __future__ import annotations

from typing import Iterable, Sequence

from lsprotocol import types
from pygls.workspace import PositionCodec

from relaxverify.lsp.positions import span_range
from relaxverify.report.finding import Finding

SOURCE = "relaxverify"
SEVERITY = {"error": types.DiagnosticSeverity.Error,
            "warning": types.DiagnosticSeverity.Warning,
            "note": types.DiagnosticSeverity.Information}


def diagnostic(f: Finding, lines: Sequence[str], codec: PositionCodec) -> types.Diagnostic:
    message = "\n".join([f.message] + [f"note: {n}" for n in f.notes])
    return types.Diagnostic(range=span_range(f.span, lines, codec), message=message,
                            severity=SEVERITY[f.severity], code=f.rule or f.kind,
                            source=SOURCE)


def diagnostics(findings: Iterable[Finding], lines: Sequence[str],
                codec: PositionCodec) -> list[types.Diagnostic]:
    return [diagnostic(f, lines, codec) for f in findings]
