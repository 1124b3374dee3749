"""Parse `.relax` source into `relaxverify.ast` with Lark (LALR, positions kept).

The grammar is loaded once per process. Syntax errors are collected, one per
top-level declaration: after an error the parser resumes at the next line that
starts a declaration (`fn`, `const`, `hardware`), so one run reports several.
"""
from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources
from pathlib import Path

from lark import Lark, Token, Transformer_NonRecursive, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from . import ast as A
from .diagnostics import Diagnostic, RelaxError, error

MAX_SYNTAX_ERRORS = 20
_DECL_START = re.compile(r"^[ \t]*(fn|const|hardware)\b", re.MULTILINE)

# Readable names for the grammar's terminals, for "expected ..." messages.
_TERMINAL_TEXT = {
    "NAME": "a name", "INT": "an integer", "REAL": "a real number", "CMP": "a comparison",
    "ADD": "`+` or `-`", "MUL": "`*`, `/` or `%`", "ADORN": "`<o>` or `<r>`",
    "UOP": "an unreliable operator such as `+.`", "ARRAY": "`[]`", "IFF": "`<==>`",
    "IMPLIES": "`==>`", "$END": "end of file",
}


def grammar_text() -> str:
    """The grammar, from the installed package or, failing that, the source tree."""
    try:
        return resources.files("relaxverify.grammar").joinpath("relax.lark").read_text("utf-8")
    except (ModuleNotFoundError, FileNotFoundError):
        return (Path(__file__).resolve().parent.parent / "grammar" / "relax.lark").read_text("utf-8")


def _span(path: str, meta) -> A.Span:
    return A.Span(path, meta.line, meta.column, meta.end_line, meta.end_column)


