"""`relaxverify grade LAB SUBMISSION`: grade a student's file against a course lab.

Writes Gradescope's results.json (`--output`, default `results.json`) and prints
each test's score and output. Exit 0 when the grading completed, whatever the
score; 2 on bad grader input (unknown lab, malformed grading.json, no submission).
The grading itself is relaxverify/grading/ (docs/teaching.md).
"""
from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path
from typing import Any, Optional

from relaxverify.report.diagnostics import Diagnostic
from relaxverify.report.finding import Finding
from relaxverify.grading.grader import Grade, GradeInputError, error_grade, grade_submission
from relaxverify.report.render import CommandResult, FileReport


def add_positionals(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("lab", metavar="LAB", help="a lab directory, or a lab's name or number "
                        "(looked up in $RELAXVERIFY_LABS and ./labs)")
    parser.add_argument("submission", metavar="SUBMISSION",
                        help="the student's .relax file, or a directory holding it")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    for action in parser._actions:  # common options that a lab decides, not the user
        if "--hardware" in action.option_strings or "--fn" in action.option_strings:
            action.help = argparse.SUPPRESS
    parser.add_argument("--output", metavar="PATH", default="results.json",
                        help="where to write Gradescope's results.json (default results.json)")


def execute(args: argparse.Namespace) -> CommandResult:
    if args.hardware or args.fn:
        option = "--hardware" if args.hardware else "--fn"
        return _failure(args, f"`grade` does not take {option}: the lab's grading.json says "
                        "which functions and hardware each test uses", write=False)
    try:
        with tempfile.TemporaryDirectory(prefix="relaxverify-grade-") as work:
            grade = grade_submission(args.lab, args.submission, args.timeout, Path(work))
    except GradeInputError as exc:
        return _failure(args, str(exc))
    problem = _write(grade, args.output)
    report = FileReport(grade.submission, "verified", None, extra=_extra(grade),
                        lines=_text(grade))
    if problem:
        report.status = "error"
        report.diagnostics.append(Diagnostic("error", problem, None, "io", path=args.output))
    return CommandResult("grade", [report], extra={"lab": grade.lab},
                         summary=f"score: {_fmt(grade.score)}/{_fmt(grade.max_score)}"
                         + ("" if problem else f" (written to {args.output})"))


def _failure(args: argparse.Namespace, message: str, write: bool = True) -> CommandResult:
    """Bad grader input: exit 2; results.json still says why (score 0)."""
    grade = error_grade(args.lab, args.submission, message)
    problem = _write(grade, args.output) if write else None
    diags: list[Finding] = [Diagnostic("error", message, None, "io", path=args.submission)]
    if problem:
        diags.append(Diagnostic("error", problem, None, "io", path=args.output))
    return CommandResult("grade", [FileReport(args.submission, "error", None, diags)],
                         extra={"lab": args.lab})


def _write(grade: Grade, path: str) -> Optional[str]:
    try:
        Path(path).write_text(json.dumps(grade.results_json(), indent=2) + "\n",
                              encoding="utf-8")
    except OSError as exc:
        return f"cannot write `{path}`: {exc.strerror}"
    return None


def _extra(grade: Grade) -> dict[str, Any]:
    return {"score": grade.results_json()["score"], "max_score": _num(grade.max_score),
            "tests": [t.to_json() for t in grade.tests]}


def _text(grade: Grade) -> list[str]:
    out = [f"{grade.lab}: {grade.title}", f"submission: {grade.submission}"]
    width = max(len(f"{_fmt(t.max_score)}") for t in grade.tests)
    for t in grade.tests:
        out.append(f"[{_fmt(t.score):>{width}}/{_fmt(t.max_score)}] {t.name}")
        out.extend("    " + line if line else "" for line in t.output.splitlines())
    return out


def _num(x: float) -> float | int:
    return int(x) if float(x).is_integer() else round(x, 4)


def _fmt(x: float) -> str:
    return str(_num(x))
