"""When the generator's time limit runs out: nothing it made may be reported as
verified (an obligation may lack the paths not generated yet), and every check
of the function it did not reach is reported too, as unknown, with the reason.
"""
from __future__ import annotations

from typing import Iterator, Optional

import z3

from relaxverify.core import checks as K
from relaxverify.core import nodes as C
from relaxverify.source import Span
from relaxverify.verify.integrity import obliged_here, side_phrase, span_of
from relaxverify.verify.obligations import SIDE_NAMES, Instance, Obligation


def stop_reason(seconds: float) -> str:
    return (f"the verifier stopped generating this function's conditions at its time limit "
            f"of {seconds:g} s, which grows with --timeout; split the function or its loop "
            "nests, or raise --timeout")


def mark_unknown(fn: C.Function, program: C.Program, obligations: dict, reason: str) -> None:
    """Every obligation made so far, and one per check not reached, is unknown."""
    for ob in obligations.values():
        ob.status, ob.reason = "unknown", reason
    made = {(o.kind, o.side, o.span.line, o.span.column) for o in obligations.values()}
    for kind, side, span in source_checks(fn, program):
        key = (kind, SIDE_NAMES[side], span.line, span.column)
        if key in made:
            continue
        made.add(key)
        ob = Obligation(f"{fn.name}/{kind}/{key[1]}@{span.line}:{span.column}", fn.name, kind,
                        key[1], span, f"the `{kind}` check here holds{side_phrase(side)}",
                        "(not generated)", status="unknown", reason=reason)
        ob.instances.append(Instance(z3.BoolVal(True), z3.BoolVal(True), 0, 0, {}, {}, ()))
        obligations[("stopped",) + key] = ob


Check = tuple[str, Optional[str], Span]


def source_checks(fn: C.Function, program: C.Program) -> Iterator[Check]:
    """(kind, side, place) of the obligations the function's source makes."""
    for s in C.walk(fn.body):
        sides = "r" if isinstance(s, C.Choose) and s.kind == "relax" else "or"
        for e in K.code_exprs(s) + K.spec_exprs(s):
            for site in K.checks_in(e):
                if obliged_here(site.check):
                    yield from ((site.check.kind, side, site.check.span) for side in sides)
        for c in K.stmt_checks(s):
            if obliged_here(c):
                yield from ((c.kind, side, span_of(c)) for side in sides)
        yield from _specs(s, program)
    for e in fn.ensures:
        yield from (("ensures", side, e.span) for side in "or")
    yield from (("ensures_r", None, e.span) for e in fn.ensures_r)


def _specs(s: C.Stmt, program: C.Program) -> Iterator[Check]:
    if isinstance(s, C.Check):
        if s.kind == "accept":
            yield ("accept", None, s.span)
        else:
            yield from ((s.kind, side, s.span) for side in ("r" if s.kind == "assume" else "or"))
    elif isinstance(s, C.Loop):
        for e in s.invariants:
            yield from (("invariant", side, e.span) for side in "or")
        yield from (("invariant_r", None, e.span) for e in s.invariants_r)
    elif isinstance(s, C.Call):
        f = program.functions[s.callee]
        if f.requires:
            yield from (("requires", side, s.span) for side in "or")
        if f.requires_r:
            yield ("requires_r", None, s.span)
