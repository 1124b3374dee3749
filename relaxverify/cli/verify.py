"""`relaxverify verify FILE...`: acceptability proofs (LANGUAGE.md §6) with Z3."""
from __future__ import annotations

import argparse
import dataclasses
import os
from typing import Optional

from relaxverify.report.diagnostics import Diagnostic
from relaxverify.verify.counterexample import ReplayOutcome
from relaxverify.check.hardware import find_model
from relaxverify.run.interpreter import replay
from relaxverify.verify.obligations import Obligation
from relaxverify.pipeline import Loaded
from relaxverify.verify.prover import ProverStats, format_value, prove, rlimit_for
from relaxverify.report.render import CommandResult, FileReport
from relaxverify.verify.vcgen import Decider, Faults, VCGen
from relaxverify.verify.loops import ALONE_IN_LOOP
from relaxverify.cli.common import loaded_files, selected_functions, unknown_function, unknown_model


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--explain", action="store_true",
                        help="print every obligation with its condition in source syntax")
    parser.add_argument("--smt2", metavar="DIR",
                        help="write each solver query as an SMT-LIB 2 file into DIR")
    parser.set_defaults(formats=("text", "json", "sarif"))


def execute(args: argparse.Namespace) -> CommandResult:
    stats = ProverStats()
    if args.smt2 is not None:
        try:
            os.makedirs(args.smt2, exist_ok=True)
        except OSError as exc:
            diag = Diagnostic("error", f"cannot create the --smt2 directory `{args.smt2}`: "
                              f"{exc.strerror}", None, "io", path=args.smt2)
            return CommandResult("verify", [FileReport(args.smt2, "error", None, [diag])])
    good, reports = loaded_files(args.files)
    for item in good:
        reports.append(verify_file(item, args, stats))
    return CommandResult("verify", reports, summary=_summary(reports))


def verify_file(item: Loaded, args: argparse.Namespace, stats: ProverStats) -> FileReport:
    program = item.program
    model = None
    if args.hardware:
        model = find_model(program, args.hardware)
        if model is None:
            return unknown_model(item, args.hardware)
    functions = list(selected_functions(item, args.fn))
    if args.fn and not functions:
        return unknown_function(item, args.fn)
    obligations: list[Obligation] = []
    warnings: list[Diagnostic] = []
    for fn in functions:
        gen = VCGen(program, fn, Faults(model), Decider(args.timeout, rlimit_for(args.timeout)),
                    explain=getattr(args, "explain", False))
        gen.run()
        stats.solver_seconds += gen.decider.seconds
        for ob in gen.obligations.values():
            prove(gen, ob, args.timeout, stats, args.smt2)
            obligations.append(ob)
        warnings.extend(gen.warnings)
    obligations.sort(key=lambda o: (o.span.line, o.span.column))
    failed = [o for o in obligations if o.status == "failed"]
    unknown = [o for o in obligations if o.status == "unknown"]
    replays = {id(o): _replay(program, o, model) for o in failed}
    status = "failed" if failed else "unknown" if unknown else "verified"
    entries = []
    for o in obligations:
        entry = o.to_json()
        if id(o) in replays:
            entry["replay"] = _replay_json(replays[id(o)], entry.get("concrete", False))
        entries.append(entry)
    report = FileReport(item.path, status, item.source, diagnostics=warnings,
                        findings=[_finding(o, replays.get(id(o))) for o in failed + unknown],
                        extra={"obligations": entries})
    if getattr(args, "explain", False):
        if obligations:
            report.lines.append(EXPLAIN_LEGEND)
        for o in obligations:
            report.lines.extend(_explain(o))
    parts = [f"{len(obligations) - len(failed) - len(unknown)} verified", f"{len(failed)} failed"]
    if unknown:
        parts.append(f"{len(unknown)} unknown")
    report.lines.append(f"{item.path}: {len(obligations)} obligations: " + ", ".join(parts))
    return report


def _replay(program, o: Obligation, model) -> Optional[ReplayOutcome]:
    """Run the counterexample in the interpreter, as Why3's --check-ce does. A concrete
    counterexample is one pair of runs: its inputs, choices and faults are replayed. An
    abstract one (a loop or call summarised by its invariant or contract) is run from
    its inputs, with its choices where they still satisfy their predicates and no
    faults, so that every run is a real one: a failure there is a real failure."""
    cex = o.counterexample
    if cex is None:
        return None
    if not cex.concrete:
        cex = dataclasses.replace(cex, faults=[])
    return replay(program, cex, o.kind, o.side, o.span, model)


