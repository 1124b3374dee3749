"""What a command returns, and its rendering as text, JSON (docs/language.md, spec §8), SARIF
or GitHub workflow annotations.

A command (relaxverify/api/) returns a `CommandResult`: one `FileReport` per file,
each holding that file's `Finding`s. This module turns them into output and an exit
code, so every command speaks the same formats (docs/cli.md).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Iterator, Optional, TextIO

from relaxverify import __version__
from relaxverify.report.colour import colour_text
from relaxverify.report.finding import Finding, Status
from relaxverify.report.github import workflow_commands
from relaxverify.report.sarif import Invocation, sarif_log
from relaxverify.report.text import render_text

# Worst first: the overall status is the worst file status.
STATUS_ORDER = ("error", "failed", "unknown", "verified", "none")
EXIT_CODES = {"error": 2, "failed": 1, "unknown": 3, "verified": 0, "none": 0}


@dataclass
class FileReport:
    path: str
    status: str  # "verified", "failed", "unknown" or "error"
    source: Optional[str] = None
    findings: list[Finding] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)  # file-level JSON fields
    lines: list[str] = field(default_factory=list)  # command-specific text
    listing: Optional[str] = None  # the JSON key of the listed findings: "obligations"...

    @property
    def diagnostics(self) -> list[Finding]:
        """The findings list, under the name cli/run.py still appends to."""
        return self.findings

    def messages(self) -> list[Finding]:
        """The diagnostics (no payload), in order."""
        return [f for f in self.findings if f.payload is None]

    def listed(self) -> list[Finding]:
        """The findings of the command's listing (obligations, functions), in order."""
        return [f for f in self.findings if f.payload is not None]

    def shown(self) -> list[Finding]:
        """What text and SARIF show: the diagnostics, then the listed findings that are
        messages, worst first (failed before unknown)."""
        listed = [f for f in self.listed() if f.shown]
        listed.sort(key=lambda f: f.status is not Status.FAILED)
        return self.messages() + listed

    def to_json(self) -> dict[str, Any]:
        entry: dict[str, Any] = {"path": self.path, "status": self.status,
                                 "diagnostics": [d.to_json() for d in self.messages()]}
        entry.update(self.extra)
        if self.listing is not None:
            entry[self.listing] = [f.to_json() for f in self.listed()]
        return entry


@dataclass
class CommandResult:
    command: str
    files: list[FileReport]
    extra: dict[str, Any] = field(default_factory=dict)  # top-level JSON fields
    summary: Optional[str] = None

    @property
    def status(self) -> str:
        statuses = [f.status for f in self.files] or ["verified"]
        return min(statuses, key=STATUS_ORDER.index)

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.status]

    def findings(self) -> Iterator[Finding]:
        """Every finding of every file."""
        for f in self.files:
            yield from f.findings

    def shown(self) -> list[Finding]:
        """The located messages of every file, as text, SARIF and GitHub show them."""
        return [d for f in self.files for d in f.shown()]

    def to_json(self) -> dict[str, Any]:
        return {"version": 1, "command": self.command, "status": self.status,
                **self.extra, "files": [f.to_json() for f in self.files]}

    def text(self) -> str:
        out: list[str] = []
        for f in self.files:
            sources = {f.path: f.source} if f.source is not None else {}
            out.extend(render_text(d, sources) + "\n" for d in f.shown())
            out.extend(line + "\n" for line in f.lines)
        if self.summary:
            out.append(self.summary + "\n")
        return "".join(out)


def render(result: CommandResult, fmt: str, out: TextIO, colour: bool = False,
           command_line: Optional[str] = None) -> None:
    """Print `result` in `fmt`; `colour`: the text through rich (report/colour.py),
    whose plain characters are exactly the uncoloured text; `command_line`: what SARIF's
    `invocations` records."""
    if fmt == "json":
        json.dump(result.to_json(), out, indent=2)
        out.write("\n")
    elif fmt == "sarif":
        invocation = Invocation(result.exit_code, command_line)
        json.dump(sarif_log(result.shown(), __version__, invocation), out, indent=2)
        out.write("\n")
    elif fmt == "github":
        lines = workflow_commands(result.shown()) + ([result.summary] if result.summary else [])
        out.write("".join(line + "\n" for line in lines))
    elif colour:
        out.write(colour_text(result.text()))
    else:
        out.write(result.text())
