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
# No `from __future__ import annotations`: test_verify.py imports the function of that name.
import json
import re
from dataclasses import replace
from pathlib import Path

import pytest

from datadriven.cases import Case, FormatError, parse_file, parse_text
from datadriven.matching import matches, merge
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
    if problem:
        pytest.fail(problem, pytrace=False)  # the expected and actual text, nothing else


def corrupt(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


def test_update_data_restores_the_out_sections_of_a_copy(tmp_path: Path) -> None:
    """Spoil six [out] sections of a copy of a real file (a wrong line, a missing line,
    an extra line, a wrong line among wildcards, an empty body, no [out] at all);
    updating gives back the original byte for byte: only [out] bodies are written,
    and the wildcards that still fit stay."""
    original = (DATA / "verify" / "verdicts.test").read_bytes()
    text = original.decode()
    text = corrupt(text, "assert_holds: 2 obligations: 2 verified", "assert_holds: 0 obligations")
    text = corrupt(text, "  note: original: x = 2, y = 2\n", "")
    text = corrupt(text, "division_by_zero: 2 obligations: 1 verified, 1 failed\n",
                   "division_by_zero: 3 obligations\nan extra line\n")
    start = text.index("[case loop_invariant_too_weak]")
    text = text[:start] + corrupt(text[start:], "6 obligations in 1 file(s): 5 verified",
                                  "6 obligations in 1 file(s): 6 verified")
    start = text.index("[case relaxed_accept_holds]")
    out = text.index("[out]\n", start)
    text = text[:out] + text[text.index("\n\n[case", out) + 1:]  # drop [out] and its body
    start = text.index("[case assert_fails_at_one_input]")
    out = text.index("[out]\n", start) + len("[out]\n")
    text = text[:out] + text[text.index("[exit 1]", out):]  # keep [out], empty body
    copy = tmp_path / "verify" / "verdicts.test"
    copy.parent.mkdir()
    copy.write_bytes(text.encode())
    spoiled = parse_file(copy)
    problems = [check_case(case, tmp_path, update=False) for case in spoiled]
    assert sum(bool(p) for p in problems) == 6, problems
    for case in spoiled:
        assert not check_case(case, tmp_path, update=True), case.name
    assert copy.read_bytes() == original
    for case in parse_file(copy):  # a second update has nothing to do
        assert not check_case(case, tmp_path, update=True)
    assert copy.read_bytes() == original


def test_update_adds_an_out_section_before_exit_and_keeps_crlf(tmp_path: Path) -> None:
    path = tmp_path / "check" / "new.test"
    path.parent.mkdir()
    path.write_bytes(b"About.\r\n\r\n[case missing]\r\nfn f() -> int {\r\n  return y;\r\n}\r\n"
                     b"[exit 2]\r\n\r\n[case fine]\r\nfn g() { skip; }")
    for case in parse_file(path):
        assert not check_case(case, tmp_path, update=True)
    assert path.read_bytes() == (
        b"About.\r\n\r\n[case missing]\r\nfn f() -> int {\r\n  return y;\r\n}\r\n[out]\r\n"
        b"missing:2:10: error: variable `y` is not defined\r\n 2 |   return y;\r\n"
        b"   |          ^\r\nchecked 1 file(s): 0 ok, 1 with errors\r\n[exit 2]\r\n\r\n"
        b"[case fine]\r\nfn g() { skip; }\r\n[out]\r\nchecked 1 file(s): 1 ok\r\n")


def test_update_does_not_accept_a_wrong_exit_code(tmp_path: Path) -> None:
    path = tmp_path / "check" / "exit.test"
    path.parent.mkdir()
    path.write_text("[case missing]\nfn f() -> int { return y; }\n[out]\nwrong\n")
    [case] = parse_file(path)
    problem = check_case(case, tmp_path, update=True)
    assert "exit code 2, expected 0" in problem and "output differs" not in problem
    assert "[out]\nmissing:1:24: error: variable `y` is not defined\n" in path.read_text()


@pytest.mark.parametrize("expected, ok", [
    (["a", "b", "c"], True), (["a", "...", "c"], True), (["...", "c"], True),
    (["a", "b", "c", "..."], True), (["a", "x..."], False), (["a", "b...", "c"], True),
    (["...", "b...", "..."], True), (["a", "c"], False), (["a", "b", "c", "d"], False),
    (["a", "B", "c"], False), ([], False)])
def test_wildcards(expected: list[str], ok: bool) -> None:
    assert matches(expected, ["a", "b", "c"]) is ok
    assert matches(merge(expected, ["a", "b", "c"]), ["a", "b", "c"])


def test_merge_keeps_the_wildcards_that_still_fit() -> None:
    assert merge(["head", "note: values ...", "...", "tail"],
                 ["head", "note: values x = 1", "one", "two", "new tail"]) == \
        ["head", "note: values ...", "...", "new tail"]
    assert merge(["a", "x...", "c"], ["a", "c"]) == ["a", "c"]


@pytest.mark.parametrize("text, message", [
    ("[out]\nx\n", "before the first `[case NAME]`"),
    ("[case a b]\nfn f() { skip; }\n", "needs a name"),
    ("[case a]\n[case a]\n", "appears twice"),
    ("[case a]\n[exit one]\n", "expected exit code in the header"),
    ("[case a]\n[exit 1]\n2\n", "with nothing below it"),
    ("[case a]\n[out]\n[out]\n", "a second `[out]`"),
    ("[case a]\n[args --fn]\n", "takes no argument")])
def test_format_errors_say_where_and_what_to_write(text: str, message: str) -> None:
    with pytest.raises(FormatError, match=re.escape(message)) as info:
        parse_text(text, Path("x.test"))
    assert str(info.value).startswith("x.test:")
