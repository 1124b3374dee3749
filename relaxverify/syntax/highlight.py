"""What each token of the table (tokens.py) is to a highlighter: the groups that
the TextMate grammar (textmate.py, for editors) and the Pygments lexer
(pygments_lexer.py, for the docs site) colour alike. Every keyword is in exactly
one group (tests/test_highlight.py), so a keyword added to the table without a
group fails a test instead of going uncoloured."""
from __future__ import annotations

import re
from typing import Final

from relaxverify.syntax import tokens as T

KEYWORD_GROUPS: Final[dict[str, tuple[str, ...]]] = {
    "declaration": ("fn", "spec", "extern", "var", "const", "hardware", "operator", "memory"),
    "control": ("if", "then", "else", "while", "repeat", "for", "in", "return", "skip"),
    "relaxation": ("relax", "havoc", "st"),
    "specification": ("assert", "assume", "accept", "requires", "ensures", "requires_r",
                      "ensures_r", "invariant", "invariant_r", "bound", "decreases",
                      "reliability"),
    "quantifier": ("forall", "exists"),
    "type": ("int", "real", "bool", "float64", "float32", "float16", "bfloat16"),
    "modifier": ("urel", "read", "write", "error"),
    "hardware": tuple(T.HARDWARE_KEYWORDS),  # keywords inside `hardware` blocks only
    "constant": ("true", "false"),
    "variable": ("result",),
    "builtin": ("old", "eq", "len", "abs", "min", "max", "sqrt", "exp", "log", "sin", "cos",
                "floor", "ceil"),
}


CONTEXTUAL: Final = ("hardware",)  # the groups that are keywords only in a hardware block
BRACKET_MARKS: Final = frozenset("(){}[]")
BRACKETS: Final = r"[(){}\[\]]"


def keyword_pattern(group: str) -> str:
    """A regular expression matching the group's words as whole words."""
    words = sorted(KEYWORD_GROUPS[group], key=lambda w: (-len(w), w))
    return r"\b(?:" + "|".join(re.escape(w) for w in words) + r")\b"


def operator_pattern(unreliable: bool) -> str:
    """The unreliable operators (`+.`, `<.`), or every other operator and punctuation
    mark but the brackets, longest first (as the lexer tries them)."""
    spellings = [s for s in T.operator_spellings()
                 if (s in T.UNRELIABLE) == unreliable and s not in BRACKET_MARKS]
    return "|".join(re.escape(s) for s in spellings)


ADORNMENT: Final = "|".join(re.escape(a) for a in T.ADORNMENTS)
