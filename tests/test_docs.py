"""The documentation cannot rot: every code block is a real file, every transcript
is what the tool prints now, every program checks, and the site builds."""
from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, run_cli

spec = importlib.util.spec_from_file_location("docs_snippets", ROOT / "docs" / "snippets.py")
snippets = importlib.util.module_from_spec(spec)
sys.modules["docs_snippets"] = snippets
spec.loader.exec_module(snippets)

REGENERATE = "run `python docs/snippets.py` to regenerate, then review the diff"
# Every page of the site: a code block on any of them is a marked file (the pages
# for contributors too: a hand-copied transcript there had rotted).
OWN_PAGES = [ROOT / "docs" / name for name in (
    "index.md", "getting-started.md", "tutorial.md", "language.md", "reliability-guide.md",
    "precision.md",
    "running.md", "cli.md", "teaching.md", "architecture.md", "language-decisions.md",
    "verifier.md", "reliability.md", "interpreter.md", "soundness.md", "fpcore.md",
    "casestudies.md", "report.md", "editor.md")] \
    + [ROOT / "README.md"]


def fences(page: Path) -> list[tuple[int, str]]:
    """(line number, the line before) of every opening fence of a page."""
    lines = page.read_text(encoding="utf-8").splitlines()
    found, inside = [], False
    for i, line in enumerate(lines):
        if line.startswith("```"):
            if not inside:
                before = lines[i - 1].strip() if i else ""
                found.append((i + 1, before))
            inside = not inside
    return found


@pytest.mark.parametrize("page", OWN_PAGES, ids=lambda p: p.name)
def test_every_code_block_names_its_file(page: Path) -> None:
    unmarked = [n for n, before in fences(page)
                if not snippets.MARKER.match(before) and not before.startswith("<!-- not code")]
    assert not unmarked, (f"{page.name}: code blocks at lines {unmarked} have no "
                          "`<!-- file: PATH -->` marker on the line before")


@pytest.mark.parametrize("page", snippets.pages(), ids=lambda p: p.name)
def test_marked_blocks_equal_their_files(page: Path) -> None:
    for line, path, expected, actual in snippets.marked_blocks(page):
        assert actual == expected, (f"{page.name}:{line}: the block differs from {path}; "
                                    + REGENERATE)


def test_every_transcript_is_recorded_and_used() -> None:
    recorded = {p.stem for p in (ROOT / "docs" / "snippets").glob("*.out")}
    commands = {c.name for c in snippets.COMMANDS}
    assert recorded == commands, (f"transcripts without a command: {recorded - commands}; "
                                  f"commands without a transcript: {commands - recorded}; "
                                  + REGENERATE)
    shown = "".join(p.read_text(encoding="utf-8") for p in snippets.pages())
    unused = [c for c in sorted(commands) if f"docs/snippets/{c}.out" not in shown]
    assert not unused, f"transcripts that no page shows: {unused}"


@pytest.mark.parametrize("cmd", snippets.COMMANDS, ids=lambda c: c.name)
def test_recorded_command_prints_the_recorded_output(cmd, tmp_path) -> None:
    transcript, files = snippets.run_command(cmd, tmp_path)
    recorded = (ROOT / "docs" / "snippets" / f"{cmd.name}.out").read_text(encoding="utf-8")
    assert snippets.comparable(transcript) == snippets.comparable(recorded), (
        f"`{cmd.line}` no longer prints what docs/snippets/{cmd.name}.out records; "
        + REGENERATE)
    for shown, content in files.items():
        old = (ROOT / shown).read_text(encoding="utf-8")
        assert snippets.comparable("$\n" + content) == snippets.comparable("$\n" + old), (
            f"`{cmd.line}` no longer writes what {shown} records; " + REGENERATE)


def test_transcripts_are_real_outputs() -> None:
    """The normalisation only hides counterexample values and solver times."""
    text = "$ x\n  note: original: x = 1, y = [1,2]\n  note: relaxed: x = 2\n" \
           '{"time_ms": 3.5}'
    masked = snippets.comparable(text)
    assert "x = 1" not in masked and "original: ..." in masked and "relaxed: ..." in masked
    assert snippets.normalise('"time_ms": 12.75') == '"time_ms": 0.0'
    assert snippets.normalise(str(ROOT) + "/examples/a.relax") == "examples/a.relax"


def test_getting_started_installs_as_the_readme_says() -> None:
    snippets_dir = ROOT / "docs" / "snippets"
    assert (snippets_dir / "install.sh").read_text() == (
        (snippets_dir / "setup-install.sh").read_text()
        + (snippets_dir / "setup-test.sh").read_text())


def test_transcripts_show_a_failing_and_a_passing_proof() -> None:
    """The pages promise both verdicts; the recorded exit codes say which is which."""
    def exit_code(name: str) -> str:
        return (ROOT / "docs" / "snippets" / f"{name}.out").read_text().splitlines()[-1]
    assert exit_code("first-verify") == "1"
    assert exit_code("first-verify-fixed") == "0"
    assert exit_code("first-syntax") == "2"
    assert exit_code("tour-fail") == "1"
    first = (ROOT / "docs" / "snippets" / "first-verify.out").read_text()
    assert re.search(r"note: replayed in the interpreter: reproduced", first), \
        "getting-started.md says the first counterexample is replayed and reproduced"


