"""`reliability`: the reliability analysis of docs/language.md (spec §7), per function
(docs/api.md).

One `Finding` per function, its payload a `FunctionReliability`. Text: one block per
function (spec, final terms, value, verdict) and, for a spec that fails, a located
message naming the breaking term and the statement that lost the most. JSON (§8): per
file `"functions": [{"name", "line", "spec", "terms", "value", "status", ...}]`; the
term format is documented in docs/reliability.md.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Collection, Optional

from relaxverify.api.inputs import Inputs, program_of, unknown_model
from relaxverify.api.options import ReliabilityOptions
from relaxverify.check.hardware import default_note, find_model, model_in_use
from relaxverify.pipeline import Loaded
from relaxverify.reliability.analysis import (MAX_TERMS, Culprit, FunctionResult, SpecCheck,
                                              Term, analyse_program, format_factor, var_names)
from relaxverify.report.diagnostics import Diagnostic, error, source_lines
from relaxverify.report.finding import Finding, Status
from relaxverify.report.render import CommandResult, FileReport
from relaxverify.report.text import render_text
from relaxverify.source import Span


@dataclass
class FunctionReliability:
    """The payload of a function's finding: the analysis result and the file's lines
    (to quote the statement that lost the most)."""

    result: FunctionResult
    lines: list[str]

    def to_json(self) -> dict[str, Any]:
        return function_json(self.result, self.lines)


def reliability_inputs(inputs: Inputs, options: ReliabilityOptions) -> CommandResult:
    good, reports = inputs.load()
    name = options.model_name
    used = set()
    n_functions = n_holds = n_fails = 0
    for item in good:
        chosen, default = model_in_use(program_of(item), options.hardware)
        used.add(chosen or name)
        report = analyse_file(item, chosen or name, options.functions, default,
                              options.precise)
        reports.append(report)
        for r in function_results(report):
            n_functions += 1
            n_holds += sum(c.holds for c in r.checks)
            n_fails += sum(not c.holds for c in r.checks)
    if good:
        reports.extend(_unknown_functions(good, options.functions))
    if len(used) == 1:  # every file's own only model, or --hardware, or the default
        name = used.pop()
    summary = (f"reliability on hardware `{name}`: {n_functions} function(s), "
               f"{n_holds} spec(s) hold, {n_fails} fail")
    return CommandResult("reliability", reports, {"hardware": name}, summary)


def _unknown_functions(good: list[Loaded], wanted: tuple[str, ...]) -> list[FileReport]:
    """An error for each name of `--fn` that no file defines (a name may be in any of
    the files)."""
    names = sorted({f for item in good for f in program_of(item).functions})
    return [FileReport(good[0].path, "error", None, [Diagnostic(
        "error", f"no function named `{fn}`", None, "name",
        [f"the functions are: {', '.join(names) or '(none)'}"], path=good[0].path)])
        for fn in wanted if fn not in names]


def function_results(report: FileReport) -> list[FunctionResult]:
    """The analysis results of a file's report, in source order."""
    return [f.payload.result for f in report.listed()
            if isinstance(f.payload, FunctionReliability)]


def analyse_file(item: Loaded, name: str, only: Collection[str], default: bool = False,
                 precise: bool = False) -> FileReport:
    program = program_of(item)
    model = find_model(program, name)
    if model is None:
        return unknown_model(item, name)
    results, errors = analyse_program(program, model, only, precise)
    lines = source_lines(item.source)
    failed = any(r.status == "failed" for r in results)
    status = "error" if errors else "failed" if failed else "verified"
    findings: list[Finding] = list(errors)
    findings += [_merged_warning(r) for r in results if r.merged]
    findings += [function_finding(r, lines) for r in results]
    report = FileReport(item.path, status, item.source, findings, {"hardware": model.name},
                        listing="functions")
    report.lines = [f"{item.path}: hardware `{model.name}`"]
    if default:
        report.lines.append(f"note: {default_note(model.name)}")
    for r in results:
        report.lines.extend(function_text(r))
        for check in r.checks:
            if not check.holds:
                # Right under the function's block (not with the file's diagnostics).
                text = render_text(failure(r, check, lines), {item.path: item.source or ""})
                report.lines.extend(text.splitlines())
    return report


def _merged_warning(r: FunctionResult) -> Diagnostic:
    return Diagnostic(
        "warning", f"`{r.function.name}` has more than {MAX_TERMS} paths with different "
        f"inputs: the analysis merged {r.merged} terms into one to stay fast, so its "
        "value may be lower than the exact rules give", r.function.span, "reliability",
        ["the merged term `min r * R(all their variables)` implies each of them, so "
         "the result is still sound"])


def function_finding(r: FunctionResult, lines: list[str]) -> Finding:
    """A function's verdict; the text shows its failure under the function's block."""
    status = Status(r.status)
    bad = next((c for c in r.checks if not c.holds), None)
    if bad is not None:
        message = failure(r, bad, lines).message
    elif r.function.extern:
        message = (f"`{r.function.name}` is extern: its reliability spec is trusted"
                   if r.function.reliability else f"`{r.function.name}` is extern and has no "
                   "reliability spec: its result's reliability is taken as 0")
    elif status is Status.VERIFIED:
        message = f"the reliability spec of `{r.function.name}` holds"
    else:
        message = f"`{r.function.name}` has no reliability spec"
    return Finding(status, "reliability", message, r.function.span,
                   payload=FunctionReliability(r, lines))


