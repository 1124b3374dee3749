"""The fallback driver: stock Lark's LALR parser, through its public interface only.

It takes the same tokens (our lexer's) and the same tree builder (given to Lark
as its transformer, so Lark calls it at each reduction, as lalr.py does), and
feeds the tokens to Lark's interactive parser one by one. It is slower than
lalr.py but reads no Lark internals: it is the driver to use if a Lark release
changes them (`RELAXVERIFY_PARSER=lark`), and the reference that tests compare
the fast driver with.
"""
from __future__ import annotations

from typing import Any, Iterable, Optional

from lark import Lark
from lark.exceptions import UnexpectedToken

from relaxverify.syntax.errors import SyntaxFault
from relaxverify.syntax.lexer import Tok, end_token


class StockDriver:
    """Lark's own parser loop over `lark`'s table; `lark` was built with the
    builder as transformer. Lark's parser state is created per parse."""

    def __init__(self, lark: Lark):
        self.lark = lark

    def parse(self, tokens: Iterable[Tok], path: str = "<input>") -> Any:
        """The start rule's value, or SyntaxFault at the first token not taken."""
        parser = self.lark.parse_interactive()
        last: Optional[Tok] = None
        tok: Optional[Tok] = None
        try:
            for tok in tokens:
                # Lark reads a token's `type` (and hands the token to the builder):
                # our Tok has what it needs, though it is no lark.Token.
                parser.feed_token(tok)  # type: ignore[arg-type]
                last = tok
            tok = end_token(last, path)
            return parser.feed_token(tok)  # type: ignore[arg-type]
        except UnexpectedToken as exc:
            assert tok is not None
            raise SyntaxFault(tok, frozenset(exc.expected), last) from None
