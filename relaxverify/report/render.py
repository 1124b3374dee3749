"""What a command reports, and its rendering as text, JSON (LANGUAGE.md §8) or SARIF.

Commands return `FileReport`s; this module turns them into output and an exit code,
so every command speaks the same formats.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Optional, TextIO

from relaxverify import __version__
from relaxverify.report.diagnostics import Diagnostic, render_text, sarif_log

# Worst first: the overall status is the worst file status.
STATUS_ORDER = ("error", "failed", "unknown", "verified", "none")
EXIT_CODES = {"error": 2, "failed": 1, "unknown": 3, "verified": 0, "none": 0}


@dataclass
class FileReport:
    path: str
    status: str  # "verified", "failed", "unknown" or "error"
    source: Optional[str] = None
    diagnostics: list[Diagnostic] = field(default_factory=list)  # JSON `diagnostics`
    findings: list[Diagnostic] = field(default_factory=list)  # text and SARIF only
    extra: dict = field(default_factory=dict)  # command-specific JSON fields
    lines: list[str] = field(default_factory=list)  # command-specific text


@dataclass
class CommandResult:
    command: str
    files: list[FileReport]
    extra: dict = field(default_factory=dict)  # command-specific top-level JSON fields
    summary: Optional[str] = None

    @property
    def status(self) -> str:
        statuses = [f.status for f in self.files] or ["verified"]
        return min(statuses, key=STATUS_ORDER.index)

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.status]


def render(result: CommandResult, fmt: str, out: TextIO) -> None:
    if fmt == "json":
        files = []
        for f in result.files:
            entry = {"path": f.path, "status": f.status,
                     "diagnostics": [d.to_json() for d in f.diagnostics]}
            entry.update(f.extra)
            files.append(entry)
        doc = {"version": 1, "command": result.command, "status": result.status,
               **result.extra, "files": files}
        json.dump(doc, out, indent=2)
        out.write("\n")
    elif fmt == "sarif":
        diags = [d for f in result.files for d in f.diagnostics + f.findings]
        json.dump(sarif_log(diags, __version__), out, indent=2)
        out.write("\n")
    else:
        for f in result.files:
            sources = {f.path: f.source} if f.source is not None else {}
            for d in f.diagnostics + f.findings:
                out.write(render_text(d, sources) + "\n")
            for line in f.lines:
                out.write(line + "\n")
        if result.summary:
            out.write(result.summary + "\n")
