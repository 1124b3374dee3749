"""Core expressions to Z3 terms, on one execution or on the pair.

As code (`Cx.code`), an expression also makes its integrity checks and, in the
relaxed execution, lets unreliable operations and `urel` reads fail. The checks
are those `core/checks.py` lists for each node, made where the node is
evaluated (under the `&&`/`||`/`==>` operands that let it run). A specification
an execution evaluates (`Cx.wf`) must be *defined*: the same checks, and inside
a quantifier for every value of its variables. Otherwise a specification is
exact and total.
"""
from __future__ import annotations

import operator
from typing import Callable, Optional, Union

import z3

from relaxverify.core import arrays
from relaxverify.core import checks as K
from relaxverify.core import nodes as C
from relaxverify.core.nodes import BOOL, INT, Type
from relaxverify.source import Span
from relaxverify.core.precision import fault_format, rounding_of, site_precision
from relaxverify.verify.terms import arith, compare, logic, negate, select
from relaxverify.verify.context import FactStore, Sink
from relaxverify.verify.floats import Rounder, finite, fmt_of
from relaxverify.verify.integrity import (QUANTIFIED, describe, goal_of, obliged_here,
                                          side_phrase, span_of)
from relaxverify.core.printer import show
from relaxverify.verify.smt import (ArrayVal, Value, conj, floor_div, floor_mod, literal,
                                    optional_error, sort_of, values_equal)
from relaxverify.verify.specfns import Definition, definition
from relaxverify.verify.state import Cx, Faults, Record, State

DECREASES = "decreases"  # a spec function's measure at a recursive call

__all__ = ["ExprTranslator", "side_phrase", "fault_note"]


