"""`verify`: acceptability proofs (docs/language.md, spec §6) with Z3; docs/api.md,
docs/verifier.md.

One `Finding` per obligation, its payload an `ObligationResult`. A failed
obligation's counterexample is replayed in the interpreter (as Why3's --check-ce
does), and what the replay showed is a note of its message.
"""
from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from typing import Any, Optional, Union

from relaxverify.api.explain import EXPLAIN_LEGEND, explain
from relaxverify.api.inputs import (Inputs, missing_function, program_of, selected_functions,
                                    unknown_model)
from relaxverify.api.options import VerifyOptions
from relaxverify.check.hardware import default_note, find_model, model_in_use
from relaxverify.core import nodes as C
from relaxverify.pipeline import Loaded
from relaxverify.report.diagnostics import Diagnostic
from relaxverify.report.finding import Finding, Status
from relaxverify.report.render import CommandResult, FileReport
from relaxverify.verify.budget import recursion_under_budget
from relaxverify.verify.counterexample import ReplayOutcome
from relaxverify.verify.floats import MODEL_NOTE, SPURIOUS
from relaxverify.verify.integrity import QUANTIFIED
from relaxverify.verify.obligations import Obligation, bound_text
from relaxverify.verify.cache import ResultCache, unit_key
from relaxverify.verify.pool import (Unit, forget, own_contexts, prove_unit, run_units, share,
                                    source_key)
from relaxverify.verify.prover import ProverStats, format_value
from relaxverify.verify.records import UnitResult, decode_result, encode_result

WEAK_SUMMARY = ("the runs from these inputs do not fail here, so the loop invariant or "
                "contract that summarises the code on the way may be too weak to prove it "
                "(strengthen it), unless the failure needs other relax choices or faults")
QUANTIFIER = ("the runs from these inputs decided the quantifier before reaching a value "
              "where it is undefined; it is still undefined there: guard the partial "
              "expression inside it (e.g. `0 <= j && j < len(a) ==> a[j] > 0`)")
CANDIDATE = ("the runs from these inputs chose other values, at which the predicate is "
             "defined; it is still undefined at these candidates: guard the partial "
             "expression (e.g. `0 <= i && i < len(a) && a[i] > 0`)")
FAULTY_SUMMARY = ("the runs from these inputs do not fail here, and the relaxed values "
                 "above come from faulty results: if the failure needs a fault that may "
                 "return any value, no invariant can bound it; give the operator or "
                 "memory an `error` bound in the hardware model (e.g. `operator +. = "
                 "0.999 error 0.5;`), or keep the value reliable. Otherwise the loop "
                 "invariant or contract on the way may be too weak (strengthen it)")
STOPPED = ("the runs from these inputs were stopped at an interpreter limit (they ran too "
           "long), so they cannot tell whether the failure is real")


@dataclass
class ObligationResult:
    """The payload of an obligation's finding: the obligation as the prover left it and,
    for a failed one, whether its counterexample was replayed and what that showed."""

    obligation: Obligation
    replayed: bool = False  # a replay was attempted (the obligation failed)
    outcome: Optional[ReplayOutcome] = None  # None: there was no counterexample

    def to_json(self) -> dict[str, Any]:
        entry = self.obligation.to_json()
        if self.replayed:
            entry["replay"] = _replay_json(self.outcome, entry.get("concrete", False),
                                           self.obligation)
        return entry


def verify_inputs(inputs: Inputs, options: VerifyOptions) -> CommandResult:
    stats = ProverStats()
    if options.smt2 is not None:
        try:
            os.makedirs(options.smt2, exist_ok=True)
        except OSError as exc:
            diag = Diagnostic("error", f"cannot create the --smt2 directory `{options.smt2}`: "
                              f"{exc.strerror}", None, "io", path=options.smt2)
            return CommandResult("verify", [FileReport(options.smt2, "error", None, [diag])])
    good, reports = inputs.load()
    plans = [plan_file(item, options) for item in good]
    prove_plans([p for p in plans if isinstance(p, Plan)], options, stats)
    reports += [p if isinstance(p, FileReport) else finish_file(p, options) for p in plans]
    return CommandResult("verify", reports, summary=summary(reports))


def verify_file(item: Loaded, options: VerifyOptions, stats: ProverStats) -> FileReport:
    plan = plan_file(item, options)
    if isinstance(plan, FileReport):
        return plan
    prove_plans([plan], options, stats)
    return finish_file(plan, options)


