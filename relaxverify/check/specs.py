"""Reliability specs: `reliability R(result) >= c * R(p, ...)`, with constant factors in
[0, 1] and at most one `R(...)` naming parameters (docs/language-decisions.md,
"Placement"; docs/reliability.md)."""
from __future__ import annotations

from relaxverify.check.consts import Constants
from relaxverify.check.context import Sink
from relaxverify.check.scopes import FunctionScope
from relaxverify.core import nodes as C
from relaxverify.syntax import ast as A


def reliability_spec(s: A.ReliabilitySpec, params: list[C.Var], scope: FunctionScope,
                     consts: Constants, sink: Sink) -> C.ReliabilitySpec:
    name = scope.fn.name
    _check_shape(s, sink)
    outputs = _outputs(s, scope, sink)
    factor = _factor(s, consts, sink)
    inputs = []
    by_name = {p.source: p for p in params}
    for input_name in s.inputs or []:
        if input_name not in by_name:
            sink.err(f"`R({input_name})`: `{input_name}` is not a parameter of `{name}`",
                     s.span, "reliability-spec",
                     "the right-hand side names the parameters the result depends on")
        else:
            inputs.append(by_name[input_name])
    text = f"R({', '.join(s.target)}) >= {factor:g}" + (
        f" * R({', '.join(s.inputs)})" if s.inputs is not None else "")
    return C.ReliabilitySpec(factor, inputs, s.span, text, outputs)


def _outputs(s: A.ReliabilitySpec, scope: FunctionScope, sink: Sink) -> list[C.Var]:
    """The results `R(...)` on the left names: `result` (the only one) or named ones."""
    name = scope.fn.name
    if not scope.results:
        sink.err(f"function `{name}` has no result, so `R({', '.join(s.target)})` means "
                 "nothing", s.target_span, "reliability-spec", "add a result type and a `return`")
        return []
    names = ", ".join(v.source for v in scope.results)
    example = f"reliability R({names}) >= c * R(p, ...)"
    out: list[C.Var] = []
    for t in s.target:
        var = scope.result if t == "result" else scope.named.get(t)
        if var is None or var in out:
            why = ("is listed twice" if var in out else f"is not a result of `{name}`"
                   if t != "result" else "does not say which result")
            what = "results" if len(scope.results) > 1 else "result"
            sink.err(f"a reliability spec must be about the {what}: `{t}` {why}",
                     s.target_span, "reliability-spec", f"write `{example}`")
            continue
        out.append(var)
    if not s.target:
        sink.err("a reliability spec must be about the results: write "
                 f"`{example}`", s.target_span, "reliability-spec")
    return out


def _check_shape(s: A.ReliabilitySpec, sink: Sink) -> None:
    for name, span in s.refs:
        if name != "R":
            sink.err(f"`{name}(...)` means nothing in a reliability spec: reliabilities are "
                     "written `R(...)`", span, "reliability-spec",
                     "write `reliability R(result) >= c * R(p, ...)`")
    for _, span in s.refs[2:]:
        # R(a) * R(b) is not R(a, b): the two may fail together or exclusively.
        sink.err("a reliability spec has at most one `R(...)` on the right", span,
                 "reliability-spec", "name every parameter in one: `R(a, b)` is the "
                 "probability that `a` and `b` are all correct")


def _factor(s: A.ReliabilitySpec, consts: Constants, sink: Sink) -> float:
    """The product of the spec's constant factors (invalid ones reported and skipped)."""
    factor = 1.0
    for fac in s.factors:
        v = consts.evaluate(fac, "a reliability factor", reals=True)
        if v is None:
            continue
        if isinstance(v, bool) or not 0 <= v <= 1:
            sink.err("a reliability factor must be a number between 0 and 1", fac.span,
                     "reliability-spec")
        else:
            factor *= float(v)
    return factor
