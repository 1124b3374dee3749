"""Grading a student's `.relax` file against a course lab (`relaxverify grade`).

A lab is a directory with a `grading.json` (see docs/teaching.md):

    {"title": "...", "submission": "clamp.relax", "forbid": ["assume"],
     "tests": [{"name": "...", "max_score": 10, "kind": "verify", ...}, ...]}

Each kind of test (`check`, `verify`, `hidden`, `run`, `reliability`, `features`) is
graded by its module in grading/kinds/, whose docstring says what it requires. Every
tool call goes through relaxverify.api and reads its result objects, so the grader
sees exactly what a student sees on the command line. A submission that does not load
scores zero on every test, with the located error message in the visible output;
nothing a student submits makes the grader raise.
"""
from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any, Callable, Optional

from relaxverify import api
from relaxverify.grading.kinds.check import grade_check
from relaxverify.grading.kinds.features import grade_features
from relaxverify.grading.kinds.hidden import grade_hidden
from relaxverify.grading.kinds.reliability import grade_reliability
from relaxverify.grading.kinds.run import grade_run, runs_guard
from relaxverify.grading.kinds.verify import grade_verify
from relaxverify.grading.labs import find_lab, load_lab
from relaxverify.grading.results import Grade, GradeInputError, TestResult, number
from relaxverify.grading.submission import (clauses, find_submission, function_names,
                                            strip_comments)
from relaxverify.grading.tools import ToolFailure, call
from relaxverify.report.render import render

__all__ = ["Grade", "GradeInputError", "Grader", "TestResult", "error_grade",
           "function_names", "grade_submission", "strip_comments"]

Outcome = tuple[float, str]  # the fraction of a test's points, and its output