WEAK_SUMMARY = ("the runs from these inputs do not fail here, so the loop invariant or "
                "contract that summarises the code on the way may be too weak to prove it "
                "(strengthen it), unless the failure needs other relax choices or faults")
STOPPED = ("the runs from these inputs were stopped at an interpreter limit (they ran too "
           "long), so they cannot tell whether the failure is real")


def _abstract_hint(outcome: ReplayOutcome) -> str:
    """What an abstract counterexample's runs that did not fail suggest."""
    return STOPPED if outcome.stopped else WEAK_SUMMARY


def _replay_json(outcome: Optional[ReplayOutcome], concrete: bool) -> dict:
    if outcome is None:
        return {"status": "not replayed", "detail": "there is no counterexample"}
    if outcome.reproduced:
        return {"status": "reproduced", "detail": outcome.detail}
    if concrete and not outcome.stopped:
        return {"status": "not reproduced", "detail": outcome.detail}
    return {"status": "inconclusive", "detail": f"{outcome.detail}; {_abstract_hint(outcome)}"}


def _finding(o: Obligation, replayed: Optional[ReplayOutcome] = None) -> Diagnostic:
    notes = [f"{o.kind} obligation ({o.side} execution)" if o.side != "relational"
             else f"{o.kind} obligation (relates the two executions)"]
    if o.status == "unknown":
        return Diagnostic("warning", o.message, o.span, "unknown", notes)
    cex = o.counterexample
    if cex is not None:
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
            notes.append("the path goes through a loop or call summarised by its invariant or "
                         "contract, so these values may not all come from one real run")
            if replayed is not None:
                notes.append("run from these inputs in the interpreter: " + (
                    replayed.detail if replayed.reproduced else _abstract_hint(replayed)))
        elif replayed is not None:
            notes.append(f"replayed in the interpreter: {replayed.detail}")
    return Diagnostic("error", o.message, o.span, f"verify/{o.kind}", notes)


EXPLAIN_LEGEND = ("explain: x<o> and x<r> are x in the original and the relaxed execution; "
                  "after a step `x<o> := e`, the lines below it mean the new value")


def _explain(o: Obligation) -> list[str]:
    inst = o.instances[0]
    out = [f"{o.span}: {o.status}: {o.kind} ({o.side}): {o.explanation}"]
    if inst.path:
        out.append("    assuming, along the path:")
        out.extend(f"      {p}" for p in _path_lines(inst.path))
    if len(o.instances) > 1:
        out.append(f"    (and on {len(o.instances) - 1} more path(s)"
                   + _other_paths(inst.path, o.instances[1:]) + ")")
    out.append(f"    prove: {o.goal_text}")
    return out


def _path_lines(path: tuple) -> list[str]:
    """The facts and steps of a path; a fact repeated before the next step once."""
    out, seen = [], set()
    for text, is_step in path:
        if is_step:
            seen = set()
        elif text in seen:
            continue
        seen.add(text)
        out.append(text)
    return out


def _other_paths(first: tuple, others: list) -> str:
    """What sets the other paths apart from the one listed, briefly: nothing this
    side can see, or the loop's one-sided steps."""
    if all(inst.path == first for inst in others):
        return ", with the same lines"  # e.g. one-sided iterations the other side cannot see
    listed = {text for text, _ in first}
    how = []
    for inst in others:
        new = [text for text, _ in inst.path if text not in listed]
        alone = [t for t in new if ALONE_IN_LOOP in t]
        if alone and alone[0] not in how:
            how.append(alone[0])
    return ": " + "; ".join(how) if how else ""


def _summary(reports: list[FileReport]) -> Optional[str]:
    counts = {"verified": 0, "failed": 0, "unknown": 0}
    for r in reports:
        for o in r.extra.get("obligations", []):
            counts[o["status"]] = counts.get(o["status"], 0) + 1
    total = sum(counts.values())
    errors = sum(1 for r in reports if r.status == "error")
    text = (f"{total} obligations in {len(reports)} file(s): {counts['verified']} verified, "
            f"{counts['failed']} failed")
    if counts["unknown"]:
        text += f", {counts['unknown']} unknown"
    if errors:
        text += f"; {errors} file(s) with errors"
    return text
