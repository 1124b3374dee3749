"""Go to definition: where a name used at a position was declared, from the syntax
tree of a document that parses (it need not check).

Relax forbids shadowing (docs/language-decisions.md, "Names and scopes"), so at any
position one declaration at most of a name is visible: the last one, before the
position, whose scope holds it. A local's scope runs from its declaration to the end
of its block; a parameter's is its function, a quantified variable's its quantifier,
a loop counter's its loop. A name no local declares is a function, a spec function,
a constant or a hardware model of the file.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Iterator, Optional, Union

from relaxverify.report.diagnostics import RelaxError
from relaxverify.source import Span
from relaxverify.syntax import ast as A
from relaxverify.syntax.lexer import Tok, lex
from relaxverify.syntax.parser import parse

Point = tuple[int, int]  # (line, column), 1-based


@dataclass(frozen=True)
class Declaration:
    name: str
    span: Span  # the declared name
    scope: Optional[tuple[Point, Point]] = None  # None: the whole file
    owner: Optional[str] = None  # the function that declares a local


@dataclass
class Index:
    """The declarations of a document and its name tokens."""

    names: list[Tok]
    top: dict[str, Declaration]
    locals: list[Declaration]
    owners: list[tuple[str, Span]]  # every function and spec function, with its span
    functions: list[Declaration]  # the functions with a body (code lenses go above them)

    def definition(self, line: int, column: int) -> Optional[Declaration]:
        """The declaration of the name at (or just after) the position."""
        token = next((t for t in self.names
                      if t.line == line and t.column <= column <= t.end_column), None)
        if token is None:
            return None
        here = (token.line, token.column)
        owner = next((name for name, span in self.owners if _inside(here, _extent(span))), None)
        visible = [d for d in self.locals if d.name == token.value and d.owner == owner
                   and d.scope is not None and _inside(here, d.scope)
                   and _start(d.span) <= here]
        if visible:
            return max(visible, key=lambda d: _start(d.span))
        return self.top.get(token.value)


def index_source(text: str, path: str) -> Optional[Index]:
    """The index of a document, or None when it does not parse."""
    try:
        program = parse(text, path)
    except RelaxError:
        return None
    names = [t for t in lex(text, path) if t.type == "NAME"]
    top: dict[str, Declaration] = {}
    local: list[Declaration] = []
    owners: list[tuple[str, Span]] = []
    functions: list[Declaration] = []
    for d in program.decls:
        decl = _top_level(d, names)
        top.setdefault(decl.name, decl)
        if isinstance(d, (A.Function, A.SpecFunction)):
            owners.append((d.name, d.span))
            local += _locals(d, names)
            if isinstance(d, A.Function) and not d.extern:
                functions.append(decl)
    return Index(names, top, local, owners, functions)


def _top_level(d: Union[A.Const, A.Hardware, A.Function, A.SpecFunction],
               names: list[Tok]) -> Declaration:
    if isinstance(d, (A.Function, A.SpecFunction)):
        return Declaration(d.name, d.name_span)
    return Declaration(d.name, _name_in(d.name, d.span, names))  # a constant, a model


def _locals(fn: Union[A.Function, A.SpecFunction], names: list[Tok]) -> Iterator[Declaration]:
    whole = _extent(fn.span)
    params = fn.params + (fn.results if isinstance(fn, A.Function) else [])
    for p in params:
        yield Declaration(p.name, _word(p.name, p.span), whole, fn.name)
    if isinstance(fn, A.Function):
        yield from _block(fn.body, fn.name)
    for node in _nodes(fn):
        if isinstance(node, A.Quant):
            yield Declaration(node.var, _name_in(node.var, node.span, names),
                              _extent(node.span), fn.name)


def _block(stmts: list[A.Stmt], owner: str) -> Iterator[Declaration]:
    """The declarations of a statement list and of the blocks inside it."""
    if not stmts:
        return
    end = _end(stmts[-1].span)
    for s in stmts:
        if isinstance(s, (A.VarDecl, A.ArrayDecl)):
            yield Declaration(s.name, s.name_span, (_start(s.span), end), owner)
        elif isinstance(s, A.For):
            yield Declaration(s.var, s.var_span, _extent(s.span), owner)
        if isinstance(s, A.If):
            yield from _block(s.then, owner)
            yield from _block(s.orelse, owner)
        elif isinstance(s, (A.While, A.For, A.Repeat)):
            yield from _block(s.body, owner)


def _nodes(x: Any) -> Iterator[Any]:
    """Every syntax node below `x` (spans and written types excluded)."""
    if isinstance(x, list):
        for item in x:
            yield from _nodes(item)
    elif dataclasses.is_dataclass(x) and not isinstance(x, (Span, A.TypeRef)):
        yield x
        for f in dataclasses.fields(x):
            yield from _nodes(getattr(x, f.name))


def _name_in(name: str, span: Span, names: list[Tok]) -> Span:
    """The first occurrence of `name` in `span` (a constant's, a quantifier's)."""
    region = _extent(span)
    tok = next((t for t in names if t.value == name and _inside((t.line, t.column), region)),
               None)
    return _word(name, span) if tok is None else \
        Span(span.path, tok.line, tok.column, tok.line, tok.end_column)


def _word(name: str, span: Span) -> Span:
    """The span of `name` written at the start of `span` (a parameter)."""
    return Span(span.path, span.line, span.column, span.line, span.column + len(name))


def _start(span: Span) -> Point:
    return span.line, span.column


def _end(span: Span) -> Point:
    return span.end_line, span.end_column


def _extent(span: Span) -> tuple[Point, Point]:
    return _start(span), _end(span)


def _inside(point: Point, region: tuple[Point, Point]) -> bool:
    return region[0] <= point <= region[1]
