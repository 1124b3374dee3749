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
            prec = entry.precision[0] if entry.precision else None
            model.operators[entry.op] = C.OperatorModel(prob, bound, prec)
            continue
        if isinstance(entry, A.HwBudget):
            _budget(model, entry, seen, consts, sink)
            continue
        _memory(model, entry, seen, consts, sink)
    return model


def _memory(model: C.HardwareModel, entry: A.HwMemory, seen: set[str], consts: Constants,
            sink: Sink) -> None:
    """`memory NAME read = p write = q precision F;` (urel's read/write stay on the model)."""
    region = C.MemoryModel()
    for kind, value, span in entry.access:
        key = f"{entry.region} {kind}"
        if key in seen:
            sink.err(f"memory `{entry.region}` {kind} is given twice in hardware "
                     f"`{model.name}`", span, "hardware", "keep one entry per access kind")
        seen.add(key)
        p = probability(value, f"the {entry.region} {kind} probability", consts, sink)
        setattr(region, kind, p)
    for fmt, span in entry.precision:
        key = f"{entry.region} precision"
        if key in seen:
            sink.err(f"the precision of memory `{entry.region}` is given twice in hardware "
                     f"`{model.name}`", span, "hardware", "keep one `precision` per region")
        seen.add(key)
        region.precision = fmt
    if entry.region == "urel":
        model.read = region.read if any(k == "read" for k, _, _ in entry.access) else model.read
        model.write = region.write if any(k == "write" for k, _, _ in entry.access) \
            else model.write
        if region.precision is not None:
            model.regions["urel"] = C.MemoryModel(precision=region.precision)
    else:
        old = model.regions.get(entry.region)
        if old is not None:  # a second entry for the region adds to the first
            region = C.MemoryModel(region.read if region.read < 1 else old.read,
                                   region.write if region.write < 1 else old.write,
                                   region.precision or old.precision)
        model.regions[entry.region] = region


MAX_BUDGET = 1000  # more faults than that is no assumption a proof can use


def _budget(model: C.HardwareModel, entry: A.HwBudget, seen: set[str], consts: Constants,
            sink: Sink) -> None:
    """`faults at most K;`: K an `int` constant expression, 0 <= K <= MAX_BUDGET."""
    if "faults" in seen:
        sink.err(f"`faults at most` is given twice in hardware `{model.name}`", entry.span,
                 "hardware", "keep one fault budget per model")
    seen.add("faults")
    k = consts.evaluate(entry.count, "the fault budget")
    if k is None:
        return
    if isinstance(k, bool) or not isinstance(k, int):
        sink.err(f"the fault budget of hardware `{model.name}` must be a whole number of "
                 f"faults, not {'a bool' if isinstance(k, bool) else 'a real number'}",
                 entry.count.span, "hardware",
                 "write an int constant, e.g. `faults at most 1;`")
        return
    if not 0 <= k <= MAX_BUDGET:
        sink.err(f"the fault budget of hardware `{model.name}` must be between 0 and "
                 f"{MAX_BUDGET}, not {k}", entry.count.span, "hardware",
                 "`faults at most 0;` means no fault at all; omit the entry for no bound")
        return
    model.budget = k


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
