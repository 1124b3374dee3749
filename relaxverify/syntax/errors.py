"""Syntax errors: where the parse stopped, and the message a student reads.

Both parse drivers (lalr.py and stock Lark, stock.py) report a failure as a
`SyntaxFault`: the token the parser could not take, the terminals it expected
there and the token before it. `diagnostic` turns a fault into the message.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Optional

from relaxverify.report.diagnostics import Diagnostic, error
from relaxverify.syntax import ast as A
from relaxverify.syntax import tokens as T
from relaxverify.syntax.lexer import Tok


@dataclass
class SyntaxFault(Exception):
    """The parser cannot take `token`; `previous` is the token before it (None when
    the tree builder rejects a construct the grammar accepts, or at the start)."""

    token: Tok
    expected: frozenset[str]
    previous: Optional[Tok]


# Words from other languages that students write, with what Relax says instead.
_FOREIGN_WORDS = {
    "let": "declare a variable with `var x: int = 0;`",
    "def": "declare a function with `fn name(x: int) -> int { ... }`",
    "function": "declare a function with `fn name(x: int) -> int { ... }`",
    "func": "declare a function with `fn name(x: int) -> int { ... }`",
    "elif": "write `else if (...) { ... }`",
    "elsif": "write `else if (...) { ... }`",
    "then": "write the branch as a block: `if (c) { ... }`",
    "float": "the type of reals is `real`",
    "double": "the type of reals is `real`",
    "integer": "the type of integers is `int`",
    "boolean": "the type of truth values is `bool`",
    "ensure": "the keyword is `ensures`",
    "require": "the keyword is `requires`",
    "invariants": "the keyword is `invariant`",
}
_KEYWORDS = frozenset(T.KEYWORDS)
_RELIABILITY_NOTE = (
    "a reliability spec reads `reliability R(result) >= c * R(x, y)`, where c is a number, "
    "a constant or a product of them (write `0.9999`, not `1 - 1e-4`)")


def describe_expected(expected: Iterable[str]) -> str:
    """`a name`, or `one of ...` (at most eight shown), from terminal names."""
    # `?` is allowed wherever an expression is, but it only means something as the
    # bound of a bound query: suggesting it elsewhere would mislead.
    shown = sorted({w for w in map(T.words, expected) if w is not None and w != "`?`"})
    if not shown:
        return ""
    if len(shown) == 1:
        return shown[0]
    if len(shown) > 8:
        return "one of " + ", ".join(shown[:8]) + ", ..."
    return "one of " + ", ".join(shown)


def _point(path: str, line: int, col: int, width: int = 1) -> A.Span:
    return A.Span(path, line, col, line, col + max(width, 1))


def diagnostic(fault: SyntaxFault, text: str) -> Diagnostic:
    """The message for a fault, with a fix where a common mistake is recognised."""
    tok = fault.token
    path = tok.path
    if tok.type == T.OPEN_COMMENT:
        return error("this comment is never closed", _point(path, tok.line, tok.column, 2),
                     "syntax", "end it with `*/`")
    if tok.type == T.BAD_CHARACTER:
        ch = tok.value
        if not ch.isprintable() or ch.isspace():
            ch = f"U+{ord(ch):04X}"
        return error(f"unexpected character `{ch}`", _point(path, tok.line, tok.column),
                     "syntax", "Relax programs use the characters of §1 of the language "
                     "reference; check for a typo.")
    expected = set(fault.expected)
    if tok.type == "$END":
        line = text.count("\n") + 1
        col = len(text) - (text.rfind("\n") + 1) + 1
        desc = describe_expected(expected)
        msg = "unexpected end of file" + (f"; expected {desc}" if desc else "")
        return error(msg, _point(path, line, col), "syntax",
                     "a block, statement or declaration is not finished; check for a missing `}`")
    return _unexpected_token(fault, expected, text)


def _unexpected_token(fault: SyntaxFault, expected: set[str], text: str) -> Diagnostic:
    tok, prev, path = fault.token, fault.previous, fault.token.path
    if "SEMICOLON" in expected and prev is not None and (prev.line < tok.line
                                                          or tok.type == "RBRACE"):
        return error("missing `;` at the end of the statement",
                     _point(path, prev.end_line, prev.end_column), "syntax",
                     "every statement and declaration ends with `;`")
    notes = []
    for word in (str(prev) if prev is not None else "", str(tok)):
        if word in _FOREIGN_WORDS:
            notes.append(f"`{word}` is not Relax: {_FOREIGN_WORDS[word]}")
            break
    if "NAME" in expected and str(tok) in _KEYWORDS:
        notes.append(f"`{tok}` is a reserved word and cannot be used as a name")
    before = text.split("\n")[tok.line - 1][:tok.column - 1]
    if tok.type == "SEMICOLON" and "LBRACE" in expected:
        notes.append("a function needs a body `{ ... }`; a declaration without a body is "
                     "an `extern fn` (`extern fn f(x: real) -> real ensures ...;`)")
    elif tok.type == "LBRACE" and "SEMICOLON" in expected and "EXTERN" not in expected:
        notes.append("an `extern fn` has no body: end it with `;` after its clauses, or "
                     "drop `extern` to define the function here")
    if re.search(r"\breliability\b", before):
        notes.append(_RELIABILITY_NOTE)
    desc = describe_expected(expected)
    msg = f"unexpected `{tok}`" + (f"; expected {desc}" if desc else "")
    return error(msg, _point(path, tok.line, tok.column, len(str(tok))), "syntax", *notes)
