"""GitHub Actions workflow annotations of findings: `--format github` (docs/cli.md).

One line per shown finding, `::error file=F,line=L,col=C,...::message`, which a
workflow run turns into an annotation on the file. The escaping is GitHub's: `%`,
`\\r` and `\\n` in the message, and also `:` and `,` in the properties.
"""
from __future__ import annotations

from typing import Iterable

from relaxverify.report.finding import Finding

_LEVELS = {"error": "error", "warning": "warning"}  # anything else is a `notice`


def escape_data(text: str) -> str:
    """The message of a workflow command."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A property value of a workflow command (`file=...`, `title=...`)."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(finding: Finding) -> str:
    """The workflow command of one finding (its notes are lines of the message)."""
    properties = [("file", finding.file)]
    if finding.span:
        span = finding.span
        properties += [("line", str(span.line)), ("col", str(span.column)),
                       ("endLine", str(span.end_line)), ("endColumn", str(span.end_column))]
    properties.append(("title", f"relaxverify {finding.rule or finding.kind}"))
    head = ",".join(f"{key}={escape_property(value)}" for key, value in properties)
    text = "\n".join([finding.message, *finding.notes])
    return f"::{_LEVELS.get(finding.severity, 'notice')} {head}::{escape_data(text)}"


def workflow_commands(findings: Iterable[Finding]) -> list[str]:
    return [annotation(f) for f in findings]
