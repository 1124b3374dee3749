"""The names of one function: its block scopes, its read-only variables, and the fresh
core names of its variables (docs/language-decisions.md, "Names and scopes": no name
may shadow a visible one, constants included)."""
from __future__ import annotations

import difflib
from typing import Optional

from relaxverify.check.consts import Constants
from relaxverify.check.context import Sink
from relaxverify.core import nodes as C
from relaxverify.core.nodes import Type
from relaxverify.syntax import ast as A

MATH_FUNCTIONS = ("sqrt", "exp", "log", "floor", "ceil", "pow")
# what the user calls a `Var.kind`
KIND_WORDS = {"param": "parameter", "local": "variable", "counter": "loop counter",
              "bound": "quantified variable", "result": "result"}


class FunctionScope:
    """Variables visible in function `fn`, innermost block last. Each declaration
    gets a core `Var` whose name is unique in the function (`x`, `x#1`, ...)."""

    def __init__(self, fn: A.Function, sink: Sink, consts: Constants,
                 functions: dict[str, A.Function], regions: frozenset[str] = frozenset({"urel"})):
        self.fn = fn
        self.regions = regions  # `urel` and every region a hardware block of the file declares
        self.sink = sink
        self.consts = consts
        self.functions = functions
        self.spec_functions: dict[str, C.SpecFunction] = {}  # callable in specifications
        self.blocks: list[dict[str, C.Var]] = [{}]
        self.locals: list[C.Var] = []  # every local, counter and ghost, in order
        self.readonly: set[C.Var] = set()
        self.result: Optional[C.Var] = None  # the only result, which `result` names
        self.results: list[C.Var] = []  # every result, in order
        self.named: dict[str, C.Var] = {}  # the named results of `-> (q: T, ...)`
        self._used: dict[str, int] = {}

    def push(self) -> None:
        self.blocks.append({})

    def pop(self) -> None:
        self.blocks.pop()

    def fresh(self, source: str, ty: Type, urel: bool, kind: str, span: A.Span,
              region: Optional[str] = None) -> C.Var:
        """A new core variable for `source`, not entered in any scope."""
        n = self._used.get(source, 0)
        self._used[source] = n + 1
        name = source if n == 0 else f"{source}#{n}"
        var = C.Var(name, source, ty, urel, kind, span, (region or "urel") if urel else None)
        if kind not in ("param", "result", "bound"):
            self.locals.append(var)
        return var

    def declare(self, name: str, ty: Type, urel: bool, kind: str, span: A.Span,
                region: Optional[str] = None) -> C.Var:
        """Declare `name` in the innermost block (reporting a clash, declaring anyway)."""
        if region is not None and region not in self.regions:
            self.sink.err(f"memory region `{region}` is not declared", span, "hardware",
                          f"declare it in a hardware block (`memory {region} precision "
                          f"float16;`) or use `in urel`")
        prior = self.lookup(name) or self.named.get(name)
        fix = f"choose a different name for this {KIND_WORDS[kind]}"
        if prior is not None:
            what = "" if prior.kind == "local" else f" as a {KIND_WORDS[prior.kind]}"
            self.sink.err(f"`{name}` is already declared at line {prior.span.line}{what}; a "
                          "variable may not shadow another", span, "name", fix)
        elif name in self.consts:
            self.sink.err(f"`{name}` is already a constant (line {self.consts.line(name)}); a "
                          f"{KIND_WORDS[kind]} may not shadow it", span, "name", fix)
        var = self.fresh(name, ty, urel, kind, span, region)
        self.blocks[-1][name] = var
        return var

    def lookup(self, name: str) -> Optional[C.Var]:
        for block in reversed(self.blocks):
            if name in block:
                return block[name]
        return None

    def in_outermost(self, name: str) -> bool:
        """Whether `name` is declared in the function's outermost block (parameters)."""
        return name in self.blocks[0]

    def describe(self, name: str, bound: Optional[dict[str, C.Var]] = None) -> Optional[str]:
        """What the visible name `name` is, for a message ("the parameter declared at line
        3"); `bound` holds the quantified variables in scope. None if nothing."""
        var = (bound or {}).get(name) or self.lookup(name)
        if var is not None:
            return f"the {KIND_WORDS[var.kind]} declared at line {var.span.line}"
        if name in self.consts:
            return f"the constant declared at line {self.consts.line(name)}"
        return None

    def visible_names(self) -> list[str]:
        names = set(self.consts.names())
        for block in self.blocks:
            names.update(block)
        return sorted(names)

    def undefined(self, name: str, span: A.Span, kind: str = "variable") -> None:
        """Report that `name` is not defined, suggesting a close visible name."""
        pool = self.visible_names() if kind == "variable" else sorted(self.functions)
        close = difflib.get_close_matches(name, pool, n=1)
        notes = [f"did you mean `{close[0]}`?"] if close else []
        if kind == "function" and name in MATH_FUNCTIONS:
            notes.append("Relax has no math library; the built-ins are len, abs, min, max, real")
        self.sink.err(f"{kind} `{name}` is not defined", span, "name", *notes)