@dataclass
class Plan:
    """A file that loaded, its hardware model and its units of work (one per spec
    function and function), then their results (`prove_plans`)."""

    item: Loaded
    program: C.Program
    model: Optional[C.HardwareModel]
    default: bool  # the model is the file's default one (a note says so)
    trusted: list[C.Function]  # extern functions: their contracts are trusted
    units: list[Unit]
    results: list[UnitResult] = dataclasses.field(default_factory=list)


def plan_file(item: Loaded, options: VerifyOptions) -> Union[Plan, FileReport]:
    """What to prove in a file, or its `error` report (an unknown model or function,
    recursion under a fault budget)."""
    program = program_of(item)
    model = None
    name, default = model_in_use(program, options.hardware or None)
    if name:
        model = find_model(program, name)
        if model is None:
            return unknown_model(item, name)
    missing = missing_function(item, options.functions)
    if missing is not None:
        return missing
    functions = list(selected_functions(item, options.functions))
    if model is not None and model.budget is not None:
        recursive = recursion_under_budget(program, functions)
        if recursive is not None:
            fn, span = recursive
            diag = Diagnostic(
                "error", f"`{fn.name}` is recursive, but hardware `{model.name}` has a fault "
                f"budget (`faults at most {model.budget};`): under a budget every call is "
                "analysed in place, so that its faults count, and a recursive call has no "
                "finite body to analyse", span, "budget",
                ["write the recursion as a loop, or verify with a model without "
                 "`faults at most`"], path=item.path)
            return FileReport(item.path, "error", item.source, [diag])
    assert item.source is not None, "a file that loaded has its text"
    source = item.source
    # Spec functions first (always: every verdict relies on their definitions).
    names = [(sf, True) for sf in program.spec_functions] + \
        [(fn.name, False) for fn in functions if not fn.extern]
    units = [Unit(item.path, source, n, spec, model.name if model is not None else None,
                  options.timeout, options.explain, options.smt2) for n, spec in names]
    return Plan(item, program, model, bool(default), [fn for fn in functions if fn.extern],
                units)


def prove_plans(plans: list[Plan], options: VerifyOptions, stats: ProverStats) -> None:
    """Every unit's result: from the cache when it has it, else proved (in a pool of
    `options.jobs` processes when there are several units to prove), and then cached
    as soon as it is proved (an interrupted run keeps what it finished)."""
    cache = ResultCache(options.cache_dir) if options.cache_dir and options.smt2 is None \
        else None  # --smt2 writes the queries: they must be generated
    todo: list[tuple[Plan, int, str]] = []
    programs: dict[tuple[str, str], C.Program] = {}
    for plan in plans:
        plan.results = [UnitResult() for _ in plan.units]
        if not plan.units:
            continue
        path, source = plan.item.path, plan.units[0].source
        programs[path, source] = plan.program
        share(path, source, plan.program)
        digest = source_key(path, source)[1] if cache is not None else ""
        for i, unit in enumerate(plan.units):
            key = "" if cache is None else unit_key(
                unit.path, digest, unit.function, unit.spec, unit.hardware, unit.timeout,
                unit.explain)
            hit = None if cache is None else cache.get(key)
            if hit is not None:
                plan.results[i] = hit
            else:
                todo.append((plan, i, key))

    def local(u: Unit) -> UnitResult:  # as plain data, as from a worker: its Z3 context
        # (one per unit, pool.fresh_context) is freed as soon as the unit is proved
        return decode_result(encode_result(prove_unit(programs[u.path, u.source], u, stats)))

    def done(n: int, result: UnitResult) -> None:
        plan, i, key = todo[n]
        plan.results[i] = result
        if cache is not None:
            cache.put(key, result)

    try:
        with own_contexts():
            run_units([plan.units[i] for plan, i, _ in todo], options.jobs, local, done)
    finally:
        forget()


