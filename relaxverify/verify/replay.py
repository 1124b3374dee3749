"""Counterexample replay: run O and R from a verifier counterexample in the
interpreter and say whether the failure the verifier reports recurs.

Replay belongs to verification (it judges a counterexample) and drives the
interpreter (relaxverify.run.runtime) in two configurations: the original run
without faults, the relaxed run with the counterexample's faulty values traced in.
"""
from __future__ import annotations

from typing import Any, Optional

from relaxverify.core import nodes as C
from relaxverify.run.codegen_exprs import zero
from relaxverify.run.options import Options
from relaxverify.run.outcome import RunOutcome, named_results
from relaxverify.run.runtime import Interpreter
from relaxverify.source import Span
from relaxverify.verify.counterexample import Counterexample, ReplayOutcome

REPLAY_SECONDS = 2.0  # each run of a counterexample replay (its inputs may be huge)


def default_value(ty: C.Type) -> Any:
    return [] if ty.array else zero(ty, True)


def inputs_by_source(fn: C.Function, values: dict[str, Any], interp: Interpreter,
                     notes: list[str]) -> list:
    out = []
    for p in fn.params:
        if p.source in values:
            out.append(interp.convert(values[p.source], p.type))
        else:
            notes.append(f"the counterexample gives no value for `{p.source}`; "
                         f"{'[]' if p.type.array else 'the default'} was used")
            out.append(interp.convert(default_value(p.type), p.type))
    return out


# ---------------------------------------------------------------- replay


RELATIONAL = ("accept", "ensures_r", "requires_r", "invariant_r", "alignment")


def _overlaps(a: Optional[Span], b: Optional[Span]) -> bool:
    if a is None or b is None:
        return False
    return ((a.line, a.column) <= (b.end_line, b.end_column)
            and (b.line, b.column) <= (a.end_line, a.end_column))


def _where(span: Optional[Span]) -> str:
    return f"{span.line}:{span.column}" if span else "?"


def _outcome_text(name: str, out: RunOutcome) -> str:
    if out.failure is not None:
        return f"the {name} run fails the {out.failure.kind} check at {_where(out.failure.span)}"
    return f"the {name} run completes"


def replay(program: C.Program, cex: Counterexample, kind: str, side: str,
           span: Span, model: Optional[C.HardwareModel] = None) -> ReplayOutcome:
    """Run O and R from a verifier counterexample and say whether the failure recurs.

    O runs with `inputs_o` and `choices_o`; R with `inputs_r`, `choices_r` and the
    values of its unreliable operations from `faults` (None or running out: exact):
    operator results, `urel` reads and `urel` scalar/element writes in execution
    order; with `model` (the verifier's --hardware) only those that may fail in it.
    Reals are exact rationals, as in the verifier. The first failure of each run is
    recorded, and for relational kinds the states at accepts, calls and loop heads of
    the function are paired in order and the relation evaluated on each pair.
    """
    if cex.function not in program.functions:
        return ReplayOutcome(False, f"there is no function `{cex.function}` to replay")
    try:
        return _replay(program, cex, kind, side, span, model)
    except Exception as exc:  # noqa: BLE001 - a replay must never break the report
        return ReplayOutcome(False, f"the replay could not run ({type(exc).__name__}: {exc})")


