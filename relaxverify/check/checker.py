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
from relaxverify.check.specfns import check_spec_functions
from relaxverify.core import nodes as C
from relaxverify.gcpause import gc_paused
from relaxverify.report.diagnostics import RelaxError
from relaxverify.syntax import ast as A

Decl = Union[A.Const, A.Function, A.Hardware, A.SpecFunction]
KINDS: dict[type, str] = {A.Const: "constant", A.Function: "function",
                          A.Hardware: "hardware model", A.SpecFunction: "function"}
SHARED_NAMES = {"constant": "function", "function": "constant"}  # kind: the kind it may clash with


def check(program: A.Program) -> C.Program:
    """Check `program` and lower it to the core language; raise RelaxError on errors."""
    with gc_paused():
        return _check(program)


def _check(program: A.Program) -> C.Program:
    sink = Sink()
    consts = Constants(sink)
    functions: dict[str, A.Function] = {}
    specs: list[A.SpecFunction] = []
    hardware: dict[str, C.HardwareModel] = {}
    for d in _distinct(program.decls, sink):
        if isinstance(d, A.Const):
            consts.decls[d.name] = d
        elif isinstance(d, A.Function):
            functions[d.name] = d
        elif isinstance(d, A.SpecFunction):
            specs.append(d)
    for d in program.decls:
        if isinstance(d, A.Const) and consts.decls.get(d.name) is d:
            consts.value(d.name, d.span)
        elif isinstance(d, A.Hardware) and d.name not in hardware:
            hardware[d.name] = check_hardware(d, consts, sink)
    regions = frozenset({"urel"} | {e.region for d in program.decls if isinstance(d, A.Hardware)
                                    for e in d.entries if isinstance(e, A.HwMemory)})
    spec_fns = check_spec_functions(specs, consts, sink, functions)
    lowered = {name: check_function(f, functions, consts, sink, regions, spec_fns)
               for name, f in functions.items()}
    if sink.diagnostics:
        raise RelaxError(sink.diagnostics)
    return C.Program(program.path, lowered, hardware, consts.known(), spec_fns)


def _distinct(decls: list[Decl], sink: Sink) -> list[Decl]:
    """The declarations whose name is new for their kind (the first of each name).
    Constants and functions also share their names (`N` in an expression could be
    either): a function named like a constant, or the reverse, is reported but kept,
    so that its uses do not also report it undefined."""
    first: dict[tuple[str, str], A.Span] = {}  # (kind, name): where declared
    out = []
    for d in decls:
        kind = KINDS[type(d)]
        span = d.name_span if isinstance(d, (A.Function, A.SpecFunction)) else d.span
        if (kind, d.name) in first:
            sink.err(f"{kind} `{d.name}` is already defined at line {first[kind, d.name].line}",
                     span, "name", "rename one of the two definitions")
            continue
        other = SHARED_NAMES.get(kind)
        if other is not None and (other, d.name) in first:
            sink.err(f"`{d.name}` is already a {other} (line {first[other, d.name].line}); a "
                     f"{kind} cannot have the same name", span, "name",
                     f"constants and functions share one set of names: rename the {kind} or "
                     f"the {other}")
        first[kind, d.name] = span
        out.append(d)
    return out
