"""`relaxverify lab export LAB DIR`: the student handout of a lab, that is the lab's
files without `solution.relax` and `hidden/` (what only the staff may see).

The handout keeps grading.json, so that a student can run `relaxverify grade
lab1.relax` inside it; the tests of hidden programs are then not run
(labs.is_handout). Nothing a user wrote is overwritten: DIR must be empty or new.
"""
from __future__ import annotations

import shutil
from pathlib import Path

from relaxverify.grading.results import GradeInputError

STAFF_ONLY = ("solution.relax", "hidden")


def handout_files(lab_dir: Path) -> list[Path]:
    """The lab's files a student gets, relative to the lab directory, sorted."""
    files = [p.relative_to(lab_dir) for p in lab_dir.rglob("*") if p.is_file()]
    return sorted(f for f in files
                  if f.parts[0] not in STAFF_ONLY and "__pycache__" not in f.parts)


def export_handout(lab_dir: Path, dest: Path) -> list[Path]:
    """Copy the handout into `dest` (made if missing); the files written, relative."""
    if dest.exists() and not dest.is_dir():
        raise GradeInputError(f"`{dest}` exists and is not a directory; give a new or "
                              "empty directory for the handout")
    if dest.is_dir() and any(dest.iterdir()):
        raise GradeInputError(f"`{dest}` is not empty; give a new or empty directory for "
                              "the handout (nothing in it is overwritten)")
    files = handout_files(lab_dir)
    try:
        for f in files:
            (dest / f).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(lab_dir / f, dest / f)
    except OSError as exc:
        raise GradeInputError(f"cannot write the handout into `{dest}`: "
                              f"{exc.strerror}") from None
    return files