@v_args(meta=True, inline=True)
class _ToAst(Transformer_NonRecursive):
    """Turns Lark's parse tree into AST nodes (without recursion: deep nesting is fine)."""

    path = "<input>"

    def _s(self, meta) -> A.Span:
        return _span(self.path, meta)

    def _t(self, tok: Token) -> A.Span:
        return A.Span(self.path, tok.line, tok.column, tok.end_line, tok.end_column)

    # declarations
    def start(self, meta, *decls):
        return list(decls)

    def const_decl(self, meta, name, ty, value):
        return A.Const(str(name), ty, value, self._s(meta))

    def hardware_decl(self, meta, name, *entries):
        return A.Hardware(str(name), list(entries), self._s(meta))

    def hw_operator(self, meta, op, prob, err=None):
        return A.HwOperator(str(op), prob, err, self._s(meta))

    def hw_error(self, meta, e):
        return e

    def hw_memory(self, meta, *accesses):
        return A.HwMemory(list(accesses), self._s(meta))

    def hw_access(self, meta, kind, value):
        return (kind, value, self._s(meta))

    def access_kind(self, meta, tok):
        return str(tok)

    def fn_decl(self, meta, name, *rest):
        params: list[A.Param] = []
        ret = None
        clauses: dict[str, list] = {k: [] for k in
                                    ("requires", "ensures", "requires_r", "ensures_r", "reliability")}
        body: list = []
        for item in rest:
            if isinstance(item, tuple) and item[0] == "params":
                params = item[1]
            elif isinstance(item, tuple) and item[0] == "ret":
                ret = item[1]
            elif isinstance(item, tuple) and item[0] in clauses:
                clauses[item[0]].append(item[1])
            elif isinstance(item, tuple) and item[0] == "block":
                body = item[1]
        return A.Function(str(name), params, ret, clauses["requires"], clauses["ensures"],
                          clauses["requires_r"], clauses["ensures_r"], clauses["reliability"],
                          body, self._s(meta), self._t(name))

    def params(self, meta, *ps):
        return ("params", list(ps))

    def param(self, meta, name, ty, urel=None):
        return A.Param(str(name), ty, urel is not None, self._s(meta))

    def ret_type(self, meta, ty):
        return ("ret", ty)

    def urel(self, meta):
        return True

    def requires(self, meta, e):
        return ("requires", e)

    def ensures(self, meta, e):
        return ("ensures", e)

    def requires_r(self, meta, e):
        return ("requires_r", e)

    def ensures_r(self, meta, e):
        return ("ensures_r", e)

    def reliability(self, meta, target, *factors):
        inputs = None
        plain = []
        for f in factors:
            if isinstance(f, tuple):
                if inputs is not None:
                    inputs = inputs + f[1]
                else:
                    inputs = f[1]
            else:
                plain.append(f)
        return ("reliability", A.ReliabilitySpec(target[1], plain, inputs, self._s(meta), target[2]))

    def rel_ref(self, meta, name, names=None):
        return (str(name), names or [], self._s(meta))

    def rel_names(self, meta, *names):
        return [str(n) for n in names]

    def rel_name(self, meta, tok):
        return str(tok)

    def type(self, meta, base, array=None):
        return A.TypeRef(base, array is not None)

    def base_type(self, meta, tok):
        return str(tok)

    # statements
    def block(self, meta, *stmts):
        return ("block", list(stmts))

    def var_decl(self, meta, name, ty, *rest):
        urel = any(r is True for r in rest)
        init = next((r for r in rest if r is not True), None)
        return A.VarDecl(str(name), ty, urel, init, self._s(meta), self._t(name))

    def array_decl(self, meta, name, base, length, urel=None):
        return A.ArrayDecl(str(name), base, length, urel is not None, self._s(meta), self._t(name))

    def assign(self, meta, name, value):
        return A.Assign(str(name), value, self._s(meta), self._t(name))

    def array_assign(self, meta, name, index, value):
        return A.ArrayAssign(str(name), index, value, self._s(meta), self._t(name))

    def call_stmt(self, meta, name, args=None):
        call = A.CallExpr(str(name), args or [], self._s(meta), self._t(name))
        return A.CallStmt(call, self._s(meta))

    def args(self, meta, *es):
        return list(es)

    def names(self, meta, *toks):
        return [A.Name(str(t), self._t(t)) for t in toks]

    def relax(self, meta, names, pred):
        return A.Relax("relax", names, pred, self._s(meta))

    def havoc(self, meta, names, pred):
        return A.Relax("havoc", names, pred, self._s(meta))

    def assert_(self, meta, e):
        return A.Check("assert", e, self._s(meta))

    def assume(self, meta, e):
        return A.Check("assume", e, self._s(meta))

    def accept(self, meta, e):
        return A.Check("accept", e, self._s(meta))

    def if_(self, meta, cond, then, orelse=None):
        return A.If(cond, then[1], orelse or [], self._s(meta))

    def else_(self, meta, branch):
        return branch[1] if isinstance(branch, tuple) else [branch]

    def _clauses(self, items):
        clauses = A.LoopClauses()
        for kind, e in items:
            {"invariant": clauses.invariants, "invariant_r": clauses.invariants_r,
             "bound": clauses.bounds}[kind].append(e)
        return clauses

    def while_(self, meta, cond, *rest):
        return A.While(cond, self._clauses(rest[:-1]), rest[-1][1], self._s(meta))

    def for_(self, meta, name, lo, hi, *rest):
        return A.For(str(name), lo, hi, self._clauses(rest[:-1]), rest[-1][1], self._s(meta),
                     self._t(name))

    def repeat(self, meta, count, *rest):
        return A.Repeat(count, self._clauses(rest[:-1]), rest[-1][1], self._s(meta))

    def invariant(self, meta, e):
        return ("invariant", e)

    def invariant_r(self, meta, e):
        return ("invariant_r", e)

    def bound(self, meta, e):
        return ("bound", e)

    def return_(self, meta, e):
        return A.Return(e, self._s(meta))

    def skip(self, meta):
        return A.Skip(self._s(meta))

    # expressions
    def binop(self, meta, left, op, right):
        return A.Binary(str(op), left, right, self._s(meta))

    def chain(self, meta, first, *rest):
        return A.Chain([first, *rest[1::2]], [str(t) for t in rest[0::2]], self._s(meta))

    def not_(self, meta, e):
        return A.Unary("!", e, self._s(meta))

    def neg(self, meta, e):
        return A.Unary("-", e, self._s(meta))

    def index(self, meta, arr, idx):
        return A.Index(arr, idx, self._s(meta))

    def adorn(self, meta, e, tok):
        return A.Adorned(e, str(tok)[1], self._s(meta))

    def int_lit(self, meta, tok):
        return A.IntLit(int(tok), self._s(meta))

    def real_lit(self, meta, tok):
        return A.RealLit(str(tok), self._s(meta))

    def true(self, meta):
        return A.BoolLit(True, self._s(meta))

    def false(self, meta):
        return A.BoolLit(False, self._s(meta))

    def name(self, meta, tok):
        return A.Name(str(tok), self._s(meta))

    def result(self, meta):
        return A.ResultRef(self._s(meta))

    def builtin(self, meta, name, args):
        return A.Builtin(name, args, self._s(meta))

    def builtin_name(self, meta, tok):
        return str(tok)

    def call(self, meta, name, args=None):
        return A.CallExpr(str(name), args or [], self._s(meta), self._t(name))

    def quant(self, meta, kind, var, ty, body):
        return A.Quant(kind, str(var), ty, body, self._s(meta))

    def quant_kind(self, meta, tok):
        return str(tok)