def finish_file(plan: Plan, options: VerifyOptions) -> FileReport:
    """The report of a file whose units are proved: replays, verdicts, notes."""
    item, program, model, trusted = plan.item, plan.program, plan.model, plan.trusted
    obligations = [o for r in plan.results for o in r.obligations]
    obligations.sort(key=lambda o: (o.span.line, o.span.column))
    warnings = [w for r in plan.results for w in r.warnings]
    replays = {id(o): _replay(program, o, model) for o in obligations
               if o.status == "failed" and o.function not in program.spec_functions}
    for o in obligations:
        unconfirmed(o, replays.get(id(o)))
    failed = [o for o in obligations if o.status == "failed"]
    unknown = [o for o in obligations if o.status == "unknown"]
    status = "failed" if failed else "unknown" if unknown else "verified"
    findings: list[Finding] = list(warnings)
    findings += [obligation_finding(o, replays.get(id(o))) for o in obligations]
    report = FileReport(item.path, status, item.source, findings, listing="obligations")
    if plan.default and model is not None:
        report.lines.append(f"{item.path}: {default_note(model.name)}")
        report.extra["hardware"] = model.name
    if options.explain:
        if obligations:
            report.lines.append(EXPLAIN_LEGEND)
        for o in obligations:
            report.lines.extend(explain(o))
    for o in obligations:
        if o.is_query:  # a proved bound is a result, shown although verified
            where = f"{item.path}:{o.span.line}:{o.span.column}"
            report.lines.append(f"{where}: bound: {bound_text(o.bound)} (proved) for "
                                f"`{o.goal_text[:-5]}`" if o.bound is not None else
                                f"{where}: bound: none proved for `{o.goal_text[:-5]}` "
                                f"({o.reason})")
    if uses_floats(program):
        report.lines.append(f"note: {MODEL_NOTE}")
        report.extra["float_model"] = MODEL_NOTE
    parts = [f"{len(obligations) - len(failed) - len(unknown)} verified", f"{len(failed)} failed"]
    if unknown:
        parts.append(f"{len(unknown)} unknown")
    if trusted:
        names = ", ".join(f"`{fn.name}`" for fn in trusted)
        parts.append(f"{len(trusted)} extern contract(s) trusted ({names})")
        report.extra["trusted"] = [fn.name for fn in trusted]
    report.lines.append(f"{item.path}: {len(obligations)} obligations: " + ", ".join(parts))
    return report


def unconfirmed(o: Obligation, result: Optional[ObligationResult]) -> None:
    """A failure found through the rounding abstraction (an over-approximation) is
    real only if replay reproduces it; otherwise it is unknown, never failed."""
    if o.status != "failed" or not o.approximate:
        return
    if result is not None and result.outcome is not None and result.outcome.reproduced:
        return
    o.status, o.reason = "unknown", SPURIOUS


def uses_floats(program: C.Program) -> bool:
    """Does the program compute with a float type (or a model precision)?"""
    for fn in program.functions.values():
        for v in fn.params + fn.results + [x for s in C.walk(fn.body) for x in _vars_of(s)]:
            if v.type.is_float:
                return True
    return any(m.precision for hw in program.hardware.values()
               for m in list(hw.operators.values()) + list(hw.regions.values()))


def _vars_of(s: C.Stmt) -> list:
    return [v for v in (getattr(s, "var", None),) if isinstance(v, C.Var)] + \
        list(getattr(s, "vars", ())) + list(getattr(s, "targets", ()))


def _replay(program: C.Program, o: Obligation, model: Optional[C.HardwareModel]
            ) -> ObligationResult:
    """Run the counterexample in the interpreter, as Why3's --check-ce does. A concrete
    counterexample is one pair of runs: its inputs, choices and faults are replayed. An
    abstract one (a loop or call summarised by its invariant or contract) is run from
    its inputs, with its choices where they still satisfy their predicates and no
    faults, so that every run is a real one: a failure there is a real failure."""
    cex = o.counterexample
    if cex is None:
        return ObligationResult(o, True, None)
    if not cex.concrete:
        cex = dataclasses.replace(cex, faults=[])
    from relaxverify.verify.replay import replay  # the interpreter: only for a failure
    return ObligationResult(o, True, replay(program, cex, o.kind, o.side, o.span, model))


def _abstract_hint(outcome: ReplayOutcome, o: Optional[Obligation] = None) -> str:
    """What an abstract counterexample's runs that did not fail suggest."""
    if outcome.stopped:
        return STOPPED
    if o is not None and _quantified(o):
        return QUANTIFIER
    if o is not None and _candidate(o):
        return CANDIDATE
    faulty = o is not None and o.counterexample is not None and any(
        f is not None for f in o.counterexample.faults or ())
    return FAULTY_SUMMARY if faulty else WEAK_SUMMARY


