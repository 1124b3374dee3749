"""What the analysis reports per function: final terms, value, spec verdicts."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from relaxverify.core import nodes as C
from relaxverify.reliability.culprit import Culprit, culprit
from relaxverify.reliability.precise import Precise
from relaxverify.reliability.terms import Term, format_factor, var_names
from relaxverify.report.diagnostics import Diagnostic


class ReliabilityError(Exception):
    """The analysis cannot proceed (recursion without a spec); carries a located message."""

    def __init__(self, diagnostic: Diagnostic, cycle: frozenset = frozenset()):
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic
        self.cycle = cycle  # the functions of a recursive cycle, reported once


@dataclass
class SpecCheck:
    spec: C.ReliabilitySpec
    holds: bool
    breaking: Optional[Term] = None
    extra_vars: list[str] = field(default_factory=list)  # S \ P of the breaking term
    culprit: Optional[Culprit] = None

    @property
    def reason(self) -> str:
        """Why the breaking term breaks the spec, for a student."""
        t = self.breaking
        if t is None:
            return ""
        parts = []
        if t.r < self.spec.factor:
            parts.append(f"its factor {format_factor(t.r)} is below "
                         f"{format_factor(self.spec.factor)}")
        if self.extra_vars:
            names = ", ".join(f"`{n}`" for n in self.extra_vars)
            parts.append(f"it depends on {names}, which the spec does not list in R(...)")
        return " and ".join(parts)


@dataclass
class FunctionResult:
    function: C.Function
    terms: list[Term]
    checks: list[SpecCheck]
    merged: int = 0  # > 0: that many terms were merged into one (see terms.prune)
    precise: Optional[Precise] = None  # `--precise`: the masking-aware value
    # Loops whose trip count the requires bound (LANGUAGE.md §12): (line, count, bound)
    trip_bounds: list[tuple[int, str, int]] = field(default_factory=list)
    symbolic: Optional[str] = None  # the value as a function of that trip count

    @property
    def reported_value(self) -> float:
        """The value reported: the masking-aware one with `--precise`, else `value`."""
        return self.precise.value if self.precise is not None else self.value

    @property
    def value(self) -> float:
        """The smallest r: the result's reliability when every input is reliable."""
        return min((t.r for t in self.terms), default=1.0)

    @property
    def status(self) -> str:
        if not self.checks:
            return "none"
        return "verified" if all(c.holds for c in self.checks) else "failed"


def check_spec(spec: C.ReliabilitySpec, terms: list[Term]) -> SpecCheck:
    """Every term must have r >= c and S ⊆ P; report the worst one that does not."""
    allowed = frozenset(spec.inputs)
    bad = [t for t in terms if t.r < spec.factor or not t.vars <= allowed]
    if not bad:
        return SpecCheck(spec, True)
    worst = min(bad, key=lambda t: (t.r >= spec.factor, t.r))
    return SpecCheck(spec, False, worst, var_names(worst.vars - allowed), culprit(worst))
