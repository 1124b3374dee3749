"""The token table of Relax: every keyword, punctuation mark and token class, with
the grammar terminal the lexer gives it and the words syntax errors use for it.

The lexer is built from this table and grammar/relax.lark uses the same terminal
names; tests/test_syntax_tokens.py checks that the two agree both ways. Adding a
keyword is one line here (the word in `KEYWORDS`) plus its use in the grammar.
"""
from __future__ import annotations

from typing import Final, Optional

# docs/language.md section 1, in its order (the v1 keywords).
KEYWORDS: Final[tuple[str, ...]] = tuple("""
fn var const if else while repeat for in return skip relax havoc st assert assume
accept requires ensures requires_r ensures_r invariant invariant_r bound reliability
hardware operator memory urel read write error true false forall exists int real
bool result old eq len abs min max
float64 float32 float16 bfloat16 sqrt exp log sin cos floor ceil
""".split()) + (
    "then",  # v2 section 10: `if c then e1 else e2`
    "spec", "decreases",  # v2 section 10: specification functions
    "extern")  # v2 section 10: declarations without a body
# Keywords only inside `hardware` blocks (LANGUAGE.md v2, head): elsewhere names.
HARDWARE_KEYWORDS: Final[dict[str, str]] = {"precision": "PRECISION", "faults": "FAULTS",
                                             "at": "AT", "most": "MOST"}

# A keyword's terminal is its upper-case spelling, unless a token class has that name.
_KEYWORD_TERMINAL_RENAMED: Final = {"int": "INT_KW", "real": "REAL_KW"}


def keyword_terminal(word: str) -> str:
    """The grammar terminal of a keyword: `fn` is FN, `int` is INT_KW (INT is a literal)."""
    return _KEYWORD_TERMINAL_RENAMED.get(word, word.upper())


KEYWORD_TERMINALS: Final[dict[str, str]] = {w: keyword_terminal(w) for w in KEYWORDS}

# Punctuation with a terminal of its own (spelling -> terminal).
PUNCTUATION: Final[dict[str, str]] = {
    "(": "LPAR", ")": "RPAR", "{": "LBRACE", "}": "RBRACE", "[": "LSQB", "]": "RSQB",
    ";": "SEMICOLON", ":": "COLON", ",": "COMMA", "=": "EQUAL", "->": "ARROW",
    "..": "DOTDOT", "::": "DCOLON", "?": "QMARK",
}

# Binary operators (docs/language.md section 5). They share one terminal, BINOP: the
# parser reads `operand (BINOP operand)*` and precedence climbing builds the tree.
RELIABLE_BINARY: Final[tuple[str, ...]] = (
    "<==>", "==>", "||", "&&", "==", "!=", "<", "<=", ">", ">=", "+", "-", "*", "/", "%")
# Unreliable operators: BINOP in expressions, UOP right after `operator` (hardware).
UNRELIABLE: Final[tuple[str, ...]] = (
    "==.", "!=.", "<.", "<=.", ">.", ">=.", "+.", "-.", "*.", "/.")
BINARY: Final[frozenset[str]] = frozenset(RELIABLE_BINARY + UNRELIABLE)
# Token classes: a terminal with several spellings (or a pattern) -> the spellings.
ADORNMENTS: Final[tuple[str, ...]] = ("<o>", "<r>")
CLASS_SPELLINGS: Final[dict[str, tuple[str, ...]]] = {
    "BINOP": tuple(sorted(BINARY)), "UOP": UNRELIABLE, "ADORN": ADORNMENTS,
    "NOT": ("!",), "MINUS": ("-",), "ARRAY": ("[]",),
}
LITERAL_CLASSES: Final[tuple[str, ...]] = ("NAME", "INT", "REAL")
# The patterns of the literal classes (Python regular expressions), in the order the
# lexer tries them, and of comments: the lexer and the highlighters
# (syntax/highlight.py) all read these.
LITERAL_PATTERNS: Final[dict[str, str]] = {
    "REAL": r"[0-9]+\.[0-9]+(?:[eE][+-]?[0-9]+)?|[0-9]+[eE][+-]?[0-9]+",
    "INT": r"[0-9]+",
    "NAME": r"[A-Za-z_][A-Za-z0-9_]*",
}
LINE_COMMENT: Final = r"//[^\n]*"
BLOCK_COMMENT_START: Final = r"/\*"
BLOCK_COMMENT_END: Final = r"\*/"

# How messages name a terminal that is not shown as its spelling.
CLASS_WORDS: Final[dict[str, str]] = {
    "NAME": "a name", "INT": "an integer", "REAL": "a real number",
    "ADORN": "`<o>` or `<r>`", "UOP": "an unreliable operator such as `+.`", "ARRAY": "`[]`",
    "BINOP": "an operator", "MINUS": "`-`", "NOT": "`!`", "$END": "end of file",
}

# Pseudo-terminals the lexer yields for text that is no token; no grammar rule
# accepts them, so the parser stops there and the error names the character.
BAD_CHARACTER: Final = "$BADCHAR"
OPEN_COMMENT: Final = "$OPENCOMMENT"

# Terminals after which `-` is binary (they end an operand).
OPERAND_END: Final[frozenset[str]] = frozenset(
    {"NAME", "INT", "REAL", "RPAR", "RSQB", "ADORN"}
    | {keyword_terminal(w) for w in ("true", "false", "result")})
# Keywords that start a top-level declaration: where error recovery resumes.
DECLARATION_STARTS: Final[frozenset[str]] = frozenset(
    keyword_terminal(w) for w in ("fn", "const", "hardware", "spec", "extern"))

# Every terminal of the grammar, with its spelling for those that have one.
TERMINAL_TEXT: Final[dict[str, str]] = {
    **{t: w for w, t in KEYWORD_TERMINALS.items()},
    **{t: p for p, t in PUNCTUATION.items()},
    **{t: w for w, t in HARDWARE_KEYWORDS.items()},
}
TERMINALS: Final[frozenset[str]] = frozenset(
    set(TERMINAL_TEXT) | set(CLASS_SPELLINGS) | set(LITERAL_CLASSES))


def words(terminal: str) -> Optional[str]:
    """How an "expected ..." message names a terminal: `fn`, `;`, a name, ...
    (None for what is no terminal, such as the `>=` a reliability spec wants)."""
    if terminal in CLASS_WORDS:
        return CLASS_WORDS[terminal]
    if terminal in TERMINAL_TEXT:
        return f"`{TERMINAL_TEXT[terminal]}`"
    return None


def operator_spellings() -> list[str]:
    """Every operator and punctuation spelling, longest first (one regex alternation
    tried in this order takes the longest match)."""
    spellings = set(PUNCTUATION) | BINARY | {s for ss in CLASS_SPELLINGS.values() for s in ss}
    return sorted(spellings - set(ADORNMENTS), key=lambda s: (-len(s), s))
