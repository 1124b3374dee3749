"""What a run produces: a result or a located runtime failure, and the records
that counterexample replay pairs between the two executions."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

from relaxverify.source import Span


class RuntimeFailure(Exception):
    """A failed runtime check. `kind` is an obligation kind of docs/language.md (spec §8) (assert,
    assume, bounds, division, length, bound, requires, ensures, invariant) or one of
    relax, havoc (no values satisfy the predicate) and limit (a resource limit)."""

    def __init__(self, kind: str, span: Optional[Span], message: str):
        super().__init__(message)
        self.kind = kind
        self.span = span
        self.message = message


class CompileLimit(Exception):
    """The program is beyond what the generated Python can express (deep nesting)."""

    def __init__(self, message: str, span: Optional[Span] = None):
        super().__init__(message)
        self.span = span


@dataclass
class Site:
    """A place in the program the generated code refers to by number."""

    span: Span
    what: str = ""  # a description for messages, e.g. the array's name
    node: Any = None


@dataclass
class RunOutcome:
    result: Any
    failure: Optional[RuntimeFailure]
    records: list = field(default_factory=list)  # (tag, site, env) in execution order
    notes: list[str] = field(default_factory=list)


def named_results(results: list, value: Any) -> dict[str, Any]:
    """A run's result by the names of the core result variables: a function with
    several results returns them as a tuple, in order."""
    if len(results) == 1:
        return {results[0].name: value}
    return {var.name: v for var, v in zip(results, value)}
