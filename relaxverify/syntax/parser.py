"""Parse `.relax` source into `relaxverify.ast` with Lark (LALR, positions kept).

The grammar is loaded once per process. Syntax errors are collected, one per
top-level declaration: after an error the parser resumes at the next line that
starts a declaration (`fn`, `const`, `hardware`), so one run reports several.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

from lark import Lark
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from relaxverify.syntax import ast as A
from relaxverify.report.diagnostics import Diagnostic, RelaxError, error
from relaxverify.gcpause import gc_paused
from relaxverify.syntax.lalr import Driver
from relaxverify.syntax.lexer import RelaxLexer, Tok

MAX_SYNTAX_ERRORS = 20
_DECL_START = re.compile(r"^[ \t]*(fn|const|hardware)\b", re.MULTILINE)
_COMMENT = re.compile(r"//[^\n]*|/\*.*?(?:\*/|\Z)", re.DOTALL)

# Readable names for the grammar's terminals, for "expected ..." messages.
_TERMINAL_TEXT = {
    "NAME": "a name", "INT": "an integer", "REAL": "a real number", "CMP": "a comparison",
    "ADD": "`+` or `-`", "MUL": "`*`, `/` or `%`", "ADORN": "`<o>` or `<r>`",
    "UOP": "an unreliable operator such as `+.`", "ARRAY": "`[]`", "IFF": "`<==>`",
    "IMPLIES": "`==>`", "$END": "end of file", "BINOP": "an operator", "MINUS": "`-`",
    "NOT": "`!`",
}


def grammar_text() -> str:
    """The grammar, from the installed package or, failing that, the source tree."""
    try:
        return resources.files("relaxverify.grammar").joinpath("relax.lark").read_text("utf-8")
    except (ModuleNotFoundError, FileNotFoundError):
        return (Path(__file__).resolve().parents[2] / "grammar" / "relax.lark").read_text("utf-8")


# Binary operators by precedence level (LANGUAGE.md section 5), loosest first.
# `!` sits between `&&` and the comparisons; unary `-` binds tighter than `*`.
_LEVELS = [("<==>",), ("==>",), ("||",), ("&&",),
           ("==", "!=", "<", "<=", ">", ">=", "==.", "!=.", "<.", "<=.", ">.", ">=."),
           ("+", "-", "+.", "-."), ("*", "/", "%", "*.", "/.")]
_PREC = {op: level for level, ops in enumerate(_LEVELS) for op in ops}
_CMP_LEVEL = 4
_NOT_LEVEL = 4  # the operand of `!` is a comparison (or tighter)
_RIGHT_ASSOC = {"==>"}


@dataclass
class _Part:
    """An intermediate result that is not an AST node but needs a span."""

    kind: str
    value: object
    span: A.Span


class _Builder:
    """Reductions of the LALR parse (see lalr.py): each method gets the rule's
    children, every token included, and builds AST nodes directly, with spans
    from the first and the last child."""

    path = "<input>"

    def _tok(self, t: Tok) -> A.Span:
        return A.Span(self.path, t.line, t.column, t.end_line, t.end_column)

    def _sp(self, c) -> A.Span:
        a, b = c[0], c[-1]
        a = a if isinstance(a, Tok) else a.span
        b = b if isinstance(b, Tok) else b.span
        return A.Span(self.path, a.line, a.column, b.end_line, b.end_column)

    # declarations
    def start(self, c):
        return list(c)

    def const_decl(self, c):
        return A.Const(str(c[1]), c[3], c[5], self._sp(c))

    def hardware_decl(self, c):
        return A.Hardware(str(c[1]), list(c[3:-1]), self._sp(c))

    def hw_operator(self, c):
        err = c[4].value if isinstance(c[4], _Part) else None
        return A.HwOperator(str(c[1]), c[3], err, self._sp(c))

    def hw_error(self, c):
        return _Part("error", c[1], self._sp(c))

    def hw_memory(self, c):
        return A.HwMemory([x.value for x in c[2:-1]], self._sp(c))

    def hw_access(self, c):
        return _Part("access", (str(c[0]), c[2], self._sp(c)), self._sp(c))

    def access_kind(self, c):
        return c[0]

    def fn_decl(self, c):
        params: list[A.Param] = []
        ret = None
        clauses: dict[str, list] = {k: [] for k in
                                    ("requires", "ensures", "requires_r", "ensures_r", "reliability")}
        for item in c[3:-1]:
            if isinstance(item, _Part) and item.kind == "params":
                params = item.value
            elif isinstance(item, _Part) and item.kind == "ret":
                ret = item.value
            elif isinstance(item, _Part) and item.kind in clauses:
                clauses[item.kind].append(item.value)
        return A.Function(str(c[1]), params, ret, clauses["requires"], clauses["ensures"],
                          clauses["requires_r"], clauses["ensures_r"], clauses["reliability"],
                          c[-1].value, self._sp(c), self._tok(c[1]))

    def params(self, c):
        return _Part("params", c[::2], self._sp(c))

    def param(self, c):
        return A.Param(str(c[0]), c[2], len(c) > 3, self._sp(c))

    def ret_type(self, c):
        return _Part("ret", c[1], self._sp(c))

    def urel(self, c):
        return _Part("urel", True, self._sp(c))

    def _keyword_clause(self, c):
        """`requires P`, `invariant P`, `bound E`, ...: tagged with the keyword."""
        return _Part(str(c[0]), c[1], self._sp(c))

    requires = ensures = requires_r = ensures_r = _keyword_clause
    invariant = invariant_r = bound = _keyword_clause

    def reliability(self, c):
        target = c[1].value
        for op in c[2::2]:
            expected = ">=" if op is c[2] else "*"
            if str(op) != expected:
                raise UnexpectedToken(op, {expected})
        inputs = None
        plain = []
        for f in c[3::2]:
            if isinstance(f, _Part):
                inputs = (inputs or []) + f.value[1]
            else:
                plain.append(f)
        refs = [(f.value[0], f.span) for f in [c[1], *c[3::2]] if isinstance(f, _Part)]
        spec = A.ReliabilitySpec(target[1], plain, inputs, self._sp(c), c[1].span, refs)
        return _Part("reliability", spec, spec.span)

    def rel_ref(self, c):
        names = c[2].value if isinstance(c[2], _Part) else []
        return _Part("rel_ref", (str(c[0]), names), self._sp(c))

    def rel_names(self, c):
        return _Part("names", [str(x) for x in c[::2]], self._sp(c))

    def rel_name(self, c):
        return c[0]

    def type(self, c):
        return A.TypeRef(str(c[0]), len(c) > 1, self._sp(c))

    def base_type(self, c):
        return c[0]

    # statements
    def block(self, c):
        return _Part("block", list(c[1:-1]), self._sp(c))

    def var_decl(self, c):
        urel = any(isinstance(x, _Part) and x.kind == "urel" for x in c)
        init = c[-2] if str(c[-3]) == "=" and isinstance(c[-3], Tok) else None
        return A.VarDecl(str(c[1]), c[3], urel, init, self._sp(c), self._tok(c[1]))

    def array_decl(self, c):
        return A.ArrayDecl(str(c[1]), str(c[3]), c[5], len(c) > 8, self._sp(c),
                           self._tok(c[1]))

    def assign(self, c):
        return A.Assign(str(c[0]), c[2], self._sp(c), self._tok(c[0]))

    def array_assign(self, c):
        return A.ArrayAssign(str(c[0]), c[2], c[5], self._sp(c), self._tok(c[0]))

    def call_stmt(self, c):
        args = c[2].value if isinstance(c[2], _Part) else []
        call = A.CallExpr(str(c[0]), args, self._sp(c[:-1]), self._tok(c[0]))
        return A.CallStmt(call, self._sp(c))

    def args(self, c):
        return _Part("args", c[::2], self._sp(c))

    def names(self, c):
        return _Part("names", [A.Name(str(t), self._tok(t)) for t in c[::2]], self._sp(c))

    def relax(self, c):
        return A.Relax("relax", c[2].value, c[6], self._sp(c))

    def havoc(self, c):
        return A.Relax("havoc", c[2].value, c[6], self._sp(c))

    def assert_(self, c):
        return A.Check("assert", c[1], self._sp(c))

    def assume(self, c):
        return A.Check("assume", c[1], self._sp(c))

    def accept(self, c):
        return A.Check("accept", c[1], self._sp(c))

    def if_(self, c):
        orelse = c[5].value if len(c) > 5 else []
        return A.If(c[2], c[4].value, orelse, self._sp(c))

    def else_(self, c):
        branch = c[1]
        return _Part("else", branch.value if isinstance(branch, _Part) else [branch],
                     self._sp(c))

    @staticmethod
    def _clauses(items) -> A.LoopClauses:
        clauses = A.LoopClauses()
        for item in items:
            {"invariant": clauses.invariants, "invariant_r": clauses.invariants_r,
             "bound": clauses.bounds}[item.kind].append(item.value)
        return clauses

    def while_(self, c):
        return A.While(c[2], self._clauses(c[4:-1]), c[-1].value, self._sp(c))

    def for_(self, c):
        return A.For(str(c[1]), c[3], c[5], self._clauses(c[6:-1]), c[-1].value, self._sp(c),
                     self._tok(c[1]))

    def repeat(self, c):
        return A.Repeat(c[2], self._clauses(c[4:-1]), c[-1].value, self._sp(c))

    def return_(self, c):
        return A.Return(c[1], self._sp(c))

    def skip(self, c):
        return A.Skip(self._sp(c))

    # expressions
    def expr(self, c):
        if len(c) == 1 and not isinstance(c[0], _Prefixed):
            return c[0]
        return _climb(c, self.path)

    def operand(self, c):
        i = 0
        while isinstance(c[i], (Tok, _Part)):
            i += 1
        e = c[i]
        for post in c[i + 1:]:
            if isinstance(post, Tok):  # ADORN
                e = A.Adorned(e, str(post)[1], _join(self.path, e.span, self._tok(post)))
            else:
                e = A.Index(e, post.value, _join(self.path, e.span, post.span))
        if i == 0:
            return e
        return _Prefixed(c[:i], e, self._sp(c[:i] + [e]))

    def index(self, c):
        return _Part("index", c[1], self._sp(c))

    def quant_head(self, c):
        return _Part("quant", (str(c[0]), str(c[1]), c[3]), self._sp(c))

    def int_lit(self, c):
        return A.IntLit(int(c[0].value), self._tok(c[0]))

    def real_lit(self, c):
        return A.RealLit(str(c[0]), self._tok(c[0]))

    def true(self, c):
        return A.BoolLit(True, self._tok(c[0]))

    def false(self, c):
        return A.BoolLit(False, self._tok(c[0]))

    def name(self, c):
        return A.Name(str(c[0]), self._tok(c[0]))

    def result(self, c):
        return A.ResultRef(self._tok(c[0]))

    def paren(self, c):
        inner = c[1]
        inner.span = self._sp(c)  # the parentheses belong to the expression's extent
        return inner

    def builtin(self, c):
        return A.Builtin(str(c[0]), c[2].value, self._sp(c))

    def builtin_name(self, c):
        return c[0]

    def call(self, c):
        args = c[2].value if isinstance(c[2], _Part) else []
        return A.CallExpr(str(c[0]), args, self._sp(c), self._tok(c[0]))


@dataclass
class _Prefixed:
    """An operand with prefix operators (`!`, `-`, quantifier heads) still to apply:
    how far `!` and a quantifier reach depends on the binary operators that follow."""

    prefixes: list
    operand: object
    span: A.Span


def _join(path: str, a: A.Span, b) -> A.Span:
    return A.Span(path, a.line, a.column, b.end_line, b.end_column)


def _start(prefix, path: str) -> A.Span:
    if isinstance(prefix, Tok):
        return A.Span(path, prefix.line, prefix.column, prefix.end_line, prefix.end_column)
    return prefix.span


def _climb(seq: list, path: str):
    """Resolve `operand (op operand)*` into a tree by precedence climbing.

    Binary operators are left-associative except `==>`; comparisons chain. A
    prefix `-` applies to its operand alone; `!` reaches over the comparisons and
    the tighter operators after it; a quantifier reaches as far right as possible.
    """
    pos = 0

    def parse(min_level: int):
        return extend(operand(), min_level)

    def extend(left, min_level: int):
        nonlocal pos
        while pos < len(seq):
            op = str(seq[pos])
            level = _PREC[op]
            if level < min_level:
                break
            if level == _CMP_LEVEL:
                left = chain(left)
                continue
            pos += 1
            right = parse(level if op in _RIGHT_ASSOC else level + 1)
            left = A.Binary(op, left, right, _join(path, left.span, right.span))
        return left

    def chain(first):
        nonlocal pos
        operands, ops = [first], []
        while pos < len(seq) and _PREC[str(seq[pos])] == _CMP_LEVEL:
            ops.append(str(seq[pos]))
            pos += 1
            operands.append(parse(_CMP_LEVEL + 1))
        return A.Chain(operands, ops, _join(path, first.span, operands[-1].span))

    def operand():
        nonlocal pos
        item = seq[pos]
        pos += 1
        if not isinstance(item, _Prefixed):
            return item
        e = item.operand
        for prefix in reversed(item.prefixes):
            start = _start(prefix, path)
            if isinstance(prefix, Tok) and prefix.type == "MINUS":
                e = A.Unary("-", e, _join(path, start, e.span))
            elif isinstance(prefix, Tok):
                e = extend(e, _NOT_LEVEL)
                e = A.Unary("!", e, _join(path, start, e.span))
            else:
                e = extend(e, 0)
                kind, var, ty = prefix.value
                e = A.Quant(kind, var, ty, e, _join(path, start, e.span))
        return e

    return parse(0)


_BUILDER = _Builder()


@lru_cache(maxsize=1)
def _lark() -> Lark:
    """Lark builds the LALR(1) tables from the grammar (once per process)."""
    return Lark(grammar_text(), parser="lalr", lexer=RelaxLexer, keep_all_tokens=True,
                maybe_placeholders=False)


@lru_cache(maxsize=1)
def _engine() -> tuple[RelaxLexer, Driver]:
    lark = _lark()
    return RelaxLexer(lark.lexer_conf), Driver(lark, _BUILDER)


def _describe_expected(expected: set[str]) -> str:
    lark = _lark()
    shown = []
    for name in sorted(expected):
        if name in _TERMINAL_TEXT:
            shown.append(_TERMINAL_TEXT[name])
            continue
        try:
            pattern = lark.get_terminal(name).pattern
        except KeyError:
            continue
        shown.append(f"`{pattern.value}`" if pattern.type == "str" else name.lower())
    shown = sorted(set(shown))
    if not shown:
        return ""
    if len(shown) == 1:
        return shown[0]
    if len(shown) > 8:
        return "one of " + ", ".join(shown[:8]) + ", ..."
    return "one of " + ", ".join(shown)


def _point(path: str, line: int, col: int, width: int = 1) -> A.Span:
    return A.Span(path, line, col, line, col + max(width, 1))


def _syntax_diagnostic(exc: UnexpectedInput, path: str, text: str) -> Diagnostic:
    if isinstance(exc, UnexpectedCharacters):
        if text.startswith("/*", exc.pos_in_stream):
            return error("this comment is never closed", _point(path, exc.line, exc.column, 2),
                         "syntax", "end it with `*/`")
        ch = text[exc.pos_in_stream] if exc.pos_in_stream < len(text) else "?"
        if not ch.isprintable() or ch.isspace():
            ch = f"U+{ord(ch):04X}"
        return error(f"unexpected character `{ch}`", _point(path, exc.line, exc.column), "syntax",
                     "Relax programs use the characters of §1 of the language reference; "
                     "check for a typo.")
    if isinstance(exc, UnexpectedEOF) or (isinstance(exc, UnexpectedToken) and exc.token.type == "$END"):
        line = text.count("\n") + 1
        col = len(text) - (text.rfind("\n") + 1) + 1
        expected = _describe_expected(set(exc.expected))
        msg = "unexpected end of file" + (f"; expected {expected}" if expected else "")
        return error(msg, _point(path, line, col), "syntax",
                     "a block, statement or declaration is not finished; check for a missing `}`")
    assert isinstance(exc, UnexpectedToken)
    tok = exc.token
    expected = set(exc.expected)
    desc = _describe_expected(expected)
    span = _point(path, tok.line, tok.column, len(str(tok)))
    notes = []
    prev = exc.token_history[-1] if exc.token_history else None
    if "SEMICOLON" in expected and prev is not None and (prev.line < tok.line
                                                          or tok.type == "RBRACE"):
        return error("missing `;` at the end of the statement",
                     _point(path, prev.end_line, prev.end_column), "syntax",
                     "every statement and declaration ends with `;`")
    for word in (str(prev) if prev is not None else "", str(tok)):
        if word in _FOREIGN_WORDS:
            notes.append(f"`{word}` is not Relax: {_FOREIGN_WORDS[word]}")
            break
    if "NAME" in expected and str(tok) in _KEYWORDS:
        notes.append(f"`{tok}` is a reserved word and cannot be used as a name")
    before = text.split("\n")[tok.line - 1][:tok.column - 1]
    if re.search(r"\breliability\b", before):
        notes.append("a reliability spec reads `reliability R(result) >= c * R(x, y)`, where c "
                     "is a number, a constant or a product of them (write `0.9999`, not "
                     "`1 - 1e-4`)")
    msg = f"unexpected `{tok}`" + (f"; expected {desc}" if desc else "")
    return error(msg, span, "syntax", *notes)


_KEYWORDS = set("""fn var const if else while repeat for in return skip relax havoc st assert
assume accept requires ensures requires_r ensures_r invariant invariant_r bound reliability hardware
operator memory urel read write error true false forall exists int real bool result old eq len abs
min max""".split())
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


def _next_declaration(text: str, pos: int):
    """The next line from `pos` on that starts a declaration outside a block comment
    (commented-out code is no place to resume: it gave a spurious error at `*/`)."""
    comments = [m.span() for m in _COMMENT.finditer(text) if m.group().startswith("/*")]
    for m in _DECL_START.finditer(text, pos):
        if not any(a < m.start() < b for a, b in comments):
            return m
    return None


def parse(text: str, path: str = "<input>") -> A.Program:
    """Parse a whole file; raise RelaxError with every syntax error found."""
    with gc_paused():
        return _parse(text, path)


def _parse(text: str, path: str) -> A.Program:
    lexer, driver = _engine()
    diags: list[Diagnostic] = []
    offset = 0
    source = text
    decls = None
    while True:
        _BUILDER.path = path
        try:
            result = driver.parse(lexer.lex(source))
            if not diags:
                decls = result
            break
        except UnexpectedInput as exc:
            diags.append(_syntax_diagnostic(exc, path, text))
            pos = getattr(exc, "pos_in_stream", None)
            if pos is None:
                pos = getattr(getattr(exc, "token", None), "start_pos", None)
            if pos is None or len(diags) >= MAX_SYNTAX_ERRORS:
                break
            nxt = _next_declaration(text, max(pos + 1, offset + 1))
            if nxt is None:
                break
            # Resume at the next declaration; blank what precedes it so that
            # line and column numbers stay those of the original text.
            offset = nxt.start()
            source = re.sub(r"[^\n]", " ", text[:offset]) + text[offset:]
    if diags:
        raise RelaxError(diags)
    return A.Program(path, decls)
