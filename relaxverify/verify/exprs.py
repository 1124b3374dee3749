"""Core expressions to Z3 terms, on one execution or on the pair.

As code (`Cx.code`), an expression also makes its integrity checks (array
bounds, division by zero, with `&&`/`||`/`==>` short-circuiting) and, in the
relaxed execution, lets unreliable operations and `urel` reads fail. As a
specification it is exact and total.
"""
from __future__ import annotations

from typing import Callable, Optional

import z3

from relaxverify.core import nodes as C
from relaxverify.syntax.ast import Span
from relaxverify.core.nodes import BOOL, INT, Type
from relaxverify.verify.obligations import show
from relaxverify.verify.smt import (Value, conj, floor_div, floor_mod, literal, optional_error, sort_of,
                  values_equal)
from relaxverify.verify.state import Cx, Record, State


class ExprGen:
    """Mixin of `VCGen`: expression translation."""

    def expr(self, e: C.Expr, cx: Cx) -> Value:
        method: Callable = getattr(self, "e_" + type(e).__name__)
        return method(e, cx)

    def code(self, e: C.Expr, st: State, side: str, when: Optional[z3.BoolRef] = None
             ) -> Value:
        """Evaluate code on one side: integrity checks, faults; assume the checks after.
        With `when`, e is evaluated only where `when` holds (its checks and faults too)."""
        cx = Cx(side, {"o": st.o, "r": st.r}, code=True, st=st,
                local=[when] if when is not None else [])
        v = self.expr(e, cx)
        self.assume_checks(st, side, cx, e.span.line)
        return v

    def assume_checks(self, st: State, side: Optional[str], cx: Cx, line: int) -> None:
        """Assume the integrity checks `cx` just obliged (later proofs may use them,
        R's also O's at the same statement), and name them for --explain."""
        if cx.assumed:
            self.assume(st, side, conj(cx.assumed),
                        f"line {line}: passed the check " + " && ".join(cx.assumed_text))

    def integrity(self, kind: str, cx: Cx, span: Span, explanation: str, goal_text: str,
                  cond: z3.BoolRef) -> None:
        st = cx.st
        guard = conj([st.guard(cx.side)] + cx.assumed + cx.local)
        self.oblige(kind, cx.side, span, explanation, goal_text, guard, cond, st)
        cx.assumed.append(z3.Implies(conj(cx.local), cond) if cx.local else cond)
        cx.assumed_text.append(goal_text + (" (where it is evaluated)" if cx.local else ""))

    def fault(self, cx: Cx, exact: z3.ExprRef, ty: Type, err: Optional[float], hint: str
              ) -> z3.ExprRef:
        """The value an unreliable operation returns in R: any value of its type, or
        within `err` of the exact one."""
        v = self.fresh(f"fault:{hint}", exact.sort())
        bound = optional_error(err)
        if bound is not None and ty.base in ("int", "real"):
            diff = v - exact
            if ty.base == "int":
                diff = z3.ToReal(diff)
            self.defs[v.get_id()] = len(self.facts)
            self.facts.append(z3.And(diff <= bound, -bound <= diff))
        self.record(Record("fault", "r", conj([cx.st.rp] + cx.local), term=v, exact=exact,
                           ty=ty))
        if self.explain:
            self.fault_notes.append(fault_note(hint, err if bound is not None and
                                               ty.base in ("int", "real") else None))
        return v

    def e_Const(self, e: C.Const, cx: Cx) -> Value:
        return literal(e.value, e.ty)

    def e_VarRef(self, e: C.VarRef, cx: Cx) -> Value:
        if e.var in cx.bound:
            return cx.bound[e.var]
        side = e.side or cx.side
        table = (cx.old if e.old and cx.old is not None else cx.vals)[side]
        v = table.get(e.var)
        if v is None:  # not yet defined on this path (cannot happen after checking)
            v, _ = self.fresh_value(e.var, side)
            table[e.var] = v
        if (cx.code and side == "r" and e.var.urel and not e.var.type.array
                and self.faults.read):
            return self.fault(cx, v, e.var.type, None, f"read {e.var.source}")
        return v

    def e_Unary(self, e: C.Unary, cx: Cx) -> Value:
        x = self.expr(e.operand, cx)
        return z3.Not(x) if e.op == "!" else -x

    def e_BinOp(self, e: C.BinOp, cx: Cx) -> Value:
        if e.op in C.LOGIC_OPS:
            a = self.expr(e.left, cx)
            if e.op == "<==>":
                return a == self.expr(e.right, cx)
            cond = a if e.op in ("&&", "==>") else z3.Not(a)
            cx.local.append(cond)
            try:
                b = self.expr(e.right, cx)
            finally:
                cx.local.pop()
            return {"&&": z3.And, "||": z3.Or, "==>": z3.Implies}[e.op](a, b)
        a = self.expr(e.left, cx)
        b = self.expr(e.right, cx)
        if e.op in ("==", "!="):
            out = values_equal(a, b)
            out = out if e.op == "==" else z3.Not(out)
        elif e.op in ("<", "<=", ">", ">="):
            out = {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[e.op]
        else:
            if e.op in ("/", "%") and (cx.code or cx.wf):
                self.integrity("division", cx, e.span,
                               f"the divisor `{show(e.right)}` is not zero{side_phrase(cx.side)}",
                               f"{show(e.right, cx.side)} != 0", b != 0)
            if e.op == "+":
                out = a + b
            elif e.op == "-":
                out = a - b
            elif e.op == "*":
                out = a * b
            elif e.op == "/":
                out = floor_div(a, b) if e.ty == INT else a / b
            else:
                out = floor_mod(a, b)
        if e.unreliable and cx.code and cx.side == "r":
            faulty, err = self.faults.op(e.op + ".")
            if faulty:
                ty = e.ty if e.op not in C.CMP_OPS else BOOL
                return self.fault(cx, out, ty, err if ty != BOOL else None, e.op + ".")
        return out

    def e_Select(self, e: C.Select, cx: Cx) -> Value:
        a = self.expr(e.array, cx)
        i = self.expr(e.index, cx)
        if cx.code or cx.wf:
            self.integrity("bounds", cx, e.span,
                           f"the index `{show(e.index)}` is within `0 <= i < len({show(e.array)})`"
                           f"{side_phrase(cx.side)}",
                           f"0 <= {show(e.index, cx.side)} < len({show(e.array, cx.side)})",
                           z3.And(0 <= i, i < a.length))
        v = z3.Select(a.arr, i)
        if (cx.code and cx.side == "r" and isinstance(e.array, C.VarRef) and e.array.var.urel
                and self.faults.read):
            return self.fault(cx, v, e.ty, None, f"read {e.array.var.source}[]")
        return v

    def e_Apply(self, e: C.Apply, cx: Cx) -> Value:
        args = [self.expr(a, cx) for a in e.args]
        if e.fn == "len":
            return args[0].length
        if e.fn == "abs":
            return z3.If(args[0] >= 0, args[0], -args[0])
        if e.fn == "min":
            return z3.If(args[0] <= args[1], args[0], args[1])
        if e.fn == "max":
            return z3.If(args[0] >= args[1], args[0], args[1])
        return z3.ToReal(args[0])

    def e_Quant(self, e: C.Quant, cx: Cx) -> Value:
        x = self.fresh(e.var.source, sort_of(e.var.type))
        inner = Cx(cx.side, cx.vals, code=False, st=cx.st, old=cx.old,
                   bound={**cx.bound, e.var: x})  # no checks inside: quantifiers are exact
        body = self.expr(e.body, inner)
        return z3.ForAll([x], body) if e.kind == "forall" else z3.Exists([x], body)


def side_phrase(side: Optional[str]) -> str:
    return {"o": " in the original execution", "r": " in the relaxed execution"}.get(side, "")


def fault_note(hint: str, err: Optional[float]) -> str:
    """What a fault of the relaxed execution may do, in words (for --explain)."""
    kind, _, name = hint.partition(" ")
    name = name.replace("[]", "[...]")
    if kind == "read":
        return f"reading urel `{name}` may give any value"
    if kind == "write":
        return f"the write to urel `{name}` may store any value"
    if err is not None:
        return f"`{hint}` may be off by up to {err:g}"
    return f"`{hint}` may return any value"
