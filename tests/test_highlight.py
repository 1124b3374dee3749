"""Highlighting from the one token table (relaxverify/syntax/highlight.py): the
TextMate grammar of editors/vscode/ is the generated one, the Pygments lexer
`relax` is registered through its entry point and gives each token its type, and
the extension's files agree with the table."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import os
import sys
from pathlib import Path
from typing import Any, Iterator

import pytest

from conftest import EXAMPLES, ROOT
from relaxverify.syntax import highlight as H
from relaxverify.syntax import textmate
from relaxverify.syntax import tokens as T

pygments = pytest.importorskip("pygments")
from pygments.token import (Comment, Error, Keyword, Name, Number,  # noqa: E402
                            Operator)

from relaxverify.syntax.pygments_lexer import RelaxLexer  # noqa: E402

VSCODE = ROOT / "editors" / "vscode"
GRAMMAR = VSCODE / "syntaxes" / "relax.tmLanguage.json"
ENTRY_POINT = "relaxverify.syntax.pygments_lexer:RelaxLexer"


def test_every_keyword_is_in_exactly_one_group() -> None:
    grouped = [w for words in H.KEYWORD_GROUPS.values() for w in words]
    assert sorted(grouped) == sorted(set(T.KEYWORDS) | set(T.HARDWARE_KEYWORDS))


def test_the_committed_grammar_is_the_generated_one() -> None:
    proc = subprocess.run([sys.executable, "-m", "relaxverify.syntax.textmate"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert GRAMMAR.read_text() == proc.stdout, (
        "editors/vscode/syntaxes/relax.tmLanguage.json is out of date: run `python -m "
        "relaxverify.syntax.textmate > editors/vscode/syntaxes/relax.tmLanguage.json`")


def _rules(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        if any(k in node for k in ("match", "begin")):
            yield node
        for value in node.values():
            yield from _rules(value)
    elif isinstance(node, list):
        for value in node:
            yield from _rules(value)


def _scope_of(word: str) -> list[str]:
    """The scopes of the grammar's keyword rules that match `word` whole."""
    return [r["name"] for r in _rules(textmate.grammar())
            if "name" in r and "match" in r and r["name"] in textmate.SCOPES.values()
            and re.fullmatch(r["match"], word)]


@pytest.mark.parametrize("word, scope", [
    ("fn", "keyword.declaration.relax"), ("requires_r", "keyword.other.specification.relax"),
    ("relax", "keyword.control.relaxation.relax"), ("float16", "storage.type.relax"),
    ("urel", "storage.modifier.relax"), ("result", "variable.language.relax"),
    ("precision", "keyword.other.hardware.relax"), ("sqrt", "support.function.builtin.relax")])
def test_the_grammar_colours_each_keyword_by_its_group(word: str, scope: str) -> None:
    assert _scope_of(word) == [scope]
    assert _scope_of(word + "x") == []  # whole words only


def test_the_grammar_patterns_compile_and_mark_the_tokens() -> None:
    rules = list(_rules(textmate.grammar()))
    for rule in rules:
        for key in ("match", "begin", "end"):
            if key in rule:
                re.compile(rule[key])
    by_name = {r["name"]: r["match"] for r in rules if "name" in r and "match" in r}
    assert re.fullmatch(by_name["keyword.operator.unreliable.relax"], "<=.")
    assert not re.fullmatch(by_name["keyword.operator.unreliable.relax"], "..")
    assert re.fullmatch(by_name["constant.numeric.float.relax"], "1.5e-3")
    assert re.search(by_name["constant.numeric.integer.relax"], "x1") is None
    assert re.fullmatch(by_name["storage.modifier.adornment.relax"], "<r>")


