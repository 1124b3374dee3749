"""Regenerate the command transcripts that the documentation shows.

    python docs/snippets.py          # re-run every command, rewrite docs/snippets/*.out
                                     # and every marked code block in docs/*.md, README.md
    python docs/snippets.py --check  # only report what is out of date (exit 1 if any)

Every code block of the documentation is preceded by a marker line

    <!-- file: docs/snippets/verify-swish.out -->
    <!-- file: examples/swish.relax lines 10-26 -->

and holds exactly the content of that file (or those lines). Transcripts
(`docs/snippets/*.out`) are produced here: each command of `COMMANDS` runs
in-process with `relaxverify.cli.main` from the repository root, its standard
output and error are captured, and the transcript is `$ command` followed by the
output (and `$ echo $?` with the exit code when the entry asks for it). The only
normalisations are the repository path (removed: paths are relative), and solver
times in JSON (`"time_ms"` set to 0.0). Z3 may choose a different counterexample
from one run to the next, so a transcript counts as out of date only when it
differs in something other than counterexample values (`comparable`); this script
then keeps the recorded transcript as it is. A `grade` command's `--output` file is
also written under docs/snippets/ and checked. `tests/test_docs.py` runs the same
commands and fails when the tool's output no longer matches: then run this script
and review the diff.
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shlex
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SNIPPETS = ROOT / "docs" / "snippets"
PAGES_GLOB = ("docs/*.md", "README.md")
AUTOGRADER_ROOT = "RELAXVERIFY_AUTOGRADER_ROOT"
MARKER = re.compile(r"^<!-- file: (?P<path>\S+)(?: lines (?P<a>\d+)-(?P<b>\d+))? -->$")


@dataclass(frozen=True)
class Command:
    name: str  # docs/snippets/<name>.out
    line: str  # the command as a user types it, starting with `relaxverify`
    show_exit: bool = False


C = Command
COMMANDS: list[Command] = [
    # README: the thirty-second tour
    C("tour-verify", "relaxverify verify examples/swish.relax"),
    C("tour-fail", "relaxverify verify docs/snippets/swish_knob.relax", show_exit=True),
    C("tour-reliability", "relaxverify reliability examples/dot_product.relax --fn dot"),
    C("tour-run", "relaxverify run examples/swish.relax --fn present --arg max_results=40 "
                  "--arg n=100"),
    C("tour-run-relaxed", "relaxverify run examples/swish.relax --fn present "
                          "--arg max_results=40 --arg n=100 --semantics relaxed"),
    # getting started
    C("first-check", "relaxverify check docs/snippets/first.relax"),
    C("first-verify", "relaxverify verify docs/snippets/first.relax", show_exit=True),
    C("first-verify-fixed", "relaxverify verify docs/snippets/first_fixed.relax",
      show_exit=True),
    C("first-syntax", "relaxverify check docs/snippets/first_typo.relax", show_exit=True),
    # tutorial: Swish++
    C("swish-step1", "relaxverify verify docs/snippets/swish_step1.relax"),
    C("swish-step2", "relaxverify verify docs/snippets/swish_step2.relax"),
    C("swish-step3", "relaxverify verify docs/snippets/swish_step3.relax"),
    C("swish-final", "relaxverify verify examples/swish.relax --fn present"),
    C("swish-explain", "relaxverify verify --explain docs/snippets/explain_small.relax"),
    # tutorial: LU pivot
    C("lu-step1", "relaxverify verify docs/snippets/lu_step1.relax"),
    C("lu-step2", "relaxverify verify docs/snippets/lu_step2.relax"),
    C("lu-final", "relaxverify verify examples/lu_pivot.relax"),
    # tutorial: Water
    C("water-step1", "relaxverify verify docs/snippets/water_step1.relax"),
    C("water-step2", "relaxverify verify docs/snippets/water_step2.relax"),
    C("water-final", "relaxverify verify examples/water.relax"),
    # language reference
    C("lang-verify", "relaxverify verify docs/snippets/lang_declarations.relax "
                     "docs/snippets/lang_statements.relax docs/snippets/lang_expressions.relax"),
    # language reference: one failure of every obligation kind
    *[C(f"kind-{k.replace('_', '-')}", f"relaxverify verify docs/snippets/obligations.relax "
        f"--fn k_{k}")
      for k in ("assert", "assume", "accept", "invariant", "invariant_r", "bound",
                "ensures", "ensures_r", "requires", "requires_r", "bounds", "division",
                "length", "alignment")],
    C("kinds-all-json", "relaxverify verify docs/snippets/obligations.relax --fn k_division "
                        "--format json"),
    C("warnings", "relaxverify verify docs/snippets/warnings.relax"),
    # reliability
    C("rel-text", "relaxverify reliability docs/snippets/rel_example.relax"),
    C("rel-json", "relaxverify reliability docs/snippets/rel_example.relax --fn smooth "
                  "--format json"),
    C("rel-scale-aggressive", "relaxverify reliability docs/snippets/rel_scale.relax "
                              "--hardware aggressive", show_exit=True),
    C("rel-scale-json", "relaxverify reliability docs/snippets/rel_scale.relax "
                        "--hardware aggressive --format json"),
    C("rel-aggressive", "relaxverify reliability docs/snippets/rel_example.relax "
                        "--hardware aggressive", show_exit=True),
    # interpreter
    C("run-original", "relaxverify run examples/newton.relax --fn newton_sqrt --arg v=2.0"),
    C("run-relaxed", "relaxverify run examples/swish.relax --fn present --arg max_results=40 "
                     "--arg n=100 --semantics relaxed --seed 2"),
    C("run-fault", "relaxverify run docs/snippets/rel_example.relax --fn smooth "
                   "--arg a=[1.0,2.0,3.0,4.0] --hardware aggressive --seed 54"),
    C("run-trials", "relaxverify run docs/snippets/rel_example.relax --fn smooth "
                    "--arg a=[1.0,2.0,3.0,4.0] --trials 5000 --hardware aggressive --seed 1"),
    C("run-check-fails", "relaxverify run docs/snippets/obligations.relax --fn k_bounds "
                         "--arg a=[1,2,3] --arg i=3", show_exit=True),
    # command line
    C("cli-help", "relaxverify --help"),
    C("cli-check-dir", "relaxverify check examples/"),
    C("cli-json", "relaxverify verify examples/newton.relax --format json"),
    C("cli-sarif", "relaxverify check docs/snippets/first_typo.relax --format sarif",
      show_exit=True),
    C("cli-usage", "relaxverify verify", show_exit=True),
    # the report (docs/report.md): what it refuses to overwrite
    C("report-refuses", "relaxverify report docs/snippets/report_small.relax "
                        "-o docs/snippets/report_small.relax", show_exit=True),
    C("cli-github", "relaxverify check docs/snippets/first_typo.relax --format github",
      show_exit=True),
    C("cli-fn", "relaxverify verify examples/binarize.relax --fn count_set --fn level"),
    # teaching
    C("grade-help", "relaxverify grade --help"),
    C("lsp-help", "relaxverify lsp --help"),
    C("grade-starter", "relaxverify grade 01-hoare labs/01-hoare/starter.relax "
                       "--output docs/snippets/grade-starter-results.json", show_exit=True),
    C("grade-solution", "relaxverify grade 01-hoare labs/01-hoare/solution.relax "
                        "--output docs/snippets/grade-solution-results.json"),
    C("grade-malformed", "relaxverify grade 01-hoare docs/snippets/first_typo.relax "
                         "--output docs/snippets/grade-malformed-results.json",
      show_exit=True),
    C("grade-dodge", "relaxverify grade 03-relax-accept "
                     "tests/data/grade/03-relax-accept/never_skips.relax"),
    C("lab-help", "relaxverify lab --help"),
    # precision (docs/precision.md)
    C("precision-sum-verify", "relaxverify verify docs/snippets/precision_sum.relax",
      show_exit=True),
    C("precision-sum-run", "relaxverify run docs/snippets/precision_sum.relax --fn add "
                           "--arg x=0.1", show_exit=True),
    C("precision-sum-exact", "relaxverify run docs/snippets/precision_sum.relax "
                             "--fn add_exact --arg x=0.1"),
    C("precision-overflow", "relaxverify run docs/snippets/precision_square.relax "
                            "--fn square --arg x=300", show_exit=True),
    C("precision-query", "relaxverify verify examples/relu_quantised.relax --hardware half"),
    C("precision-query-json", "relaxverify verify examples/relu_pruned.relax --format json"),
]


def run_command(cmd: Command, scratch: Path | None = None) -> tuple[str, dict[str, str]]:
    """Run one recorded command: its transcript, and the files it wrote (by the path
    shown in the command). With `scratch`, `--output` files go there instead."""
    from relaxverify.cli.main import main
    argv = shlex.split(cmd.line)
    assert argv[0] == "relaxverify", cmd.line
    argv = argv[1:]
    outputs: dict[str, str] = {}  # shown path -> real path
    if "--output" in argv:
        i = argv.index("--output") + 1
        shown = argv[i]
        real = str(scratch / Path(shown).name) if scratch else shown
        argv[i] = real
        outputs[shown] = real
    buffer = io.StringIO()
    for name in ("FORCE_COLOR", "NO_COLOR"):  # transcripts are the plain text
        os.environ.pop(name, None)
    cwd = os.getcwd()
    os.chdir(ROOT)
    # `grade` writes under an existing /autograder: the transcripts are of a machine
    # without one (a root that cannot exist)
    root = os.environ.get(AUTOGRADER_ROOT)
    os.environ[AUTOGRADER_ROOT] = str(ROOT / "docs" / "snippets" / "no-autograder-here")
    try:
        with contextlib.redirect_stdout(buffer), contextlib.redirect_stderr(buffer):
            code = main(argv)
    finally:
        os.chdir(cwd)
        if root is None:
            del os.environ[AUTOGRADER_ROOT]
        else:
            os.environ[AUTOGRADER_ROOT] = root
    text = buffer.getvalue()
    for shown, real in outputs.items():
        text = text.replace(real, shown)
    text = normalise(text)
    transcript = f"$ {cmd.line}\n{text}"
    if not transcript.endswith("\n"):
        transcript += "\n"
    if cmd.show_exit:
        transcript += f"$ echo $?\n{code}\n"
    files = {}
    for shown, real in outputs.items():
        path = Path(real) if scratch else ROOT / real
        files[shown] = normalise(path.read_text(encoding="utf-8")) if path.exists() else ""
    return transcript, files


# Counterexample values, and what running an abstract counterexample's inputs gives
# (it depends on the values).
VALUES = re.compile(r"\b(original|relaxed|faulty results in the relaxed execution|"
                    r"run from these inputs in the interpreter): [^\n\"\\]*")


def comparable(transcript: str) -> str:
    """A transcript without the values of counterexamples (and the outcome of running
    an abstract one's inputs, which depends on them).

    Z3 may pick a different counterexample from one run to the next (a different
    model of the same failed obligation), so a transcript is out of date only when
    something else changed: messages, verdicts, counts, locations, formulas.
    """
    head, _, body = transcript.partition("\n")
    try:
        doc = json.loads(body[:body.rindex("}") + 1]) if body.lstrip().startswith("{") \
            else None
    except ValueError:
        doc = None
    if doc is not None:
        _drop_counterexamples(doc)
        body = json.dumps(doc, indent=2, sort_keys=True) + body[body.rindex("}") + 1:]
    return VALUES.sub(lambda m: m.group(1) + ": ...", head + "\n" + body)


def _drop_counterexamples(node) -> None:
    if isinstance(node, dict):
        if "counterexample" in node:
            node["counterexample"] = "..."
            if not node.get("concrete", True) and "replay" in node:
                node["replay"] = "..."
        for value in node.values():
            _drop_counterexamples(value)
    elif isinstance(node, list):
        for value in node:
            _drop_counterexamples(value)


def normalise(text: str) -> str:
    text = text.replace(str(ROOT) + os.sep, "")
    return re.sub(r'"time_ms": [0-9.eE+-]+', '"time_ms": 0.0', text)


def block_file_content(path: str, a: str | None, b: str | None) -> str:
    text = (ROOT / path).read_text(encoding="utf-8")
    if a is not None:
        lines = text.splitlines(keepends=True)
        text = "".join(lines[int(a) - 1:int(b)])
    return text if text.endswith("\n") else text + "\n"


def marked_blocks(page: Path) -> list[tuple[int, str, str, str]]:
    """(line number of the fence, marked path, expected content, actual content)."""
    lines = page.read_text(encoding="utf-8").splitlines(keepends=True)
    found = []
    i = 0
    while i < len(lines):
        m = MARKER.match(lines[i].strip())
        if m and i + 1 < len(lines) and lines[i + 1].startswith("```"):
            end = i + 2
            while end < len(lines) and not lines[end].startswith("```"):
                end += 1
            actual = "".join(lines[i + 2:end])
            expected = block_file_content(m["path"], m["a"], m["b"])
            found.append((i + 2, m["path"] + (f" lines {m['a']}-{m['b']}" if m["a"] else ""),
                          expected, actual))
            i = end
        i += 1
    return found


def sync_page(page: Path) -> bool:
    """Rewrite every marked block of a page from its file; True if it changed."""
    lines = page.read_text(encoding="utf-8").splitlines(keepends=True)
    out: list[str] = []
    i = 0
    while i < len(lines):
        out.append(lines[i])
        m = MARKER.match(lines[i].strip())
        if m and i + 1 < len(lines) and lines[i + 1].startswith("```"):
            out.append(lines[i + 1])
            end = i + 2
            while end < len(lines) and not lines[end].startswith("```"):
                end += 1
            out.append(block_file_content(m["path"], m["a"], m["b"]))
            i = end
            continue
        i += 1
    new = "".join(out)
    if new != page.read_text(encoding="utf-8"):
        page.write_text(new, encoding="utf-8")
        return True
    return False


def pages() -> list[Path]:
    found: list[Path] = []
    for pattern in PAGES_GLOB:
        found.extend(sorted(ROOT.glob(pattern)))
    return found


# Python programs shown in the docs, with the output they print beside them (.txt).
PROGRAMS = ["api_example.py"]


def program_output(name: str) -> str:
    """What a documented Python program prints, run in-process from the repository."""
    import contextlib
    import io
    import runpy

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        runpy.run_path(str(SNIPPETS / name), run_name="__main__")
    return out.getvalue()


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale = []
    for name in PROGRAMS:
        target = SNIPPETS / Path(name).with_suffix(".txt")
        printed = program_output(name)
        if not target.exists() or target.read_text(encoding="utf-8") != printed:
            stale.append(str(target.relative_to(ROOT)))
            if not check:
                target.write_text(printed, encoding="utf-8")
    with tempfile.TemporaryDirectory() as tmp:
        for cmd in COMMANDS:
            transcript, files = run_command(cmd, Path(tmp))
            target = SNIPPETS / f"{cmd.name}.out"
            old = target.read_text(encoding="utf-8") if target.exists() else None
            changed = old is None or comparable(old) != comparable(transcript)
            for shown, content in files.items():
                path = ROOT / shown
                recorded = path.read_text(encoding="utf-8") if path.exists() else None
                if recorded is None or comparable("$\n" + recorded) != \
                        comparable("$\n" + content):
                    changed = True
            if changed:
                stale.append(str(target.relative_to(ROOT)))
                if not check:  # the transcript and its files, from the same run
                    target.write_text(transcript, encoding="utf-8")
                    for shown, content in files.items():
                        (ROOT / shown).write_text(content, encoding="utf-8")
    for page in pages():
        if check:
            if any(e != a for _, _, e, a in marked_blocks(page)):
                stale.append(str(page.relative_to(ROOT)))
        elif sync_page(page):
            stale.append(str(page.relative_to(ROOT)))
    verb = "out of date" if check else "updated"
    for s in stale:
        print(f"{verb}: {s}")
    if not stale:
        print("all snippets up to date")
    return 1 if (check and stale) else 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main(sys.argv[1:]))
