"""Calls of an `extern fn` in a run (LANGUAGE.md v2 section 10): the callee has no
body, so a call gives its result any value that satisfies the callee's `ensures`,
chosen as a `havoc` of the result would be (run/choices.py, run/choose.py).

Each call site has one synthesised `havoc` statement, kept for as long as the call
node lives: every interpreter of the program (the fault-free run and the faulty
ones of Monte Carlo) sees the same statement, so a faulty run reuses the fault-free
run's choice for the same occurrence of the call, as it does for a `havoc`.
"""
from __future__ import annotations

import weakref
from typing import Any

from relaxverify.core import nodes as C

EXTERN_SITE = "extern "  # the prefix of an extern call's choice site (`Site.what`)

_CHOICES: "weakref.WeakKeyDictionary[C.Call, C.Choose]" = weakref.WeakKeyDictionary()


def extern_choice(s: C.Call, callee: C.Function) -> C.Choose:
    """The `havoc (results) st (ensures)` that the call `s` of extern `callee` runs;
    the predicate speaks of the callee's parameters, bound to the arguments."""
    hit = _CHOICES.get(s)
    if hit is None:
        pred: C.Expr = callee.ensures[0] if callee.ensures else C.Const(True, C.BOOL, s.span)
        for e in callee.ensures[1:]:
            pred = C.BinOp("&&", pred, e, C.BOOL, e.span)
        hit = C.Choose("havoc", list(callee.results), pred, s.span)
        _CHOICES[s] = hit
    return hit


def extern_call(gen: Any, s: C.Call, callee: C.Function, args: list[str], ind: int) -> str:
    """The code of a call of an extern for the Generator `gen` (run/codegen_stmts.py):
    its result is chosen to satisfy its `ensures`; "" when it has no result (the
    choice then only checks that the `ensures` can hold)."""
    choice = extern_choice(s, callee)
    k = gen.c.site(s.span, EXTERN_SITE + callee.name, choice)
    names = dict(zip((p.name for p in callee.params), args))

    def res(r: C.VarRef) -> str:
        if r.var.kind != "bound" and r.var.name in names:
            return names[r.var.name]
        if r.var in callee.results:  # the centre of the search: no value yet
            return "[]" if r.var.type.array else "0"
        return str(gen.py(r.var))
    gen.x.resolver = res
    try:
        env = gen.x.env_dict(choice.pred, tuple(choice.vars))
    finally:
        gen.x.resolver = None
    if not choice.vars:
        gen.emit(ind, f"_choose({k}, {env})")
        return ""
    return f"_choose({k}, {env})" + ("[0]" if len(choice.vars) == 1 else "")


def externs_reached(program: C.Program, fn: C.Function) -> list[str]:
    """The extern functions that `fn` may call, directly or through its callees."""
    return sorted(n for n in C.callees_reached(program, fn) if program.functions[n].extern)


def extern_note(names: list[str]) -> str:
    """`run`'s note that extern results were chosen, not computed."""
    listed = ", ".join(f"`{n}`" for n in names)
    return (f"{listed} {'is' if len(names) == 1 else 'are'} extern (no body): each call "
            "gave a result chosen to satisfy the `ensures` (as `havoc` would), not computed")
