"""Core expressions in Relax syntax, for messages, `--explain` and counterexamples.

With a side, unadorned variables are shown adorned (`x<o>`); `subst` shows a
callee's parameters as the caller's arguments.
"""
from __future__ import annotations

from fractions import Fraction
from typing import Optional

from relaxverify.core import nodes as C

_PREC = {"<==>": 1, "==>": 2, "||": 3, "&&": 4, "==": 6, "!=": 6, "<": 6, "<=": 6, ">": 6,
         ">=": 6, "+": 7, "-": 7, "*": 8, "/": 8, "%": 8}


def show(e: C.Expr, side: Optional[str] = None, subst: Optional[dict] = None) -> str:
    """`e` in Relax syntax; with `side`, unadorned variables get `<o>`/`<r>`;
    `subst` maps (Var, side) to the text shown instead (a callee's parameters as
    the arguments of a call), as `operand` gives it."""
    return _show(e, side, 0, subst)


def operand(e: C.Expr, side: Optional[str]) -> tuple[str, int]:
    """`e` shown on `side`, with its precedence, to stand for a variable in `show`."""
    prec = _PREC[e.op] if isinstance(e, C.BinOp) else 0 if isinstance(e, (C.Quant, C.Cond)) \
        else 10
    return show(e, side), prec


def var_text(var: C.Var, side: Optional[str]) -> str:
    """How `--explain` names the value of `var` in one execution: `x<o>`, `result<r>`."""
    name = var.source
    return f"{name}<{side}>" if side else name


def _show(e: C.Expr, side: Optional[str], ctx: int, subst: Optional[dict] = None) -> str:
    if isinstance(e, C.Const):
        v = e.value
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, Fraction) or e.ty == C.REAL:
            f = Fraction(v)
            text = str(f.numerator) + ".0" if f.denominator == 1 else repr(float(f))
            return text if f >= 0 or ctx < 9 else f"({text})"
        return str(v) if v >= 0 or ctx < 9 else f"({v})"
    if isinstance(e, C.VarRef):
        name = e.var.source
        s = e.side or (side if e.var.kind != "bound" else None)
        if subst and (e.var, s) in subst:
            text, p = subst[(e.var, s)]
            return f"({text})" if p < ctx else text
        name = f"{name}<{s}>" if s else name
        return f"old({name})" if e.old else name
    if isinstance(e, C.Unary):
        inner = _show(e.operand, side, 9, subst)
        return f"{e.op}{inner}"
    if isinstance(e, C.BinOp):
        p = _PREC[e.op]
        op = e.op + ("." if e.unreliable else "")
        right_assoc = e.op == "==>"
        lp = p + 1 if right_assoc or p == 6 else p
        rp = p if right_assoc else p + 1
        text = f"{_show(e.left, side, lp, subst)} {op} {_show(e.right, side, rp, subst)}"
        return f"({text})" if p < ctx else text
    if isinstance(e, C.Select):
        idx = ", ".join(_show(i, side, 0, subst) for i in e.indices)
        return f"{_show(e.array, side, 10, subst)}[{idx}]"
    if isinstance(e, C.SpecCall):
        return f"{e.fn.name}({', '.join(_show(a, side, 0, subst) for a in e.args)})"
    if isinstance(e, C.Apply):
        return f"{e.fn}({', '.join(_show(a, side, 0, subst) for a in e.args)})"
    if isinstance(e, C.Cond):
        text = (f"if {_show(e.cond, side, 0, subst)} then {_show(e.then, side, 0, subst)} "
                f"else {_show(e.orelse, side, 0, subst)}")
        return f"({text})" if ctx > 0 else text
    if isinstance(e, C.Quant):
        text = f"{e.kind} {e.var.source}: {e.var.type} :: {_show(e.body, side, 0, subst)}"
        return f"({text})" if ctx > 0 else text
    return "?"
