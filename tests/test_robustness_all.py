"""No input breaks any command: random bytes and grammar-aware mutations of every
example go through `check`, `verify`, `reliability` and `run`.

Each run is bounded (a watchdog fails the test if one does not finish within
RUN_TIMEOUT seconds; the commands get small --timeout/--max-steps/--trials) and
must exit 0-3; a file that does not parse or type-check must give exit 2 with a
located `path:line:col: error:` message; nothing may print a traceback or an
"internal error". (tests/test_robustness.py covers `check` alone, with more cases.)

Budget: RELAXVERIFY_ROBUSTNESS_EXAMPLES inputs per property (default 12) or --slow.
"""
from __future__ import annotations

import contextlib
import io
import re
import threading
from pathlib import Path
from typing import Optional

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import EXAMPLES, Outcome
from relaxverify.core import nodes as C
from relaxverify.cli.main import main
from relaxverify.pipeline import load_source
from strategies import budget

LOCATED = re.compile(r"^\S+:\d+:\d+: error: ", re.MULTILINE)
RUN_TIMEOUT = 120.0  # seconds for one command on one input (generous: loaded CI machines)
SOURCES = {p.name: p.read_text() for p in sorted(EXAMPLES.glob("*.relax"))}
N = budget(12, "RELAXVERIFY_ROBUSTNESS_EXAMPLES")
SETTINGS = settings(max_examples=N, deadline=None, database=None,
                    suppress_health_check=list(HealthCheck))

# ---------------------------------------------------------------- grammar-aware mutation

TOKEN = re.compile(r"""
    (?P<comment>//[^\n]*|/\*.*?\*/)
  | (?P<adorned>[A-Za-z_][A-Za-z0-9_]*<[or]>)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<number>\d+\.\d*(?:[eE][-+]?\d+)?|\d+[eE][-+]?\d+|\d+)
  | (?P<op>==>|<==>|::|\.\.|==\.|!=\.|<=\.|>=\.|<\.|>\.|\+\.|-\.|\*\.|/\.|&&|\|\||==|!=|<=|>=|[-+*/%<>=!])
  | (?P<punct>[(){}\[\];,:])
  | (?P<space>\s+)
  | (?P<other>.)
""", re.VERBOSE | re.DOTALL)

KEYWORDS = ("fn var const if else while repeat for in return skip relax havoc st assert "
            "assume accept requires ensures requires_r ensures_r invariant invariant_r bound "
            "reliability hardware operator memory urel read write error true false forall "
            "exists int real bool result old eq len abs min max").split()
OPS = ["+", "-", "*", "/", "%", "+.", "-.", "*.", "/.", "<", "<=", ">", ">=", "==", "!=", "<.",
       "<=.", ">.", ">=.", "==.", "!=.", "&&", "||", "==>", "<==>", "!", "=", "..", "::"]
NUMBERS = ["0", "1", "-1", "2", "0.5", "1e308", "1e-320", "99999999999999999999999", "3.0"]
TYPES = ["int", "real", "bool", "int[]", "real[]", "bool[]"]


def tokens(text: str) -> list[tuple[str, str]]:
    return [(m.lastgroup, m.group()) for m in TOKEN.finditer(text)]


@st.composite
def mutants(draw, sources: Optional[dict[str, str]] = None) -> tuple[str, str]:
    """(example name, mutated source): a few token- and line-level edits that keep
    most of the program well-formed, so that the later stages see it."""
    name = draw(st.sampled_from(sorted((sources or SOURCES))))
    toks = tokens((sources or SOURCES)[name])
    names = sorted({t for k, t in toks if k == "name" and t not in KEYWORDS}) or ["x"]
    for _ in range(draw(st.integers(1, 3))):
        solid = [i for i, (k, _t) in enumerate(toks) if k not in ("space", "comment")]
        if not solid:
            break
        i = draw(st.sampled_from(solid))
        kind, text = toks[i]
        action = draw(st.sampled_from(["swap", "swap", "delete", "insert", "lines",
                                       "duplicate"]))
        if action == "swap":
            if kind == "op":
                new = draw(st.sampled_from(OPS))
            elif kind == "number":
                new = draw(st.sampled_from(NUMBERS))
            elif kind == "name" and text in ("int", "real", "bool"):
                new = draw(st.sampled_from(TYPES))
            elif kind == "name":
                new = draw(st.sampled_from(names + KEYWORDS[:12]))
            else:
                new = draw(st.sampled_from(["(", ")", "{", "}", ";", ",", "[", "]"]))
            toks[i] = (kind, new)
        elif action == "delete":
            del toks[i]
        elif action == "insert":
            toks.insert(i, ("other", " " + draw(st.sampled_from(KEYWORDS + OPS + names)) + " "))
        elif action == "duplicate":  # a statement-sized span of tokens, repeated
            j = min(len(toks), i + draw(st.integers(1, 12)))
            toks[j:j] = toks[i:j]
        else:  # swap two lines
            lines = "".join(t for _k, t in toks).split("\n")
            a = draw(st.integers(0, len(lines) - 1))
            b = draw(st.integers(0, len(lines) - 1))
            lines[a], lines[b] = lines[b], lines[a]
            toks = tokens("\n".join(lines))
    return name, "".join(t for _k, t in toks)


