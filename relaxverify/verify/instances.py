"""Instances of quantified facts at the array reads of a goal (issue 13).

A fact `forall i :: ... A[i * N + i] ...` has an arithmetic index. Z3's E-matching
only finds its instance at the goal's read `A[k * N + k]` while the two terms have
the same shape, and Z3's preprocessing (`solve-eqs`) often rewrites the ground one
first (`k := k' - 1` from a loop's `k' == k + 1` gives `A[-1 + N*(-1 + k') + k']`);
with a symbolic N model-based instantiation cannot help (non-linear), so the query
ends unknown. Matching the shapes before Z3 sees the query and adding
`Q ==> body[i := k]` for each match avoids that: the formula is valid whatever Q's
place in the facts, so the query only gains true consequences (sound, incomplete),
and Q itself stays asserted for Z3's own instantiation.
"""
from __future__ import annotations

from typing import Iterable, Optional

import z3

MAX_INSTANCES = 32  # per query: a goal with more matching reads gets the first ones


def goal_instances(facts: Iterable[z3.BoolRef], goal: z3.BoolRef,
                   cache: Optional[dict] = None) -> list:
    """`Q ==> body(t)` for each universally quantified Q in `facts` (outside any
    binder) with a read `A[p(x)]` whose index p is arithmetic over the bound
    variables, and each ground read `A[p(t)]` of `goal` of that shape.
    `cache` (fact id -> (fact, its quantifiers)) saves walking a fact twice."""
    reads = [r for r in _subterms(goal) if z3.is_select(r)]
    if not reads:
        return []
    out: list = []
    seen: set = set()
    for fact in facts:
        for q, patterns in _quantifiers(fact, cache):
            for pattern in patterns:
                for r in reads:
                    binding = _match(pattern, r, {})
                    if binding is None or len(binding) != q.num_vars():
                        continue
                    inst = z3.substitute_vars(q.body(), *[binding[k] for k in
                                                          range(q.num_vars())])
                    if inst.get_id() in seen:
                        continue
                    seen.add(inst.get_id())
                    out.append(z3.Implies(q, inst))
                    if len(out) >= MAX_INSTANCES:
                        return out
    return out


def _quantifiers(fact: z3.BoolRef, cache: Optional[dict]) -> list:
    """The universal quantifiers of `fact` outside binders, each with its reads whose
    index is an application over bound variables (a bare variable E-matching finds)."""
    key = fact.get_id()
    if cache is not None and key in cache:
        return cache[key][1]
    found = []
    for q in _subterms(fact):
        if z3.is_quantifier(q) and q.is_forall():
            patterns = [t for t in _subterms(q.body())
                        if z3.is_select(t) and not _has_var(t.arg(0))
                        and any(z3.is_app(i) and _has_var(i) for i in t.children()[1:])]
            if patterns:
                found.append((q, patterns))
    if cache is not None:
        cache[key] = (fact, found)  # keeping the fact alive keeps its id unique
    return found


def _subterms(t: z3.ExprRef) -> list:
    """The distinct subterms of t, not below binders (a quantifier is listed, its
    body is another scope): those of a closed t are ground."""
    out, stack, seen = [], [t], set()
    while stack:
        x = stack.pop()
        if x.get_id() in seen:
            continue
        seen.add(x.get_id())
        out.append(x)
        if z3.is_app(x):
            stack.extend(x.children())
    return out


def _has_var(t: z3.ExprRef) -> bool:
    """Does t mention a bound variable (a de Bruijn index) outside its binders?"""
    stack = [t]
    while stack:
        x = stack.pop()
        if z3.is_var(x):
            return True
        if z3.is_app(x):
            stack.extend(x.children())
    return False


def _match(p: z3.ExprRef, t: z3.ExprRef, binding: dict) -> Optional[dict]:
    """A binding of p's variables (by de Bruijn index) that makes p the term t,
    syntactically; None if there is none."""
    if z3.is_var(p):
        k = z3.get_var_index(p)
        bound = binding.get(k)
        if bound is None:
            return {**binding, k: t}
        return binding if bound.eq(t) else None
    if not _has_var(p):
        return binding if p.eq(t) else None
    if not (z3.is_app(p) and z3.is_app(t)) or not p.decl().eq(t.decl()) \
            or p.num_args() != t.num_args():
        return None
    for a, b in zip(p.children(), t.children()):
        got = _match(a, b, binding)
        if got is None:
            return None
        binding = got
    return binding
