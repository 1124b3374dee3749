"""The registry of result codes and obligation kinds (docs/architecture.md, "Reporting").

Every `Finding` names its kind here: a diagnostic code (`syntax`, `type`, `vacuous`...)
or an obligation kind of docs/language.md (spec §8) (`assert`, `accept`...). One object per entry
holds its name, a one-line description and its SARIF rule id. SARIF consumers
(code-scanning UIs) key on the rule ids, so they never change; the order below is the
order of the `rules` of a SARIF log.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional


@dataclass(frozen=True)
class Code:
    """A diagnostic code. `sarif_rule` is None for codes only commands without SARIF
    output emit (`run`, `reliability`): they are not listed among the SARIF rules."""

    name: str
    description: str
    sarif_rule: Optional[str]


@dataclass(frozen=True)
class ObligationKind:
    """A kind of proof obligation (docs/language.md, spec §6, §8). `version` 2 kinds are reserved
    for the v2 language (§9): accepted as names, not yet emitted nor listed in SARIF."""

    name: str
    description: str
    version: int = 1

    @property
    def sarif_rule(self) -> str:
        return f"verify/{self.name}"


def _codes(*entries: tuple[str, str, bool]) -> dict[str, Code]:
    return {name: Code(name, text, name if sarif else None) for name, text, sarif in entries}


CODES: dict[str, Code] = _codes(
    ("io", "The file could not be read.", True),
    ("syntax", "The program does not follow the grammar of Relax.", True),
    ("name", "A name is undefined, defined twice, or shadows another.", True),
    ("type", "An expression has the wrong type.", True),
    ("readonly", "A read-only variable (parameter or loop counter) is assigned.", True),
    ("placement", "A construct appears where the language does not allow it.", True),
    ("adornment", "A relational adornment <o>/<r> is missing or misplaced.", True),
    ("hardware", "A hardware model is malformed.", True),
    ("constant", "An expression that must be constant is not.", True),
    ("reliability-spec", "A reliability specification is malformed.", True),
    ("limit", "The program exceeds a limit of the tool.", True),
    ("vacuous", "Assumptions are contradictory, so proofs below them hold vacuously.", True),
    ("unknown", "The solver could not decide an obligation.", True),
    ("internal", "The tool failed; please report it.", True),
    ("reliability", "A reliability spec does not hold, or the analysis lost precision.", False),
    ("usage", "A command was given arguments it cannot use.", False),
    ("run/soundness", "A measured reliability contradicts the static value.", False),
)

OBLIGATION_KINDS: dict[str, ObligationKind] = {k.name: k for k in (
    ObligationKind("assert", "An assert statement must hold."),
    ObligationKind("assume", "The relaxed execution must satisfy what the original assumed."),
    ObligationKind("accept", "An accept relation must hold between the two executions."),
    ObligationKind("invariant", "A loop invariant must hold on entry and be preserved."),
    ObligationKind("invariant_r",
                   "A relational loop invariant must hold on entry and be preserved."),
    ObligationKind("ensures", "A postcondition must hold at exit."),
    ObligationKind("ensures_r", "A relational postcondition must hold at exit."),
    ObligationKind("requires", "A callee's precondition must hold at the call."),
    ObligationKind("requires_r", "A callee's relational precondition must hold at the call."),
    ObligationKind("bounds", "An array index must be within 0 <= i < len(a)."),
    ObligationKind("division", "A divisor must be non-zero."),
    ObligationKind("length", "An array length must be non-negative."),
    ObligationKind("alignment", "Both executions must reach an accept together."),
    ObligationKind("bound", "A loop bound must be a non-negative integer."),
    ObligationKind("overflow", "A fixed-width result must fit its format.", version=2),
    ObligationKind("decreases", "A specification function's measure must be non-negative "
                   "and drop at each recursive call.", version=2),
)}


def sarif_rules() -> list[tuple[str, str]]:
    """(rule id, description) of every rule a SARIF log lists, in a stable order."""
    rules = [(c.sarif_rule, c.description) for c in CODES.values() if c.sarif_rule]
    rules += [(k.sarif_rule, k.description) for k in OBLIGATION_KINDS.values()
              if k.version == 1]
    return rules