def _replay(program: C.Program, cex: Counterexample, kind: str, side: str,
            span: Span, model: Optional[C.HardwareModel]) -> ReplayOutcome:
    fn = program.functions[cex.function]
    o = Interpreter(program, fn.name, Options("original", True, "none", True, True,
                                              time_limit=REPLAY_SECONDS))
    r = Interpreter(program, fn.name, Options("relaxed", True, "trace", True, True,
                                              time_limit=REPLAY_SECONDS), model,
                    precision=model)  # R at the model's precisions (section 9)
    notes: list[str] = []
    o.set_choices(list(cex.choices_o))
    r.set_choices(list(cex.choices_r))
    r.set_trace(cex.faults)
    out_o = o.run(inputs_by_source(fn, cex.inputs_o, o, notes))
    out_r = r.run(inputs_by_source(fn, cex.inputs_r, r, notes))
    notes += out_o.notes + out_r.notes
    summary = f"{_outcome_text('original', out_o)}; {_outcome_text('relaxed', out_r)}"
    stopped = any(out.failure is not None and out.failure.kind == "limit"
                  for out in (out_o, out_r))
    if kind not in RELATIONAL:
        out = out_o if side == "original" else out_r
        name = "original" if side == "original" else "relaxed"
        f = out.failure
        hit = f is not None and f.kind == kind and _overlaps(f.span, span)
        if hit:
            detail = f"reproduced: the {name} run fails the {kind} check at {_where(span)}"
        else:
            detail = f"not reproduced: {summary}"
        return ReplayOutcome(hit, _with_notes(detail, notes), stopped)
    hit, detail = _relational(program, fn, o, r, out_o, out_r, kind, span, cex)
    if not hit and out_o.failure is not None and out_o.failure.kind == "assume":
        detail += " (the original run violates an assumption, so the pair is discarded)"
    return ReplayOutcome(hit, _with_notes(detail if hit else f"not reproduced: {summary}; "
                                          f"{detail}", notes), stopped)


def _with_notes(detail: str, notes: list[str]) -> str:
    return detail + "".join(f"; note: {n}" for n in notes)



def _arrivals(interp: Interpreter, out: RunOutcome, span: Span) -> dict[int, tuple]:
    """The states recorded at each accept, call and loop head whose (invariant_r) span
    overlaps `span`, in arrival order, by statement: id(node) -> (node, [env, ...])."""
    found: dict[int, tuple] = {}
    for tag, k, env in out.records:
        node = interp.sites[k].node
        if tag == "loop":
            here = any(_overlaps(e.span, span) for e in node.invariants_r)
        else:
            here = _overlaps(node.span, span)
        if here:
            found.setdefault(id(node), (node, []))[1].append(env)
    return found


def _what(node: Any) -> str:
    return {C.Call: "call", C.Loop: "loop head"}.get(type(node), "accept")


def _accept(o: Interpreter, r: Interpreter, out_o: RunOutcome, out_r: RunOutcome,
            span: Span) -> tuple[bool, str]:
    """Pair the k-th arrival of O at the accept with the k-th arrival of R at it."""
    ao, ar = _arrivals(o, out_o, span), _arrivals(r, out_r, span)
    for key, (node, envs_o) in ao.items():
        if not isinstance(node, C.Check) or key not in ar:
            continue
        for i, (envo, envr) in enumerate(zip(envs_o, ar[key][1])):
            if not o.relation(node.cond)(envo, envr):
                return True, (f"reproduced: the accept at {_where(span)} is false when both "
                              f"runs reach it (time {i + 1})")
    return False, f"the accept at {_where(span)} holds every time both runs reach it"


def _contains(a: Span, b: Span) -> bool:
    return ((a.line, a.column) <= (b.line, b.column)
            and (b.end_line, b.end_column) <= (a.end_line, a.end_column))


def _cut_short(fn: C.Function, node: Any, out: RunOutcome, interp: Interpreter) -> bool:
    """Whether the run's failure may have kept it from reaching `node` (again): not
    when it completed, failed an `ensures` of `fn`, or failed in the body of `fn`
    after `node` or in the other branch of an `if`, outside every loop around both
    (a failure in a callee is placed at the call of `fn` that was running)."""
    f = out.failure
    if f is None:
        return False
    if f.span is None:
        return True
    if f.kind == "ensures" and any(_overlaps(e.span, f.span) for e in fn.ensures):
        return False
    stmts = list(C.walk(fn.body))
    where = f.span
    if not any(_contains(s.span, where) for s in stmts):
        # In a callee (the last record of fn is the call it happened in, since every
        # call of fn is recorded just before it runs) or in fn's precondition.
        last = interp.sites[out.records[-1][1]].node if out.records else None
        if not isinstance(last, C.Call):
            return True
        where = last.span
    after = (where.line, where.column) > (node.span.end_line, node.span.end_column)
    looped = any(isinstance(s, C.Loop) and _contains(s.span, node.span)
                 and _contains(s.span, where) for s in stmts)
    apart = any(isinstance(s, C.If) and (
        (_within(s.then, where) and _within(s.orelse, node.span))
        or (_within(s.orelse, where) and _within(s.then, node.span))) for s in stmts)
    return looped or not (after or apart)


