"""Slices of a query: the background facts and path conjuncts a goal depends on.

A slice is a subset of what the whole query assumes, so `unsat` on it is `unsat`
on the whole (a proof); any other answer is decided again on the whole query.
Symbols are read through the C API (rawast.py) and memoised by
the Python object first: a path's conjuncts are the same objects from query to
query, and even an AST id costs a call into Z3.
"""
from __future__ import annotations

from typing import Optional

import z3

from relaxverify.verify.rawast import (app_arg, app_decl, ast_id, ast_kind, decl_ast, decl_kind,
                                       num_args, quantifier_body)
from relaxverify.verify.terms import is_and


_NONE: frozenset = frozenset()


def symbols_of(t: z3.ExprRef, memo: dict[int, frozenset]) -> frozenset:
    """Ids of the uninterpreted constants (arrays included) and function symbols in
    `t`, walked through the C API. `memo` maps AST ids to their symbols: a subterm
    already walked (facts share most of theirs: paths, definitions) is not walked
    again. Its entries hold only while those terms live: the caller keeps `t`."""
    ctx = t.ctx.ref()
    root = t.as_ast()
    got = memo.get(ast_id(ctx, root))
    if got is not None:
        return got
    stack = [root]
    while stack:  # post-order: a node is done once its children are
        a = stack[-1]
        aid = ast_id(ctx, a)
        if aid in memo:
            stack.pop()
            continue
        kind = ast_kind(ctx, a)
        if kind == z3.Z3_QUANTIFIER_AST:
            parts = [quantifier_body(ctx, a)]
        elif kind == z3.Z3_APP_AST:
            parts = [app_arg(ctx, a, k) for k in range(num_args(ctx, a))]
        else:  # a bound variable, a numeral's sort...
            parts = []
        ids = [ast_id(ctx, c) for c in parts]
        missing = [c for c, i in zip(parts, ids) if i not in memo]
        if missing:
            stack.extend(missing)
            continue
        stack.pop()
        out = _union([memo[i] for i in ids])
        if kind == z3.Z3_APP_AST:
            d = app_decl(ctx, a)
            if decl_kind(ctx, d) == z3.Z3_OP_UNINTERPRETED:
                out = out | {aid if not ids else ast_id(ctx, decl_ast(ctx, d))}
        memo[aid] = out
    return memo[ast_id(ctx, root)]


def _union(sets: list[frozenset]) -> frozenset:
    """The union, reusing a part when it holds all the others (the usual case)."""
    big = max(sets, key=len, default=_NONE)
    if all(s <= big for s in sets):
        return big
    return frozenset().union(*sets)


