"""Front end shared by every command: find files, read them, parse, check.

A `Loaded` file holds its source (for code frames), its core program when it
checks, and the diagnostics that stopped it otherwise. Bad input never raises.
relaxverify/api/inputs.py builds the commands' inputs on it (docs/architecture.md).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Optional

from relaxverify.core import nodes as C
from relaxverify.source import Span
from relaxverify.check.checker import check
from relaxverify.report.diagnostics import Diagnostic, RelaxError, error
from relaxverify.syntax.parser import parse


@dataclass
class Loaded:
    path: str
    source: Optional[str]
    program: Optional[C.Program] = None
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.program is not None


def expand_paths(paths: list[str]) -> tuple[list[str], list[Diagnostic]]:
    """Files named on the command line; a directory means every .relax file below it."""
    files: list[str] = []
    problems: list[Diagnostic] = []
    for p in paths:
        if os.path.isdir(p):
            found = sorted(
                os.path.join(root, name)
                for root, _dirs, names in os.walk(p)
                for name in names if name.endswith(".relax"))
            if not found:
                problems.append(Diagnostic("error", f"no .relax files in directory `{p}`", None,
                                           "io", ["name a .relax file or a directory that "
                                                  "contains some"], path=p))
            files.extend(found)
        elif os.path.exists(p):
            files.append(p)
        else:
            problems.append(Diagnostic("error", f"no such file `{p}`", None, "io",
                                       ["check the path; it is relative to the current "
                                        "directory"], path=p))
    return files, problems


def read_source(path: str) -> tuple[Optional[str], Optional[Diagnostic]]:
    try:
        data = open(path, "rb").read()
    except OSError as exc:
        return None, Diagnostic("error", f"cannot read `{path}`: {exc.strerror}", None, "io",
                                path=path)
    try:
        text = data.decode("utf-8")
        # Editors on Windows may start a UTF-8 file with a byte-order mark: not part of the program.
        return text.removeprefix("\ufeff"), None
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        start = data.rfind(b"\n", 0, exc.start) + 1  # columns count characters, not bytes
        col = len(data[start:exc.start].decode("utf-8", errors="replace")) + 1
        return None, error(f"the file is not UTF-8 text (byte 0x{data[exc.start]:02x} cannot be "
                           "decoded)", Span(path, line, col, line, col + 1), "io",
                           "save the file as UTF-8")


def load_source(path: str, source: str) -> Loaded:
    """Parse and check one file."""
    try:
        return Loaded(path, source, check(parse(source, path)))
    except RelaxError as exc:
        return Loaded(path, source, None, sorted(exc.diagnostics, key=_position))


def _position(d: Diagnostic) -> tuple[int, int]:
    return (d.span.line, d.span.column) if d.span else (0, 0)


def load(path: str) -> Loaded:
    source, problem = read_source(path)
    if source is None:
        assert problem is not None, "read_source gives the text or the problem"
        return Loaded(path, None, None, [problem])
    return load_source(path, source)
