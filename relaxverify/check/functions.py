"""One function: parameters, contracts and body, lowered to a core function
(docs/language.md, "Files and declarations"; docs/language-decisions.md, "Placement").
A function without `requires_r` gets `eq(p)` for every parameter."""
from __future__ import annotations

from typing import Optional

from relaxverify.check.consts import Constants
from relaxverify.check.context import Position, Sink
from relaxverify.check.exprs import ExprChecker
from relaxverify.check.scopes import FunctionScope
from relaxverify.check.specs import reliability_spec
from relaxverify.check.stmts import StmtChecker
from relaxverify.check.typerules import both_equal
from relaxverify.core import nodes as C
from relaxverify.core.nodes import Type
from relaxverify.syntax import ast as A


def check_function(f: A.Function, functions: dict[str, A.Function], consts: Constants,
                   sink: Sink, regions: frozenset[str] = frozenset({"urel"}),
                   spec_functions: Optional[dict[str, C.SpecFunction]] = None) -> C.Function:
    scope = FunctionScope(f, sink, consts, functions, regions)
    scope.spec_functions = spec_functions or {}
    exprs = ExprChecker(scope, consts, sink)
    params = _params(f, scope, sink)
    if f.ret is not None:
        scope.result = scope.fresh("result", Type(f.ret.base, f.ret.array, f.ret.dims), False, "result",
                                   f.name_span)
    unary = Position("a precondition", "unary")
    requires = [exprs.spec(e, unary, "`requires`") for e in f.requires]
    ens = Position("a postcondition", "unary", allow_result=True)
    ensures = [exprs.spec(e, ens, "`ensures`") for e in f.ensures]
    rel = Position("a relational precondition", "relational")
    requires_r = [exprs.spec(e, rel, "`requires_r`") for e in f.requires_r]
    default_rr = not f.requires_r
    if default_rr:
        requires_r = [both_equal(v, f.name_span) for v in params]
    ens_r = Position("a relational postcondition", "relational", allow_result=True)
    ensures_r = [exprs.spec(e, ens_r, "`ensures_r`") for e in f.ensures_r]
    reliability = [reliability_spec(s, params, scope, consts, sink) for s in f.reliability]
    body = [] if f.extern else _body(f, scope, exprs, StmtChecker(scope, exprs, consts, sink),
                                     sink)
    return C.Function(f.name, params, scope.result, requires, ensures, requires_r, ensures_r,
                      reliability, body, scope.locals, f.span, default_rr, f.extern)


def _params(f: A.Function, scope: FunctionScope, sink: Sink) -> list[C.Var]:
    params = []
    for p in f.params:
        if scope.in_outermost(p.name):
            sink.err(f"parameter `{p.name}` is declared twice", p.span, "name")
            continue
        var = scope.declare(p.name, Type(p.type.base, p.type.array, p.type.dims), p.urel, "param", p.span,
                            p.region)
        params.append(var)
        scope.readonly.add(var)
    return params


def _body(f: A.Function, scope: FunctionScope, exprs: ExprChecker, stmts: StmtChecker,
          sink: Sink) -> list[C.Stmt]:
    """The body, whose final `return e` (required with a result type, and only there)
    becomes `result = e`."""
    written = list(f.body)
    last = written[-1] if written else None
    if f.ret is not None and not isinstance(last, A.Return):
        where = last.span if last else f.name_span
        sink.err(f"function `{f.name}` declares a result of type `{f.ret}` but does not end "
                 "with `return`", where, "placement",
                 "add `return e;` as the last statement of the function body")
    if f.ret is None and isinstance(last, A.Return):
        sink.err(f"function `{f.name}` has no result type, so it cannot return a value",
                 last.span, "placement",
                 f"declare the result type: `fn {f.name}(...) -> int` (or the type you need)")
        written = written[:-1]
    ret = last if isinstance(last, A.Return) else None
    result = scope.result if f.ret is not None else None
    scope.push()
    body: list[C.Stmt] = []
    for s in written[:-1] if ret is not None and result is not None else written:
        body.extend(stmts.stmt(s))
    if ret is not None and result is not None:
        value = exprs.expr(ret.value, Position("the returned value", "code"))
        body.append(C.Assign(result, exprs.coerce(value, ret.value, result.type,
                                                  "the returned value"), ret.span))
    scope.pop()
    return body
