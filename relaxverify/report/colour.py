"""Colour for the text output on a terminal (docs/cli.md, "Colour").

The text renderers stay plain; colouring is a pass over their lines that wraps some
spans in rich's ANSI styles (severities, locations, code-frame gutters and carets,
verdict counts), so the coloured output with its escapes removed is the plain output,
character for character. rich is imported only to colour: `check` on a pipe or in a
file never loads it (tests/test_startup.py).
"""
from __future__ import annotations

import os
import re
from typing import Mapping, Optional, TextIO

Span = tuple[int, int, str]  # start, end, the name of a style of STYLES

STYLES = {"error": "bold red", "warning": "bold yellow", "note": "bold cyan",
          "where": "bold", "gutter": "blue", "good": "green", "bad": "red", "unsure": "yellow"}

_HEAD = re.compile(r"^(?P<where>.+?): (?P<sev>error|warning|note): ")
_NOTE = re.compile(r"^\s*(?P<sev>note):")
_FRAME = re.compile(r"^ (?P<gutter>\d* *\|)(?P<rest>.*)$")
_CARETS = re.compile(r"^ *\^+$")
_COUNT = re.compile(r"\b(?P<n>\d+) (?P<word>verified|ok|failed|with errors|unknown|fail)\b")
_VERDICT = re.compile(r"\b(?P<word>holds|FAILS)\b")
_WORD_STYLE = {"verified": "good", "ok": "good", "holds": "good", "failed": "bad",
               "with errors": "bad", "fail": "bad", "FAILS": "bad", "unknown": "unsure"}


def wants_colour(stream: TextIO, environ: Optional[Mapping[str, str]] = None) -> bool:
    """Colour when `stream` is a terminal, unless NO_COLOR is set (to anything but the
    empty string: no-color.org) or TERM is `dumb`; FORCE_COLOR (likewise) colours even
    a pipe. NO_COLOR wins over FORCE_COLOR: the user's refusal comes first."""
    env = os.environ if environ is None else environ
    if env.get("NO_COLOR"):
        return False
    if env.get("FORCE_COLOR"):
        return True
    isatty = getattr(stream, "isatty", None)
    return bool(isatty is not None and isatty()) and env.get("TERM") != "dumb"


def line_spans(line: str, severity: str) -> tuple[list[Span], str]:
    """The styled spans of one line of text output, and the severity in force after it
    (a code frame's carets take the colour of the diagnostic above them)."""
    head = _HEAD.match(line)
    if head:
        sev = head["sev"]
        return [(0, head.end("where"), "where"), (head.start("sev"), head.end("sev"), sev)], sev
    note = _NOTE.match(line)
    if note:
        return [(note.start("sev"), note.end("sev") + 1, "note")], severity
    frame = _FRAME.match(line)
    if frame:
        spans = [(frame.start("gutter"), frame.end("gutter"), "gutter")]
        carets = frame["rest"].lstrip(" ")
        if carets and _CARETS.match(carets):
            spans.append((len(line) - len(carets), len(line), severity))
        return spans, severity
    spans = [(m.start(), m.end(), _WORD_STYLE[m["word"]]) for m in _COUNT.finditer(line)
             if int(m["n"]) > 0]
    spans += [(m.start(), m.end(), _WORD_STYLE[m["word"]]) for m in _VERDICT.finditer(line)]
    return sorted(spans), severity


def colour_text(text: str) -> str:
    """`text` with ANSI styles (rich's rendering of STYLES, 16 colours) around its spans."""
    from rich.color import ColorSystem
    from rich.style import Style

    styles = {name: Style.parse(spec) for name, spec in STYLES.items()}
    lines: list[str] = []
    severity = "error"
    for line in text.split("\n"):  # only `\n` ends a line, as in report/text.py
        spans, severity = line_spans(line, severity)
        parts, at = [], 0
        for start, end, name in spans:
            if start < at:  # overlapping matches: keep the first
                continue
            parts.append(line[at:start])
            parts.append(styles[name].render(line[start:end], color_system=ColorSystem.STANDARD))
            at = end
        parts.append(line[at:])
        lines.append("".join(parts))
    return "\n".join(lines)
