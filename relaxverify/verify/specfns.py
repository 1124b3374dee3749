"""Specification functions in Z3 (LANGUAGE.md v2 section 10).

Each `spec fn` is a `z3.RecFunction` over its parameters (an array parameter is two:
its Z3 array and its length), defined once per process by `RecAddDefinition`:

    f(params) = If(requires(params), body(params), junk_f(params))

with `junk_f` uninterpreted. Guarding the body by the precondition keeps the
definition consistent: on the precondition's domain the recursion terminates (the
verifier proves `decreases` and the `requires` of every recursive call), and
elsewhere the value is unconstrained, so no definition (`f(x) = f(x) + 1` outside
the domain) can make Z3 prove false. Every use obliges the precondition (kind
`requires`), so a verified specification only reads the defined part.
"""
from __future__ import annotations

import itertools
from typing import Callable, Sequence

import z3

from relaxverify.core import nodes as C
from relaxverify.verify.smt import ArrayVal, Value, conj, sort_of

_ids = itertools.count()


class Definition:
    """One spec function's Z3 function, its parameters and its precondition over them."""

    def __init__(self, sf: C.SpecFunction):
        self.sf = sf
        n = next(_ids)
        self.params: list[Value] = []
        for v in sf.params:
            name = f"{sf.name}.{v.source}!{n}"
            if v.type.array:
                self.params.append(ArrayVal(z3.Const(name, sort_of(v.type)),
                                            z3.Int(name + ".len")))
            else:
                self.params.append(z3.Const(name, sort_of(v.type)))
        sorts = [x.sort() for x in flat(self.params)]
        self.fn = z3.RecFunction(f"spec.{sf.name}!{n}", *sorts, sort_of(sf.ty))
        self.junk = z3.Function(f"spec.{sf.name}.junk!{n}", *sorts, sort_of(sf.ty))
        self.pre: z3.BoolRef = z3.BoolVal(True)
        self.measure: z3.ExprRef = z3.IntVal(0)

    def apply(self, args: Sequence[Value]) -> z3.ExprRef:
        return self.fn(*flat(args))

    def substitute(self, term: z3.ExprRef, args: Sequence[Value]) -> z3.ExprRef:
        """term over the parameters, with the arguments in their place."""
        pairs = list(zip(flat(self.params), flat(args)))
        return z3.substitute(term, *pairs) if pairs else term

    def pre_at(self, args: Sequence[Value]) -> z3.BoolRef:
        out = self.substitute(self.pre, args)
        assert isinstance(out, z3.BoolRef)
        return out


def flat(values: Sequence[Value]) -> list[z3.ExprRef]:
    out: list[z3.ExprRef] = []
    for v in values:
        out.extend((v.arr, v.length) if isinstance(v, ArrayVal) else (v,))
    return out


_DEFS: dict[int, Definition] = {}


def forget_definitions() -> None:
    """Drop the definitions made so far (their terms belong to Z3's context), for a
    fresh context (pool.fresh_context)."""
    global _ids
    _DEFS.clear()
    _ids = itertools.count()


def definition(sf: C.SpecFunction, translate: Callable[[C.Expr, dict], Value]) -> Definition:
    """sf's definition, made on first use; `translate(e, bound)` gives a specification
    expression's term with the parameters bound to `bound` (exact, no checks)."""
    d = _DEFS.get(id(sf))
    if d is not None and d.sf is sf:
        return d
    d = _DEFS[id(sf)] = Definition(sf)  # before the body, which may call sf
    bound = dict(zip(sf.params, d.params))
    pre = conj([translate(r, bound) for r in sf.requires])
    assert isinstance(pre, z3.BoolRef)
    d.pre = pre
    if sf.decreases is not None:
        m = translate(sf.decreases, bound)
        assert isinstance(m, z3.ArithRef)
        d.measure = m
    assert sf.body is not None
    body = translate(sf.body, bound)
    assert not isinstance(body, ArrayVal)
    z3.RecAddDefinition(d.fn, flat(d.params), z3.If(pre, body, d.junk(*flat(d.params))))
    return d


def as_function(sf: C.SpecFunction) -> C.Function:
    """sf as a function `requires R { return body; }` with both executions equal, whose
    obligations are the body's: its indices and divisors, and at each call of a spec
    function its `requires` (and, at a recursive one, `decreases`; the translator's
    `defining` says which spec function that is). Only the original execution's are
    kept (`original_only`): the relaxed one is the same computation."""
    assert sf.body is not None
    result = C.Var("result", "result", sf.ty, False, "result", sf.span)
    rel: list[C.Expr] = [C.BinOp("==", C.VarRef(v, sf.span, "o"), C.VarRef(v, sf.span, "r"),
                                 C.BOOL, sf.span) for v in sf.params]
    return C.Function(sf.name, list(sf.params), [result], list(sf.requires), [], rel, [], [],
                      [C.Assign(result, sf.body, sf.body.span)], [], sf.span, True)
