"""Front end shared by every command: find files, read them, parse, check.

A `Loaded` file holds its source (for code frames), its core program when it
checks, and the diagnostics that stopped it otherwise. Bad input never raises.
relaxverify/api/inputs.py builds the commands' inputs on it (docs/architecture.md).
"""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from typing import Optional, Sequence

from relaxverify.core import nodes as C
from relaxverify.source import Span
from relaxverify.check.checker import check
from relaxverify.report.diagnostics import Diagnostic, RelaxError, error
from relaxverify.syntax.parser import parse

STDIN = "-"  # the path that means standard input (docs/cli.md, "Standard input")
STDIN_NAME = "<stdin>"  # its name in every message and format


@dataclass
class Loaded:
    path: str
    source: Optional[str]
    program: Optional[C.Program] = None
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.program is not None


def expand_paths(paths: list[str], exclude: Sequence[str] = ()) -> tuple[list[str],
                                                                          list[Diagnostic]]:
    """Files named on the command line; a directory means every .relax file below it
    but those that `exclude` matches (`excluded`); `-` is standard input, read once."""
    files: list[str] = []
    problems: list[Diagnostic] = []
    for p in paths:
        if p == STDIN:
            if STDIN in files:
                problems.append(Diagnostic("error", "`-` (standard input) is named twice", None,
                                           "io", ["standard input can be read only once"],
                                           path=STDIN_NAME))
            else:
                files.append(p)
        elif os.path.isdir(p):
            found = sorted(_walk(p, exclude))
            if not found:
                notes = ["name a .relax file or a directory that contains some"]
                if exclude:
                    notes.append("skipped as `exclude` says: " + ", ".join(exclude))
                problems.append(Diagnostic("error", f"no .relax files in directory `{p}`", None,
                                           "io", notes, path=p))
            files.extend(found)
        elif os.path.exists(p):
            files.append(p)
        else:
            problems.append(Diagnostic("error", f"no such file `{p}`", None, "io",
                                       ["check the path; it is relative to the current "
                                        "directory"], path=p))
    return files, problems


def _walk(top: str, exclude: Sequence[str]) -> list[str]:
    """The .relax files below `top`, skipping the files and directories `exclude` matches."""
    found = []
    for root, dirs, names in os.walk(top):
        if exclude:
            dirs[:] = [d for d in dirs if not excluded(os.path.join(root, d), exclude)]
        found += [os.path.join(root, name) for name in names if name.endswith(".relax")
                  and not (exclude and excluded(os.path.join(root, name), exclude))]
    return found


def excluded(path: str, patterns: Sequence[str]) -> bool:
    """Whether a glob pattern matches `path`: one with a `/` matches the path (absolute
    against the absolute path, else against the path from the current directory), one
    without the last component; `*` matches any characters, `/` too (fnmatch)."""
    from fnmatch import fnmatchcase  # only when there are patterns
    for pattern in patterns:
        pattern = pattern.rstrip("/") or pattern
        if "/" not in pattern:
            target = os.path.basename(path)
        elif os.path.isabs(pattern):
            target = os.path.abspath(path)
        else:
            target = os.path.relpath(path)
        if fnmatchcase(target.replace(os.sep, "/"), pattern):
            return True
    return False


def read_source(path: str) -> tuple[Optional[str], Optional[Diagnostic]]:
    """The text of a file (`-`: of standard input, named `<stdin>`), or why not."""
    if path == STDIN:
        return _decode(_read_stdin(), STDIN_NAME)
    try:
        data = open(path, "rb").read()
    except OSError as exc:
        return None, Diagnostic("error", f"cannot read `{path}`: {exc.strerror}", None, "io",
                                path=path)
    return _decode(data, path)


def _read_stdin() -> bytes:
    """Standard input's bytes (its text, encoded, when it has no binary buffer)."""
    buffer = getattr(sys.stdin, "buffer", None)
    return buffer.read() if buffer is not None else sys.stdin.read().encode("utf-8")


def _decode(data: bytes, path: str) -> tuple[Optional[str], Optional[Diagnostic]]:
    """UTF-8 text without a byte-order mark, or the located reason it is not text."""
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
    """Read, parse and check one file (`-`: standard input, named `<stdin>`)."""
    name = STDIN_NAME if path == STDIN else path
    source, problem = read_source(path)
    if source is None:
        assert problem is not None, "read_source gives the text or the problem"
        return Loaded(name, None, None, [problem])
    return load_source(name, source)
