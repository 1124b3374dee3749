"""A Pygments lexer for Relax, registered as `relax` (the `pygments.lexers` entry
point in pyproject.toml), built from the token table through the highlighting
groups (highlight.py); the docs site highlights ```relax blocks with it.
Needs Pygments (the `docs` extra); nothing else in relaxverify imports this."""
from __future__ import annotations

from typing import Any

from pygments.lexer import RegexLexer, bygroups
from pygments.token import (Comment, Keyword, Name, Number, Operator, Punctuation,
                            Whitespace)

from relaxverify.syntax import highlight as H
from relaxverify.syntax import tokens as T

TOKEN_TYPES: dict[str, Any] = {  # group -> Pygments token type
    "declaration": Keyword.Declaration,
    "control": Keyword,
    "relaxation": Keyword,
    "specification": Keyword.Pseudo,
    "quantifier": Keyword,
    "type": Keyword.Type,
    "modifier": Keyword.Reserved,
    "hardware": Keyword.Reserved,
    "constant": Keyword.Constant,
    "variable": Name.Builtin.Pseudo,
    "builtin": Name.Builtin,
}
NAME = T.LITERAL_PATTERNS["NAME"]


def _code() -> list[Any]:
    return [
        (r"\s+", Whitespace),
        (T.LINE_COMMENT, Comment.Single),
        (rf"{T.BLOCK_COMMENT_START}(?:.|\n)*?(?:{T.BLOCK_COMMENT_END}|\Z)", Comment.Multiline),
        (T.LITERAL_PATTERNS["REAL"], Number.Float),
        (T.LITERAL_PATTERNS["INT"], Number.Integer),
        (rf"\b(fn)(\s+)({NAME})", bygroups(Keyword.Declaration, Whitespace, Name.Function)),
        *((H.keyword_pattern(g), TOKEN_TYPES[g]) for g in H.KEYWORD_GROUPS
          if g not in H.CONTEXTUAL),
        (NAME, Name),
        (H.ADORNMENT, Name.Decorator),
        (H.operator_pattern(True), Operator.Word),  # unreliable: `+.`, `<.`
        (H.operator_pattern(False), Operator),
        (H.BRACKETS, Punctuation),
    ]


class RelaxLexer(RegexLexer):
    """Relax source (.relax files)."""

    name = "Relax"
    aliases = ["relax"]
    filenames = ["*.relax"]
    mimetypes = ["text/x-relax"]

    tokens = {
        "root": [
            (rf"\b(hardware)(\s+)({NAME})(\s*)(\{{)",
             bygroups(Keyword.Declaration, Whitespace, Name.Class, Whitespace, Punctuation),
             "hardware"),
            *_code(),
        ],
        "hardware": [
            (r"\}", Punctuation, "#pop"),
            *((H.keyword_pattern(g), TOKEN_TYPES[g]) for g in H.CONTEXTUAL),
            *_code(),
        ],
    }
