"""The token table (syntax/tokens.py) agrees with the grammar and with LANGUAGE.md §1."""
from __future__ import annotations

import re
from pathlib import Path

from typing import Optional

import pytest
from lark import Lark
from lark.lexer import PatternStr

from conftest import EXAMPLES
from relaxverify.syntax import tokens as T
from relaxverify.syntax.builder import _PREC
from relaxverify.syntax.lexer import RelaxLexer, lex
from relaxverify.syntax.parser import _lark, grammar_text

# LANGUAGE.md §1, "Identifiers: ... except keywords:" (the v1 keywords).
V1_KEYWORDS = """fn var const if else while repeat for in return skip relax havoc st assert
assume accept requires ensures requires_r ensures_r invariant invariant_r bound reliability
hardware operator memory urel read write error true false forall exists int real bool result
old eq len abs min max""".split()
# LANGUAGE.md v2 (head of the page): the keywords of §9, floating point.
V2_FLOAT_KEYWORDS = "float64 float32 float16 bfloat16 sqrt exp log sin cos floor ceil".split()
# LANGUAGE.md v2 §10: the conditional expression `if c then e1 else e2` and
# specification functions `spec fn ... decreases E { EXPR }`.
V2_SECTION10_KEYWORDS = ["then", "spec", "decreases"]
# LANGUAGE.md v2 section 10, "Declarations without a body".
V2_EXTERN_KEYWORDS = ["extern"]
LANGUAGE_MD = Path("/work/shared/LANGUAGE.md")


def grammar_terminals(lark: Optional[Lark] = None) -> dict[str, object]:
    """The grammar's terminals (what the lexer must produce), without the ignored ones."""
    lark = lark or _lark()
    ignored = set(lark.ignore_tokens)
    return {t.name: t.pattern for t in lark.terminals if t.name not in ignored}


def test_every_grammar_terminal_is_in_the_table() -> None:
    missing = set(grammar_terminals()) - T.TERMINALS
    assert not missing, f"terminals of relax.lark the token table lacks: {sorted(missing)}"


def test_every_table_terminal_is_in_the_grammar() -> None:
    unused = T.TERMINALS - set(grammar_terminals())
    assert not unused, f"terminals of the token table relax.lark never uses: {sorted(unused)}"


def test_no_anonymous_terminals() -> None:
    """A string the grammar writes must be a table terminal, not an __ANON_n of Lark's."""
    assert not [n for n in grammar_terminals() if n.startswith("__")]


def test_the_spellings_agree() -> None:
    for name, pattern in grammar_terminals().items():
        if name in T.TERMINAL_TEXT:
            assert isinstance(pattern, PatternStr) and T.TERMINAL_TEXT[name] == pattern.value
        elif name in T.CLASS_SPELLINGS:
            regex = re.compile(pattern.to_regexp())  # type: ignore[attr-defined]
            for spelling in T.CLASS_SPELLINGS[name]:
                assert regex.fullmatch(spelling), (name, spelling)


def test_the_keywords_are_those_of_the_language_reference() -> None:
    assert list(T.KEYWORDS) == (V1_KEYWORDS + V2_FLOAT_KEYWORDS + V2_SECTION10_KEYWORDS
                                + V2_EXTERN_KEYWORDS)
    assert len(set(T.KEYWORDS)) == len(T.KEYWORDS)


def test_the_keywords_match_the_shared_language_md() -> None:
    if not LANGUAGE_MD.is_file():
        pytest.skip("the shared LANGUAGE.md is not on this machine")
    section = LANGUAGE_MD.read_text().split("## 1.")[1].split("\n## ")[0]
    listed = re.search(r"except keywords:\s*`([^`]*)`", section, re.S)
    assert listed is not None
    assert list(T.KEYWORDS)[:len(V1_KEYWORDS)] == listed.group(1).split()
    head = re.search(r"the new keywords `([^`]*)`", LANGUAGE_MD.read_text(), re.S)
    assert head is not None and set(V2_FLOAT_KEYWORDS) <= set(head.group(1).split())


def test_every_binary_operator_has_a_precedence() -> None:
    assert set(_PREC) == T.BINARY


@pytest.mark.parametrize("word", T.KEYWORDS)
def test_a_keyword_lexes_as_its_terminal(word: str) -> None:
    [tok] = lex(word)
    assert tok.type == T.keyword_terminal(word) and tok.type in grammar_terminals()


def test_precision_is_a_keyword_only_inside_hardware_blocks() -> None:
    kinds = [t.type for t in lex("hardware h { operator *. = 1 precision float16; } "
                                 "fn precision() { }")]
    assert kinds.count("PRECISION") == 1 and kinds[-5] == "NAME"


def test_the_lexer_produces_only_grammar_terminals() -> None:
    text = "\n".join(p.read_text() for p in sorted(EXAMPLES.glob("*.relax")))
    kinds = {t.type for t in lex(text)}
    assert kinds <= set(grammar_terminals()), kinds - set(grammar_terminals())


def test_a_word_added_to_the_table_only_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """What the agreement test sees when a keyword is in one place and not the other."""
    monkeypatch.setattr(T, "TERMINALS", T.TERMINALS | {"OPAQUE"})
    with pytest.raises(AssertionError):
        test_every_table_terminal_is_in_the_grammar()


def test_a_word_added_to_the_grammar_only_is_caught() -> None:
    grammar = grammar_text().replace('fn_decl: "fn"', 'fn_decl: "opaque"? "fn"')
    lark = Lark(grammar, parser="lalr", lexer=RelaxLexer, keep_all_tokens=True)
    assert set(grammar_terminals(lark)) - T.TERMINALS == {"OPAQUE"}
