"""Error recovery at the token level: where a parse may resume after a syntax error.

After an error the parser skips to the next `fn`, `const` or `hardware` token
that starts a declaration and parses again from there with a fresh state (the
tree of that parse is dropped; only its errors count). A declaration keyword
starts one when it is at brace depth 0 right after a `}` or `;` (or at the start
of the file), or when it is the first token on its line: the latter still finds
the next function when a `}` is missing. A keyword elsewhere (`fn a(const: int)`)
is part of the error, not a place to resume. The keyword the error is at is a
place to resume only in column 1 (`fn b` after a function missing its `}`): an
indented one is a mistake inside a block, and parsing it as a declaration would
report the same mistake twice. Comments are no tokens, so commented-out code is
never a place to resume either.
"""
from __future__ import annotations

from typing import Iterator, Optional

from relaxverify.syntax import tokens as T
from relaxverify.syntax.lexer import Tok

_CLOSERS = frozenset({"RBRACE", "SEMICOLON"})


class TrackedTokens:
    """The tokens of a file, watched for the brace depth and the line breaks that
    decide where a declaration can start; one resume token can be pushed back."""

    def __init__(self, tokens: Iterator[Tok]):
        self._tokens = tokens
        self._pending: Optional[Tok] = None
        self._last: Optional[Tok] = None
        self._last_starts = False
        self._depth = 0

    def __iter__(self) -> TrackedTokens:
        return self

    def __next__(self) -> Tok:
        if self._pending is not None:
            tok, self._pending = self._pending, None
            return tok
        tok = next(self._tokens)
        prev = self._last
        self._last_starts = tok.type in T.DECLARATION_STARTS and (
            prev is None or prev.line < tok.line
            or (self._depth == 0 and prev.type in _CLOSERS))
        if tok.type == "LBRACE":
            self._depth += 1
        elif tok.type == "RBRACE":
            self._depth = max(self._depth - 1, 0)
        self._last = tok
        return tok

    def resume_at_declaration(self, error: Tok) -> Optional[Tok]:
        """Skip to the first token after `error` (or `error` itself in column 1) that
        starts a declaration and make it the next token; None when there is none."""
        if error.type == "$END":
            return None
        tok = self._last
        starts = self._last_starts
        if tok is None or tok.start_pos < error.start_pos:
            tok = next(self, None)
            starts = self._last_starts
        while tok is not None:
            if starts and (tok.start_pos > error.start_pos
                           or (tok.start_pos == error.start_pos and tok.column == 1)):
                self._pending = tok
                return tok
            tok = next(self, None)
            starts = self._last_starts
        return None
