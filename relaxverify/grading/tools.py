"""Calling relaxverify.api for a test, and describing its findings to a student.

The grader reads the API's result objects (findings, obligations, reliability
results), so a student sees in the grader's output what the command line shows.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any, Callable, TypeVar

from relaxverify.report.finding import Finding
from relaxverify.report.render import FileReport
from relaxverify.verify.counterexample import Value, to_json_value
from relaxverify.verify.obligations import Obligation

MAX_SHOWN = 6  # failed obligations shown per test
T = TypeVar("T")


class ToolFailure(Exception):
    """A tool call that could not complete (reported in the test's output)."""


def call(command: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run an API command; a failure of the tool is the test's output, not a crash."""
    try:
        return command(*args, **kwargs)
    except RecursionError:
        raise ToolFailure("the program is nested too deeply to analyse") from None
    except Exception as exc:  # a bug in a stage must not stop the grading
        raise ToolFailure(f"relaxverify failed on this program ({type(exc).__name__}: "
                          f"{exc}); please report it to the course staff") from None


def bad_arguments(argv: list[str]) -> ToolFailure:
    """grading.json gives a test options the command does not accept."""
    return ToolFailure(f"the grader could not run `relaxverify {' '.join(argv)}` "
                       "(bad arguments in grading.json)")


@dataclass(frozen=True)
class Check:
    """An obligation that did not verify, as a test's output describes it."""

    function: str
    kind: str
    side: str
    line: int
    column: int
    status: str
    message: str
    values: dict[str, dict[str, Any]]  # per execution, its counterexample's values

    @classmethod
    def of(cls, o: Obligation) -> "Check":
        values: dict[str, dict[str, Any]] = {}
        cex = o.counterexample
        if cex is not None:
            values = {"original": _json_values({**cex.inputs_o, **cex.final_o}),
                      "relaxed": _json_values({**cex.inputs_r, **cex.final_r})}
        return cls(o.function, o.kind, o.side, o.span.line, o.span.column, o.status,
                   o.message, values)


def _json_values(values: dict[str, Value]) -> dict[str, Any]:
    return {k: to_json_value(v) for k, v in values.items()}


def not_verified(obligations: list[Obligation]) -> list[Check]:
    return [Check.of(o) for o in obligations if o.status != "verified"]


def fold_sides(bad: list[Check]) -> list[Check]:
    """One entry for a check that fails in both executions (the original's, noted)."""
    def key(c: Check) -> tuple[str, str, int, int]:
        return (c.function, c.kind, c.line, c.column)
    original = {key(c) for c in bad if c.side == "original"}
    out = []
    for c in bad:
        if c.side == "relaxed" and key(c) in original:
            continue
        if c.side == "original" and any(key(r) == key(c) and r.side == "relaxed" for r in bad):
            c = dataclasses.replace(c, message=c.message + " (and in the relaxed execution)")
        out.append(c)
    return out


def describe(c: Check, where: str, offset: int = 0, submission: str = "") -> str:
    if offset and c.line > offset:
        place = f"hidden program, fn {c.function}"
    elif offset:
        place = f"{submission}:{c.line}:{c.column}"
    else:
        place = f"{where}:{c.line}:{c.column}"
    text = f"  {place}: {c.status}: {c.kind} ({c.side}): {c.message}"
    if c.values:
        sides = [c.side] if c.side in ("original", "relaxed") else ["original", "relaxed"]
        for side in sides:
            values = c.values.get(side) or {}
            if values:
                text += f"\n      {side}: " + ", ".join(f"{k} = {short(v)}"
                                                       for k, v in values.items())
    return text


def warnings(report: FileReport, name: str) -> list[str]:
    return [f"  {name}:{d.line}:{d.column}: {d.severity}: {d.message}"
            for d in report.messages() if d.severity == "warning"]


def is_vacuous(report: FileReport) -> bool:
    return any(d.kind == "vacuous" for d in report.messages())


def locate(d: Finding, offset: int, submission: str) -> str:
    """A diagnostic of a file that may be the submission followed by a hidden program."""
    if d.line > offset:
        return f"hidden program: {d.message}"
    return f"{submission}:{d.line}:{d.column}: {d.message}"


def relax_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ",".join(relax_value(v) for v in value) + "]"
    return str(value)


def short(value: Any) -> str:
    """A counterexample value, long arrays abridged."""
    if isinstance(value, list) and len(value) > 8:
        head = ",".join(relax_value(v) for v in value[:4])
        return f"[{head},... ({len(value)} elements)]"
    return relax_value(value)


def same(got: Any, want: Any, tolerance: float) -> bool:
    if isinstance(want, list):
        return isinstance(got, list) and len(got) == len(want) and \
            all(same(g, w, tolerance) for g, w in zip(got, want))
    if isinstance(want, bool) or isinstance(got, bool):
        return got is want
    if isinstance(want, (int, float)) and isinstance(got, (int, float)):
        return math.isclose(got, want, rel_tol=0.0, abs_tol=tolerance) or got == want
    return got == want


def messages(report: FileReport) -> list[str]:
    return [d.message for d in report.messages()]
