"""What grading produces: one `TestResult` per test of a lab, and the `Grade`
written as Gradescope's results.json (docs/teaching.md)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class GradeInputError(Exception):
    """Bad grader input: unknown lab, malformed grading.json, missing submission."""


def number(x: float) -> float | int:
    """A score as results.json writes it: whole numbers as ints."""
    return int(x) if float(x).is_integer() else round(x, 4)


@dataclass
class TestResult:
    name: str
    max_score: float
    score: float = 0.0
    output: str = ""
    visibility: str = "visible"

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "score": number(self.score),
                "max_score": number(self.max_score), "output": self.output,
                "visibility": self.visibility}


@dataclass
class Grade:
    lab: str
    title: str
    submission: str
    tests: list[TestResult] = field(default_factory=list)
    output: str = ""

    @property
    def score(self) -> float:
        return sum(t.score for t in self.tests)

    @property
    def max_score(self) -> float:
        return sum(t.max_score for t in self.tests)

    def results_json(self) -> dict[str, Any]:
        """Gradescope's results.json."""
        return {"score": number(self.score), "output": self.output,
                "visibility": "visible", "stdout_visibility": "visible",
                "tests": [t.to_json() for t in self.tests]}