def _quantified(o: Obligation) -> bool:
    """Is it the definedness of a quantifier (which a run may decide early)?"""
    return QUANTIFIED in o.explanation


def _candidate(o: Obligation) -> bool:
    """Are the failing values candidates of a relax/havoc predicate (not a run's)?"""
    return any(i.abstract for i in o.instances) and not _quantified(o)


def _replay_json(outcome: Optional[ReplayOutcome], concrete: bool, o: Obligation
                 ) -> dict[str, Any]:
    if outcome is None:
        return {"status": "not replayed", "detail": "there is no counterexample"}
    if outcome.reproduced:
        return {"status": "reproduced", "detail": outcome.detail}
    if concrete and not outcome.stopped:
        return {"status": "not reproduced", "detail": outcome.detail}
    return {"status": "inconclusive",
            "detail": f"{outcome.detail}; {_abstract_hint(outcome, o)}"}


def obligation_finding(o: Obligation, result: Optional[ObligationResult] = None) -> Finding:
    """The finding of a proved obligation; a failed one's notes give its counterexample."""
    payload = result or ObligationResult(o)
    status = Status(o.status)
    if status is Status.VERIFIED:
        return Finding(status, o.kind, o.message, o.span, [], payload, rule=None)
    notes = [f"{o.kind} obligation ({o.side} execution)" if o.side != "relational"
             else f"{o.kind} obligation (relates the two executions)"]
    if status is Status.UNKNOWN:
        if payload.outcome is not None:
            notes.append(f"replayed in the interpreter: {payload.outcome.detail}")
        return Finding(status, o.kind, o.message, o.span, notes, payload, rule="unknown")
    notes += _counterexample_notes(o, payload.outcome)
    return Finding(status, o.kind, o.message, o.span, notes, payload, rule=f"verify/{o.kind}")


def _counterexample_notes(o: Obligation, replayed: Optional[ReplayOutcome]) -> list[str]:
    cex = o.counterexample
    if cex is None:
        return []
    notes = []
    for label, inputs, final in (("original", cex.inputs_o, cex.final_o),
                                 ("relaxed", cex.inputs_r, cex.final_r)):
        values = {**inputs, **final}
        if values:
            notes.append(f"{label}: " + ", ".join(f"{k} = {format_value(v)}"
                                                  for k, v in values.items()))
    if cex.faults and any(f is not None for f in cex.faults):
        notes.append("faulty results in the relaxed execution: " +
                     ", ".join(format_value(f) if f is not None else "exact"
                               for f in cex.faults))
    if o.branches_apart:
        lines = ", ".join(str(n) for n in o.branches_apart)
        notes.append(f"the two executions take different branches of the `if` at line "
                     f"{lines}")
    if not cex.concrete:
        notes.append(_why_abstract(o))
        if replayed is not None:
            notes.append("run from these inputs in the interpreter: " + (
                replayed.detail if replayed.reproduced else
                _abstract_hint(replayed, o)))
    elif replayed is not None:
        notes.append(f"replayed in the interpreter: {replayed.detail}")
    return notes


def _why_abstract(o: Obligation) -> str:
    """Why a counterexample's values may not come from one real run."""
    if _quantified(o):
        return ("a run evaluates a quantifier only until its value is decided, so it may "
                "never reach the values where this one is undefined")
    if _candidate(o):
        return ("these are candidate values a `relax`/`havoc` predicate is evaluated at, "
                "not values a run chose")
    return ("the path goes through a loop or call summarised by its invariant or "
            "contract, so these values may not all come from one real run")


def obligations(report: FileReport) -> list[Obligation]:
    """The obligations of a file's report, in source order."""
    return [f.payload.obligation for f in report.listed()
            if isinstance(f.payload, ObligationResult)]


def summary(reports: list[FileReport]) -> str:
    counts = {"verified": 0, "failed": 0, "unknown": 0}
    for r in reports:
        for o in obligations(r):
            counts[o.status] = counts.get(o.status, 0) + 1
    total = sum(counts.values())
    errors = sum(1 for r in reports if r.status == "error")
    text = (f"{total} obligations in {len(reports)} file(s): {counts['verified']} verified, "
            f"{counts['failed']} failed")
    if counts["unknown"]:
        text += f", {counts['unknown']} unknown"
    if errors:
        text += f"; {errors} file(s) with errors"
    return text
