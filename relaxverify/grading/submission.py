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
