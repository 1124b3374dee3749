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
from relaxverify.check.typerules import both_equal, type_of
from relaxverify.core import nodes as C
from relaxverify.syntax import ast as A


def check_function(f: A.Function, functions: dict[str, A.Function], consts: Constants,
                   sink: Sink, regions: frozenset[str] = frozenset({"urel"}),
                   spec_functions: Optional[dict[str, C.SpecFunction]] = None) -> C.Function:
    scope = FunctionScope(f, sink, consts, functions, regions)
    scope.spec_functions = spec_functions or {}
    exprs = ExprChecker(scope, consts, sink)
    params = _params(f, scope, sink)
    _results(f, scope, sink)
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
    return C.Function(f.name, params, scope.results, requires, ensures, requires_r, ensures_r,
                      reliability, body, scope.locals, f.span, default_rr, f.extern)


def _params(f: A.Function, scope: FunctionScope, sink: Sink) -> list[C.Var]:
    params = []
    for p in f.params:
        if scope.in_outermost(p.name):
            sink.err(f"parameter `{p.name}` is declared twice", p.span, "name")
            continue
        var = scope.declare(p.name, type_of(p.type), p.urel, "param", p.span, p.region)
        params.append(var)
        scope.readonly.add(var)
    return params


def _results(f: A.Function, scope: FunctionScope, sink: Sink) -> None:
    """The result variables: `result` for `-> T`, one per name of `-> (q: T, ...)`."""
    if f.ret is not None:
        scope.results = [scope.fresh("result", type_of(f.ret), False, "result", f.name_span)]
    for p in f.results:
        if p.urel:
            sink.err(f"result `{p.name}` cannot be declared `in {p.region}`", p.span, "placement",
                     "results are reliable variables; store the value in an unreliable "
                     "variable after the call if you need one")
        prior = scope.lookup(p.name) or scope.named.get(p.name)
        if prior is not None:
            sink.err(f"`{p.name}` is already declared at line {prior.span.line}; a result needs "
                     "a name of its own", p.span, "name",
                     "choose a different name for this result")
        elif p.name in scope.consts:
            sink.err(f"`{p.name}` is already a constant (line {scope.consts.line(p.name)}); a "
                     "result may not shadow it", p.span, "name",
                     "choose a different name for this result")
        var = scope.fresh(p.name, type_of(p.type), False, "result", p.span)
        scope.named[p.name] = var
        scope.results.append(var)
    scope.result = scope.results[0] if len(scope.results) == 1 else None


def _body(f: A.Function, scope: FunctionScope, exprs: ExprChecker, stmts: StmtChecker,
          sink: Sink) -> list[C.Stmt]:
    """The body, whose final `return e` (required with a result type, and only there)
    becomes `result = e`; `return (e1, e2)` assigns the named results in order."""
    results = scope.results
    written = list(f.body)
    last = written[-1] if written else None
    if results and not isinstance(last, A.Return):
        where = last.span if last else f.name_span
        sink.err(f"function `{f.name}` declares {_declared(f)} but does not end with `return`",
                 where, "placement", f"add `{_return_form(f)}` as the last statement of the "
                 "function body")
    if not results and isinstance(last, A.Return):
        sink.err(f"function `{f.name}` has no result type, so it cannot return a value",
                 last.span, "placement",
                 f"declare the result type: `fn {f.name}(...) -> int` (or the type you need)")
        written = written[:-1]
    ret = last if isinstance(last, A.Return) and results else None
    if ret is not None and len(ret.values) != len(results):
        sink.err(f"function `{f.name}` declares {_declared(f)}, but this `return` gives "
                 f"{len(ret.values)} value(s)", ret.span, "type",
                 f"return one value per result: `{_return_form(f)}`")
    scope.push()
    body: list[C.Stmt] = []
    for s in written[:-1] if ret is not None else written:
        body.extend(stmts.stmt(s))
    if ret is not None:
        for var, src in zip(results, ret.values):
            value = exprs.expr(src, Position("the returned value", "code"))
            what = "the returned value" if var.source == "result" else f"result `{var.source}`"
            body.append(C.Assign(var, exprs.coerce(value, src, var.type, what), ret.span))
    scope.pop()
    return body


def _declared(f: A.Function) -> str:
    """What f declares it returns, for a message."""
    if f.ret is not None:
        return f"a result of type `{f.ret}`"
    names = ", ".join(f"`{p.name}`" for p in f.results)
    return f"the result{'s' if len(f.results) > 1 else ''} {names}"


def _return_form(f: A.Function) -> str:
    if len(f.results) > 1:
        return f"return ({', '.join('e' + str(i + 1) for i in range(len(f.results)))});"
    return "return e;"
