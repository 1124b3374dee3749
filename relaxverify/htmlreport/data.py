"""What the report shows, gathered through relaxverify.api: per function its
reliability against its specs and its verify counts, and the counterexamples of
the failed obligations. Plain data, so that the page and the plots never call
the analyses themselves (and a test can build a page from hand-made data)."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Optional

from relaxverify import api
from relaxverify.htmlreport.convergence import Convergence
from relaxverify.report.render import CommandResult, FileReport
from relaxverify.verify.obligations import Obligation
from relaxverify.verify.prover import format_value


@dataclass
class SpecRow:
    """One `reliability` spec of a function: its text, factor and verdict."""

    text: str
    factor: float
    holds: bool


@dataclass
class FunctionRow:
    """One function of one file."""

    path: str
    name: str
    line: int
    static: Optional[float] = None  # the analysis's value; None: no result to analyse
    extern: bool = False  # the value is the trusted spec's, not computed
    specs: list[SpecRow] = field(default_factory=list)
    verified: int = 0
    failed: int = 0
    unknown: int = 0
    convergence: Optional[Convergence] = None
    no_trials: str = ""  # why there is no Monte Carlo run (shown in its place)
    label: str = ""  # the name shown: `file:name` where two files share a name
    params: dict[str, str] = field(default_factory=dict)  # parameter name -> its type

    @property
    def spec_status(self) -> str:
        """`holds`, `fails` (some spec does not hold) or `none` (no spec)."""
        if not self.specs:
            return "none"
        return "holds" if all(s.holds for s in self.specs) else "fails"


@dataclass
class CounterexampleRow:
    """One variable of a counterexample: its value in each execution ("" if absent)."""

    name: str
    original: str
    relaxed: str

    @property
    def differs(self) -> bool:
        return self.original != self.relaxed


@dataclass
class FailedObligation:
    """A failed obligation and its counterexample, as the side-by-side table shows it."""

    path: str
    function: str
    kind: str
    side: str
    line: int
    column: int
    message: str
    source_line: str  # the line of the program it points at, as written
    rows: list[CounterexampleRow] = field(default_factory=list)
    faults: list[str] = field(default_factory=list)  # the relaxed run's faulty results
    concrete: bool = False  # one real pair of runs (else values of a summarised path)
    notes: list[str] = field(default_factory=list)  # the finding's notes (replay...)


@dataclass
class ReportData:
    files: list[str]
    hardware: list[str]  # the models the reliability analysis used (one per file, or
    # fewer); the trials use the same
    functions: list[FunctionRow]
    failures: list[FailedObligation]
    trials: int
    seed: int


def collect(paths: list[str], verify: api.VerifyOptions,
            reliability: api.ReliabilityOptions) -> tuple[Optional[ReportData],
                                                          list[FileReport]]:
    """Run verify and the reliability analysis: the data, or None and the reports of
    the files that do not load (their diagnostics are what the user must fix)."""
    proofs = api.verify(paths, options=verify)
    rel = api.reliability(paths, options=reliability)
    errors = [f for f in proofs.files + rel.files if f.status == "error"]
    if errors:
        return None, _unique(errors)
    functions = _functions(rel)
    by_key = {(f.path, f.name): f for f in functions}
    failures = []
    for report in proofs.files:
        for finding in report.listed():
            if not isinstance(finding.payload, api.ObligationResult):
                continue
            o = finding.payload.obligation
            row = by_key.get((report.path, o.function))
            if row is None:  # a function the analysis does not list (a spec function)
                row = by_key[report.path, o.function] = FunctionRow(report.path, o.function,
                                                                    o.span.line)
                functions.append(row)
            setattr(row, o.status, getattr(row, o.status) + 1)
            if o.status == "failed":
                failures.append(failed_obligation(report, o, finding.notes))
    _label(functions)
    models = sorted({str(f.extra.get("hardware", "")) for f in rel.files} - {""})
    return ReportData([f.path for f in rel.files], models, functions, failures, 0, 0), []


def _label(rows: list[FunctionRow]) -> None:
    counts: dict[str, int] = {}
    for r in rows:
        counts[r.name] = counts.get(r.name, 0) + 1
    for r in rows:
        r.label = r.name if counts[r.name] == 1 else f"{os.path.basename(r.path)}:{r.name}"


def _unique(reports: list[FileReport]) -> list[FileReport]:
    """One report per file (verify and reliability both reject a file that does not load)."""
    seen: dict[str, FileReport] = {}
    for r in reports:
        seen.setdefault(r.path, r)
    return list(seen.values())


def _functions(rel: CommandResult) -> list[FunctionRow]:
    rows = []
    for report in rel.files:
        for r in api.function_results(report):
            fn = r.function
            row = FunctionRow(report.path, fn.name, fn.span.line, extern=fn.extern,
                              params={p.source: str(p.type) for p in fn.params})
            if fn.results:
                row.static = float(r.reported_value)
            row.specs = [SpecRow(c.spec.text, float(c.spec.factor), c.holds)
                         for c in r.checks]
            rows.append(row)
    return rows


def failed_obligation(report: FileReport, o: Obligation, notes: list[str]) -> FailedObligation:
    lines = (report.source or "").splitlines()
    line = lines[o.span.line - 1] if 0 < o.span.line <= len(lines) else ""
    out = FailedObligation(report.path, o.function, o.kind, o.side, o.span.line,
                           o.span.column, o.message, line)
    # the notes that neither the table nor the heading shows (the replay, a hint)
    out.notes = [n for n in notes if not n.startswith(("original: ", "relaxed: ",
                                                       "faulty results", f"{o.kind} obligation"))]
    cex = o.counterexample
    if cex is None:
        return out
    original = {**cex.inputs_o, **cex.final_o}
    relaxed = {**cex.inputs_r, **cex.final_r}
    names = list(original) + [n for n in relaxed if n not in original]
    out.rows = [CounterexampleRow(n, _shown(original, n), _shown(relaxed, n)) for n in names]
    out.faults = [format_value(f) if f is not None else "exact" for f in cex.faults or ()]
    if not any(f != "exact" for f in out.faults):
        out.faults = []
    out.concrete = cex.concrete
    return out


def _shown(values: dict, name: str) -> str:
    return format_value(values[name]) if name in values else ""
