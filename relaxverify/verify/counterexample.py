"""Counterexamples: what the verifier found, in a form the interpreter can replay.

The verifier fills one in from a Z3 model; the interpreter's `replay` runs the
original and the relaxed execution from it and says whether the failure recurs
(as Why3's --check-ce does). Values are Python values: int, Fraction, bool, or a
list of them for arrays. Variables are keyed by their source names.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Optional, Union

Value = Union[int, Fraction, bool, list]


@dataclass
class Counterexample:
    function: str
    # Parameter values at entry, per execution (they differ when requires_r allows it).
    inputs_o: dict[str, Value] = field(default_factory=dict)
    inputs_r: dict[str, Value] = field(default_factory=dict)
    # Values chosen by each executed relax/havoc, in execution order, per execution:
    # one dict {variable: value} per statement executed.
    choices_o: list[dict[str, Value]] = field(default_factory=list)
    choices_r: list[dict[str, Value]] = field(default_factory=list)
    # Values produced by each unreliable operation the relaxed execution performs
    # (operator occurrence, urel read, urel write of a scalar or an element), in
    # execution order; with a hardware model, only the sites that can fail in it.
    # None means "the exact value".
    faults: list[Optional[Value]] = field(default_factory=list)
    # Final (or at-failure) values for display, per execution.
    final_o: dict[str, Value] = field(default_factory=dict)
    final_r: dict[str, Value] = field(default_factory=dict)
    # True when the trace is fully determined by the above (no loop was abstracted
    # by its invariant on the way to the failure), so that a replay is meaningful.
    concrete: bool = False

    def to_json(self) -> dict:
        """The `counterexample` object of the JSON output (docs/language.md, spec §8)."""
        return {"original": {**_jsonable(self.inputs_o), **_jsonable(self.final_o)},
                "relaxed": {**_jsonable(self.inputs_r), **_jsonable(self.final_r)}}


def _jsonable(values: dict[str, Value]) -> dict:
    return {k: to_json_value(v) for k, v in values.items()}


def to_json_value(v: Value):
    if isinstance(v, list):
        return [to_json_value(x) for x in v]
    if isinstance(v, Fraction):
        return int(v) if v.denominator == 1 else float(v)
    return v


@dataclass
class ReplayOutcome:
    reproduced: bool
    detail: str  # a sentence for the report, e.g. "the relaxed run fails the assert at 12:5"
    stopped: bool = False  # a run hit an interpreter limit (steps, time, memory)