# ---------------------------------------------------------------- bounded runs


def bounded_cli(*argv: str) -> Outcome:
    """The CLI in-process on a watchdog thread: a hang fails the test, not the suite."""
    box: dict = {}

    def target() -> None:
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main([str(a) for a in argv])
        box["outcome"] = Outcome(code, out.getvalue(), err.getvalue())

    worker = threading.Thread(target=target, daemon=True)
    worker.start()
    worker.join(RUN_TIMEOUT)
    assert not worker.is_alive(), f"`relaxverify {' '.join(map(str, argv))}` did not finish " \
                                  f"within {RUN_TIMEOUT} s"
    return box["outcome"]


def sample_value(ty: C.Type) -> str:
    one = {"int": "2", "bool": "true"}.get(ty.base, "0.5")  # reals and every float
    return f"[{one},{one},{one}]" if ty.array else one


def commands(path: Path, program: Optional[C.Program]) -> list[list[str]]:
    out = [["check", path], ["verify", path, "--timeout", "2"], ["reliability", path]]
    fn = next(iter(program.functions.values()), None) if program else None
    if fn is None:
        out.append(["run", path, "--fn", "main"])
    else:
        args = [a for p in fn.params for a in ("--arg", f"{p.source}={sample_value(p.type)}")]
        out.append(["run", path, "--fn", fn.name, *args, "--max-steps", "10000",
                    "--timeout", "2"])
        out.append(["run", path, "--fn", fn.name, *args, "--max-steps", "10000",
                    "--semantics", "relaxed", "--hardware", "aggressive", "--trials", "20"])
    return out


def assert_robust(tmp: Path, data: bytes) -> None:
    path = tmp / "input.relax"
    path.write_bytes(data)
    try:
        item = load_source(str(path), data.decode("utf-8"))
    except UnicodeDecodeError:
        item = None
    ok = item is not None and item.ok
    for argv in commands(path, item.program if ok else None):
        res = bounded_cli(*argv)
        what = f"`relaxverify {' '.join(map(str, argv))}`"
        assert "Traceback" not in res.err + res.out, (what, res.err)
        assert "internal error" not in res.err + res.out, (what, res.err)
        assert res.code in (0, 1, 2, 3), (what, res.code, res.out, res.err)
        if not ok:
            assert res.code == 2, (what, res.code, res.out)
            assert LOCATED.search(res.out + res.err), (what, res.out, res.err)
        elif res.code == 2:  # the file is fine: a usage matter, still explained
            assert "error:" in res.out + res.err, (what, res.out, res.err)


def test_mutation_keeps_most_programs_parsing():
    """The mutator is grammar-aware enough that later stages get exercised (about 7%
    of its mutants still check: 100 draws, so that a new example cannot make the
    derandomized sample miss them all)."""
    checked = []

    @settings(max_examples=100, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(mutants())
    def prop(m: tuple[str, str]) -> None:
        checked.append(load_source("m.relax", m[1]).ok)

    prop()
    assert 0 < sum(checked) < len(checked), checked


@SETTINGS
@given(data=st.binary(max_size=300))
def test_random_bytes_every_command(tmp_path_factory, data: bytes) -> None:
    assert_robust(tmp_path_factory.mktemp("bytes"), data)


@SETTINGS
@given(m=mutants())
def test_mutated_examples_every_command(tmp_path_factory, m: tuple[str, str]) -> None:
    assert_robust(tmp_path_factory.mktemp("mutant"), m[1].encode("utf-8"))


def test_every_example_every_command(tmp_path):
    """The unmutated examples too (they check, so run gets real arguments)."""
    for name, source in SOURCES.items():
        assert_robust(tmp_path, source.encode("utf-8"))