_TRANSFORMER = _ToAst()


@lru_cache(maxsize=1)
def _lark() -> Lark:
    return Lark(grammar_text(), parser="lalr", propagate_positions=True, maybe_placeholders=False)


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
        ch = text[exc.pos_in_stream] if exc.pos_in_stream < len(text) else "?"
        return error(f"unexpected character `{ch}`", _point(path, exc.line, exc.column), "syntax",
                     "Relax programs use the characters of §1 of the language reference; "
                     "check for a typo.")
    if isinstance(exc, UnexpectedEOF) or (isinstance(exc, UnexpectedToken) and exc.token.type == "$END"):
        lines = text.splitlines() or [""]
        line = len(lines)
        expected = _describe_expected(set(exc.expected))
        msg = "unexpected end of file" + (f"; expected {expected}" if expected else "")
        return error(msg, _point(path, line, len(lines[-1]) + 1), "syntax",
                     "a block, statement or declaration is not finished; check for a missing `}`")
    assert isinstance(exc, UnexpectedToken)
    tok = exc.token
    expected = set(exc.expected)
    desc = _describe_expected(expected)
    span = _point(path, tok.line, tok.column, len(str(tok)))
    notes = []
    if "SEMICOLON" in expected and exc.token.type != "SEMICOLON":
        prev = _previous_token_end(text, tok.start_pos)
        if prev is not None and prev[0] < tok.line:
            return error("missing `;` at the end of the statement", _point(path, *prev), "syntax",
                         "every statement and declaration ends with `;`")
    if tok.type == "NAME" and str(tok) in _KEYWORD_LIKE:
        notes.append(f"`{tok}` is not a Relax keyword")
    if tok.type == "__ANON" or (tok.type not in ("NAME", "INT", "REAL") and str(tok) in _KEYWORDS):
        notes.append(f"`{tok}` is a reserved word and cannot be used as a name")
    msg = f"unexpected `{tok}`" + (f"; expected {desc}" if desc else "")
    return error(msg, span, "syntax", *notes)


_KEYWORDS = set("""fn var const if else while repeat for in return skip relax havoc st assert
assume accept requires ensures requires_r ensures_r invariant invariant_r bound reliability hardware
operator memory urel read write error true false forall exists int real bool result old eq len abs
min max""".split())
_KEYWORD_LIKE = {"let", "def", "function", "func", "elif", "then", "do", "end", "float", "double",
                 "integer", "boolean", "ensure", "require", "invariants"}


def _previous_token_end(text: str, pos: int):
    """(line, column) just after the last non-blank, non-comment character before pos."""
    i = pos - 1
    while i >= 0 and text[i] in " \t\r\n\f":
        i -= 1
    if i < 0:
        return None
    line = text.count("\n", 0, i + 1) + 1
    col = i - (text.rfind("\n", 0, i + 1) + 1) + 2
    return line, col


def parse(text: str, path: str = "<input>") -> A.Program:
    """Parse a whole file; raise RelaxError with every syntax error found."""
    lark = _lark()
    diags: list[Diagnostic] = []
    offset = 0
    source = text
    decls = None
    while True:
        try:
            tree = lark.parse(source)
            if not diags:
                _TRANSFORMER.path = path
                decls = _TRANSFORMER.transform(tree)
            break
        except UnexpectedInput as exc:
            diags.append(_syntax_diagnostic(exc, path, text))
            pos = getattr(exc, "pos_in_stream", None)
            if pos is None:
                pos = getattr(getattr(exc, "token", None), "start_pos", None)
            if pos is None or len(diags) >= MAX_SYNTAX_ERRORS:
                break
            nxt = _DECL_START.search(text, max(pos + 1, offset + 1))
            if nxt is None:
                break
            # Resume at the next declaration; blank what precedes it so that
            # line and column numbers stay those of the original text.
            offset = nxt.start()
            source = re.sub(r"[^\n]", " ", text[:offset]) + text[offset:]
    if diags:
        raise RelaxError(diags)
    return A.Program(path, decls)