def _within(stmts: list, span: Span) -> bool:
    return any(_contains(x.span, span) for x in C.walk(stmts))


def _alignment(fn: C.Function, o: Interpreter, r: Interpreter, out_o: RunOutcome,
               out_r: RunOutcome, span: Span) -> tuple[bool, str]:
    """Reproduced when the runs reach a relational check at `span` (an accept, a call
    with a relational contract, a loop head with `invariant_r`) a different number of
    times and the run that reaches it fewer times was not cut short by a failure that
    might come before a further arrival. Arrivals past the other run's failure count."""
    ao, ar = _arrivals(o, out_o, span), _arrivals(r, out_r, span)
    for key in list(ao) + [k for k in ar if k not in ao]:
        node = (ao.get(key) or ar[key])[0]
        no, nr = len(ao.get(key, (None, []))[1]), len(ar.get(key, (None, []))[1])
        fewer, interp = (out_o, o) if no < nr else (out_r, r)
        if no != nr and not _cut_short(fn, node, fewer, interp):
            return True, (f"reproduced: the original run reaches the {_what(node)} at "
                          f"{_where(span)} {no} time(s), the relaxed run {nr} time(s)")
    counts = ", ".join(f"{_what(n)} at {_where(n.span)}: {len(e)} and "
                       f"{len(ar.get(k, (None, []))[1])}" for k, (n, e) in ao.items())
    return False, (f"the runs reach the checks at {_where(span)} equally often or a run "
                   f"stopped early ({counts or 'not reached by the original run'})")

def _relational(program, fn, o: Interpreter, r: Interpreter, out_o: RunOutcome,
                out_r: RunOutcome, kind: str, span: Span,
                cex: Counterexample) -> tuple[bool, str]:
    """Pair the recorded states of the two runs and evaluate the relation. Records are
    compared by the core statement they come from (the runs are compiled separately)."""
    def events(interp: Interpreter, out: RunOutcome, tag: str, here: bool = False) -> list:
        evs = [(interp.sites[k].node, env) for t, k, env in out.records if t == tag]
        return [x for x in evs if _overlaps(x[0].span, span)] if here else evs

    if kind == "accept":
        return _accept(o, r, out_o, out_r, span)
    if kind == "alignment":
        return _alignment(fn, o, r, out_o, out_r, span)
    if kind == "ensures_r":
        if out_o.failure is not None or out_r.failure is not None:
            return False, "a run did not reach the end of the function"
        so = {p.name: o.convert(cex.inputs_o.get(p.source, default_value(p.type)), p.type)
              for p in fn.params}
        sr = {p.name: o.convert(cex.inputs_r.get(p.source, default_value(p.type)), p.type)
              for p in fn.params}
        so.update(named_results(fn.results, out_o.result))
        sr.update(named_results(fn.results, out_r.result))
        clauses = [e for e in fn.ensures_r if _overlaps(e.span, span)] or fn.ensures_r
        for e in clauses:
            if not o.relation(e)(so, sr):
                return True, f"reproduced: the relational postcondition at {_where(e.span)} is false"
        return False, "the relational postcondition holds on the final states"
    if kind == "requires_r":
        eo, er = events(o, out_o, "call", True), events(r, out_r, "call", True)
        for (call, envo), (_c, envr) in zip(eo, er):
            callee = program.functions[call.callee]
            for e in callee.requires_r:
                if not o.relation(e)(envo, envr):
                    return True, (f"reproduced: the relational precondition of `{callee.name}` "
                                  f"is false at the call at {_where(span)}")
        return False, f"the relational precondition holds at every paired call at {_where(span)}"
    if kind == "invariant_r":
        eo, er = events(o, out_o, "loop", True), events(r, out_r, "loop", True)
        for i, ((loop, envo), (_l, envr)) in enumerate(zip(eo, er)):
            for e in loop.invariants_r:
                if not o.relation(e)(envo, envr):
                    return True, (f"reproduced: the relational invariant at {_where(e.span)} is "
                                  f"false at loop head {i + 1} (in lockstep)")
        return False, "the relational invariant holds at every lockstep loop head"
    return False, f"obligations of kind `{kind}` are not replayed"
