"""Data-driven tests: every `.relax` file under tests/data/ states what the tool must say.

Annotations are comments on the line they are about (as in mypy's test data):

* `// E: text`  - `check` reports an error on this line whose message contains text;
  `// E@12: text` also pins the column. A file with no `E:` must check cleanly.
  (tests/data/check/)
* `// V: kind side` - `verify` reports a failed obligation of this kind (and side, if
  given) on this line; every failed obligation must be annotated, and a file with
  no `V:` must verify. `// U: kind` marks an expected unknown. (tests/data/verify/)
* `// R: fn value` - `reliability` reports this value for function fn within 1e-12
  relative; `// R: fn value failed` when the spec must fail. (tests/data/reliability/)

Beside them, `.test` files under tests/data/<stage>/ hold several cases each, a
program with the exact text output its command must print (`[case NAME]`,
`[args]`, `[out]`, `[exit N]`); tests/datadriven/runner.py describes the format,
and `pytest --update-data` rewrites the `[out]` sections with the actual output.
"""
from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import pytest

from datadriven.cases import Case
from datadriven.runner import collect, mismatch, run_case
from datadriven.update import update_case
from relaxverify.cli.main import main

DATA = Path(__file__).parent / "data"
ANNOTATION = re.compile(r"//\s*([EVUR])(@\d+)?:\s*(.*?)\s*$")


def annotations(path: Path) -> list[tuple[str, str, str]]:
    """(where, tag, text) per annotation; where is "line" or "line@column"."""
    out = []
    for lineno, line in enumerate(path.read_text().splitlines(), start=1):
        m = ANNOTATION.search(line)
        if m:
            where = f"{lineno}{m.group(2) or ''}"
            out.append((where, m.group(1), m.group(3)))
    return out


def run_json(capsys, *argv: str) -> tuple[int, dict]:
    code = main([*argv, "--format", "json"])
    out = capsys.readouterr().out
    return code, json.loads(out)


def cases(sub: str) -> list[Path]:
    return sorted((DATA / sub).glob("*.relax"))


@pytest.mark.parametrize("path", cases("check"), ids=lambda p: p.name)
def test_check(path: Path, capsys) -> None:
    expected = [(where, text) for where, tag, text in annotations(path) if tag == "E"]
    code, doc = run_json(capsys, "check", str(path))
    got = [(d["line"], d["column"], d["message"]) for d in doc["files"][0]["diagnostics"]
           if d["severity"] == "error"]
    for where, text in expected:
        assert any(where in (str(gl), f"{gl}@{gc}") and text in msg for gl, gc, msg in got), \
            f"expected an error at {where} containing {text!r}; got {got}"
    lines = {int(where.split("@")[0]) for where, _ in expected}
    for gl, gc, msg in got:
        assert gl in lines, f"unexpected error at {gl}@{gc}: {msg}"
    assert code == (2 if expected else 0)


@pytest.mark.parametrize("path", cases("verify"), ids=lambda p: p.name)
def test_verify(path: Path, capsys) -> None:
    notes = annotations(path)
    failed = sorted((int(where), text.split()) for where, tag, text in notes if tag == "V")
    unknown = sorted((int(where), text.split()) for where, tag, text in notes if tag == "U")
    code, doc = run_json(capsys, "verify", str(path))
    obligations = doc["files"][0]["obligations"]
    for status, expected in (("failed", failed), ("unknown", unknown)):
        got = [o for o in obligations if o["status"] == status]
        for line, words in expected:
            assert any(o["line"] == line and o["kind"] == words[0]
                       and (len(words) < 2 or o["side"] == words[1]) for o in got), \
                f"expected a {status} `{' '.join(words)}` obligation on line {line}; got " \
                f"{[(o['line'], o['kind'], o['side']) for o in got]}"
        for o in got:
            assert any(o["line"] == line for line, _ in expected), \
                f"unexpected {status} obligation {o['kind']} ({o['side']}) on line {o['line']}: " \
                f"{o['message']}"
    assert code == (1 if failed else 3 if unknown else 0)


@pytest.mark.parametrize("path", cases("reliability"), ids=lambda p: p.name)
def test_reliability(path: Path, capsys) -> None:
    expected = {}
    for _line, tag, text in annotations(path):
        if tag == "R":
            words = text.split()
            expected[words[0]] = (float(words[1]), "failed" if "failed" in words[2:] else None)
    code, doc = run_json(capsys, "reliability", str(path))
    functions = {f["name"]: f for f in doc["files"][0]["functions"]}
    for name, (value, status) in expected.items():
        assert functions[name]["value"] == pytest.approx(value, rel=1e-12), name
        if status:
            assert functions[name]["status"] == status, name
    assert code == (1 if any(s for _v, s in expected.values()) else 0)


# ---------------------------------------------------------------- multi-case .test files


def check_case(case: Case, workdir: Path, update: bool) -> str:
    """Run a case; with `update`, accept its output into the file. Returns the mismatch."""
    outcome = run_case(case, workdir)
    if update:
        update_case(case.path, case.name, outcome.lines)
        case = replace(case, expected=outcome.lines)  # only the output is updated
    return mismatch(case, outcome)


@pytest.mark.parametrize("case", collect(DATA),
                         ids=lambda c: f"{c.path.parent.name}/{c.path.name}:{c.name}")
def test_case(case: Case, tmp_path: Path, request) -> None:
    problem = check_case(case, tmp_path, request.config.getoption("--update-data"))
    assert not problem, problem
