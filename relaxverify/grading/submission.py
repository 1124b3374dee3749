"""The student's file: finding it in a submission directory, and reading it as text
(comments blanked) for the lab's guards (`forbid`, `keep`, `constructs`)."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Optional

from relaxverify.grading.results import GradeInputError


def strip_comments(source: str) -> str:
    """Source with comments blanked (line structure kept)."""
    return re.sub(r"//[^\n]*|/\*.*?\*/", lambda m: re.sub(r"[^\n]", " ", m.group(0)),
                  source, flags=re.S)


CLAUSES = ("requires_r", "ensures_r", "requires", "ensures", "reliability")


def clauses(source: str, fn: str) -> Optional[dict[str, list[str]]]:
    """The clauses of `fn`'s header by keyword, spaces removed (None: no such function).
    Text, not syntax: a header holds no `{`, so the body starts at the first one."""
    code = strip_comments(source)
    m = re.search(rf"\bfn\s+{re.escape(fn)}\s*\(([^{{]*)\{{", code)
    if m is None:
        return None
    parts = re.split(rf"\b({'|'.join(CLAUSES)})\b", m.group(1))
    found: dict[str, list[str]] = {k: [] for k in CLAUSES}
    for keyword, text in zip(parts[1::2], parts[2::2]):
        found[keyword].append("".join(text.split()))
    return found


def accept_bounds(source: str, fn: str, expression: str) -> list[float]:
    """The bounds b of the statements `accept EXPRESSION <= b;` in `fn` (spaces aside)."""
    code = "".join(strip_comments(source).split())
    start = code.find(f"fn{fn}(")
    if start < 0:
        return []
    end = code.find("}fn", start)
    body = code[start:end if end >= 0 else len(code)]
    found = re.findall(r"accept" + re.escape("".join(expression.split()))
                       + r"<=([0-9][0-9.]*(?:[eE][-+]?[0-9]+)?);", body)
    return [float(b) for b in found]


CHOICE = re.compile(r"\b(relax|havoc)\s*\(([^()]*)\)\s*st\s*\(")


def changing_choices(source: str) -> tuple[str, list[int]]:
    """The source with every `relax`/`havoc` predicate P of targets x, y made
    `(P) && !(x == old(x) && y == old(y))`, and the lines of those statements: where
    the verifier then warns that the predicate can never be satisfied, P forces the
    old values, and the statement approximates nothing."""
    code = strip_comments(source)
    out, lines, pos = [], [], 0
    for m in CHOICE.finditer(code):
        end = _closing(code, m.end())
        if end is None:
            continue
        same = " && ".join(f"{t.strip()} == old({t.strip()})" for t in m.group(2).split(","))
        out += [code[pos:m.end()], "(", code[m.end():end], f") && !({same})"]
        pos = end
        lines.append(code.count("\n", 0, m.start()) + 1)
    return "".join(out) + code[pos:], lines


def _closing(code: str, start: int) -> Optional[int]:
    """The index of the `)` that closes the parenthesis opened just before `start`."""
    depth = 1
    for i in range(start, len(code)):
        depth += {"(": 1, ")": -1}.get(code[i], 0)
        if depth == 0:
            return i
    return None


def function_names(source: str) -> list[str]:
    return re.findall(r"\bfn\s+([A-Za-z_][A-Za-z0-9_]*)", strip_comments(source))


def find_submission(path: str, expected: Optional[str]) -> Path:
    p = Path(path)
    if p.is_dir():
        if expected and (p / expected).is_file():
            return p / expected
        found = sorted(p.rglob("*.relax"))
        if len(found) == 1:
            return found[0]
        if not found:
            raise GradeInputError(f"no .relax file in the submission directory `{path}`")
        raise GradeInputError(f"several .relax files in `{path}` and none named "
                              f"`{expected or '(the lab names no file)'}`: "
                              + ", ".join(str(f) for f in found))
    if not p.is_file():
        raise GradeInputError(f"no such submission file `{path}`")
    return p
