"""An S-expression reader for FPCore files, keeping each datum's line:col so that
every message about an imported benchmark points into the user's own file.

Iterative (no recursion), so a file of a million `(` is an error, not a crash."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import NoReturn, Optional, Union


@dataclass(frozen=True)
class Problem:
    """One located message about an FPCore file."""

    line: int
    column: int
    message: str
    note: Optional[str] = None


class FPCoreError(Exception):
    """An FPCore file that cannot be imported: `problems` says every reason, located.

    `str(error)` is the text the CLI prints: `PATH:LINE:COL: error: ...` lines, each
    followed by an indented `note:` when there is advice."""

    def __init__(self, path: str, problems: list[Problem]):
        self.path = path
        self.problems = problems
        super().__init__(self.render())

    def render(self) -> str:
        lines = []
        for p in self.problems:
            lines.append(f"{self.path}:{p.line}:{p.column}: error: {p.message}")
            if p.note:
                lines.append(f"  note: {p.note}")
        return "\n".join(lines)


@dataclass(frozen=True)
class Atom:
    """A symbol, number or string; `string` tells a quoted string from a symbol."""

    text: str
    line: int
    column: int
    string: bool = False


@dataclass
class SList:
    """A parenthesised (or bracketed) list."""

    line: int
    column: int
    items: list["Datum"] = field(default_factory=list)


Datum = Union[Atom, SList]

_CLOSE = {"(": ")", "[": "]"}
_DELIMITERS = set("()[]\";")


def read(text: str) -> list[Datum]:
    """The top-level data of `text`; raises FPCoreError (path unset: "") on bad syntax."""
    reader = _Reader(text)
    return reader.run()


class _Reader:
    def __init__(self, text: str):
        self.text = text
        self.i = 0
        self.line = 1
        self.col = 1

    def fail(self, message: str, line: int, col: int, note: Optional[str] = None) -> NoReturn:
        raise FPCoreError("", [Problem(line, col, message, note)])

    def advance(self) -> str:
        ch = self.text[self.i]
        self.i += 1
        if ch == "\n":
            self.line += 1
            self.col = 1
        else:
            self.col += 1
        return ch

    def run(self) -> list[Datum]:
        top: list[Datum] = []
        stack: list[tuple[SList, str]] = []  # open lists and the bracket each opened with
        text = self.text
        while self.i < len(text):
            ch = text[self.i]
            line, col = self.line, self.col
            if ch.isspace():
                self.advance()
                continue
            if ch == ";":
                while self.i < len(text) and text[self.i] != "\n":
                    self.advance()
                continue
            if ch == "#" and text.startswith("#|", self.i):
                self._block_comment(line, col)
                continue
            datum: Datum
            if ch in "([":
                self.advance()
                stack.append((SList(line, col), ch))
                continue
            if ch in ")]":
                self.advance()
                if not stack:
                    self.fail(f"unexpected `{ch}`: no list is open here", line, col,
                              "remove it, or add the `(` it was meant to close")
                opened, bracket = stack.pop()
                if _CLOSE[bracket] != ch:
                    self.fail(f"`{ch}` closes the `{bracket}` at {opened.line}:{opened.column}",
                              line, col, f"close it with `{_CLOSE[bracket]}`")
                datum = opened
            elif ch == '"':
                datum = self._string(line, col)
            elif not ch.isprintable():
                self.fail(f"unexpected character U+{ord(ch):04X}; is this an FPCore text "
                          "file?", line, col)
            else:
                datum = self._atom(line, col)
            if stack:
                stack[-1][0].items.append(datum)
            else:
                top.append(datum)
        if stack:
            opened, bracket = stack[-1]
            self.fail(f"the `{bracket}` here is never closed", opened.line, opened.column,
                      f"add the missing `{_CLOSE[bracket]}` at the end of the expression")
        return top

    def _block_comment(self, line: int, col: int) -> None:
        end = self.text.find("|#", self.i + 2)
        if end < 0:
            self.fail("the comment `#|` here is never closed", line, col, "end it with `|#`")
        while self.i < end + 2:
            self.advance()

    def _string(self, line: int, col: int) -> Atom:
        self.advance()
        out: list[str] = []
        while self.i < len(self.text):
            ch = self.advance()
            if ch == '"':
                return Atom("".join(out), line, col, string=True)
            if ch == "\\" and self.i < len(self.text):
                ch = self.advance()
            out.append(ch)
        self.fail("the string here is never closed", line, col, 'end it with `"`')

    def _atom(self, line: int, col: int) -> Atom:
        start = self.i
        text = self.text
        while (self.i < len(text) and not text[self.i].isspace()
               and text[self.i] not in _DELIMITERS and text[self.i].isprintable()):
            self.advance()
        return Atom(text[start:self.i], line, col)
