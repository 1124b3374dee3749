"""Specification functions (LANGUAGE.md v2 section 10): `spec fn NAME(params) -> T
requires ... decreases E { EXPR }`, lowered to `core.nodes.SpecFunction`.

They are declared first (so that every function's specifications, and their own
bodies, may call them), then their clauses are checked as specifications. A spec
function may call itself and the spec functions declared before it (so recursion is
direct only, and `decreases` bounds it); a recursive one needs `decreases`."""
from __future__ import annotations

from relaxverify.check.consts import Constants
from relaxverify.check.context import Position, Sink
from relaxverify.check.exprs import ExprChecker
from relaxverify.check.scopes import FunctionScope
from relaxverify.core import nodes as C
from relaxverify.core.nodes import BOOL, INT, Type
from relaxverify.syntax import ast as A

_BASES = ("int", "real", "bool")


def check_spec_functions(decls: list[A.SpecFunction], consts: Constants, sink: Sink,
                         functions: dict[str, A.Function]) -> dict[str, C.SpecFunction]:
    out: dict[str, C.SpecFunction] = {}
    for d in decls:
        fake = A.Function(d.name, d.params, d.ret, [], [], [], [], [], [], d.span, d.name_span)
        scope = FunctionScope(fake, sink, consts, functions)
        scope.spec_functions = dict(out)  # the ones before it (itself added below)
        params = []
        for p in d.params:
            if scope.in_outermost(p.name):
                sink.err(f"parameter `{p.name}` is declared twice", p.span, "name")
                continue
            if p.urel or p.type.base not in _BASES or p.type.dims > 1:
                where = " in a region" if p.urel else ""
                sink.err(f"a parameter of a specification function is int, real or bool (or "
                         f"a one-dimensional array of them), not `{p.type}`{where}", p.span,
                         "type", "state the property with a quantifier over its indices"
                         if p.type.dims > 1 else
                         "specifications compute exactly: use `real` for a float value")
            var = scope.declare(p.name, Type(p.type.base, p.type.array), False, "param", p.span)
            params.append(var)
        if isinstance(d.ret, list):  # `-> (q: int, ...)`: named results
            sink.err("a specification function has one result, written `-> int`, `-> real` "
                     "or `-> bool`", d.ret[0].span, "type", "its body is the one value it "
                     "returns; define one specification function per value")
        written = d.ret[0].type if isinstance(d.ret, list) else d.ret
        ret = Type(written.base, written.array)
        if ret.array or ret.base not in _BASES:
            sink.err(f"a specification function returns int, real or bool, not `{ret}`",
                     written.span or d.name_span, "type")
        sf = C.SpecFunction(d.name, params, ret, [], None, None, d.span)
        out[d.name] = sf
        scope.spec_functions[d.name] = sf
        exprs = ExprChecker(scope, consts, sink)
        pos = Position("a specification function", "unary")
        sf.requires = [exprs.spec(e, pos, "`requires`") for e in d.requires]
        if len(d.decreases) > 1:
            sink.err("a specification function has at most one `decreases`",
                     d.decreases[1].span, "placement", "combine them into one int measure")
        if d.decreases:
            sf.decreases = exprs.expect(d.decreases[0], INT, pos, "`decreases`")
        sf.body = exprs.expect(d.body, ret if ret.base in _BASES and not ret.array else BOOL,
                               pos.with_(where="the body of a specification function"),
                               "the body")
        if sf.recursive and not d.decreases:
            sink.err(f"`{d.name}` calls itself, so it needs `decreases E`: an int that stays "
                     "non-negative and drops at each recursive call", d.name_span, "placement",
                     f"for example `decreases hi - lo` for a sum over [lo, hi)")
    return out
