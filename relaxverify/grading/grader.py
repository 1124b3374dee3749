"""Grading a student's `.relax` file against a course lab (`relaxverify grade`).

A lab is a directory with a `grading.json` (see `docs/teaching.md`):

    {"title": "...", "submission": "clamp.relax", "forbid": ["assume"],
     "tests": [{"name": "...", "max_score": 10, "kind": "verify", ...}, ...]}

Test kinds:

- `check`: the submission parses and type-checks, and defines at least one of the
  functions the other tests name (an empty or wrong file is no submission).
- `verify`: every obligation of the named `functions` of the submission is verified
  (`scoring`: `all`, the default, or `per-obligation` for partial credit). A function
  whose proofs hold vacuously (contradictory assumptions, an unsatisfiable `relax`)
  gets no points unless `allow_vacuous` is true, nor a submission that lost one of
  the code fragments listed in `keep` (compared without comments and with spaces
  normalised): the statements the student must prove, not change.
- `hidden`: a hidden program (`program`, a file of the lab) is appended to the
  submission and its own functions must verify: they call the student's functions,
  so they check that the student's contracts are strong enough (verification is
  modular: a call uses the callee's `requires`/`ensures`, never its body).
- `run`: run a function (the student's, or a hidden program's when `program` is
  given) with `args`, and compare the result with `expect` (`tolerance` for reals),
  or only require that no check fails (`expect_ok`), or that a check of a given kind
  fails (`expect_error`); `semantics`, `hardware` and `seed` as for `relaxverify run`.
- `reliability`: the reliability spec of `function` holds (`spec`: true, the
  default) and its value is at least `min_value`, on `hardware` (default `medium`);
  with `program`, `function` is a hidden program's, whose spec holds only if the
  student's specs are tight enough (calls are analysed through callee specs).
- `features`: the submission has what a case study needs: `min_functions` (not
  counting those named in `besides`),
  `constructs` (keywords that must occur in code, e.g. `relax`, `accept`),
  `verified_kinds` (obligation kinds that must occur and be verified), and
  `reliability_specs` (how many reliability specs must hold).

Every tool call goes through the public command modules and their JSON (LANGUAGE.md
§8), so the grader sees exactly what a student sees on the command line. A submission
that does not load scores zero on every test, with the located error message in the
visible output; nothing a student submits makes the grader raise.
"""
from __future__ import annotations

import io
import json
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

KINDS = ("check", "verify", "hidden", "run", "reliability", "features")
MAX_SHOWN = 6  # failed obligations shown per test
VISIBILITIES = ("visible", "hidden", "after_due_date", "after_published")
CONSTRUCT_WORDS = ("relax", "havoc", "accept", "assert", "assume", "while", "for", "repeat",
                   "if", "invariant", "invariant_r", "bound", "requires", "ensures",
                   "requires_r", "ensures_r", "reliability", "hardware", "urel", "forall",
                   "exists")


class GradeInputError(Exception):
    """Bad grader input: unknown lab, malformed grading.json, missing submission."""


@dataclass
class TestResult:
    name: str
    max_score: float
    score: float = 0.0
    output: str = ""
    visibility: str = "visible"

    def to_json(self) -> dict:
        return {"name": self.name, "score": _number(self.score),
                "max_score": _number(self.max_score), "output": self.output,
                "visibility": self.visibility}


@dataclass
class Grade:
    lab: str
    title: str
    submission: str
    tests: list[TestResult] = field(default_factory=list)
    output: str = ""

    @property
    def score(self) -> float:
        return sum(t.score for t in self.tests)

    @property
    def max_score(self) -> float:
        return sum(t.max_score for t in self.tests)

    def results_json(self) -> dict:
        """Gradescope's results.json."""
        return {"score": _number(self.score), "output": self.output,
                "visibility": "visible", "stdout_visibility": "visible",
                "tests": [t.to_json() for t in self.tests]}


def _number(x: float) -> float | int:
    return int(x) if float(x).is_integer() else round(x, 4)


# ---------------------------------------------------------------------------- labs

def lab_search_dirs() -> list[Path]:
    dirs = []
    if os.environ.get("RELAXVERIFY_LABS"):
        dirs.append(Path(os.environ["RELAXVERIFY_LABS"]))
    dirs.append(Path.cwd() / "labs")
    dirs.append(Path(__file__).resolve().parent.parent / "labs")
    return dirs


