"""`pytest --update-data`: write a case's actual output into its `[out]` section.

Only the body of that one `[out]` section changes (or an `[out]` section is added
to a case that had none, before its `[exit]`); the program, `[args]`, `[exit]`, comments and
blank lines stay byte for byte. The file is parsed again on each update, so cases
of one file can be updated one after the other (not from parallel workers).
"""
from __future__ import annotations

import re
from pathlib import Path

from .cases import parse_text
from .matching import matches, merge


def updated_text(text: str, path: Path, name: str, actual: list[str]) -> str:
    """The file's text with case `name` expecting `actual` (unchanged if it already does)."""
    case = next(c for c in parse_text(text, path) if c.name == name)
    if matches(case.expected, actual):
        return text
    lines = re.findall(r"[^\n]*\n|[^\n]+$", text)  # as split_lines counts them
    newline = "\r\n" if lines and lines[0].endswith("\r\n") else "\n"
    body = [line + newline for line in merge(case.expected, actual)]
    out = case.out
    if out is not None:
        start, stop = out.start + 1, out.end
    else:
        before = [s for s in case.sections if s.name != "exit"][-1]  # [out] before [exit]
        start = stop = before.end
        body.insert(0, f"[out]{newline}")
    if not lines[start - 1].endswith(("\n", "\r")):  # the file's last line
        lines[start - 1] += newline
    lines[start:stop] = body
    return "".join(lines)


def update_case(path: Path, name: str, actual: list[str]) -> bool:
    """Rewrite `path` so that case `name` expects `actual`; True if the file changed."""
    text = path.read_bytes().decode("utf-8")  # keeps \r\n as written
    new = updated_text(text, path, name, actual)
    if new != text:
        path.write_bytes(new.encode("utf-8"))
    return new != text