class Slicer:
    """Cone-of-influence slices of the background facts and path conjuncts."""

    def __init__(self, facts: list, defs: dict):
        self.facts = facts
        self.defs = defs  # symbol id -> index of the fact defining it
        self._symbols: dict[int, tuple] = {}  # AST id -> (term, symbols)
        self._by_object: dict[int, tuple] = {}  # id(term) -> (term, symbols)
        self._walked: dict[int, frozenset] = {}  # AST id of any subterm -> symbols
        # goal slices: every path conjunct seen, split into leaves and indexed once
        self._parts: dict[int, tuple] = {}  # id(part) -> (part, its constant leaves)
        self._with_constants: dict[int, tuple] = {}  # id(part) -> (part, constant leaves)
        self._at: dict[int, set[int]] = {}  # id(part) -> its places in the paths indexed
        self._occurs: dict[int, int] = {}  # symbol -> leaves about it so far
        self._triggers: dict[int, list] = {}  # symbol -> (part, leaf, symbols)

    def symbols(self, t: z3.ExprRef) -> frozenset:
        """Ids of the uninterpreted constants and function symbols in `t` (memoised)."""
        hit = self._by_object.get(id(t))
        if hit is not None and hit[0] is t:
            return hit[1]
        key = t.get_id()
        got = self._symbols.get(key)
        if got is None:  # t is kept before its walk fills the memo with its subterms'
            self._symbols[key] = (t, _NONE)  # ids: a live term's ids stay unique
            got = self._symbols[key] = (t, symbols_of(t, self._walked))
        self._by_object[id(t)] = (t, got[1])
        return got[1]

    # ------------------------------------------------------------ side queries

    def cone(self, goals: list, limit: int) -> list:
        """The facts before index `limit` that define the symbols of `goals`,
        transitively (their cone of influence), in their order."""
        chosen: set = set()
        self._close([x for g in goals for x in self.symbols(g)], set(), chosen, limit)
        return [self.facts[i] for i in sorted(chosen)]

    def _close(self, todo: list, syms: set, chosen: set, limit: Optional[int] = None) -> None:
        """Add to `syms` the symbols of `todo` and, transitively, those of the facts
        (before index `limit`) defining them; the facts' indices go to `chosen`."""
        while todo:
            self._visit(todo.pop(), todo, syms, chosen, limit)

    def _visit(self, x: int, todo: list, syms: set, chosen: set, limit: Optional[int]
               ) -> bool:
        """Mark symbol x reached and queue the symbols of the fact defining it (before
        index `limit`); False if it was reached already."""
        if x in syms:
            return False
        syms.add(x)
        i = self.defs.get(x)
        if i is not None and (limit is None or i < limit) and i not in chosen:
            chosen.add(i)
            todo.extend(self.symbols(self.facts[i]) - syms)
        return True

    # ------------------------------------------------------------ goals

    def goal_slice(self, parts: tuple, goal: z3.BoolRef, limit: Optional[int],
                   cap: Optional[int] = None, depth: Optional[int] = None,
                   extra: tuple = ()) -> Optional[list]:
        """The slice of an obligation (which falls back to its whole query) or of a
        side query, under the path `parts` and the `extra` assumptions; None when it
        would hold more than `cap` terms. The conjuncts are split into their leaves,
        and a leaf joins only through its rarest symbols (SInE's trigger rule), so
        that a symbol most leaves mention (a loop bound `n`) does not pull in every
        loop of the function. With `depth`, only the facts and leaves that many
        steps from the goal's symbols (SInE's depth limit: a chain of calls each
        proving `y >= 0` needs the last two links, not the whole chain). Still a
        subset of what the path implies: its unsat is a proof."""
        self._index(parts)
        for p in extra:
            self._part(p)
        extras = set(map(id, extra))
        on = self._on_path
        chosen = [c for part, cs in self._with_constants.values()  # (constant leaves
                  if id(part) in extras or on(part, parts) for c in cs]  # not true)
        syms: set = set()
        facts: set = set()
        taken: set = set()
        todo = list(self.symbols(goal))
        later: list = []  # with a depth: the symbols of the next step
        while todo or (later and depth):
            if not todo:
                assert depth is not None
                todo, later, depth = later, [], depth - 1
                continue
            x = todo.pop()
            found = later if depth is not None else todo
            if not self._visit(x, found, syms, facts, limit):
                continue
            for part, leaf, leaf_syms in self._triggers.get(x, ()):
                if id(leaf) not in taken and (id(part) in extras or on(part, parts)):
                    taken.add(id(leaf))
                    chosen.append(leaf)
                    found.extend(leaf_syms)
            if cap is not None and len(facts) + len(chosen) > cap:
                return None
        return [self.facts[i] for i in sorted(facts)] + chosen + [goal]

    def _index(self, parts: tuple) -> None:
        """Index the path's conjuncts from its end back to the first one indexed at
        its place before: a path grows by appending (State.parts), so usually only
        its last few are new, and a query costs the length of its slice, not of its
        path. (Were a path's earlier part not indexed, its leaves would join no
        slice: a smaller subset, still sound.)"""
        fresh = []
        for k in range(len(parts) - 1, -1, -1):
            p = parts[k]
            if k in self._at.get(id(p), ()) and self._parts[id(p)][0] is p:
                break
            fresh.append((k, p))
        for k, p in reversed(fresh):
            self._part(p)
            self._at.setdefault(id(p), set()).add(k)

    def _on_path(self, p: z3.BoolRef, parts: tuple) -> bool:
        """Is the indexed conjunct `p` one of the path's? (at a place it was indexed
        at: a path is never searched)"""
        n = len(parts)
        for k in self._at.get(id(p), ()):
            if k < n and parts[k] is p:
                return True
        return False

    def _part(self, p: z3.BoolRef) -> tuple:
        """Index a path conjunct's leaves under their triggers (once); its constant
        leaves that are not true (every loop's `0 >= 0` would otherwise join every
        slice)."""
        hit = self._parts.get(id(p))
        if hit is not None and hit[0] is p:
            return hit[1]
        constants = []
        for leaf in _leaves(p):
            about = self._about(leaf)
            if not about:  # a constant: only a false one (`0 >= 1`) says anything
                if not z3.is_true(z3.simplify(leaf)):
                    constants.append(leaf)
                continue
            for x in about:
                self._occurs[x] = self._occurs.get(x, 0) + 1
            least = min(self._occurs[x] for x in about)
            entry = (p, leaf, self.symbols(leaf))
            for x in about:
                if self._occurs[x] == least:
                    self._triggers.setdefault(x, []).append(entry)
        self._parts[id(p)] = (p, tuple(constants))  # keeps p alive: its id stays unique
        if constants:
            self._with_constants[id(p)] = (p, tuple(constants))
        return self._parts[id(p)][1]

    def _about(self, t: z3.BoolRef) -> frozenset:
        """The symbols a leaf constrains: a defined symbol (a loop condition `c` with
        `c == i < n`) stands for the symbols of its definition."""
        out: set = set()
        for x in self.symbols(t):
            i = self.defs.get(x)
            out.update(self.symbols(self.facts[i]) - {x} if i is not None else (x,))
        return frozenset(out)


def _leaves(t: z3.BoolRef) -> list:
    """The leaves of `t`'s nested conjunctions (Boolean terms, read by raw calls)."""
    out, stack = [], [t]
    while stack:
        u = stack.pop()
        if is_and(u):
            ctx = u.ctx
            ref, a = ctx.ref(), u.as_ast()
            stack.extend(_boolean(ref, app_arg(ref, a, k), ctx)
                         for k in reversed(range(num_args(ref, a))))
        else:
            out.append(u)
    return out


def _boolean(ref, a, ctx) -> z3.BoolRef:
    """The z3py term of a raw Boolean AST: a quantifier keeps its own class."""
    if ast_kind(ref, a) == z3.Z3_APP_AST:
        return z3.BoolRef(a, ctx)
    return z3.z3._to_expr_ref(a, ctx)
