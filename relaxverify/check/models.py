"""Checking the file's `hardware` blocks into hardware models (the built-in ones are in
`hardware.py`): probabilities in [0, 1], error bounds non-negative, one entry per
operator and access kind (docs/language.md, "Files and declarations";
docs/language-decisions.md, "Types")."""
from __future__ import annotations

from typing import Optional

from relaxverify.check.consts import Constants
from relaxverify.check.context import Sink
from relaxverify.core import nodes as C
from relaxverify.syntax import ast as A


def check_hardware(hw: A.Hardware, consts: Constants, sink: Sink) -> C.HardwareModel:
    model = C.HardwareModel(hw.name, {}, span=hw.span)
    seen: set[str] = set()
    for entry in hw.entries:
        if isinstance(entry, A.HwOperator):
            if entry.op in seen:
                sink.err(f"operator `{entry.op}` is given twice in hardware `{hw.name}`",
                         entry.span, "hardware", "keep one entry per operator")
            seen.add(entry.op)
            prob = probability(entry.prob, f"the probability of `{entry.op}`", consts, sink)
            bound = None if entry.error is None else _error_bound(entry, entry.error, consts,
                                                                   sink)
            model.operators[entry.op] = C.OperatorModel(prob, bound)
            continue
        for kind, value, span in entry.access:
            if kind in seen:
                sink.err(f"memory `{kind}` is given twice in hardware `{hw.name}`", span,
                         "hardware", "keep one entry per access kind")
            seen.add(kind)
            p = probability(value, f"the urel {kind} probability", consts, sink)
            if kind == "read":
                model.read = p
            else:
                model.write = p
    return model


def _error_bound(entry: A.HwOperator, e: A.Expr, consts: Constants,
                 sink: Sink) -> Optional[float]:
    v = consts.evaluate(e, "an error bound", reals=True)
    if v is not None and (isinstance(v, bool) or v < 0 or v > 1e300):
        # (beyond 1e300 float() overflows, and such a bound says nothing)
        sink.err(f"the error bound of `{entry.op}` must be a non-negative number"
                 " of at most 1e300 (omit `error` for arbitrary faults)", e.span, "hardware")
        return None
    return None if v is None else float(v)


def probability(e: A.Expr, what: str, consts: Constants, sink: Sink) -> float:
    """The probability `e` (a constant expression of real literals), 1.0 if invalid."""
    v = consts.evaluate(e, what, allow_names=False, reals=True)
    if v is None:
        return 1.0
    if isinstance(v, bool) or not 0 <= v <= 1:
        shown = v if isinstance(v, bool) else float(v)
        sink.err(f"{what} is {shown}, but a probability must be between 0 and 1", e.span,
                 "hardware", "write the probability that the operation is correct, "
                 "e.g. `1 - 1e-4`")
        return 1.0
    return C.probability(v)