def find_lab(name: str) -> Path:
    """A lab directory: a path to one, or a lab's name (`03-relax-accept`), its number
    (`3`, `03`) or the part after the number (`relax-accept`), looked up in
    $RELAXVERIFY_LABS, ./labs and the labs beside the package."""
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


def load_lab(lab_dir: Path) -> dict:
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
        label = f"{where}: test {i} ({test.get('name', 'no name')})"
        if not isinstance(test.get("name"), str):
            raise GradeInputError(f"{label}: needs a `name`")
        if not isinstance(test.get("max_score"), (int, float)) or test["max_score"] < 0:
            raise GradeInputError(f"{label}: needs a non-negative `max_score`")
        if test.get("kind") not in KINDS:
            raise GradeInputError(f"{label}: `kind` must be one of {', '.join(KINDS)}")
        if test.get("visibility", "visible") not in VISIBILITIES:
            raise GradeInputError(f"{label}: `visibility` must be one of "
                                  f"{', '.join(VISIBILITIES)}")
        if "program" in test and not (lab_dir / test["program"]).is_file():
            raise GradeInputError(f"{label}: no hidden program `{test['program']}`")
        kind = test["kind"]
        if kind == "hidden" and "program" not in test:
            raise GradeInputError(f"{label}: a `hidden` test needs a `program`")
        if kind == "verify" and not isinstance(test.get("functions"), list):
            raise GradeInputError(f"{label}: a `verify` test needs a list `functions`")
        if kind in ("run", "reliability") and not isinstance(test.get("function"), str):
            raise GradeInputError(f"{label}: a `{kind}` test needs a `function`")
        if kind == "run" and "expect" not in test and not test.get("expect_error") \
                and not test.get("expect_ok"):
            raise GradeInputError(f"{label}: a `run` test needs `expect`, `expect_ok` or "
                                  "`expect_error`")


# ---------------------------------------------------------------------- submission

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


# --------------------------------------------------------------------- tool calls

class ToolFailure(Exception):
    """A tool call that could not complete (reported in the test's output)."""


def invoke(argv: list[str]) -> tuple[dict, str]:
    """Run a relaxverify command in-process: its JSON document and its text output.
    `argv` is `[command, FILE, options...]`; FILE is passed after `--`, so that a
    file name starting with `-` is not read as an option."""
    from relaxverify.cli.main import _command_module, build_parser
    from relaxverify.report.render import render
    try:
        args = build_parser().parse_args([argv[0], *argv[2:], "--", argv[1]])
    except SystemExit:
        raise ToolFailure(f"the grader could not run `relaxverify {' '.join(argv)}` "
                          "(bad arguments in grading.json)") from None
    try:
        result = _command_module(args.command).execute(args)
    except RecursionError:
        raise ToolFailure("the program is nested too deeply to analyse") from None
    except Exception as exc:  # a bug in a stage must not stop the grading
        raise ToolFailure(f"relaxverify failed on this program ({type(exc).__name__}: "
                          f"{exc}); please report it to the course staff") from None
    js, text = io.StringIO(), io.StringIO()
    render(result, "json", js)
    render(result, "text", text)
    return json.loads(js.getvalue()), text.getvalue()


# ---------------------------------------------------------------------------- grade

