"""Parse `.relax` source into `relaxverify.syntax.ast`.

Lark builds the LALR(1) tables from grammar/relax.lark once per process, or
loads them from the user's cache (tables.py: building costs 60-80 ms a start); our
lexer (lexer.py) makes the tokens, a driver runs the tables and the tree
builder (builder.py) makes the AST at each reduction. Two drivers exist: the
fast loop of lalr.py (the default) and stock Lark (stock.py, public interface
only), chosen by `parse(..., driver=...)` or `RELAXVERIFY_PARSER` (`fast` or
`lark`). Apart from the tables, built once, no state outlives a call or is
shared by two: parses may run in threads.

Syntax errors are collected: after one, the parse resumes at the next token that
starts a declaration (recovery.py), so one run reports several.
"""
from __future__ import annotations

import os
import threading
import warnings
from importlib import resources
from pathlib import Path
from typing import Any, Iterable, Optional, Protocol

import lark
from lark import Lark

from relaxverify.gcpause import gc_paused
from relaxverify.report.diagnostics import Diagnostic, RelaxError
from relaxverify.syntax import ast as A
from relaxverify.syntax.builder import BUILDER
from relaxverify.syntax.errors import SyntaxFault, diagnostic
from relaxverify.syntax.lexer import RelaxLexer, Tok, lex
from relaxverify.syntax.recovery import TrackedTokens
from relaxverify.syntax.tables import cached_lark

MAX_SYNTAX_ERRORS = 20
DRIVERS = ("fast", "lark")
DRIVER_VARIABLE = "RELAXVERIFY_PARSER"


class ParseDriver(Protocol):
    """lalr.Driver or stock.StockDriver: the start rule's value, or SyntaxFault."""

    def parse(self, tokens: Iterable[Tok], path: str = ...) -> Any: ...


def grammar_text() -> str:
    """The grammar beside the package's source when there is one (a checkout), else
    the copy installed with the package: a checkout must not read the grammar of
    another checkout installed in editable mode."""
    source = Path(__file__).resolve().parents[2] / "grammar" / "relax.lark"
    if source.is_file():
        return source.read_text("utf-8")
    return resources.files("relaxverify.grammar").joinpath("relax.lark").read_text("utf-8")


_LOCK = threading.RLock()  # reentrant: a driver is built from the cached Lark
_CACHE: dict[str, Any] = {}


def _cached(key: str, build: Any) -> Any:
    """Build once per process, even when the first parses run in several threads."""
    value = _CACHE.get(key)
    if value is None:
        with _LOCK:
            value = _CACHE.get(key)
            if value is None:
                value = _CACHE[key] = build()
    return value


LARK_OPTIONS: dict[str, Any] = {"parser": "lalr", "lexer": RelaxLexer, "keep_all_tokens": True,
                                "maybe_placeholders": False}


def _lark() -> Lark:
    """Lark with our lexer and the tree builder as transformer, for stock.py (the
    fallback and reference driver; built each process, as Lark's saved tables keep
    no transformer)."""
    return _cached("lark", lambda: Lark(grammar_text(), transformer=BUILDER, **LARK_OPTIONS))


def _tables() -> Lark:
    """The same Lark without transformer, from the cache when there: lalr.py reads
    its table and calls the tree builder itself."""
    return _cached("tables", lambda: cached_lark(grammar_text(), **LARK_OPTIONS))


def select_driver(name: Optional[str] = None) -> ParseDriver:
    """The parse driver `name` (`fast` or `lark`); default: $RELAXVERIFY_PARSER, else
    fast, or stock Lark (with a warning) when the fast one cannot read the tables
    of the installed Lark."""
    chosen = name or os.environ.get(DRIVER_VARIABLE)
    name = chosen or "fast"
    if name not in DRIVERS:
        raise ValueError(f"unknown parser driver `{name}` (${DRIVER_VARIABLE}); "
                         f"use one of {', '.join(DRIVERS)}")
    if name == "lark":
        return _stock_driver()
    try:
        return _cached("fast-driver", _fast_driver)
    except (AttributeError, ImportError) as exc:  # Lark internals changed (see lalr.py)
        if chosen:
            raise
        warnings.warn(f"the fast parser cannot run on lark {lark.__version__} ({exc}); "
                      "parsing with stock Lark instead", RuntimeWarning, stacklevel=2)
        _CACHE["fast-driver"] = stock = _stock_driver()
        return stock


def _fast_driver() -> ParseDriver:
    from relaxverify.syntax.lalr import Driver
    return Driver(_tables(), BUILDER)


def _stock_driver() -> ParseDriver:
    from relaxverify.syntax.stock import StockDriver
    return _cached("lark-driver", lambda: StockDriver(_lark()))


def parse(text: str, path: str = "<input>", *, driver: Optional[str] = None) -> A.Program:
    """Parse a whole file; raise RelaxError with every syntax error found.
    `driver` is `fast` or `lark` (default: $RELAXVERIFY_PARSER, else fast)."""
    engine = select_driver(driver)
    with gc_paused():
        try:
            return A.Program(path, engine.parse(lex(text, path), path))
        except SyntaxFault as fault:
            first = fault
        raise RelaxError(_recover(engine, text, path, first))


def _recover(engine: ParseDriver, text: str, path: str, fault: SyntaxFault) -> list[Diagnostic]:
    """Every syntax error, the first being `fault`: after each, parse again from the
    next declaration (a fresh parse; its tree is dropped)."""
    diags = [diagnostic(fault, text)]
    stream = TrackedTokens(lex(text, path))
    while len(diags) < MAX_SYNTAX_ERRORS:
        resume = stream.resume_at_declaration(fault.token)
        if resume is None:
            break
        try:
            engine.parse(stream, path)
            break
        except SyntaxFault as again:
            if again.token is resume:  # cannot happen: a declaration keyword always starts one
                break
            fault = again
            diags.append(diagnostic(fault, text))
    return diags
