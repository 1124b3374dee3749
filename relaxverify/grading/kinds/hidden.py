"""`hidden`: a hidden program of the lab is appended to the submission and its own
functions must verify. They call the student's functions, and verification is modular
(a call uses the callee's contract, never its body), so they check that the student's
contracts are strong enough."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from relaxverify import api
from relaxverify.grading.submission import function_names
from relaxverify.grading.tools import MAX_SHOWN, call, describe, fold_sides, locate, not_verified

if TYPE_CHECKING:
    from relaxverify.grading.grader import Grader


def grade_hidden(grader: "Grader", spec: dict[str, Any]) -> tuple[float, str]:
    note = grader.forbidden_note()
    if note:
        return 0.0, note
    path, offset = grader.combine(spec["program"])
    hidden_source = (grader.lab_dir / spec["program"]).read_text(encoding="utf-8")
    functions = spec.get("functions") or function_names(hidden_source)
    intro = spec.get("description", "A hidden grading program calls your functions "
                     "through their contracts (requires/ensures).")
    name = grader.submission.name
    lines = [intro]
    total = verified = failed = 0
    for fn in functions:
        result = call(api.verify, str(path), fn=fn, timeout=grader.timeout,
                      hardware=spec.get("hardware") or None)
        report = result.files[0]
        if report.status == "error":
            lines.append("Your file does not fit the hidden program:")
            located = (locate(d, offset, name) for d in report.messages())
            lines.extend("  " + m for m in dict.fromkeys(located))  # once each
            lines.append("Keep the function names, parameters and types of the "
                         "starter file.")
            return 0.0, "\n".join(lines)
        obs = api.obligations(report)
        total += len(obs)
        verified += sum(1 for o in obs if o.status == "verified")
        for c in fold_sides(not_verified(obs)):
            failed += 1
            if failed <= MAX_SHOWN:
                lines.append(describe(c, "the hidden program", offset, name))
    if failed > MAX_SHOWN:
        lines.append(f"  ... and {failed - MAX_SHOWN} more")
    if total and verified == total:
        lines.append(f"passed: all {total} obligations of the hidden program verified")
        return 1.0, "\n".join(lines)
    if spec.get("hint"):
        lines.append("hint: " + spec["hint"])
    return 0.0, "\n".join(lines)