class ExprTranslator:
    """Translates expressions; obligations and faults go to `sink`, definitions
    and path assumptions to `facts`."""

    def __init__(self, facts: FactStore, sink: Sink, faults: Faults):
        self.facts = facts
        self.sink = sink
        self.faults = faults
        self.rounder = Rounder(self)
        self._methods: dict[type, Callable] = {
            C.Const: self.e_Const, C.VarRef: self.e_VarRef, C.Unary: self.e_Unary,
            C.BinOp: self.e_BinOp, C.Select: self.e_Select, C.Apply: self.e_Apply,
            C.Quant: self.e_Quant, C.Cond: self.e_Cond, C.SpecCall: self.e_SpecCall}
        self.defining: Optional[C.SpecFunction] = None  # a spec fn whose body is verified

    def expr(self, e: C.Expr, cx: Cx) -> Value:
        return self._methods[type(e)](e, cx)

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
            self.facts.assume(st, side, conj(cx.assumed),
                              f"line {line}: passed the check " + " && ".join(cx.assumed_text))

    # ------------------------------------------------------------ integrity checks

    def checks(self, found: tuple[K.RuntimeCheck, ...], cx: Cx, known: dict[int, Value]
               ) -> None:
        """Oblige the implicit checks `core/checks.py` found at a node, once its
        operands are evaluated (`known`: operand id -> value; other operands, such
        as the array a statement writes, are read without faults)."""
        if not (cx.code or cx.wf):
            return
        for c in found:
            if not obliged_here(c) or c.kind == K.OVERFLOW:
                continue  # overflow: obliged by the rounder, at each rounding
            vals = [known[id(x)] if id(x) in known else self.expr(x, _exact(cx))
                    for x in c.operands]
            explanation, text = describe(c, cx.side)
            self.integrity(c.kind, cx, span_of(c), explanation + cx.suffix, text,
                           goal_of(c, vals))

    def integrity(self, kind: str, cx: Cx, span: Span, explanation: str, goal_text: str,
                  cond: z3.BoolRef, assumed: bool = True) -> None:
        """Oblige a check; with `assumed`, later proofs may assume it passed (the run
        that goes on has performed it)."""
        st = cx.st
        assert st is not None, "integrity checks need a state"
        guard = conj([st.guard(cx.side)] + cx.assumed + cx.local)
        self.sink.oblige(kind, cx.side, span, explanation, goal_text, guard, cond, st)
        if not assumed:
            return
        cx.assumed.append(logic("==>", conj(cx.local), cond) if cx.local else cond)
        cx.assumed_text.append(goal_text + (" (where it is evaluated)" if cx.local else ""))

    def quantified_checks(self, e: C.Quant, cx: Cx) -> None:
        """A quantified specification must be defined for every value of its
        variables: each check inside is obliged under its short-circuit guards. It is
        not assumed afterwards: a run evaluates the quantifier only until its value
        is known, so a run that goes on has not performed the check for every value
        (and an undefined quantifier must not make what follows hold vacuously).
        So a dry run, which keeps no obligation or record, skips them."""
        if self.sink.dry:
            return
        fresh: dict[C.Var, z3.ExprRef] = {}  # one constant per bound variable
        earlier: list[tuple[frozenset, z3.BoolRef]] = []  # checks before, at the same values
        for site in K.checks_in(e):
            c = site.check
            spec_pre = isinstance(c.node, C.SpecCall) and c.kind == K.REQUIRES
            if not (obliged_here(c) or spec_pre):
                continue
            xs = [fresh.setdefault(v, self.facts.fresh(v.source, sort_of(v.type)))
                  for v in site.binders]
            inner = Cx(cx.side, cx.vals, st=cx.st, old=cx.old,
                       bound={**cx.bound, **dict(zip(site.binders, xs))})
            guards = []
            for g in site.guards:
                val = self.expr(g.cond, inner)
                guards.append(val if g.value else negate(val))
            vals = [self.expr(x, inner) for x in c.operands]
            if isinstance(c.node, C.SpecCall):
                ok = self.spec_definition(c.node.fn).pre_at(vals)
                explanation = f"the precondition of `{c.node.fn.name}` holds at this use"
                text = f"{show(c.node, cx.side)} is called within its `requires`"
            else:
                ok = goal_of(c, vals)
                explanation, text = describe(c, cx.side)
            here = logic("==>", conj(guards), ok)
            # For the same values of the bound variables, the body's checks run in
            # order: a later one is evaluated only where the earlier ones passed.
            scope = frozenset(site.binders)
            passed = [cond for binders, cond in earlier if binders <= scope]
            goal = z3.ForAll(xs, logic("==>", conj(passed), here)) if passed else \
                z3.ForAll(xs, here)
            earlier.append((scope, here))
            names = ", ".join(f"`{v.source}`" for v in site.binders)
            binders = ", ".join(f"{v.source}: {v.type}" for v in site.binders)
            shown = [show(g.cond, cx.side) if g.value else f"!({show(g.cond, cx.side)})"
                     for g in site.guards]
            text = f"forall {binders} :: " + (f"{' && '.join(shown)} ==> " if shown else "") + text
            with self.sink.abstract():  # a run may decide the quantifier before that value
                self.integrity(c.kind, cx, span_of(c), f"{explanation} for every {names} "
                               f"{QUANTIFIED}{cx.suffix}", text, goal, assumed=False)
            # Where it is undefined, a run stops at this check (or not, as the quantifier
            # is evaluated): a later counterexample there is no one run's.
            assert cx.st is not None
            self.sink.record(Record("abstract", cx.side or "o",
                                    conj([cx.st.guard(cx.side)] + cx.local + [negate(goal)])))

    def fault(self, cx: Cx, exact: z3.ExprRef, ty: Type, err: Optional[float], hint: str,
              site: Union[C.Expr, C.Var, None] = None) -> z3.ExprRef:
        """The value an unreliable operation returns in R: any value of its type (of
        the format it computes or stores at, core.precision.fault_format), or within
        `err` of the exact one."""
        v = self.facts.fresh(f"fault:{hint}", exact.sort())
        bound = optional_error(err)
        fmt = fault_format(ty, None if site is None else site_precision(site, self.faults.model))
        if bound is not None and ty.base in ("int", "real") or fmt is not None:
            diff = v - exact
            if ty.base == "int":
                diff = z3.ToReal(diff)
            near = z3.BoolVal(True) if bound is None else z3.And(diff <= bound, -bound <= diff)
            # a faulty float is a finite value of its format (LANGUAGE.md section 9)
            self.facts.constrain(v, near if fmt is None else z3.And(near, finite(v, fmt)))
        assert cx.st is not None
        self.sink.record(Record("fault", "r", conj([cx.st.rp] + cx.local), term=v, exact=exact,
                                ty=ty))
        if self.sink.explain:
            self.sink.fault_notes.append(fault_note(hint, err if bound is not None and
                                                    ty != BOOL else None))
        return v

    # ------------------------------------------------------------ nodes

    def e_Const(self, e: C.Const, cx: Cx) -> Value:
        return literal(e.value, e.ty)

    def e_VarRef(self, e: C.VarRef, cx: Cx) -> Value:
        if e.var in cx.bound:
            return cx.bound[e.var]
        side = e.side or cx.side
        table = (cx.old if e.old and cx.old is not None else cx.vals)[side]
        v = table.get(e.var)
        if v is None:  # not yet defined on this path (cannot happen after checking)
            assert side is not None
            v, _ = self.facts.fresh_value(e.var, side)
            table[e.var] = v
        if (cx.code and side == "r" and self.faults.reads(e.var) and not e.var.type.array):
            return self.fault(cx, v, e.var.type, None, f"read {e.var.source}", e.var)
        return v

    def e_Unary(self, e: C.Unary, cx: Cx) -> Value:
        x = self.expr(e.operand, cx)
        assert not isinstance(x, ArrayVal)
        return negate(x) if e.op == "!" else -x

    def e_BinOp(self, e: C.BinOp, cx: Cx) -> Value:
        if e.op in C.LOGIC_OPS:
            a = self.expr(e.left, cx)
            if e.op == "<==>":
                return a == self.expr(e.right, cx)
            cond = a if e.op in ("&&", "==>") else negate(a)
            cx.local.append(cond)
            try:
                b = self.expr(e.right, cx)
            finally:
                cx.local.pop()
            return logic(e.op, a, b)
        a = self.expr(e.left, cx)
        b = self.expr(e.right, cx)
        self.checks(K.expr_checks(e), cx, {id(e.left): a, id(e.right): b})
        out = self.rounded_arith(e, a, b, cx)
        if e.unreliable and cx.code and cx.side == "r":
            faulty, err = self.faults.op(e.op + ".")
            if faulty:
                ty = e.ty if e.op not in C.CMP_OPS else BOOL
                return self.fault(cx, out, ty, err if ty != BOOL else None, e.op + ".", e)
        return out

    def rounded_arith(self, e: C.BinOp, a, b, cx: Cx) -> Value:
        """The operation's value with the roundings core/precision.py gives it (code
        only: specifications are exact)."""
        if not cx.code or e.op == "%" or e.left.ty.base not in C.FLOAT_BASES + ("real",):
            return _arith(e, a, b)
        r = rounding_of(e, self.faults.model, cx.side == "r")
        if r.exact:
            return _arith(e, a, b)
        if e.op in C.CMP_OPS:
            a = self.rounder.operand(cx, a, r.operands, e.left, e.span)
            b = self.rounder.operand(cx, b, r.operands, e.right, e.span)
            return _arith(e, a, b)
        return self.rounder.binop(e, a, b, r, cx, lambda x, y: _arith(e, x, y))[2]

    def e_Select(self, e: C.Select, cx: Cx) -> Value:
        a = self.expr(e.array, cx)
        idx = [self.expr(i, cx) for i in e.indices]
        self.checks(K.expr_checks(e), cx,
                    {id(e.array): a, **{id(i): t for i, t in zip(e.indices, idx)}})
        assert isinstance(a, ArrayVal)
        v = select(a.arr, idx)
        if (cx.code and cx.side == "r" and isinstance(e.array, C.VarRef) and self.faults.reads(e.array.var)):
            return self.fault(cx, v, e.ty, None, f"read {e.array.var.source}[]", e.array.var)
        return v

    def e_Apply(self, e: C.Apply, cx: Cx) -> Value:
        args = [self.expr(a, cx) for a in e.args]
        if e.fn == "len":
            assert isinstance(args[0], ArrayVal)
            return args[0].lengths[arrays.len_dim(e)]
        x = args[0]
        assert isinstance(x, z3.ArithRef)
        if e.fn == "abs":
            return z3.If(x >= 0, x, -x)
        if e.fn == "min":
            return z3.If(x <= args[1], x, args[1])
        if e.fn == "max":
            return z3.If(x >= args[1], x, args[1])
        if x.sort() == z3.IntSort():
            x = z3.ToReal(x)
        if e.fn == "floor":
            return z3.ToInt(x)
        if e.fn == "ceil":
            return -z3.ToInt(-x)
        fmt = fmt_of(e.ty)
        if fmt is None:  # real(e): exact
            return x
        if e.fn in C.MATH_FUNCTIONS:
            return self.rounder.math(e, x, fmt, cx)
        if fmt.holds(fmt_of(e.args[0].ty)):  # e.g. float16 -> float32: exact
            return x
        return self.rounder.round(cx, x, fmt, e, e.span)

    def e_Cond(self, e: C.Cond, cx: Cx) -> Value:
        """`if c then a else b`: each branch's checks and faults under its guard."""
        c = self.expr(e.cond, cx)
        branches = []
        for guard in (c, z3.Not(c)):
            cx.local.append(guard)
            try:
                branches.append(self.expr(e.then if guard is c else e.orelse, cx))
            finally:
                cx.local.pop()
        a, b = branches
        assert not isinstance(a, ArrayVal) and not isinstance(b, ArrayVal)  # the checker's
        return z3.If(c, a, b)

    def spec_definition(self, sf: C.SpecFunction) -> Definition:
        return definition(sf, lambda e, bound: self.expr(e, Cx(None, {"o": {}, "r": {}},
                                                                  bound=bound)))

    def e_SpecCall(self, e: C.SpecCall, cx: Cx) -> Value:
        """A spec function's value; where a state is at hand (every specification an
        execution or the pair is checked against), its `requires` is obliged, and in
        the body of the spec function being verified, `decreases` at a recursive call."""
        args = [self.expr(a, cx) for a in e.args]
        d = self.spec_definition(e.fn)
        if cx.st is not None:
            text = f"{show(e, cx.side)} is called within its `requires`"
            self.integrity(K.REQUIRES, cx, e.span, f"the precondition of `{e.fn.name}` holds "
                           f"at this use{side_phrase(cx.side)}", text, d.pre_at(args))
            if e.fn is self.defining and e.fn.decreases is not None:
                now = self.expr(e.fn.decreases, _exact(cx))
                then = d.substitute(d.measure, args)
                assert isinstance(now, z3.ArithRef) and isinstance(then, z3.ArithRef)
                self.integrity(DECREASES, cx, e.span, f"`decreases {show(e.fn.decreases)}` is "
                               "non-negative and drops at this recursive call",
                               f"0 <= {show(e.fn.decreases)} and it drops",
                               z3.And(0 <= now, then < now))
        return d.apply(args)

    def e_Quant(self, e: C.Quant, cx: Cx) -> Value:
        if cx.wf:
            self.quantified_checks(e, cx)
        x = self.facts.fresh(e.var.source, sort_of(e.var.type))
        inner = Cx(cx.side, cx.vals, code=False, st=cx.st, old=cx.old,
                   bound={**cx.bound, e.var: x})  # its checks are made above, once
        body = self.expr(e.body, inner)
        return z3.ForAll([x], body) if e.kind == "forall" else z3.Exists([x], body)


def _exact(cx: Cx) -> Cx:
    """The same variables, read as a specification (no checks, no faults)."""
    return Cx(cx.side, cx.vals, st=cx.st, old=cx.old, bound=cx.bound)


_ORDER = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}


def _arith(e: C.BinOp, a, b) -> Value:
    """The exact value of a comparison or arithmetic operator."""
    if e.op in ("==", "!="):
        out = values_equal(a, b)
        return out if e.op == "==" else negate(out)
    if e.op in _ORDER:  # (only the one term: a dict of all four built them all)
        return compare(_ORDER[e.op], a, b)
    if e.op in ("+", "-", "*"):
        return arith(e.op, a, b)
    if e.op == "/":
        return floor_div(a, b) if e.ty == INT else a / b
    return floor_mod(a, b)


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
