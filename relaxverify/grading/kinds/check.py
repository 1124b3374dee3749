"""`check`: the submission parses and type-checks, and defines one of the lab's functions
(an empty or wrong file is no submission)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from relaxverify.grading.submission import function_names

if TYPE_CHECKING:
    from relaxverify.grading.grader import Grader


def grade_check(grader: "Grader", spec: dict[str, Any]) -> tuple[float, str]:
    wanted = grader.lab_functions()
    if wanted and not set(wanted) & set(function_names(grader.source)):
        names = ", ".join(f"`{n}`" for n in wanted)
        return 0.0, (f"Your file parses and type-checks, but it defines none of the lab's "
                     f"functions ({names}): is this the right file? Start from the "
                     "lab's starter file and keep its function names.")
    return 1.0, "Your file parses and type-checks."
