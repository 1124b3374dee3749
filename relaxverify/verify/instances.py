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

from typing import Optional

import z3

from relaxverify.verify.rawast import app_kind, ast_kind, find, is_forall, nodes

MAX_INSTANCES = 32  # per query: a goal with more matching reads gets the first ones


class QuantifiedFacts:
    """A generator's universal quantifiers with the reads they can be matched at, in
    the order of its facts; each fact is walked once (through the C API). Facts are
    read by index: the obligations are proved once the generator has run, when no
    fact is dropped any more."""

    def __init__(self) -> None:
        self.scanned = 0
        self.found: list[tuple[int, z3.QuantifierRef, list]] = []  # (fact index, Q, reads)

    def upto(self, facts: list, n: int) -> list:
        """(Q, its patterns) for the quantifiers of facts[:n]."""
        for i in range(self.scanned, n):
            self.found.extend((i, q, patterns) for q, patterns in _quantifiers(facts[i]))
        self.scanned = max(self.scanned, n)
        return [(q, patterns) for i, q, patterns in self.found if i < n]


def goal_instances(known: QuantifiedFacts, facts: list, n: int, goal: z3.BoolRef) -> list:
    """`Q ==> body(t)` for each universally quantified Q of facts[:n] with a read
    `A[p(x)]` whose index p is arithmetic over the bound variables, and each ground
    read `A[p(t)]` of `goal` of that shape. The goal is read first: most have no
    array read, and then no fact is walked."""
    reads = find(goal, _is_select)
    quantified = known.upto(facts, n) if reads else []
    if not quantified:
        return []
    out: list = []
    seen: set = set()
    for q, patterns in quantified:
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


def _quantifiers(fact: z3.BoolRef) -> list:
    """The universal quantifiers of `fact` outside binders, each with its reads whose
    index is an application over bound variables (a bare variable E-matching finds)."""
    found = []
    for q in find(fact, _is_forall):
        patterns = [t for t in find(q.body(), _is_select)
                    if not _has_var(t.arg(0))
                    and any(z3.is_app(i) and _has_var(i) for i in t.children()[1:])]
        if patterns:
            found.append((q, patterns))
    return found


def _is_select(ctx, a) -> bool:
    return app_kind(ctx, a) == z3.Z3_OP_SELECT


def _is_forall(ctx, a) -> bool:
    return ast_kind(ctx, a) == z3.Z3_QUANTIFIER_AST and bool(is_forall(ctx, a))


def _has_var(t: z3.ExprRef) -> bool:
    """Does t mention a bound variable (a de Bruijn index) outside its binders?"""
    return any(kind == z3.Z3_VAR_AST for _, kind, _ in nodes(t))


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