class Grader:
    def __init__(self, lab_dir: Path, config: dict, submission: Path, timeout: float,
                 workdir: Path) -> None:
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
            else:
                try:
                    fraction, output = getattr(self, "_" + spec["kind"])(spec)
                except ToolFailure as exc:
                    fraction, output = 0.0, str(exc)
                except Exception as exc:  # a grader bug must not cost the other tests
                    fraction, output = 0.0, (f"the grader failed on this test ({type(exc).__name__}"
                                             f": {exc}); please tell the course staff")
                result.score = round(result.max_score * max(0.0, min(1.0, fraction)), 4)
                result.output = output
            grade.tests.append(result)
        grade.output = (f"{grade.title}: {_number(grade.score)}/{_number(grade.max_score)}"
                        + ("" if self.loaded else " (the file does not load: see the first "
                           "test's output)"))
        return grade

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
        doc, text = invoke(["check", str(self.submission), "--format", "json"])
        if doc["status"] != "verified":
            report = [line for line in text.rstrip().splitlines()
                      if not line.startswith("checked ")]
            self.load_message = ("Your file does not parse or type-check, so no test can run. "
                                 "Fix this first (`relaxverify check` shows the same):\n\n"
                                 + "\n".join(report))
            return
        self.loaded = True
        forbidden = [w for w in self.config.get("forbid", [])
                     if re.search(rf"\b{re.escape(w)}\b", strip_comments(self.source))]
        self.forbidden = forbidden

    def _forbidden_note(self) -> Optional[str]:
        if self.forbidden:
            words = ", ".join(f"`{w}`" for w in self.forbidden)
            return (f"This lab does not allow {words} in your file (it could make any "
                    "obligation hold vacuously); remove it to get the points.")
        return None

    def _combine(self, program: str) -> tuple[Path, int]:
        """The submission followed by a hidden program, as one file in the work dir."""
        hidden = (self.lab_dir / program).read_text(encoding="utf-8")
        offset = self.source.count("\n") + 1
        if program not in self._combined:
            path = self.workdir / (Path(program).stem + "_with_submission.relax")
            path.write_text(self.source + "\n" + hidden, encoding="utf-8")
            self._combined[program] = path
        return self._combined[program], offset

    # -- test kinds

    def _check(self, spec: dict) -> tuple[float, str]:
        wanted = self._lab_functions()
        if wanted and not set(wanted) & set(function_names(self.source)):
            names = ", ".join(f"`{n}`" for n in wanted)
            return 0.0, (f"Your file parses and type-checks, but it defines none of the lab's "
                         f"functions ({names}): is this the right file? Start from the "
                         "lab's starter file and keep its function names.")
        return 1.0, "Your file parses and type-checks."

    def _lab_functions(self) -> list[str]:
        """The submission's functions that the tests name (hidden programs' excluded)."""
        names: list[str] = []
        for spec in self.config["tests"]:
            if spec.get("program"):
                continue
            for n in spec.get("functions", []) + [spec.get("function")]:
                if n and n not in names:
                    names.append(n)
        return names

    def _kept_note(self, spec: dict) -> Optional[str]:
        """The lines of the starter that a test asks to keep, if the submission lost one."""
        code = " ".join(strip_comments(self.source).split())
        lost = [k for k in spec.get("keep", []) if " ".join(k.split()) not in code]
        if lost:
            return ("This test needs these lines of the starter file, unchanged (the task is "
                    "to prove them, not to change them):\n" + "\n".join(f"  {k}" for k in lost))
        return None

    def _verify(self, spec: dict) -> tuple[float, str]:
        note = self._forbidden_note() or self._kept_note(spec)
        if note:
            return 0.0, note
        names = function_names(self.source)
        lines, verified, total, missing, broken = [], 0, 0, [], []
        for fn in spec["functions"]:
            if fn not in names:
                missing.append(fn)
                continue
            args = ["verify", str(self.submission), "--fn", fn, "--format", "json",
                    "--timeout", str(self.timeout)]
            if spec.get("hardware"):
                args += ["--hardware", spec["hardware"]]
            doc, _ = invoke(args)
            file = doc["files"][0]
            if file["status"] == "error":
                lines.append(f"fn {fn}: " + "; ".join(d["message"] for d in file["diagnostics"]))
                broken.append(fn)
                continue
            obs = file.get("obligations", [])
            vacuous = [d for d in file.get("diagnostics", []) if d.get("code") == "vacuous"]
            if vacuous and not spec.get("allow_vacuous"):
                lines.append(f"fn {fn}: no points, because its proofs hold vacuously:")
                lines.extend(_warnings(file, self.submission.name))
                broken.append(fn)
                continue
            total += len(obs)
            ok = [o for o in obs if o["status"] == "verified"]
            verified += len(ok)
            lines.append(f"fn {fn}: {len(ok)} of {len(obs)} obligations verified")
            bad = _fold_sides([o for o in obs if o["status"] != "verified"])
            lines.extend(_describe_obligation(o, self.submission.name) for o in bad[:MAX_SHOWN])
            if len(bad) > MAX_SHOWN:
                lines.append(f"  ... and {len(bad) - MAX_SHOWN} more")
            lines.extend(_warnings(file, self.submission.name))
        for fn in missing:
            lines.append(f"fn {fn}: not found in your file (the lab asks for a function "
                         f"named `{fn}`; keep the name and signature of the starter file)")
        missing += broken
        if spec.get("scoring", "all") == "per-obligation":
            fraction = verified / total if total else 0.0
            if missing:
                fraction *= (len(spec["functions"]) - len(missing)) / len(spec["functions"])
        else:
            fraction = 1.0 if not missing and total and verified == total else 0.0
        if total == 0 and not missing:
            lines.append("there is nothing to prove: add the specification the lab asks for")
        return fraction, "\n".join(lines)

    def _hidden(self, spec: dict) -> tuple[float, str]:
        note = self._forbidden_note()
        if note:
            return 0.0, note
        path, offset = self._combine(spec["program"])
        hidden_source = (self.lab_dir / spec["program"]).read_text(encoding="utf-8")
        functions = spec.get("functions") or function_names(hidden_source)
        intro = spec.get("description", "A hidden grading program calls your functions "
                         "through their contracts (requires/ensures).")
        lines, total, verified, failed = [intro], 0, 0, 0
        for fn in functions:
            doc, _ = invoke(["verify", str(path), "--fn", fn, "--format", "json",
                             "--timeout", str(self.timeout)]
                            + (["--hardware", spec["hardware"]] if spec.get("hardware")
                               else []))
            file = doc["files"][0]
            if file["status"] == "error":
                lines.append("Your file does not fit the hidden program:")
                located = (_locate(d, offset, self.submission.name) for d in file["diagnostics"])
                lines.extend("  " + m for m in dict.fromkeys(located))  # once each
                lines.append("Keep the function names, parameters and types of the "
                             "starter file.")
                return 0.0, "\n".join(lines)
            obs = file.get("obligations", [])
            total += len(obs)
            verified += sum(1 for o in obs if o["status"] == "verified")
            for o in _fold_sides([o for o in obs if o["status"] != "verified"]):
                failed += 1
                if failed <= MAX_SHOWN:
                    lines.append(_describe_obligation(o, "the hidden program", offset,
                                                      self.submission.name))
        if failed > MAX_SHOWN:
            lines.append(f"  ... and {failed - MAX_SHOWN} more")
        if total and verified == total:
            lines.append(f"passed: all {total} obligations of the hidden program verified")
            return 1.0, "\n".join(lines)
        if spec.get("hint"):
            lines.append("hint: " + spec["hint"])
        return 0.0, "\n".join(lines)

    def _run(self, spec: dict) -> tuple[float, str]:
        path = self.submission
        if spec.get("program"):
            path, _ = self._combine(spec["program"])
        argv = ["run", str(path), "--fn", spec["function"], "--format", "json",
                "--timeout", str(self.timeout)]
        shown = []
        for name, value in spec.get("args", {}).items():
            argv += ["--arg", f"{name}={_relax_value(value)}"]
            shown.append(f"{name}={_relax_value(value)}")
        for option in ("semantics", "hardware", "seed"):
            if option in spec:
                argv += [f"--{option}", str(spec[option])]
        call = f"{spec['function']}({', '.join(shown)})"
        if spec.get("semantics"):
            call += f" in the {spec['semantics']} execution"
        doc, _ = invoke(argv)
        if doc["status"] == "error" and not doc.get("error"):
            messages = list(dict.fromkeys(d["message"] for f in doc["files"]
                                          for d in f["diagnostics"]))
            return 0.0, f"{call}: could not run: " + "; ".join(messages)
        error = doc.get("error")
        if spec.get("expect_error"):
            if error and error.get("kind") == spec["expect_error"]:
                return 1.0, f"{call}: failed a `{error['kind']}` check, as it should"
            got = f"failed: {error['message']}" if error else f"returned {doc.get('result')}"
            return 0.0, f"{call}: expected a failed `{spec['expect_error']}` check, but it {got}"
        if error:
            where = "" if spec.get("program") else f" at line {error.get('line')}"
            return 0.0, f"{call}: the run failed{where}: {error.get('message')}"
        if spec.get("expect_ok") and "expect" not in spec:
            return 1.0, f"{call}: ran to the end without a failed check"
        got, want = doc.get("result"), spec["expect"]
        if _same(got, want, spec.get("tolerance", 0.0)):
            return 1.0, f"{call} = {_relax_value(got)}, as expected"
        return 0.0, f"{call} = {_relax_value(got)}, expected {_relax_value(want)}"

    def _reliability(self, spec: dict) -> tuple[float, str]:
        fn = spec["function"]
        path, offset, whose = self.submission, 0, "your"
        lines = [spec["description"]] if spec.get("description") else []
        if spec.get("program"):
            path, offset = self._combine(spec["program"])
            whose = "the hidden program's"
        elif fn not in function_names(self.source):
            return 0.0, f"fn {fn}: not found in your file"
        hardware = spec.get("hardware", "medium")
        doc, _ = invoke(["reliability", str(path), "--fn", fn, "--hardware",
                         hardware, "--format", "json"])
        file = doc["files"][0]
        if file["status"] == "error" and not file.get("functions"):
            lines.extend(_locate(d, offset, self.submission.name) for d in file["diagnostics"])
            return 0.0, "\n".join(lines)
        entry = next((f for f in file.get("functions", []) if f["name"] == fn), None)
        if entry is None:
            lines.append(f"fn {fn}: no reliability result")
            lines.extend(_locate(d, offset, self.submission.name) for d in file["diagnostics"])
            return 0.0, "\n".join(lines)
        lines += [f"fn {fn} on hardware `{hardware}`: reliability {entry['value']:.12g}",
                  "  terms: " + ", ".join(t["text"] for t in entry.get("terms", []))]
        ok = True
        if spec.get("spec", True):
            if entry["status"] == "none":
                ok = False
                lines.append("  no reliability spec: write `reliability R(result) >= c * R(...)`")
            elif entry["status"] != "verified":
                ok = False
                lines.append(f"  {whose} spec `{entry['spec']}` does not hold")
            else:
                lines.append(f"  {whose} spec `{entry['spec']}` holds")
        min_value = spec.get("min_value")
        if min_value is not None:
            if entry["value"] >= min_value:
                lines.append(f"  at least {min_value}, as required")
            else:
                ok = False
                lines.append(f"  below the required {min_value}")
        if not ok and spec.get("hint"):
            lines.append("hint: " + spec["hint"])
        return (1.0 if ok else 0.0), "\n".join(lines)

    def _features(self, spec: dict) -> tuple[float, str]:
        note = self._forbidden_note()
        if note:
            return 0.0, note
        code = strip_comments(self.source)
        lines, met, needed = [], 0, 0

        def require(ok: bool, text: str) -> None:
            nonlocal met, needed
            needed += 1
            met += ok
            lines.append(("ok:      " if ok else "missing: ") + text)

        besides = spec.get("besides", [])
        names = [n for n in function_names(self.source) if n not in besides]
        if "min_functions" in spec:
            other = " besides " + ", ".join(f"`{b}`" for b in besides) if besides else ""
            require(len(names) >= spec["min_functions"],
                    f"at least {spec['min_functions']} functions{other} (found {len(names)})")
        for word in spec.get("constructs", []):
            options = word.split("|")
            pattern = r"\b(" + "|".join(re.escape(w) for w in options) + r")\b"
            require(re.search(pattern, code) is not None,
                    "uses " + " or ".join(f"`{w}`" for w in options))
        if spec.get("verified_kinds") or spec.get("all_verified"):
            doc, _ = invoke(["verify", str(self.submission), "--format", "json",
                             "--timeout", str(self.timeout)])
            obs = doc["files"][0].get("obligations", [])
            for kind in spec.get("verified_kinds", []):
                of_kind = [o for o in obs if o["kind"] == kind]
                require(bool(of_kind) and all(o["status"] == "verified" for o in of_kind),
                        f"a verified `{kind}` obligation ({len(of_kind)} found)")
            vacuous = [d for d in doc["files"][0].get("diagnostics", [])
                       if d.get("code") == "vacuous"]
            if vacuous:
                require(False, "no proof that holds vacuously")
                lines.extend(_warnings(doc["files"][0], self.submission.name))
            if spec.get("all_verified"):
                bad = [o for o in obs if o["status"] != "verified"]
                require(bool(obs) and not bad, f"every obligation verified "
                        f"({len(obs) - len(bad)} of {len(obs)})")
                lines.extend(_describe_obligation(o, self.submission.name) for o in bad)
        if "reliability_specs" in spec:
            doc, _ = invoke(["reliability", str(self.submission), "--format", "json",
                             "--hardware", spec.get("hardware", "medium")])
            fns = doc["files"][0].get("functions", [])
            holding = [f["name"] for f in fns if f["status"] == "verified"]
            require(len(holding) >= spec["reliability_specs"],
                    f"at least {spec['reliability_specs']} reliability spec(s) that hold "
                    f"(holding: {', '.join(holding) or 'none'})")
        if spec.get("scoring", "all") == "per-requirement":
            return (met / needed if needed else 1.0), "\n".join(lines)
        return (1.0 if met == needed else 0.0), "\n".join(lines)


