"""Text rendering of a finding: `path:line:col: severity: message`, a code frame, notes.

The format is that of docs/language.md (spec §8); docs/cli.md shows it.
"""
from __future__ import annotations

from typing import Optional

from relaxverify.report.finding import Finding
from relaxverify.source import Span


def source_lines(source: Optional[str]) -> list[str]:
    """The lines of a source as the lexer counts them: only `\\n` ends one (splitlines
    would also break at form feeds and U+2028, blanks or comment text to the lexer)."""
    return [line.removesuffix("\r") for line in source.split("\n")] if source else []


def code_frame(span: Span, source: Optional[str]) -> list[str]:
    """The source line of `span` with carets under the spanned columns."""
    if source is None:
        return []
    lines = source_lines(source)
    if not 1 <= span.line <= len(lines):
        return []
    text = lines[span.line - 1].expandtabs(1)
    start = max(span.column, 1)
    end = span.end_column if span.end_line == span.line else len(text) + 1
    width = max(1, min(end, len(text) + 1) - start)
    gutter = str(span.line)
    pad = " " * len(gutter)
    return [f" {gutter} | {text}", f" {pad} | {' ' * (start - 1)}{'^' * width}"]


def render_text(finding: Finding, sources: dict[str, str]) -> str:
    where = str(finding.span) if finding.span else finding.file
    out = [f"{where}: {finding.severity}: {finding.message}"]
    if finding.span:
        out.extend(code_frame(finding.span, sources.get(finding.span.path)))
    out.extend(f"  note: {n}" for n in finding.notes)
    return "\n".join(out)
