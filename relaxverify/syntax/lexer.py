"""The lexer for Relax, built from the token table (tokens.py).

One master regular expression scans the text; token types are the grammar's
terminal names. It is several times faster than Lark's contextual lexer, and it
settles the context-dependent cases itself: `-` is unary (MINUS) unless it
follows an operand, a dotted operator right after `operator` (in a hardware
block) is a UOP rather than a BINOP, and `precision` is a keyword only inside a
hardware block. It never raises: a character that starts
no token, or a comment never closed, becomes a pseudo-token no rule accepts, so
the parser reports it where it stands and recovery can go on after it.

The lexer holds no state between calls: `lex` keeps its position in locals, so
parses in several threads do not interfere.
"""
from __future__ import annotations

import re
from typing import Any, Iterator, Optional

from lark.lexer import Lexer

from relaxverify.syntax import tokens as T


def _scanner() -> re.Pattern[str]:
    operators = "|".join(re.escape(s) for s in T.operator_spellings())
    adornments = "|".join(re.escape(s) for s in T.ADORNMENTS)
    literals = "\n| ".join(f"(?P<{name}>{pattern})"
                           for name, pattern in T.LITERAL_PATTERNS.items())
    return re.compile(rf"""
  (?P<ws>[ \t\r\f]+)
| (?P<nl>\n)
| (?P<comment>{T.LINE_COMMENT}|{T.BLOCK_COMMENT_START}.*?{T.BLOCK_COMMENT_END})
| (?P<open_comment>{T.BLOCK_COMMENT_START})
| {literals}
| (?P<ADORN>{adornments})
| (?P<op>{operators})
""", re.VERBOSE | re.DOTALL)


_SCAN = _scanner()
_OPERATOR_KW = T.keyword_terminal("operator")
_HARDWARE_KW = T.keyword_terminal("hardware")


class Tok:
    """A token. Lighter than lark.Token (a str subclass): creating tokens was half
    the lexer's time. Tokens never span lines (comments and blanks are skipped).
    Each carries its file's path, so the tree builder needs no per-parse state."""

    __slots__ = ("type", "value", "start_pos", "line", "column", "end_line", "end_column",
                 "path")

    def __init__(self, type: str, value: str, start_pos: int, line: int, column: int,
                 path: str = "<input>"):
        self.type = type
        self.value = value
        self.start_pos = start_pos
        self.line = self.end_line = line
        self.column = column
        self.end_column = column + len(value)
        self.path = path

    def __str__(self) -> str:
        return self.value

    def __repr__(self) -> str:
        return f"Tok({self.type!r}, {self.value!r}, {self.line}:{self.column})"


def end_token(last: Optional[Tok], path: str) -> Tok:
    """The `$END` token, placed at the last token (as Lark places it)."""
    if last is None:
        return Tok("$END", "", 0, 1, 1, path)
    return Tok("$END", "", last.start_pos, last.line, last.column, path)


def operator_terminal(value: str, prev: Optional[str]) -> str:
    """The terminal of an operator or punctuation spelling, given the previous token's."""
    if value == "-" and prev not in T.OPERAND_END:
        return "MINUS"
    if value == "!":
        return "NOT"
    if prev == _OPERATOR_KW and value in T.UNRELIABLE:
        return "UOP"
    if value == "[]":
        return "ARRAY"
    if value in T.BINARY:
        return "BINOP"
    return T.PUNCTUATION[value]


class RelaxLexer(Lexer):
    """Lark's custom-lexer interface (Lark calls `lex(text)`), used directly too."""

    def __init__(self, lexer_conf: Any = None) -> None:
        pass

    def lex(self, text: str, path: str = "<input>") -> Iterator[Tok]:  # type: ignore[override]
        # Lark wraps a custom lexer whose `lex` takes the text alone (interface 0).
        return lex(text, path)


def lex(text: str, path: str = "<input>") -> Iterator[Tok]:
    """The tokens of `text`, comments and blanks skipped."""
    keywords = T.KEYWORD_TERMINALS
    operator = operator_terminal
    line, line_start, prev = 1, 0, None
    in_hardware = False  # between `hardware` and its `}`: `precision` is a keyword
    pos, end = 0, len(text)
    match = _SCAN.match
    while pos < end:
        m = match(text, pos)
        if m is None:
            yield Tok(T.BAD_CHARACTER, text[pos], pos, line, pos - line_start + 1, path)
            pos += 1
            continue
        kind = m.lastgroup or ""
        value = m.group()
        start, pos = pos, m.end()
        if kind == "ws":
            continue
        if kind == "nl":
            line, line_start = line + 1, pos
            continue
        if kind == "comment":
            breaks = value.count("\n")
            if breaks:
                line, line_start = line + breaks, start + value.rfind("\n") + 1
            continue
        if kind == "open_comment":
            # The rest of the file is a comment that never ends.
            yield Tok(T.OPEN_COMMENT, value, start, line, start - line_start + 1, path)
            return
        if kind == "NAME":
            kind = keywords.get(value, "NAME")
            if kind == "NAME" and in_hardware:
                kind = T.HARDWARE_KEYWORDS.get(value, "NAME")
            elif kind == _HARDWARE_KW:
                in_hardware = True
        elif kind == "op":
            kind = operator(value, prev)
            if kind == "RBRACE":
                in_hardware = False
        prev = kind
        yield Tok(kind, value, start, line, start - line_start + 1, path)
