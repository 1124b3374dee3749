"""Proved obligations as plain JSON data, and back (docs/verifier.md, "Jobs and cache").

An `Obligation` holds Z3 terms, which can neither cross processes (`verify --jobs`)
nor be stored (the result cache). What the report needs once an obligation is proved
is plain: its verdict, reason, bound, counterexample values, and for `--explain` the
source lines of its paths. `encode_result` keeps exactly that, in JSON types only (a
cache file is read back with `json`, never `pickle`: a cache directory may come from
elsewhere); `decode_result` rebuilds obligations whose instances carry no terms.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Optional

from relaxverify.core.arrays import Rows
from relaxverify.report.diagnostics import Diagnostic
from relaxverify.source import Span
from relaxverify.verify.counterexample import Counterexample, Value
from relaxverify.verify.obligations import Instance, Obligation

CONCLUSIVE = ("verified", "failed")


@dataclass
class UnitResult:
    """The obligations of one function, proved, and the generator's warnings."""

    obligations: list[Obligation] = field(default_factory=list)
    warnings: list[Diagnostic] = field(default_factory=list)

    @property
    def conclusive(self) -> bool:
        """Is every verdict one the solver (or an engine) decided? Only those are cached:
        an unknown or a time-out may come out otherwise on the next run."""
        return all(o.status in CONCLUSIVE for o in self.obligations)


def encode_result(result: UnitResult) -> dict[str, Any]:
    return {"obligations": [_obligation(o) for o in result.obligations],
            "warnings": [_warning(w) for w in result.warnings]}


def decode_result(data: dict[str, Any]) -> UnitResult:
    """The inverse of `encode_result`; raises (KeyError, TypeError, ValueError) on data
    that is not such a record, e.g. a damaged cache file."""
    return UnitResult([_decode_obligation(o) for o in data["obligations"]],
                      [_decode_warning(w) for w in data["warnings"]])


# ---------------------------------------------------------------- obligations


def _obligation(o: Obligation) -> dict[str, Any]:
    cex = o.counterexample
    return {"id": o.id, "function": o.function, "kind": o.kind, "side": o.side,
            "span": _span(o.span), "explanation": o.explanation, "goal_text": o.goal_text,
            "instances": [{"path": [[text, step] for text, step in i.path],
                           "abstract": i.abstract, "query": i.query is not None,
                           "nfacts": i.nfacts, "nrecords": i.nrecords} for i in o.instances],
            "status": o.status, "time_ms": o.time_ms, "reason": o.reason,
            "counterexample": None if cex is None else _counterexample(cex),
            "branches_apart": list(o.branches_apart), "bound": o.bound,
            "approximate": o.approximate}


def _decode_obligation(d: dict[str, Any]) -> Obligation:
    cex = d["counterexample"]
    bound = d["bound"]
    return Obligation(
        str(d["id"]), str(d["function"]), str(d["kind"]), str(d["side"]), _decode_span(d["span"]),
        str(d["explanation"]), str(d["goal_text"]), [_decode_instance(i) for i in d["instances"]],
        status=str(d["status"]), time_ms=float(d["time_ms"]), reason=_opt_str(d["reason"]),
        counterexample=None if cex is None else _decode_counterexample(cex),
        branches_apart=[int(n) for n in d["branches_apart"]],
        bound=None if bound is None else float(bound), approximate=bool(d["approximate"]))


def _decode_instance(d: dict[str, Any]) -> Instance:
    """An instance without terms: what `explain` and the report read (its path lines,
    whether it is abstract or a bound query). Its guard and goal are gone: it can no
    longer be proved, only reported."""
    return Instance(None, None, int(d["nfacts"]), int(d["nrecords"]), {}, {},
                    tuple((str(text), bool(step)) for text, step in d["path"]),
                    abstract=bool(d["abstract"]), query=True if d["query"] else None)


def _span(s: Span) -> list:
    return [s.path, s.line, s.column, s.end_line, s.end_column]


def _decode_span(d: list) -> Span:
    path, line, column, end_line, end_column = d
    return Span(str(path), int(line), int(column), int(end_line), int(end_column))


def _opt_str(x: Any) -> Optional[str]:
    return None if x is None else str(x)


# ---------------------------------------------------------------- warnings


def _warning(w: Diagnostic) -> dict[str, Any]:
    return {"severity": w.status.value, "message": w.message,
            "span": None if w.span is None else _span(w.span), "code": w.code,
            "notes": list(w.notes), "path": w.path}


def _decode_warning(d: dict[str, Any]) -> Diagnostic:
    span = d["span"]
    return Diagnostic(str(d["severity"]), str(d["message"]),
                      None if span is None else _decode_span(span), str(d["code"]),
                      [str(n) for n in d["notes"]], path=_opt_str(d["path"]))


# ---------------------------------------------------------------- counterexamples


def _counterexample(c: Counterexample) -> dict[str, Any]:
    return {"function": c.function, "inputs_o": _table(c.inputs_o), "inputs_r": _table(c.inputs_r),
            "choices_o": [_table(t) for t in c.choices_o],
            "choices_r": [_table(t) for t in c.choices_r],
            "faults": [None if f is None else _value(f) for f in c.faults],
            "final_o": _table(c.final_o), "final_r": _table(c.final_r), "concrete": c.concrete}


def _decode_counterexample(d: dict[str, Any]) -> Counterexample:
    return Counterexample(
        str(d["function"]), _decode_table(d["inputs_o"]), _decode_table(d["inputs_r"]),
        [_decode_table(t) for t in d["choices_o"]], [_decode_table(t) for t in d["choices_r"]],
        [None if f is None else _decode_value(f) for f in d["faults"]],
        _decode_table(d["final_o"]), _decode_table(d["final_r"]), bool(d["concrete"]))


def _table(t: dict[str, Value]) -> list:
    return [[name, _value(v)] for name, v in t.items()]  # a list: JSON keeps its order


def _decode_table(d: list) -> dict[str, Value]:
    return {str(name): _decode_value(v) for name, v in d}


def _value(v: Any) -> Any:
    """A model value in JSON: bool and int as themselves (JSON tells them apart),
    a Fraction tagged (3/1 is printed `3.0`, the int 3 `3`), arrays as lists (with
    their inner lengths when they have several dimensions), None (no value) as null."""
    if v is None or isinstance(v, (bool, int)):
        return v
    if isinstance(v, Fraction):
        return {"q": [v.numerator, v.denominator]}
    if isinstance(v, Rows):
        return {"rows": [_value(x) for x in v], "inner": list(v.inner)}
    if isinstance(v, list):
        return [_value(x) for x in v]
    raise TypeError(f"a counterexample value of an unexpected type: {type(v).__name__}")


def _decode_value(d: Any) -> Any:
    if d is None or isinstance(d, (bool, int)):
        return d
    if isinstance(d, list):
        return [_decode_value(x) for x in d]
    if isinstance(d, dict) and "q" in d:
        num, den = d["q"]
        return Fraction(int(num), int(den))
    if isinstance(d, dict) and "rows" in d:
        return Rows([_decode_value(x) for x in d["rows"]], tuple(int(n) for n in d["inner"]))
    raise ValueError(f"not a counterexample value: {d!r}")
