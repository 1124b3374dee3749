"""Check a parsed program (names, scopes, types, placement, adornments, hardware) and
lower it to the core language (docs/language-decisions.md; docs/architecture.md).

Checking and lowering are one walk: the typed core *is* the checker's output. Errors
are collected and raised together at the end. This module is the driver: it collects
the file's declarations, then checks constants (`consts.py`), hardware blocks
(`models.py`) and functions (`functions.py`)."""
from __future__ import annotations

from typing import Union

from relaxverify.check.consts import Constants
from relaxverify.check.context import Sink
from relaxverify.check.functions import check_function
from relaxverify.check.models import check_hardware
from relaxverify.core import nodes as C
from relaxverify.gcpause import gc_paused
from relaxverify.report.diagnostics import RelaxError
from relaxverify.syntax import ast as A

Decl = Union[A.Const, A.Function, A.Hardware]
KINDS: dict[type, str] = {A.Const: "constant", A.Function: "function",
                          A.Hardware: "hardware model"}


def check(program: A.Program) -> C.Program:
    """Check `program` and lower it to the core language; raise RelaxError on errors."""
    with gc_paused():
        return _check(program)


def _check(program: A.Program) -> C.Program:
    sink = Sink()
    consts = Constants(sink)
    functions: dict[str, A.Function] = {}
    hardware: dict[str, C.HardwareModel] = {}
    for d in _distinct(program.decls, sink):
        if isinstance(d, A.Const):
            consts.decls[d.name] = d
        elif isinstance(d, A.Function):
            functions[d.name] = d
    for d in program.decls:
        if isinstance(d, A.Const) and consts.decls.get(d.name) is d:
            consts.value(d.name, d.span)
        elif isinstance(d, A.Hardware) and d.name not in hardware:
            hardware[d.name] = check_hardware(d, consts, sink)
    lowered = {name: check_function(f, functions, consts, sink) for name, f in functions.items()}
    if sink.diagnostics:
        raise RelaxError(sink.diagnostics)
    return C.Program(program.path, lowered, hardware, consts.known())


def _distinct(decls: list[Decl], sink: Sink) -> list[Decl]:
    """The declarations whose name is new in its namespace (the first of each name):
    constants and functions share one, hardware models have their own."""
    seen: dict[str, A.Span] = {}
    out = []
    for d in decls:
        kind = KINDS[type(d)]
        span = d.name_span if isinstance(d, A.Function) else d.span
        key = (kind if kind == "hardware model" else "value") + ":" + d.name
        if key in seen:
            sink.err(f"{kind} `{d.name}` is already defined at line {seen[key].line}",
                     span, "name", "rename one of the two definitions")
            continue
        seen[key] = span
        out.append(d)
    return out
