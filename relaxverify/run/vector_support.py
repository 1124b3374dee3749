"""Which Monte Carlo runs the vectorised backend (vector.py) can take, decided before
it runs: None when it can, else why not (the note the run then prints).

The backend computes every trial of a chunk at once in numpy arrays, so it takes
only values numpy computes exactly as the interpreter does: ints (int64, with
Python ints where a value leaves that range), bools, and the IEEE formats numpy
has (float16, float32, float64), whose `+ - * /` numpy rounds correctly, and
bfloat16 (held in float32, rounded by vector.bfloat16_round). Exact `real`
arithmetic (Fractions), math functions, calls, choices, several dimensions,
accepts and model precisions stay with the interpreter.
"""
from __future__ import annotations

from typing import Optional

from relaxverify.core import nodes as C

BASES = ("int", "bool", "float64", "float32", "float16", "bfloat16")
FUNCTIONS = ("abs", "min", "max", "len", "float64", "float32", "float16", "bfloat16")


class Unsupported(Exception):
    """What the vectorised backend does not take (statically, or met while running:
    arrays of different lengths in different trials)."""


def why_not(program: C.Program, fn: C.Function, model: C.HardwareModel,
            semantics: str, record: bool) -> Optional[str]:
    """None when the vectorised backend runs fn's trials exactly, else the reason."""
    if record:
        return "the function has an accept a trial can fail"
    if any(o.precision for o in model.operators.values()) or \
            any(m.precision for m in model.regions.values()):
        return f"hardware `{model.name}` computes at a precision of its own"
    try:
        for v in [*fn.params, *fn.results, *fn.locals]:
            _type(v.type, v.source)
        _block(fn.body, semantics)
    except Unsupported as exc:
        return str(exc)
    return None


def _type(ty: C.Type, what: str) -> None:
    if ty.base not in BASES:
        kind = "exact `real` arithmetic" if ty.base == "real" else f"`{ty.base}`"
        raise Unsupported(f"`{what}` uses {kind}")
    if ty.array and ty.dims > 1:
        raise Unsupported(f"`{what}` is an array of several dimensions")


def _block(stmts: list[C.Stmt], semantics: str) -> None:
    for s in stmts:
        if isinstance(s, (C.Assign, C.Store, C.NewArray)):
            if getattr(s, "more", ()):
                raise Unsupported("an array of several dimensions")
            _type(s.var.type, s.var.source)
            for e in ([s.value] if isinstance(s, C.Assign) else
                      [s.index, s.value] if isinstance(s, C.Store) else [s.length]):
                _expr(e)
        elif isinstance(s, C.If):
            _expr(s.cond)
            _block(s.then, semantics)
            _block(s.orelse, semantics)
        elif isinstance(s, C.Loop):
            _expr(s.cond)
            if s.bound is not None:
                _expr(s.bound)
            _block(s.body, semantics)
        elif isinstance(s, C.Check):
            if s.kind != "accept":
                _expr(s.cond)
        elif isinstance(s, C.Choose) and s.kind == "relax" and semantics == "original":
            continue  # no effect in the original semantics
        elif isinstance(s, C.Call):
            raise Unsupported(f"it calls `{s.callee}`")
        else:
            raise Unsupported(f"a `{getattr(s, 'kind', type(s).__name__)}` statement")


def _expr(e: C.Expr) -> None:
    for x in C.subexprs(e):
        if isinstance(x, (C.Quant, C.SpecCall)):
            raise Unsupported("a quantifier or specification function")
        if isinstance(x, C.VarRef) and x.old:
            raise Unsupported("an `old` value")
        if isinstance(x, C.Select) and x.more:
            raise Unsupported("an array of several dimensions")
        if isinstance(x, C.Apply):
            if x.fn not in FUNCTIONS or (x.fn == "len" and len(x.args) != 1):
                raise Unsupported(f"`{x.fn}(...)`")
        if isinstance(x, C.BinOp) and x.op == "%" and x.ty.base != "int":
            raise Unsupported("`%` on floats")
        ty = getattr(x, "ty", None)
        if isinstance(ty, C.Type):
            _type(ty, "an expression")