# ---------------------------------------------------------------- text


def function_text(r: FunctionResult) -> list[str]:
    fn = r.function
    head = f"  fn {fn.name} (line {fn.span.line})"
    if not fn.results:
        return [f"{head}: no result, nothing to analyse"]
    p = r.precise
    if p is None:
        out = [f"{head}: value {format_factor(r.value)}"]
    elif p.applied:
        out = [f"{head}: value {format_factor(p.value)} (masking-aware: {p.masked} of "
               f"{p.sites} single faults and {p.masked_pairs} pairs masked; plain value "
               f"{format_factor(r.value)})"]
    else:
        out = [f"{head}: value {format_factor(r.value)} (plain: the masking-aware "
               f"analysis does not apply: {p.fallback})"]
    out.append("    terms: " + " && ".join(t.text() for t in r.terms))
    if fn.extern:
        out.append("    extern: " + (", ".join(f"spec `{sp.text}` (line {sp.span.line}) trusted"
                                        for sp in fn.reliability) or
                                     "no reliability spec, so its result's reliability is 0"))
        return out
    for line, count, bound in r.trip_bounds:
        out.append(f"    loop at line {line}: at most {bound} iterations ({count} <= {bound} "
                   "by the requires); the value is the one at that bound")
    if r.symbolic is not None:
        out.append(f"    as a function of the trip count: {r.symbolic}")
    for c in r.checks:
        verdict = "holds" if c.holds else "FAILS"
        out.append(f"    spec `{c.spec.text}` (line {c.spec.span.line}): {verdict}")
    if not r.checks:
        out.append("    no reliability spec")
    return out


def failure(r: FunctionResult, check: SpecCheck, lines: list[str]) -> Diagnostic:
    t = check.breaking
    assert t is not None, "a spec that fails has a breaking term"
    notes = [f"the analysis needs every term `r * R(S)` to have r >= "
             f"{format_factor(check.spec.factor)} and S among the spec's inputs"]
    if check.culprit is not None:
        notes.append(culprit_note(check.culprit, lines))
    if check.extra_vars:
        inputs = ", ".join([v.source for v in check.spec.inputs] + check.extra_vars)
        notes.append(f"if the result may depend on them, list them in the spec: "
                     f"`reliability R(result) >= {format_factor(check.spec.factor)} * "
                     f"R({inputs})`")
    return error(f"the reliability spec of `{r.function.name}` does not hold: the term "
                 f"`{t.text()}` breaks it ({check.reason})", check.spec.span, "reliability",
                 *notes)


def culprit_note(c: Culprit, lines: list[str]) -> str:
    what = {"statement": "the statement", "condition": "the condition of the `if`",
            "loop condition": "the condition of the loop", "call": "the call",
            "loop": "the loop"}[c.kind]
    text = statement_text(c.span, lines)
    where = f"{what} at line {c.span.line}" + (f" (`{text}`)" if text else "")
    if c.kind == "loop" and c.factor == 0:
        fix = c.hint or ("give the loop a constant `bound` or use `repeat`/`for` with "
                         "constant bounds")
        return (f"most of the loss comes from {where}: its trip count is unknown and it "
                f"computes the result unreliably, so its reliability is 0; {fix}")
    return (f"most of the loss comes from {where}: over all its executions it multiplies "
            f"the reliability by {format_factor(c.factor)}")


def statement_text(span: Span, lines: list[str]) -> str:
    if not 1 <= span.line <= len(lines):
        return ""
    text = lines[span.line - 1].strip()
    return text if len(text) <= 72 else text[:69] + "..."


# ---------------------------------------------------------------- JSON


def term_json(t: Term) -> dict[str, Any]:
    return {"factor": t.r, "vars": var_names(t.vars), "text": t.text()}


def function_json(r: FunctionResult, lines: list[str]) -> dict[str, Any]:
    fn = r.function
    specs = [c.spec.text for c in r.checks]
    out: dict[str, Any] = {
        "name": fn.name,
        "line": fn.span.line,
        "spec": " && ".join(specs) if specs else None,
        "terms": [term_json(t) for t in r.terms],
        "value": r.reported_value,
        "status": r.status,
        **({"extern": True} if fn.extern else {}),
        "checks": [check_json(c, lines) for c in r.checks],
    }
    if r.symbolic is not None:
        out["symbolic"] = r.symbolic
    if r.trip_bounds:
        out["trip_bounds"] = [{"line": line, "count": count, "bound": bound}
                              for line, count, bound in r.trip_bounds]
    if r.precise is not None:
        p = r.precise
        out["plain_value"] = r.value
        out["precise"] = {"applied": p.applied, "sites": p.sites, "masked": p.masked,
                          "masked_pairs": p.masked_pairs, "fallback": p.fallback or None}
    return out


def check_json(c: SpecCheck, lines: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {"spec": c.spec.text, "line": c.spec.span.line,
                           "status": "verified" if c.holds else "failed"}
    if not c.holds:
        assert c.breaking is not None, "a spec that fails has a breaking term"
        out["breaking_term"] = term_json(c.breaking)
        out["reason"] = c.reason
        if c.culprit is not None:
            out["culprit"] = {"line": c.culprit.span.line, "column": c.culprit.span.column,
                              "kind": c.culprit.kind, "factor": c.culprit.factor,
                              "text": statement_text(c.culprit.span, lines)}
    return out