def test_the_extension_declares_the_language_and_its_grammar() -> None:
    package = json.loads((VSCODE / "package.json").read_text())
    [language] = package["contributes"]["languages"]
    [grammar] = package["contributes"]["grammars"]
    assert language["id"] == grammar["language"] == "relax"
    assert language["extensions"] == [".relax"]
    assert (VSCODE / grammar["path"]).resolve() == GRAMMAR
    assert grammar["scopeName"] == json.loads(GRAMMAR.read_text())["scopeName"]
    assert package["main"] == "./extension.js" and (VSCODE / "extension.js").is_file()
    assert set(package["dependencies"]) == {"vscode-languageclient"}
    assert package["contributes"]["configuration"]["properties"][
        "relaxverify.server.arguments"]["default"] == ["lsp"]
    config = json.loads((VSCODE / language["configuration"]).read_text())
    assert config["comments"] == {"lineComment": "//", "blockComment": ["/*", "*/"]}
    assert re.fullmatch(T.LINE_COMMENT, "// x") and re.fullmatch(T.BLOCK_COMMENT_START, "/*")
    assert {tuple(b) for b in config["brackets"]} == {("{", "}"), ("[", "]"), ("(", ")")}
    assert config["wordPattern"] == T.LITERAL_PATTERNS["NAME"]


@pytest.mark.skipif(shutil.which("node") is None, reason="needs Node.js")
def test_the_client_is_valid_javascript() -> None:
    proc = subprocess.run(["node", "--check", str(VSCODE / "extension.js")],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr


def test_pyproject_registers_the_lexer_as_relax() -> None:
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["entry-points"]["pygments.lexers"] == {"relax": ENTRY_POINT}


def test_pygments_finds_the_lexer_through_the_entry_point(tmp_path: Path) -> None:
    """An installed distribution's entry point, as `pip install .` writes it (the
    editable install of a shared environment may predate it)."""
    info = tmp_path / "relax_probe-0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: relax-probe\nVersion: 0\n")
    (info / "entry_points.txt").write_text(f"[pygments.lexers]\nrelax = {ENTRY_POINT}\n")
    code = ("from pygments.lexers import get_lexer_by_name, get_lexer_for_filename\n"
            "lexer = get_lexer_by_name('relax')\n"
            "print(type(lexer).__module__, type(lexer).__name__,\n"
            "      type(get_lexer_for_filename('a.relax')).__name__)\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join((str(tmp_path), str(ROOT)))}
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120, env=env)
    assert proc.stdout.split() == ["relaxverify.syntax.pygments_lexer", "RelaxLexer",
                                   "RelaxLexer"], proc.stderr


SAMPLE = """// a line comment
hardware h {
  operator +. = 0.999 precision float16;
}
/* a block
   comment */
fn f(x: real, precision: int) -> real
  requires x >= 0.5
  ensures result<o> == result<r>
{
  var y: real in urel = x +. 1.0;
  return y;
}
"""


@pytest.mark.parametrize("text, token", [
    ("// a line comment", Comment.Single), ("/* a block\n   comment */", Comment.Multiline),
    ("hardware", Keyword.Declaration), ("fn", Keyword.Declaration), ("f", Name.Function),
    ("real", Keyword.Type), ("requires", Keyword.Pseudo), ("ensures", Keyword.Pseudo),
    ("result", Name.Builtin.Pseudo), ("<o>", Name.Decorator), ("urel", Keyword.Reserved),
    ("0.999", Number.Float), ("0.5", Number.Float), ("+.", Operator.Word),
    (">=", Operator), ("return", Keyword)])
def test_the_lexer_gives_each_token_its_type(text: str, token: Any) -> None:
    tokens = list(RelaxLexer().get_tokens(SAMPLE))
    assert (token, text) in tokens


def test_precision_is_a_keyword_only_inside_a_hardware_block() -> None:
    kinds = [t for t, v in RelaxLexer().get_tokens(SAMPLE) if v == "precision"]
    assert kinds == [Keyword.Reserved, Name]


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.relax")), ids=lambda p: p.name)
def test_the_lexer_reads_every_example_whole(path: Path) -> None:
    text = path.read_text()
    tokens = list(RelaxLexer().get_tokens(text))
    assert "".join(v for _, v in tokens) == text.rstrip("\n") + "\n"
    assert not [v for t, v in tokens if t is Error]
    integers = [v for t, v in tokens if t is Number.Integer]
    assert all(v.isdigit() for v in integers)