def _relax_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ",".join(_relax_value(v) for v in value) + "]"
    return str(value)


def _short(value: Any) -> str:
    """A counterexample value, long arrays abridged."""
    if isinstance(value, list) and len(value) > 8:
        head = ",".join(_relax_value(v) for v in value[:4])
        return f"[{head},... ({len(value)} elements)]"
    return _relax_value(value)


def _same(got: Any, want: Any, tolerance: float) -> bool:
    if isinstance(want, list):
        return isinstance(got, list) and len(got) == len(want) and \
            all(_same(g, w, tolerance) for g, w in zip(got, want))
    if isinstance(want, bool) or isinstance(got, bool):
        return got is want
    if isinstance(want, (int, float)) and isinstance(got, (int, float)):
        return math.isclose(got, want, rel_tol=0.0, abs_tol=tolerance) or got == want
    return got == want


def _fold_sides(bad: list[dict]) -> list[dict]:
    """One entry for a check that fails in both executions (the original's, noted)."""
    key = lambda o: (o.get("function"), o["kind"], o.get("line"), o.get("column"))  # noqa: E731
    original = {key(o) for o in bad if o.get("side") == "original"}
    out = []
    for o in bad:
        if o.get("side") == "relaxed" and key(o) in original:
            continue
        if o.get("side") == "original" and any(key(r) == key(o) and r.get("side") == "relaxed"
                                               for r in bad):
            o = {**o, "message": o["message"] + " (and in the relaxed execution)"}
        out.append(o)
    return out


