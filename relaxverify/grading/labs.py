"""Finding a lab and reading its grading.json, rejecting a malformed one with a message
that names the test and the field (docs/teaching.md, "grading.json")."""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Optional

from relaxverify.grading.results import GradeInputError
from relaxverify.grading.submission import CLAUSES

KINDS = ("check", "verify", "hidden", "run", "reliability", "features")
VISIBILITIES = ("visible", "hidden", "after_due_date", "after_published")


def lab_search_dirs() -> list[Path]:
    dirs = []
    if os.environ.get("RELAXVERIFY_LABS"):
        dirs.append(Path(os.environ["RELAXVERIFY_LABS"]))
    dirs.append(Path.cwd() / "labs")
    dirs.append(Path(__file__).resolve().parents[2] / "labs")  # a checkout's labs
    return dirs


def lab_around(submission: str) -> Path:
    """The lab of `grade SUBMISSION` without a LAB: the current directory, or the
    submission's directory (a directory given, or the one holding the file given),
    whichever first holds a grading.json."""
    given = Path(submission)
    candidates = [Path.cwd(), given if given.is_dir() else given.parent]
    for d in candidates:
        if (d / "grading.json").is_file():
            return d
    raise GradeInputError(
        "no lab found: neither the current directory nor the submission's directory holds "
        "a grading.json; name the lab first, as in `relaxverify grade 01-hoare "
        f"{submission}` (a lab directory, or a lab's name or number), or run `grade` "
        "from inside the lab's directory")


def find_lab(name: Optional[str], submission: str) -> Path:
    """The lab of `grade [LAB] SUBMISSION`."""
    return lab_around(submission) if name is None else find_lab_named(name)


def find_lab_named(name: str) -> Path:
    """A lab directory: a path to one, or a lab's name (`03-relax-accept`), its number
    (`3`, `03`) or the part after the number (`relax-accept`), looked up in
    $RELAXVERIFY_LABS, ./labs and the labs of the checkout relaxverify runs from."""
    path = Path(name)
    if path.is_dir():
        if (path / "grading.json").is_file():
            return path
        raise GradeInputError(f"`{name}` is a directory but has no grading.json; a lab "
                              "directory holds grading.json, README.md and hidden/")
    known: list[str] = []
    for base in lab_search_dirs():
        if not base.is_dir():
            continue
        for lab in sorted(base.iterdir()):
            if not (lab / "grading.json").is_file():
                continue
            known.append(lab.name)
            number, _, rest = lab.name.partition("-")
            if name in (lab.name, rest) or (name.isdigit() and number.isdigit()
                                            and int(name) == int(number)):
                return lab
    hint = ("labs available: " + ", ".join(sorted(set(known)))) if known else \
        "no labs found; give the path of a lab directory"
    raise GradeInputError(f"unknown lab `{name}`; {hint}")


def is_handout(lab_dir: Path) -> bool:
    """A lab as students get it (`relaxverify lab export`): no hidden/ directory, so
    the tests of hidden programs are not run (the course's autograder runs them)."""
    return not (lab_dir / "hidden").exists()


def load_lab(lab_dir: Path) -> dict[str, Any]:
    try:
        config = json.loads((lab_dir / "grading.json").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise GradeInputError(f"cannot read {lab_dir / 'grading.json'}: {exc}") from None
    except json.JSONDecodeError as exc:
        raise GradeInputError(f"{lab_dir / 'grading.json'}:{exc.lineno}:{exc.colno}: "
                              f"not valid JSON: {exc.msg}") from None
    validate_config(config, lab_dir)
    return config


def validate_config(config: Any, lab_dir: Path) -> None:
    where = lab_dir / "grading.json"
    if not isinstance(config, dict) or not isinstance(config.get("tests"), list) \
            or not config["tests"]:
        raise GradeInputError(f"{where}: expected an object with a non-empty list `tests`")
    for i, test in enumerate(config["tests"], 1):
        if not isinstance(test, dict):
            raise GradeInputError(f"{where}: test {i} is not an object")
        _validate_test(test, f"{where}: test {i} ({test.get('name', 'no name')})", lab_dir)


def _validate_test(test: dict[str, Any], label: str, lab_dir: Path) -> None:
    if not isinstance(test.get("name"), str):
        raise GradeInputError(f"{label}: needs a `name`")
    if not isinstance(test.get("max_score"), (int, float)) or test["max_score"] < 0:
        raise GradeInputError(f"{label}: needs a non-negative `max_score`")
    if test.get("kind") not in KINDS:
        raise GradeInputError(f"{label}: `kind` must be one of {', '.join(KINDS)}")
    if test.get("visibility", "visible") not in VISIBILITIES:
        raise GradeInputError(f"{label}: `visibility` must be one of "
                              f"{', '.join(VISIBILITIES)}")
    if "program" in test and not (lab_dir / test["program"]).is_file() \
            and not is_handout(lab_dir):
        raise GradeInputError(f"{label}: no hidden program `{test['program']}`")
    kind = test["kind"]
    if kind == "hidden" and "program" not in test:
        raise GradeInputError(f"{label}: a `hidden` test needs a `program`")
    if kind == "verify" and not isinstance(test.get("functions"), list):
        raise GradeInputError(f"{label}: a `verify` test needs a list `functions`")
    if kind in ("run", "reliability") and not isinstance(test.get("function"), str):
        raise GradeInputError(f"{label}: a `{kind}` test needs a `function`")
    _validate_guards(test, label, lab_dir)
    if kind == "run" and "expect" not in test and not test.get("expect_error") \
            and not test.get("expect_ok"):
        raise GradeInputError(f"{label}: a `run` test needs `expect`, `expect_ok` or "
                              "`expect_error`")


def _validate_guards(test: dict[str, Any], label: str, lab_dir: Path) -> None:
    """The fields of the guards: `starter_clauses`, `accept_bound`, `runs`, `tries`."""
    kinds = test.get("starter_clauses", [])
    if ("starter_clauses" in test or "accept_bound" in test) and test["kind"] != "verify":
        raise GradeInputError(f"{label}: `starter_clauses` and `accept_bound` belong to a "
                              "`verify` test")
    if not isinstance(kinds, list) or any(k not in CLAUSES for k in kinds):
        raise GradeInputError(f"{label}: `starter_clauses` lists clause keywords: "
                              f"{', '.join(CLAUSES)}")
    if kinds and not (lab_dir / "starter.relax").is_file():
        raise GradeInputError(f"{label}: `starter_clauses` needs the lab's starter.relax")
    bound = test.get("accept_bound")
    if bound is not None and not (isinstance(bound, dict) and isinstance(bound.get("of"), str)
                                  and isinstance(bound.get("at_most"), (int, float))
                                  and len(test.get("functions", [])) == 1):
        raise GradeInputError(f"{label}: `accept_bound` is {{\"of\": EXPRESSION, "
                              "\"at_most\": NUMBER}, in a test of one function")
    runs = test.get("runs", [])
    if not isinstance(runs, list) or not all(isinstance(r, dict) for r in runs):
        raise GradeInputError(f"{label}: `runs` is a list of runs (objects with `args`...)")
    if runs and not (test.get("function") or len(test.get("functions", [])) == 1):
        raise GradeInputError(f"{label}: `runs` needs a test of one function (`function`, "
                              "or `functions` with one name)")
    for run in [test] + runs:
        for key, least in (("tries", 1), ("seed", 0)):
            if key in run and not (isinstance(run[key], int) and run[key] >= least):
                raise GradeInputError(f"{label}: `{key}` must be an integer >= {least}")
