"""`reliability`: the reliability spec of `function` holds (`spec`: true, the default)
and its value is at least `min_value`, on `hardware` (default `medium`). With `program`,
`function` is a hidden program's, whose spec holds only if the student's specs are
tight enough (calls are analysed through callee specs)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from relaxverify import api
from relaxverify.grading.submission import function_names
from relaxverify.grading.tools import call, locate
from relaxverify.reliability.analysis import FunctionResult

if TYPE_CHECKING:
    from relaxverify.grading.grader import Grader


def grade_reliability(grader: "Grader", spec: dict[str, Any]) -> tuple[float, str]:
    fn = spec["function"]
    path, offset, whose = grader.submission, 0, "your"
    lines = [spec["description"]] if spec.get("description") else []
    if spec.get("program"):
        path, offset = grader.combine(spec["program"])
        whose = "the hidden program's"
    elif fn not in function_names(grader.source):
        return 0.0, f"fn {fn}: not found in your file"
    hardware = spec.get("hardware", "medium")
    result = call(api.reliability, str(path), fn=fn, hardware=hardware)
    report = result.files[0]
    name = grader.submission.name
    results = api.function_results(report)
    if report.status == "error" and not results:
        lines.extend(locate(d, offset, name) for d in report.messages())
        return 0.0, "\n".join(lines)
    entry = next((r for r in results if r.function.name == fn), None)
    if entry is None:
        lines.append(f"fn {fn}: no reliability result")
        lines.extend(locate(d, offset, name) for d in report.messages())
        return 0.0, "\n".join(lines)
    lines += [f"fn {fn} on hardware `{hardware}`: reliability {entry.value:.12g}",
              "  terms: " + ", ".join(t.text() for t in entry.terms)]
    ok = True
    if spec.get("spec", True):
        ok = _spec_holds(entry, whose, lines)
    min_value = spec.get("min_value")
    if min_value is not None:
        if entry.value >= min_value:
            lines.append(f"  at least {min_value}, as required")
        else:
            ok = False
            lines.append(f"  below the required {min_value}")
    if not ok and spec.get("hint"):
        lines.append("hint: " + spec["hint"])
    return (1.0 if ok else 0.0), "\n".join(lines)


def _spec_holds(entry: FunctionResult, whose: str, lines: list[str]) -> bool:
    text = " && ".join(c.spec.text for c in entry.checks)
    if entry.status == "none":
        lines.append("  no reliability spec: write `reliability R(result) >= c * R(...)`")
        return False
    if entry.status != "verified":
        lines.append(f"  {whose} spec `{text}` does not hold")
        return False
    lines.append(f"  {whose} spec `{text}` holds")
    return True
