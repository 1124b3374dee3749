"""Python source for the float operations of LANGUAGE.md section 9 (see floatops.py).

Which formats an operation rounds to is `relaxverify.core.precision`'s decision;
here it becomes code: float64 without a model precision inline (a native operation
and a range test, which NaN fails too), everything else a call of a `floatops`
handler that rounds exactly.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Optional

from relaxverify.core import nodes as C
from relaxverify.core.formats import FORMATS
from relaxverify.core.precision import Rounding, rounding_of, write_rounding
from relaxverify.run.floatops import WriteRounding
from relaxverify.source import Span

if TYPE_CHECKING:
    from relaxverify.run.codegen_exprs import ExprGen

NATIVE = Rounding(None, FORMATS["float64"], None)  # float64 without a model precision


def float_op(self: ExprGen, e: C.BinOp, a: str, b: str) -> Optional[str]:
    """An operation that rounds (core/precision.py), with its `overflow` (and, for
    `/`, `division`) test; None when nothing rounds. float64 without a model
    precision is a native operation and a range test (NaN fails it too); the
    rest calls `_fop`/`_fcmp` (floatops.py), which round exactly."""
    relaxed = self.precision is not None
    if e.op in C.CMP_OPS:
        if not relaxed or not e.unreliable:
            return None
        r = rounding_of(e, self.precision, relaxed)
        if r.exact:
            return None
        k = self.c.site(e.span, "", e)
        self.c.roundings[k] = r
        return f"_fcmp({k}, {a}, {b})"
    if e.op not in ("+", "-", "*", "/") or not (e.ty.is_float or e.ty == C.REAL):
        return None
    r = rounding_of(e, self.precision, relaxed)
    if r.exact:
        return None
    k = self.c.site(e.span, "", e)
    if r != NATIVE:
        self.c.roundings[k] = r
        return f"_fop({k}, {a}, {b})"
    t, l, rr = self.c.fresh("t"), self.c.fresh("l"), self.c.fresh("r")
    if e.op == "/":
        kd = self.c.site(e.span, "", e)
        return (f"({t} if (({l} := {a}) is {l}) and (({rr} := {b}) != 0 or _dz({kd}, {rr}))"
                f" and -_F64MAX <= ({t} := {l} / {rr}) <= _F64MAX else _ovf({k}, {l}, {rr}))")
    return (f"({t} if -_F64MAX <= ({t} := ({l} := {a}) {e.op} ({rr} := {b})) <= _F64MAX "
            f"else _ovf({k}, {l}, {rr}))")


def write_rounded(self: ExprGen, var: C.Var, code: str, span: Span) -> str:
    """`code` rounded as a write to var rounds (its region's precision in R)."""
    fmt = write_rounding(var, self.precision, self.precision is not None)
    if fmt is None or var.type.base in ("int", "bool"):
        return code
    k = self.c.site(span, var.source)
    own = FORMATS.get(var.type.base)
    self.c.roundings[k] = WriteRounding(fmt, own if own != fmt else None)
    if var.type.array and var.type.dims > 1:
        code = f"_mapnd({code}, lambda _e: _wr({k}, _e), {var.type.dims})"
    elif var.type.array:
        code = f"[_wr({k}, _e) for _e in {code}]"
    else:
        code = f"_wr({k}, {code})"
    return code
