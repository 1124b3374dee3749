"""Diagnostics: one record type, rendered as text (with a code frame), JSON or SARIF.

Every stage reports problems as `Diagnostic` records; the CLI chooses the rendering.
Rule ids are stable: SARIF consumers (code-scanning UIs) key on them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import Iterable, Optional
from urllib.parse import quote

from relaxverify.syntax.ast import Span

# Stable rule ids with a one-line description each (SARIF `rules`).
RULES: dict[str, str] = {
    "io": "The file could not be read.",
    "syntax": "The program does not follow the grammar of Relax.",
    "name": "A name is undefined, defined twice, or shadows another.",
    "type": "An expression has the wrong type.",
    "readonly": "A read-only variable (parameter or loop counter) is assigned.",
    "placement": "A construct appears where the language does not allow it.",
    "adornment": "A relational adornment <o>/<r> is missing or misplaced.",
    "hardware": "A hardware model is malformed.",
    "constant": "An expression that must be constant is not.",
    "reliability-spec": "A reliability specification is malformed.",
    "limit": "The program exceeds a limit of the tool.",
    "vacuous": "Assumptions are contradictory, so proofs below them hold vacuously.",
    "unknown": "The solver could not decide an obligation.",
    "internal": "The tool failed; please report it.",
}
OBLIGATION_KINDS: dict[str, str] = {
    "assert": "An assert statement must hold.",
    "assume": "The relaxed execution must satisfy what the original assumed.",
    "accept": "An accept relation must hold between the two executions.",
    "invariant": "A loop invariant must hold on entry and be preserved.",
    "invariant_r": "A relational loop invariant must hold on entry and be preserved.",
    "ensures": "A postcondition must hold at exit.",
    "ensures_r": "A relational postcondition must hold at exit.",
    "requires": "A callee's precondition must hold at the call.",
    "requires_r": "A callee's relational precondition must hold at the call.",
    "bounds": "An array index must be within 0 <= i < len(a).",
    "division": "A divisor must be non-zero.",
    "length": "An array length must be non-negative.",
    "alignment": "Both executions must reach an accept together.",
    "bound": "A loop bound must be a non-negative integer.",
}
RULES.update({f"verify/{k}": v for k, v in OBLIGATION_KINDS.items()})


@dataclass
class Diagnostic:
    severity: str  # "error", "warning" or "note"
    message: str
    span: Optional[Span]
    code: str = "syntax"
    notes: list[str] = field(default_factory=list)
    path: Optional[str] = None  # used when there is no span

    @property
    def file(self) -> str:
        return self.span.path if self.span else (self.path or "<unknown>")

    def to_json(self) -> dict:
        out: dict = {"severity": self.severity, "code": self.code, "message": self.message}
        if self.span:
            out.update(line=self.span.line, column=self.span.column,
                       end_line=self.span.end_line, end_column=self.span.end_column)
        else:
            out.update(line=1, column=1)
        if self.notes:
            out["notes"] = list(self.notes)
        return out


class RelaxError(Exception):
    """Raised by a stage with the diagnostics that stop the pipeline."""

    def __init__(self, diagnostics: list[Diagnostic]):
        super().__init__("; ".join(d.message for d in diagnostics))
        self.diagnostics = diagnostics


def error(message: str, span: Optional[Span], code: str, *notes: str) -> Diagnostic:
    return Diagnostic("error", message, span, code, list(notes))


# ---------------------------------------------------------------- text


def source_lines(source: Optional[str]) -> list[str]:
    """The lines of a source as the lexer counts them: only `\n` ends one (splitlines
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


def render_text(diag: Diagnostic, sources: dict[str, str]) -> str:
    where = str(diag.span) if diag.span else f"{diag.file}"
    out = [f"{where}: {diag.severity}: {diag.message}"]
    if diag.span:
        out.extend(code_frame(diag.span, sources.get(diag.span.path)))
    out.extend(f"  note: {n}" for n in diag.notes)
    return "\n".join(out)


# ---------------------------------------------------------------- SARIF


def sarif_result(diag: Diagnostic) -> dict:
    region = {"startLine": 1, "startColumn": 1}
    if diag.span:
        region = {"startLine": diag.span.line, "startColumn": diag.span.column,
                  "endLine": diag.span.end_line, "endColumn": diag.span.end_column}
    text = diag.message + "".join(f"\n{n}" for n in diag.notes)
    return {
        "ruleId": diag.code,
        "level": {"error": "error", "warning": "warning"}.get(diag.severity, "note"),
        "message": {"text": text},
        "locations": [{"physicalLocation": {
            "artifactLocation": {"uri": _uri(diag.file)},
            "region": region}}],
    }


def _uri(path: str) -> str:
    """A SARIF `uri` must be a URI reference: percent-encode a relative path (spaces, `#`),
    and write an absolute one as a `file:` URI."""
    if Path(path).is_absolute():
        return Path(path).as_uri()
    return quote(PurePath(path).as_posix(), safe="/")


def sarif_log(diags: Iterable[Diagnostic], version: str) -> dict:
    """A SARIF 2.1.0 log with one run of relaxverify."""
    return {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "relaxverify",
                "version": version,
                "informationUri": "https://pypi.org/project/relaxverify/",
                "rules": [{"id": rid, "shortDescription": {"text": text}}
                          for rid, text in RULES.items()],
            }},
            "results": [sarif_result(d) for d in diags],
        }],
    }
