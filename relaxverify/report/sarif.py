"""SARIF 2.1.0 output of findings, for code-scanning UIs (docs/cli.md).

Rule ids come from report/codes.py and never change: consumers key on them.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Any, Iterable, Optional
from urllib.parse import quote

from relaxverify.report.codes import sarif_rules
from relaxverify.report.finding import Finding

# The documentation's home; pyproject.toml's [project.urls] Documentation says the same
# (tests/test_cli_conventions.py).
DOCS_URL = "https://github.com/relaxverify/relaxverify/blob/main/docs/index.md"
# The exit codes of a run that analysed every input (0, 1, 3); 2 says some input
# could not be analysed (docs/cli.md, "Exit codes").
_ANALYSED = (0, 1, 3)


@dataclass
class Invocation:
    """How the tool was run, for SARIF's `invocations`."""

    exit_code: int
    command_line: Optional[str] = None  # None: not run from the command line

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"executionSuccessful": self.exit_code in _ANALYSED,
                               "exitCode": self.exit_code}
        if self.command_line is not None:
            out["commandLine"] = self.command_line
        return out


def sarif_result(finding: Finding) -> dict[str, Any]:
    region = {"startLine": 1, "startColumn": 1}
    if finding.span:
        region = {"startLine": finding.span.line, "startColumn": finding.span.column,
                  "endLine": finding.span.end_line, "endColumn": finding.span.end_column}
    text = finding.message + "".join(f"\n{n}" for n in finding.notes)
    return {
        "ruleId": finding.rule,
        "level": {"error": "error", "warning": "warning"}.get(finding.severity, "note"),
        "message": {"text": text},
        "locations": [{"physicalLocation": {
            "artifactLocation": {"uri": _uri(finding.file)},
            "region": region}}],
    }


def _uri(path: str) -> str:
    """A SARIF `uri` must be a URI reference: percent-encode a relative path (spaces, `#`),
    and write an absolute one as a `file:` URI."""
    if Path(path).is_absolute():
        return Path(path).as_uri()
    return quote(PurePath(path).as_posix(), safe="/")


def sarif_log(findings: Iterable[Finding], version: str,
              invocation: Optional[Invocation] = None) -> dict[str, Any]:
    """A SARIF 2.1.0 log with one run of relaxverify; `findings` are shown ones."""
    run: dict[str, Any] = {
        "tool": {"driver": {
            "name": "relaxverify",
            "version": version,
            "informationUri": DOCS_URL,
            "rules": [{"id": rid, "shortDescription": {"text": text}}
                      for rid, text in sarif_rules()],
        }},
    }
    if invocation is not None:
        run["invocations"] = [invocation.to_json()]
    run["results"] = [sarif_result(f) for f in findings]
    return {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [run],
    }
