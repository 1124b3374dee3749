"""Run the cases of `tests/data/<stage>/*.test` files through the in-process CLI.

Format (in the manner of mypy's `test-data/unit/check-*.test`)::

    Free text before the first case: what the file is about.

    [case undefined_variable]
    fn f() -> int {
      return y;
    }
    [out]
    undefined_variable:2:10: error: ...
    [exit 2]

* `[case NAME]` starts a case; the lines below it, up to the next section, are the
  program (line 1 is the line after the header). NAME is unique within the file.
* `[args]` (optional): extra command-line arguments, split as a shell would, e.g.
  `--hardware medium --fn f`.
* `[out]`: what the command prints, stdout then stderr, in the text format unless
  `[args]` says otherwise. The path of the program is replaced by the case name.
  Trailing whitespace and trailing blank lines are ignored; everything else is
  compared exactly, except for two wildcards: a line `...` matches any number of
  lines, and a line ending in `...` matches one line that starts with the text
  before it. Use them for solver-chosen counterexample values only. No `[out]`
  means the command prints nothing.
* `[exit N]` (optional): the expected exit code; 0 when absent.

The directory names the command: `check`, `verify`, `reliability` or `run`, each
run as `relaxverify STAGE FILE ARGS...`. The command runs in this process with
its output captured (no subprocess, terminal, working directory or signals
involved). `pytest --update-data` writes the actual output into the `[out]`
sections that differ (keeping the wildcards that still fit) instead of failing.
"""
from __future__ import annotations

import contextlib
import io
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from relaxverify.cli.main import main

from .cases import Case, parse_file
from .matching import matches

STAGES = ("check", "verify", "reliability", "run")


@dataclass
class Outcome:
    code: int
    lines: list[str]


def collect(data: Path) -> list[Case]:
    """Every case of every `.test` file under data/<stage>/, in file order."""
    return [case for stage in STAGES for path in sorted((data / stage).glob("*.test"))
            for case in parse_file(path)]


def stage_of(case: Case) -> str:
    return case.path.parent.name


def normalise(text: str, program: Path, name: str) -> list[str]:
    """Output lines with the program's path (also as a URI) replaced by the case name."""
    for spelling in (program.as_uri(), str(program)):
        text = text.replace(spelling, name)
    text = text.replace(str(program.parent), "<tmp>")
    lines = [line.rstrip() for line in text.split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    return lines


@contextlib.contextmanager
def _columns(width: int) -> Iterator[None]:
    """argparse wraps its usage text at the terminal's width ($COLUMNS first): fix it."""
    old = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = str(width)
    try:
        yield
    finally:
        if old is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = old


def run_case(case: Case, workdir: Path) -> Outcome:
    """Write the program to workdir/NAME.relax and run the case's command on it."""
    program = workdir / f"{case.name}.relax"
    program.write_text(case.program, encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), _columns(80):
        code = main([stage_of(case), str(program), *case.args])
    return Outcome(code, normalise(out.getvalue() + err.getvalue(), program, case.name))


def mismatch(case: Case, outcome: Outcome) -> str:
    """Why the outcome is not what the case expects ("" when it is)."""
    problems = []
    if not matches(case.expected, outcome.lines):
        problems.append("output differs\n--- expected\n" + "\n".join(case.expected)
                        + "\n--- actual\n" + "\n".join(outcome.lines))
    if outcome.code != case.exit:
        problems.append(f"exit code {outcome.code}, expected {case.exit}")
    if not problems:
        return ""
    return f"{case.path}:{case.line}: case `{case.name}`: " + "; ".join(problems) + \
        "\n(run `pytest --update-data` to accept the actual output)"
