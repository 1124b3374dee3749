"""The verifier's sound abstraction of IEEE rounding (LANGUAGE.md section 9).

Every rounding an operation applies (core/precision.py says which) becomes a fresh
real `r` with `|r - z| <= u |z| + eta` where z is the exact value, u = 2^-p and eta
the format's subnormal term (0 for `+`/`-` of two values of the format, whose
subnormal results are exact), plus `|r| <= largest`; a constant representable in
the format rounds to itself. Each rounding also obliges `|z| < overflow threshold`
(kind `overflow`). Linear real arithmetic keeps the queries decidable, but the
abstraction over-approximates: a counterexample that uses it is only a real one if
replay confirms it, so each rounding leaves a "rounding" trace record.
"""
from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING, Optional, Union

import z3

from relaxverify.core import checks as K
from relaxverify.core import nodes as C
from relaxverify.core.formats import FORMATS, Format
from relaxverify.core.printer import show
from relaxverify.core.precision import Rounding, write_rounding
from relaxverify.source import Span
from relaxverify.verify.integrity import side_phrase
from relaxverify.verify.smt import ArrayVal, Value, conj
from relaxverify.verify.state import Cx, Record, State

if TYPE_CHECKING:
    from relaxverify.verify.exprs import ExprTranslator

MODEL_NOTE = ("floats: IEEE rounding abstracted as |fl(z) - z| <= 2^-p |z| plus the "
              "subnormal term (exact for representable constants); a counterexample that "
              "relies on it counts only if replay reproduces it")
SPURIOUS = ("the rounding abstraction found a possible violation that replay did not "
            "reproduce (it may be spurious)")


def fmt_of(ty: C.Type) -> Optional[Format]:
    return FORMATS.get(ty.base)


def real(q: Fraction) -> z3.ArithRef:
    return z3.RealVal(f"{q.numerator}/{q.denominator}")


def absval(x: z3.ArithRef) -> z3.ArithRef:
    return z3.If(x >= 0, x, -x)


def number(v: z3.ExprRef) -> Optional[Fraction]:
    """The value of a constant term, if it is one."""
    v = z3.simplify(v)
    if z3.is_rational_value(v):
        return Fraction(v.numerator_as_long(), v.denominator_as_long())
    if z3.is_int_value(v):
        return Fraction(v.as_long())
    return None


def finite(x: z3.ArithRef, fmt: Format) -> z3.BoolRef:
    """x is a finite value of the format's range (parameters, choices, faults)."""
    big = real(fmt.largest)
    return z3.And(x <= big, -big <= x)


def _text(what: Union[str, C.Expr], side: Optional[str] = None) -> str:
    return what if isinstance(what, str) else show(what, side)


def rounding_function(fmt: Format) -> z3.FuncDeclRef:
    return z3.Function(f"round_{fmt.name}", z3.RealSort(), z3.RealSort())


def holds_values_of(x: C.Expr, fmt: Format) -> bool:
    """Is every value x may have a value of fmt (so rounding it to fmt is exact)? Its
    own float type, what an exact widening conversion or negation keeps, constants."""
    if fmt_of(x.ty) == fmt:
        return True
    if isinstance(x, C.Const) and not isinstance(x.value, bool):
        return fmt.representable(Fraction(x.value))
    if isinstance(x, C.Unary) and x.op == "-":
        return holds_values_of(x.operand, fmt)
    if isinstance(x, C.Apply) and x.fn in ("abs", "real") + C.FLOAT_BASES and x.args:
        own = fmt_of(x.ty)
        widened = own is None or own.holds(fmt_of(x.args[0].ty)) or x.fn == "abs"
        return widened and holds_values_of(x.args[0], fmt)
    return False


def threshold_text(fmt: Format) -> str:
    """The overflow threshold (beyond binary64's range for float64 itself)."""
    t = fmt.overflow_threshold
    return f"{float(t):g}" if t < FORMATS["float64"].largest else \
        f"2^{fmt.emax + 1} - 2^{fmt.emax - fmt.precision}"


