"""SARIF 2.1.0 output of findings, for code-scanning UIs (docs/cli.md).

Rule ids come from report/codes.py and never change: consumers key on them.
"""
from __future__ import annotations

from pathlib import Path, PurePath
from typing import Any, Iterable
from urllib.parse import quote

from relaxverify.report.codes import sarif_rules
from relaxverify.report.finding import Finding


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


def sarif_log(findings: Iterable[Finding], version: str) -> dict[str, Any]:
    """A SARIF 2.1.0 log with one run of relaxverify; `findings` are shown ones."""
    return {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "relaxverify",
                "version": version,
                "informationUri": "https://pypi.org/project/relaxverify/",
                "rules": [{"id": rid, "shortDescription": {"text": text}}
                          for rid, text in sarif_rules()],
            }},
            "results": [sarif_result(f) for f in findings],
        }],
    }