def _describe_obligation(o: dict, where: str, offset: int = 0,
                         submission: str = "") -> str:
    line = o.get("line", 0)
    if offset and line > offset:
        place = f"hidden program, fn {o['function']}"
    elif offset:
        place = f"{submission}:{line}:{o.get('column', 0)}"
    else:
        place = f"{where}:{line}:{o.get('column', 0)}"
    text = f"  {place}: {o['status']}: {o['kind']} ({o['side']}): {o['message']}"
    cex = o.get("counterexample")
    if cex:
        sides = [o["side"]] if o.get("side") in ("original", "relaxed") else \
            ["original", "relaxed"]
        for side in sides:
            values = cex.get(side) or {}
            if values:
                text += f"\n      {side}: " + ", ".join(f"{k} = {_short(v)}"
                                                       for k, v in values.items())
    return text


def _warnings(file: dict, name: str) -> list[str]:
    return [f"  {name}:{d.get('line', 0)}:{d.get('column', 0)}: {d['severity']}: {d['message']}"
            for d in file.get("diagnostics", []) if d.get("severity") == "warning"]


def _locate(d: dict, offset: int, submission: str) -> str:
    line = d.get("line") or 0
    if line > offset:
        return f"hidden program: {d['message']}"
    if line:
        return f"{submission}:{line}:{d.get('column', 0)}: {d['message']}"
    return d["message"]


def grade_submission(lab: str, submission: str, timeout: float, workdir: Path) -> Grade:
    lab_dir = find_lab(lab)
    config = load_lab(lab_dir)
    path = find_submission(submission, config.get("submission"))
    return Grader(lab_dir, config, path, timeout, workdir).grade()


def error_grade(lab: str, submission: str, message: str) -> Grade:
    """What results.json says when the grader itself could not run."""
    grade = Grade(lab, lab, submission)
    grade.tests.append(TestResult("grading", 0.0, 0.0, message))
    grade.output = f"the submission could not be graded: {message}"
    return grade