SNIPPET_PROGRAMS = sorted((ROOT / "docs" / "snippets").glob("*.relax"))


@pytest.mark.parametrize("path", SNIPPET_PROGRAMS, ids=lambda p: p.name)
def test_every_docs_program_checks(path: Path) -> None:
    result = run_cli("check", path)
    if path.name == "first_typo.relax":  # the page shows its error on purpose
        assert result.code == 2 and "must say which execution" in result.out
    else:
        assert result.code == 0, result.out


def test_every_obligation_kind_has_a_failing_example() -> None:
    kinds = {"assert", "assume", "accept", "invariant", "invariant_r", "ensures", "ensures_r",
             "requires", "requires_r", "bounds", "division", "length", "alignment", "bound"}
    for kind in kinds:
        out = (ROOT / "docs" / "snippets" / f"kind-{kind.replace('_', '-')}.out").read_text()
        assert f"note: {kind} obligation" in out, f"the `{kind}` example does not fail as {kind}"
    page = (ROOT / "docs" / "language.md").read_text()
    for kind in kinds:
        assert f"### `{kind}`" in page or f"`{kind}`," in page or f", `{kind}`" in page


def test_language_snippets_use_every_statement() -> None:
    code = "".join(p.read_text() for p in (ROOT / "docs" / "snippets").glob("lang_*.relax"))
    for word in ("const", "hardware", "requires", "ensures", "requires_r", "ensures_r",
                 "reliability", "var", "relax", "havoc", "assert", "assume", "accept", "if",
                 "else", "while", "invariant", "invariant_r", "bound", "for", "repeat",
                 "return", "skip", "forall", "exists", "urel", "len", "abs", "min", "max",
                 "real(", "eq(", "+.", "*.", "<.", ">=."):
        assert word in code, f"the language reference's programs never use `{word}`"


def test_mkdocs_builds_strict(tmp_path) -> None:
    pytest.importorskip("mkdocs")
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir",
                           str(tmp_path / "site")], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    tutorial = (tmp_path / "site" / "tutorial" / "index.html").read_text()
    assert "cdnjs" not in tutorial  # readable offline
    assert "cannot prove that the accepted relation" in tutorial


def test_mkdocs_nav_lists_every_own_page() -> None:
    config = (ROOT / "mkdocs.yml").read_text()
    for page in OWN_PAGES:
        if page.parent.name == "docs":
            assert re.search(rf":\s*{re.escape(page.name)}\s*$", config, re.M), \
                f"{page.name} is not in mkdocs.yml's nav"


@pytest.mark.parametrize("example", ["swish.relax", "lu_pivot.relax", "water.relax"])
def test_explain_reads_well_on_the_tutorial_examples(example: str) -> None:
    """`verify --explain` names each obligation in words, lists what it may assume
    (with source lines) and the formula to prove, in source syntax."""
    result = run_cli("verify", "--explain", ROOT / "examples" / example)
    assert result.code == 0, result.out
    json_doc = run_cli("verify", "--format", "json", ROOT / "examples" / example).out
    n = len(__import__("json").loads(json_doc)["files"][0]["obligations"])
    entries = re.findall(r"^\S+:\d+:\d+: (verified|failed|unknown): (\w+) "
                         r"\((original|relaxed|relational)\): (.+)$", result.out, re.M)
    assert len(entries) == n, "one entry per obligation"
    for _status, _kind, _side, words in entries:
        assert words.startswith("the ") and len(words.split()) >= 5, words
    assert result.out.count("    prove: ") == n
    for line in result.out.splitlines():
        if line.startswith("      line "):
            assert re.match(r"      line \d+: \S", line), line
    for junk in ("object at 0x", "None", "Traceback", "z3.", "BoolRef", "ArithRef"):
        assert junk not in result.out


# What the prose of the tutorial and of getting started says about each attempt:
# (transcript, kinds of the failed obligations, in order).
CLAIMS = [
    ("first-verify", ["ensures"]),
    ("first-verify-fixed", []),
    ("swish-step1", ["ensures", "ensures", "accept"]),
    ("swish-step2", ["accept"]),
    ("swish-step3", ["accept"]),
    ("swish-final", []),
    ("lu-step1", ["ensures", "accept"]),
    ("lu-step2", ["accept"]),
    ("lu-final", []),
    ("water-step1", ["accept"]),
    ("water-step2", ["accept"]),
    ("water-final", []),
    ("tour-fail", ["accept"]),
]


@pytest.mark.parametrize("name,failed", CLAIMS, ids=[c[0] for c in CLAIMS])
def test_prose_claims_about_each_attempt(name: str, failed: list[str]) -> None:
    out = (ROOT / "docs" / "snippets" / f"{name}.out").read_text()
    kinds = re.findall(r"^  note: (\w+) obligation", out, re.M)
    assert kinds == failed, (f"docs/snippets/{name}.out fails {kinds}, but the pages "
                             f"describe {failed}: update the prose of the page")