class Grader:
    def __init__(self, lab_dir: Path, config: dict[str, Any], submission: Path,
                 timeout: float, workdir: Path) -> None:
        self.lab_dir = lab_dir
        self.config = config
        self.submission = submission
        self.timeout = timeout
        self.workdir = workdir
        self.source = ""
        self.loaded = False
        self.load_message = ""
        self._combined: dict[str, Path] = {}
        self.forbidden: list[str] = []

    def grade(self) -> Grade:
        grade = Grade(self.lab_dir.name, self.config.get("title", self.lab_dir.name),
                      str(self.submission))
        try:
            self._load()
        except ToolFailure as exc:
            self.loaded, self.load_message = False, str(exc)
        for spec in self.config["tests"]:
            result = TestResult(spec["name"], float(spec["max_score"]),
                                visibility=spec.get("visibility", "visible"))
            if not self.loaded:
                result.output = self.load_message if not grade.tests else \
                    "not run: your file does not parse or type-check (see the first test)"
            elif spec.get("program") and not (self.lab_dir / spec["program"]).is_file():
                result.output = ("not run here: this test uses a hidden program that only "
                                 "the course's autograder has (0 points in this handout)")
            else:
                fraction, result.output = self._test(spec)
                result.score = round(result.max_score * max(0.0, min(1.0, fraction)), 4)
            grade.tests.append(result)
        grade.output = (f"{grade.title}: {number(grade.score)}/{number(grade.max_score)}"
                        + ("" if self.loaded else " (the file does not load: see the first "
                           "test's output)"))
        return grade

    def _test(self, spec: dict[str, Any]) -> Outcome:
        kind: Callable[[dict[str, Any]], Outcome] = getattr(self, "_" + spec["kind"])
        try:
            fraction, output = kind(spec)
            if fraction > 0 and spec.get("runs"):
                ok, why = runs_guard(self, spec)
                fraction, output = fraction * ok, "\n".join(t for t in (output, why) if t)
            return fraction, output
        except ToolFailure as exc:
            return 0.0, str(exc)
        except Exception as exc:  # a grader bug must not cost the other tests
            return 0.0, (f"the grader failed on this test ({type(exc).__name__}: {exc}); "
                         "please tell the course staff")

    # -- the test kinds (methods, so that a test can replace one)

    def _check(self, spec: dict[str, Any]) -> Outcome:
        return grade_check(self, spec)

    def _verify(self, spec: dict[str, Any]) -> Outcome:
        return grade_verify(self, spec)

    def _hidden(self, spec: dict[str, Any]) -> Outcome:
        return grade_hidden(self, spec)

    def _run(self, spec: dict[str, Any]) -> Outcome:
        return grade_run(self, spec)

    def _reliability(self, spec: dict[str, Any]) -> Outcome:
        return grade_reliability(self, spec)

    def _features(self, spec: dict[str, Any]) -> Outcome:
        return grade_features(self, spec)

    # -- the submission itself

    def _load(self) -> None:
        try:
            raw = self.submission.read_bytes()
        except OSError as exc:
            self.load_message = f"cannot read the submission: {exc.strerror}"
            return
        try:
            self.source = raw.decode("utf-8")
        except UnicodeDecodeError:
            pass  # `check` below locates the bad byte
        result = call(api.check, str(self.submission))
        if result.status != "verified":
            text = io.StringIO()
            render(result, "text", text)
            report = [line for line in text.getvalue().rstrip().splitlines()
                      if not line.startswith("checked ")]
            self.load_message = ("Your file does not parse or type-check, so no test can run. "
                                 "Fix this first (`relaxverify check` shows the same):\n\n"
                                 + "\n".join(report))
            return
        self.loaded = True
        self.forbidden = [w for w in self.config.get("forbid", [])
                          if re.search(rf"\b{re.escape(w)}\b", strip_comments(self.source))]

    def forbidden_note(self) -> Optional[str]:
        if self.forbidden:
            words = ", ".join(f"`{w}`" for w in self.forbidden)
            return (f"This lab does not allow {words} in your file (it could make any "
                    "obligation hold vacuously); remove it to get the points.")
        return None

    def kept_note(self, spec: dict[str, Any]) -> Optional[str]:
        """The lines of the starter that a test asks to keep, if the submission lost one."""
        code = " ".join(strip_comments(self.source).split())
        lost = [k for k in spec.get("keep", []) if " ".join(k.split()) not in code]
        if lost:
            return ("This test needs these lines of the starter file, unchanged (the task is "
                    "to prove them, not to change them):\n" + "\n".join(f"  {k}" for k in lost))
        return None

    def contract_note(self, spec: dict[str, Any]) -> Optional[str]:
        """The clauses of the starter that a test asks to keep as they are
        (`starter_clauses`), if the submission changed, added or dropped one: a
        stronger `requires` proves anything (`requires x == lo` makes clamp trivial)."""
        kinds = spec.get("starter_clauses", [])
        starter = (self.lab_dir / "starter.relax").read_text(encoding="utf-8") if kinds else ""
        changed = []
        for fn in spec["functions"]:
            want, got = clauses(starter, fn), clauses(self.source, fn)
            if want is not None and got is not None:  # a missing function is said elsewhere
                changed += [f"the `{k}` clauses of `{fn}`" for k in kinds
                            if sorted(want[k]) != sorted(got[k])]
        if changed:
            return ("This test needs the contract of the starter file unchanged (the task is "
                    "to prove it, not to change it), but these differ: " + ", ".join(changed))
        return None

    def combine(self, program: str) -> tuple[Path, int]:
        """The submission followed by a hidden program, as one file in the work dir."""
        hidden = (self.lab_dir / program).read_text(encoding="utf-8")
        offset = self.source.count("\n") + 1
        if program not in self._combined:
            path = self.workdir / (Path(program).stem + "_with_submission.relax")
            path.write_text(self.source + "\n" + hidden, encoding="utf-8")
            self._combined[program] = path
        return self._combined[program], offset

    def lab_functions(self) -> list[str]:
        """The submission's functions that the tests name (hidden programs' excluded)."""
        names: list[str] = []
        for spec in self.config["tests"]:
            if spec.get("program"):
                continue
            for n in spec.get("functions", []) + [spec.get("function")]:
                if n and n not in names:
                    names.append(n)
        return names


def grade_submission(lab: Optional[str], submission: str, timeout: float,
                     workdir: Path) -> Grade:
    """`lab` None: the lab around the submission (labs.lab_around)."""
    lab_dir = find_lab(lab, submission)
    config = load_lab(lab_dir)
    path = find_submission(submission, config.get("submission"))
    return Grader(lab_dir, config, path, timeout, workdir).grade()


def error_grade(lab: str, submission: str, message: str) -> Grade:
    """What results.json says when the grader itself could not run."""
    grade = Grade(lab, lab, submission)
    grade.tests.append(TestResult("grading", 0.0, 0.0, message))
    grade.output = f"the submission could not be graded: {message}"
    return grade