def largest_text(fmt: Format) -> str:
    return f"{float(fmt.largest):g}"


class Rounder:
    """Rounds terms for one expression translator: obligations go to its sink."""

    def __init__(self, tr: "ExprTranslator"):
        self.tr = tr
        self.cache: dict[tuple, z3.ArithRef] = {}  # (format, exact term) -> rounded
        self.format_of: dict[int, Format] = {}  # rounded term -> the format it is a value of

    def round(self, cx: Cx, z: z3.ArithRef, fmt: Optional[Format], what: Union[str, C.Expr],
              span: Span,
              exact_small: bool = False) -> z3.ArithRef:
        """z rounded to fmt (None: z), obliging that it does not overflow (`what`
        rounds: an expression, or a name)."""
        if fmt is None:
            return z
        known = self.format_of.get(z.get_id())
        if known is not None and fmt.holds(known):
            return z  # already a value of fmt (an operand that an operation rounded)
        q = number(z)
        if q is not None:
            out = fmt.round(q)
            if out not in (float("inf"), float("-inf")):
                return real(Fraction(out))
        if cx.bound:  # under a quantifier: one rounding per value, so no fresh constant
            self.note(cx)
            return rounding_function(fmt)(z)
        thr = real(fmt.overflow_threshold)
        if cx.code and cx.st is not None:
            where = side_phrase(cx.side)
            self.tr.integrity(K.OVERFLOW, cx, span,
                              f"`{_text(what)}` does not overflow {fmt.name}{where} (its largest "
                              f"value is {largest_text(fmt)})" + cx.suffix,
                              f"abs({_text(what, cx.side)}) < {threshold_text(fmt)}",
                              z3.And(z < thr, -thr < z))
        # Rounding is a function: the same exact value (the same term: Z3 terms
        # are hash-consed) rounds the same way, in both executions. Reusing the
        # rounded symbol keeps the queries free of uninterpreted functions (so Z3
        # can use its non-linear real arithmetic procedure).
        key = (fmt.name, z.get_id(), exact_small)
        known = self.cache.get(key)
        if known is not None and known.get_id() in self.tr.facts.defs:
            self.note(cx)
            return known
        r = self.tr.facts.fresh(f"fl_{fmt.name}", z3.RealSort())
        self.cache[key] = r
        self.format_of[r.get_id()] = fmt
        eta = Fraction(0) if exact_small else fmt.subnormal_error
        err = real(fmt.unit_roundoff) * absval(z) + real(eta)
        # within u|z| + eta of z, in range, with the sign of z (and zero)
        self.tr.facts.constrain(r, z3.And(r - z <= err, z - r <= err, finite(r, fmt),
                                          z3.Implies(z >= 0, r >= 0),
                                          z3.Implies(z <= 0, r <= 0)))
        self.note(cx)
        return r

    def note(self, cx: Cx) -> None:
        """Record that the abstraction is used here (always, when no state says where)."""
        guard = z3.BoolVal(True) if cx.st is None else conj([cx.st.guard(cx.side)] + cx.local)
        self.tr.sink.record(Record("rounding", cx.side or "o", guard))

    def parameter(self, st: State, p: C.Var, v: Value, model: Optional[C.HardwareModel]
                  ) -> Value:
        """A parameter's value in R: in a region with `precision F`, its argument
        rounded to F, then to its own type (an array: any elements, soundly)."""
        fmt = write_rounding(p, model, True)
        if fmt is None:
            return v
        return self.write(st, p, v, fmt, p.source, p.span)

    def write(self, st: State, var: C.Var, v: Value, fmt: Format, label: Union[str, C.Expr],
              span: Span) -> Value:
        """v rounded to fmt then to var's float type, in R (checks assumed after)."""
        cx = Cx("r", {"o": st.o, "r": st.r}, code=True, st=st)
        if isinstance(v, ArrayVal):  # each element rounds: over-approximated by any value
            self.tr.sink.record(Record("rounding", "r", st.rp))
            fresh = self.tr.facts.fresh(f"rounded {var.name}", v.arr.sort())
            return v.with_elements(fresh)
        out = self.round(cx, v, fmt, label, span)
        own = fmt_of(var.type.elem)
        if own is not None and own != fmt:
            out = self.round(cx, out, own, label, span)
        self.tr.assume_checks(st, "r", cx, span.line)
        return out

    def operand(self, cx: Cx, v: z3.ArithRef, fmt: Optional[Format], x: C.Expr, span: Span
                ) -> z3.ArithRef:
        """An operand rounded to fmt: a value of fmt's own type is unchanged. Its
        overflow check is the operation's (at `span`), as the interpreter reports it."""
        if fmt is None or holds_values_of(x, fmt):
            return v
        return self.round(cx, v, fmt, x, span)

    def binop(self, e: C.BinOp, a: z3.ArithRef, b: z3.ArithRef, r: Rounding, cx: Cx,
              exact_op) -> tuple[z3.ArithRef, z3.ArithRef, z3.ArithRef]:
        """(rounded a, rounded b, result) of an arithmetic operation under r."""
        a = self.operand(cx, a, r.operands, e.left, e.span)
        b = self.operand(cx, b, r.operands, e.right, e.span)
        z = exact_op(a, b)
        sums = e.op in ("+", "-")
        out = self.round(cx, z, r.compute, e, e.span, exact_small=sums)
        if r.result is not None and r.result.holds(r.compute):
            return a, b, out  # a value of the compute format is one of the result's
        return a, b, self.round(cx, out, r.result, e, e.span)

    def math(self, e: C.Apply, x: z3.ArithRef, fmt: Format, cx: Cx) -> z3.ArithRef:
        """`sqrt` correctly rounded; `exp log sin cos` uninterpreted but bounded."""
        label = show(e)
        if e.fn in K.DOMAIN and cx.code and cx.st is not None:
            ok = x >= 0 if e.fn == "sqrt" else x > 0
            self.tr.integrity(K.OVERFLOW, cx, e.span,
                              f"the operand of `{label}` is {_DOMAIN_TEXT[e.fn]}"
                              f"{side_phrase(cx.side)} (else the result is NaN)" + cx.suffix,
                              f"{show(e.args[0], cx.side)} {K.DOMAIN[e.fn]}", ok)
        s = self.tr.facts.fresh(f"{e.fn}", z3.RealSort())
        if e.fn == "sqrt":
            self.tr.facts.constrain(s, z3.Implies(x >= 0, z3.And(s >= 0, s * s == x)))
            return self.round(cx, s, fmt, e, e.span)
        # Within 1 ulp of an exact value we cannot state: only sound facts of the
        # rounded result (the rounding of a value in range stays in range).
        one = z3.RealVal(1)
        facts = {"exp": s >= 0, "sin": z3.And(s <= one, -one <= s),
                 "cos": z3.And(s <= one, -one <= s), "log": z3.BoolVal(True)}[e.fn]
        self.tr.facts.constrain(s, z3.And(facts, finite(s, fmt)))
        self.note(cx)
        if e.fn == "exp" and cx.code and cx.st is not None:
            # exp overflows beyond about 710 in float64 (less in narrower formats):
            # oblige a sufficient condition, |x| small enough that e^x < largest.
            lim = _exp_limit(fmt)
            self.tr.integrity(K.OVERFLOW, cx, e.span,
                              f"`{label}` does not overflow {fmt.name}{side_phrase(cx.side)} "
                              f"(its largest value is {largest_text(fmt)})" + cx.suffix,
                              f"{show(e.args[0], cx.side)} <= {float(lim):g}",
                              x <= real(lim))
        return s


_DOMAIN_TEXT = {"sqrt": "not negative", "log": "positive"}


def _exp_limit(fmt: Format) -> Fraction:
    """A bound L with exp(L) * (1 + 2^-p) well below the format's largest value
    (ln 2 > 0.69, so e^x < largest/2 when x <= 0.69 * emax)."""
    return Fraction(69, 100) * fmt.emax
