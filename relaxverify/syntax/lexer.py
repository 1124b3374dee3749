"""The lexer for Relax, plugged into Lark's LALR parser (a custom lexer class).

One master regular expression scans the text; token types are the grammar's
terminal names, read from Lark's configuration so the two cannot drift apart.
It is several times faster than Lark's contextual lexer, and it settles the two
context-dependent cases itself: `-` is unary (MINUS) unless it follows an
operand, and a dotted operator right after `operator` (in a hardware block) is
a UOP rather than a BINOP.
"""
from __future__ import annotations

import re
from typing import Iterator

from lark.exceptions import UnexpectedCharacters
from lark.lexer import Lexer, PatternStr

_SCAN = re.compile(r"""
  (?P<ws>[ \t\r\f]+)
| (?P<nl>\n)
| (?P<comment>//[^\n]*|/\*.*?\*/)
| (?P<open_comment>/\*)
| (?P<REAL>[0-9]+\.[0-9]+(?:[eE][+-]?[0-9]+)?|[0-9]+[eE][+-]?[0-9]+)
| (?P<INT>[0-9]+)
| (?P<NAME>[A-Za-z_][A-Za-z0-9_]*)
| (?P<ADORN><[or]>)
| (?P<op><==>|==>|[=!<>]=\.?|[<>+\-*/]\.|&&|\|\||::|\.\.|->|\[\]|[-<>+*/%!(){}\[\];:,=])
""", re.VERBOSE | re.DOTALL)

_BINARY = {"<==>", "==>", "||", "&&", "==", "!=", "<", "<=", ">", ">=", "+", "-", "*", "/", "%",
           "==.", "!=.", "<.", "<=.", ">.", ">=.", "+.", "-.", "*.", "/."}
_OPERAND_END = {"NAME", "INT", "REAL", "RPAR", "RSQB", "ADORN", "TRUE", "FALSE", "RESULT"}


class Tok:
    """A token. Lighter than lark.Token (a str subclass): creating tokens was half
    the lexer's time. Tokens never span lines (comments and blanks are skipped)."""

    __slots__ = ("type", "value", "start_pos", "line", "column", "end_line", "end_column")

    def __init__(self, type: str, value: str, start_pos: int, line: int, column: int):
        self.type = type
        self.value = value
        self.start_pos = start_pos
        self.line = self.end_line = line
        self.column = column
        self.end_column = column + len(value)

    def __str__(self) -> str:
        return self.value

    def __repr__(self) -> str:
        return f"Tok({self.type!r}, {self.value!r})"


class RelaxLexer(Lexer):
    def __init__(self, lexer_conf):
        strings = {t.pattern.value: t.name for t in lexer_conf.terminals
                   if isinstance(t.pattern, PatternStr)}
        self.keywords = {v: n for v, n in strings.items() if v.isidentifier()}
        self.punct = {v: n for v, n in strings.items() if not v.isidentifier()}
        self.operator_kw = self.keywords.get("operator")

    def lex(self, text: str) -> Iterator[Tok]:
        keywords = self.keywords
        line, line_start, prev = 1, 0, None
        pos, end = 0, len(text)
        match = _SCAN.match
        while pos < end:
            m = match(text, pos)
            if m is None:
                raise UnexpectedCharacters(text, pos, line, pos - line_start + 1)
            kind = m.lastgroup
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
                raise UnexpectedCharacters(text, start, line, start - line_start + 1)
            if kind == "NAME":
                kind = keywords.get(value, "NAME")
            elif kind == "op":
                kind = self._operator(value, prev)
            prev = kind
            yield Tok(kind, value, start, line, start - line_start + 1)

    def _operator(self, value: str, prev) -> str:
        if value == "-" and prev not in _OPERAND_END:
            return "MINUS"
        if value == "!":
            return "NOT"
        if value.endswith(".") and prev == self.operator_kw and value != "..":
            return "UOP"
        if value == "[]":
            return "ARRAY"
        if value in _BINARY:
            return "BINOP"
        return self.punct[value]
