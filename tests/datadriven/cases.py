"""Parse a `.test` file into its cases, keeping where each section lies in the file.

The positions are what lets `update.py` rewrite one `[out]` body and leave every
other byte of the file as it was.
"""
from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

SECTION = re.compile(r"^\[(case|args|out|exit)(?:\s+([^\]]*?))?\s*\]\s*$")
CASE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")
WILDCARD = "..."


class FormatError(Exception):
    """A malformed `.test` file: says which file and line, and what to write instead."""


@dataclass
class Section:
    """One `[name arg]` header and the lines up to the next header.

    `start` is the 0-based index of the header line; `end` is one past the last
    non-blank body line (blank lines before the next header belong to no section).
    """
    name: str
    arg: str
    start: int
    end: int
    body: list[str]


@dataclass
class Case:
    """One `[case NAME]` of a file, with what the command must print and return."""
    name: str
    path: Path
    line: int
    program: str
    args: list[str]
    expected: list[str]
    exit: int
    sections: list[Section] = field(default_factory=list)

    @property
    def out(self) -> Optional[Section]:
        return next((s for s in self.sections if s.name == "out"), None)


def _trim(lines: list[str]) -> list[str]:
    """Body lines without trailing blank lines and trailing whitespace."""
    body = [line.rstrip() for line in lines]
    while body and not body[-1]:
        body.pop()
    return body


def sections(lines: list[str], path: Path) -> list[Section]:
    """Every section of the file; the text before the first header is a free comment."""
    found: list[Section] = []
    for index, line in enumerate(lines):
        m = SECTION.match(line)
        if m:
            found.append(Section(m.group(1), (m.group(2) or "").strip(), index, index + 1, []))
    for here, after in zip(found, found[1:] + [None]):
        stop = after.start if after else len(lines)
        here.body = _trim(lines[here.start + 1:stop])
        here.end = here.start + 1 + len(here.body)
    if found and found[0].name != "case":
        raise FormatError(f"{path}:{found[0].start + 1}: `[{found[0].name}]` before the first "
                          "`[case NAME]`; start each case with `[case NAME]`")
    return found


def _case(group: list[Section], path: Path) -> Case:
    head = group[0]
    where = f"{path}:{head.start + 1}"
    if not CASE_NAME.fullmatch(head.arg):
        raise FormatError(f"{where}: `[case {head.arg}]` needs a name of letters, digits, "
                          "`_`, `.` and `-`, e.g. `[case undefined_variable]`")
    seen: set[str] = set()
    args: list[str] = []
    expected: list[str] = []
    code = 0
    for s in group[1:]:
        if s.name in seen:
            raise FormatError(f"{path}:{s.start + 1}: a second `[{s.name}]` in case "
                              f"`{head.arg}`; give each section once")
        seen.add(s.name)
        if s.name == "args":
            args = shlex.split(" ".join(s.body))
        elif s.name == "out":
            expected = s.body
        elif s.name == "exit":
            if not re.fullmatch(r"\d+", s.arg) or s.body:
                raise FormatError(f"{path}:{s.start + 1}: write the expected exit code in the "
                                  "header, e.g. `[exit 1]`, with nothing below it")
            code = int(s.arg)
        if s.arg and s.name != "exit":
            raise FormatError(f"{path}:{s.start + 1}: `[{s.name}]` takes no argument")
    program = "\n".join(head.body) + "\n" if head.body else ""
    return Case(head.arg, path, head.start + 1, program, args, expected, code, group)


def split_lines(text: str) -> list[str]:
    """Lines split at `\n` only (`str.splitlines` also splits at form feeds and the like,
    which a program may hold), each without its `\n` or `\r\n`."""
    return [line.removesuffix("\r") for line in text.split("\n")]


def parse_text(text: str, path: Path) -> list[Case]:
    lines = split_lines(text)
    found = sections(lines, path)
    groups: list[list[Section]] = []
    for s in found:
        if s.name == "case":
            groups.append([s])
        else:
            groups[-1].append(s)
    cases = [_case(g, path) for g in groups]
    names = [c.name for c in cases]
    for c in cases:
        if names.count(c.name) > 1:
            raise FormatError(f"{path}:{c.line}: case `{c.name}` appears twice; "
                              "names must be unique within a file")
    return cases


def parse_file(path: Path) -> list[Case]:
    return parse_text(path.read_text(encoding="utf-8"), path)
