"""`relaxverify grade [LAB] SUBMISSION`: grade a student's file against a course lab.

Without LAB, the lab is the current directory or the submission's, whichever holds a
grading.json. Prints each test's score and output, and writes Gradescope's
results.json only where asked: `--output PATH`, or under the autograder root
(`/autograder`, or `$RELAXVERIFY_AUTOGRADER_ROOT`) when that directory exists, as
`results/results.json` there. Never into the current directory unasked: a student
grading their own file should not find stray files. Exit 0 when the grading
completed, whatever the score; 2 on bad grader input (no lab, malformed grading.json,
no submission). The grading itself is relaxverify/grading/ (docs/teaching.md).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any, Optional

from relaxverify.grading.grader import Grade, GradeInputError, error_grade, grade_submission
from relaxverify.grading.results import number
from relaxverify.report.diagnostics import Diagnostic
from relaxverify.report.finding import Finding
from relaxverify.report.render import CommandResult, FileReport

AUTOGRADER_ROOT_ENV = "RELAXVERIFY_AUTOGRADER_ROOT"


class GradeResult(CommandResult):
    """A grading: its status says whether every test got full marks ("verified") or
    not ("failed"), but the exit code is 0 either way: grading completed."""

    @property
    def exit_code(self) -> int:
        return 2 if self.status == "error" else 0


def add_positionals(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("lab", metavar="LAB", nargs="?",
                        help="a lab directory, or a lab's name or number (looked up in "
                        "$RELAXVERIFY_LABS and ./labs); default: the current directory or "
                        "the submission's, whichever holds a grading.json")
    parser.add_argument("submission", metavar="SUBMISSION", nargs="?",
                        help="the student's .relax file, or a directory holding it")


def complete(args: argparse.Namespace, extra: list[str]) -> bool:
    """Place the words argparse left over: with an optional first positional, it takes
    the words before an option as the only ones (`grade LAB --output r.json SUB` leaves
    SUB over). False for anything else (an unknown option, a third word)."""
    cut = extra.index("--") if "--" in extra else len(extra)
    if any(a.startswith("-") for a in extra[:cut]):
        return False
    given = [p for p in (args.lab, args.submission) if p is not None]
    given += extra[:cut] + extra[cut + 1:]
    if len(given) != 2:
        return False
    args.lab, args.submission = given
    return True


def add_arguments(parser: argparse.ArgumentParser) -> None:
    for action in parser._actions:  # common options that a lab decides, not the user
        if "--hardware" in action.option_strings or "--fn" in action.option_strings:
            action.help = argparse.SUPPRESS
    parser.add_argument("--output", metavar="PATH",
                        help="write Gradescope's results.json here (default: "
                        "/autograder/results/results.json when /autograder exists, "
                        "else not written)")
    indent = " " * len("usage: relaxverify grade ")
    parser.usage = (f"%(prog)s [-h] [--format {{text,json}}] [--timeout SECONDS]\n{indent}"
                    f"[--output PATH]\n{indent}[LAB] SUBMISSION")


def results_path(output: Optional[str]) -> Optional[Path]:
    """Where results.json goes: `--output`, else Gradescope's place when the autograder
    root exists (its results/ directory is made if missing), else nowhere."""
    if output:
        return Path(output)
    root = Path(os.environ.get(AUTOGRADER_ROOT_ENV) or "/autograder")
    if not root.is_dir():
        return None
    try:
        (root / "results").mkdir(exist_ok=True)
    except OSError:
        pass  # writing the file then says why
    return root / "results" / "results.json"


def execute(args: argparse.Namespace) -> CommandResult:
    if args.submission is None:  # `grade SUBMISSION`: argparse filled LAB first
        args.lab, args.submission = None, args.lab
    if args.submission is None:  # as argparse says a missing positional
        print("relaxverify grade: error: give the submission to grade: `relaxverify grade "
              "[LAB] SUBMISSION`", file=sys.stderr)
        raise SystemExit(2)
    if args.hardware or args.fn:
        option = "--hardware" if args.hardware else "--fn"
        return _failure(args, f"`grade` does not take {option}: the lab's grading.json says "
                        "which functions and hardware each test uses", write=False)
    try:
        with tempfile.TemporaryDirectory(prefix="relaxverify-grade-") as work:
            grade = grade_submission(args.lab, args.submission, args.timeout, Path(work))
    except GradeInputError as exc:
        return _failure(args, str(exc))
    path = results_path(args.output)
    problem = _write(grade, path)
    full = grade.score == grade.max_score
    report = FileReport(grade.submission, "verified" if full else "failed", None,
                        extra=_extra(grade), lines=_text(grade))
    if problem:
        report.status = "error"
        report.diagnostics.append(Diagnostic("error", problem, None, "io", path=str(path)))
    where = (" (results.json not written: give --output PATH to write it)" if path is None
             else "" if problem else f" (written to {path})")
    return GradeResult("grade", [report], extra={"lab": grade.lab},
                       summary=f"score: {number(grade.score)}/{number(grade.max_score)}"
                       + where)


def _failure(args: argparse.Namespace, message: str, write: bool = True) -> CommandResult:
    """Bad grader input: exit 2; results.json, where one is written, still says why."""
    grade = error_grade(args.lab or "(no lab)", args.submission, message)
    path = results_path(args.output) if write else None
    problem = _write(grade, path)
    diags: list[Finding] = [Diagnostic("error", message, None, "io", path=args.submission)]
    if problem:
        diags.append(Diagnostic("error", problem, None, "io", path=str(path)))
    return GradeResult("grade", [FileReport(args.submission, "error", None, diags)],
                       extra={"lab": args.lab})


def _write(grade: Grade, path: Optional[Path]) -> Optional[str]:
    if path is None:
        return None
    try:
        path.write_text(json.dumps(grade.results_json(), indent=2) + "\n", encoding="utf-8")
    except OSError as exc:
        return f"cannot write `{path}`: {exc.strerror}"
    return None


def _extra(grade: Grade) -> dict[str, Any]:
    return {"score": number(grade.score), "max_score": number(grade.max_score),
            "tests": [t.to_json() for t in grade.tests]}


def _text(grade: Grade) -> list[str]:
    out = [f"{grade.lab}: {grade.title}", f"submission: {grade.submission}"]
    width = max(len(f"{number(t.max_score)}") for t in grade.tests)
    for t in grade.tests:
        out.append(f"[{number(t.score)!s:>{width}}/{number(t.max_score)}] {t.name}")
        out.extend("    " + line if line else "" for line in t.output.splitlines())
    return out
