"""What can fail at run time, defined once (docs/semantics.md, "Runtime checks").

Every consumer of the core language asks this module which checks a node performs:
the verifier turns each `RuntimeCheck` into an obligation, the interpreter into a
runtime test, the reliability analysis into a place where a faulty run may stop.
A new construct gets its checks here, and all three see them.

A check tests the values of its `operands` (sub-expressions of the node, evaluated
before the check, in that order). `expr_checks` gives the checks an expression
node performs itself; `stmt_checks` those a statement performs besides the checks
of the expressions it evaluates; `checks_in` walks a whole expression and says, for
each check, under which short-circuit guards and quantifier binders it runs.

Resource limits of the interpreter are checks too (kind `limit`): the language has
unbounded ints and loops, so the verifier does not oblige them (a verified program
is correct in the language's semantics), but a faulty run that hits one stops, and
the reliability analysis must count such a run as incorrect.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

from relaxverify.core import nodes as C
from relaxverify.source import Span

# Kinds (docs/language.md section 8 obligation kinds, plus `limit` and `choice`).
BOUNDS = "bounds"  # 0 <= index < len(array)
DIVISION = "division"  # divisor != 0
LENGTH = "length"  # 0 <= length of a new array
BOUND = "bound"  # 0 <= a while loop's bound
ASSERT = "assert"
ASSUME = "assume"
REQUIRES = "requires"  # a callee's precondition at a call
CHOICE = "choice"  # some values satisfy a relax/havoc predicate
LIMIT = "limit"  # an interpreter resource limit (not an obligation)
OVERFLOW = "overflow"  # a float operation's rounded result is finite (LANGUAGE.md section 9)

# What an OVERFLOW check of each operation also requires of its operand (NaN otherwise).
DOMAIN = {"sqrt": ">= 0", "log": "> 0"}



@dataclass(frozen=True)
class Limits:
    """The interpreter's resource limits: part of what a run may fail at."""

    # Bits of an int product: ints are unbounded, but a faulty value squared in a loop
    # (one flipped high bit, then x = x * x) would fill the memory.
    int_bits: int = 1_000_000
    array_length: int = 10_000_000  # elements of one array
    loop_steps: int = 10_000_000  # iterations of one loop execution
    call_depth: int = 10_000  # nested calls


LIMITS = Limits()


@dataclass(frozen=True, eq=False)
class RuntimeCheck:
    """One check a node performs: `kind` over the values of `operands`."""

    kind: str
    node: object  # the expression or statement performing it
    operands: tuple[C.Expr, ...]
    span: Span
    dim: int = 0  # BOUNDS and LENGTH: the dimension the index or length is of
    @property
    def obliged(self) -> bool:
        """Does the verifier prove it? (limits are the interpreter's, not the language's)"""
        return self.kind != LIMIT


def _nonzero_constant(e: C.Expr) -> bool:
    return isinstance(e, C.Const) and not isinstance(e.value, bool) and e.value != 0


def rounds(x: C.Expr) -> bool:
    """Does x round its exact result to a float format (and so may overflow)? Float
    arithmetic, the math functions and conversions to a float type; `abs`, `min`,
    `max`, negation and comparisons are exact. (A dotted operation on reals rounds
    too when the model gives it a precision: `precision_rounds`.)"""
    if isinstance(x, C.BinOp):
        return x.ty.is_float and x.op in ("+", "-", "*", "/")
    return isinstance(x, C.Apply) and x.ty.is_float and x.fn not in ("abs", "min", "max")


def precision_rounds(x: C.Expr) -> bool:
    """Could a model's `precision F` make x round (and so overflow) in R? The dotted
    arithmetic operators on floats and on reals."""
    return (isinstance(x, C.BinOp) and x.unreliable and x.op not in C.LOGIC_OPS
            and (x.left.ty.is_float or x.left.ty == C.REAL))


def expr_checks(x: C.Expr) -> tuple[RuntimeCheck, ...]:
    """The checks expression node x performs itself, after evaluating its operands.
    A rounding operation's OVERFLOW check tests its exact result (and, for `sqrt` and
    `log`, its operand's domain); its operands are the node's own."""
    out: tuple[RuntimeCheck, ...] = ()
    if isinstance(x, C.Select):  # one check per index (LANGUAGE.md section 10)
        return tuple(RuntimeCheck(BOUNDS, x, (i, x.array), x.span, d)
                     for d, i in enumerate(x.indices))
    if isinstance(x, C.BinOp) and x.op not in C.LOGIC_OPS:
        if x.op in ("/", "%") and not _nonzero_constant(x.right):
            out = (RuntimeCheck(DIVISION, x, (x.right,), x.span),)
        if x.op == "*" and x.ty == C.INT:
            return (RuntimeCheck(LIMIT, x, (x.left, x.right), x.span),)
        if rounds(x) or precision_rounds(x):
            out += (RuntimeCheck(OVERFLOW, x, (x.left, x.right), x.span),)
        return out
    if isinstance(x, C.Apply) and rounds(x):
        return (RuntimeCheck(OVERFLOW, x, (x.args[0],), x.span),)
    if isinstance(x, C.SpecCall):  # its precondition; its evaluation's depth (run)
        return (RuntimeCheck(REQUIRES, x, tuple(x.args), x.span),
                RuntimeCheck(LIMIT, x, tuple(x.args), x.span))
    return ()


def code_exprs(s: C.Stmt) -> list[C.Expr]:
    """The expressions statement s itself evaluates as code (faults may strike them):
    a loop's bound on entry, then its condition; a call's arguments."""
    if isinstance(s, C.Assign):
        return [s.value]
    if isinstance(s, C.Store):
        return [*s.indices, s.value]
    if isinstance(s, C.NewArray):
        return list(s.lengths)
    if isinstance(s, C.If):
        return [s.cond]
    if isinstance(s, C.Loop):
        return ([s.bound] if s.bound is not None else []) + [s.cond]
    if isinstance(s, C.Call):
        return list(s.args)
    return []


def spec_exprs(s: C.Stmt) -> list[C.Expr]:
    """The specifications statement s itself evaluates (exactly, in every run)."""
    if isinstance(s, C.Check) and s.kind in (ASSERT, ASSUME):
        return [s.cond]
    if isinstance(s, C.Choose):
        return [s.pred]
    if isinstance(s, C.Loop):
        return list(s.invariants)
    return []


def stmt_checks(s: C.Stmt) -> tuple[RuntimeCheck, ...]:
    """The checks statement s performs itself (besides those of the expressions it
    evaluates, which `checks_in` finds), in the order a run performs them."""
    if isinstance(s, C.Store):
        ref = C.VarRef(s.var, s.span)
        return tuple(RuntimeCheck(BOUNDS, s, (i, ref), s.span, d)
                     for d, i in enumerate(s.indices))
    if isinstance(s, C.NewArray):  # each length, then the element count's limit
        return (tuple(RuntimeCheck(LENGTH, s, (n,), s.span, d)
                      for d, n in enumerate(s.lengths))
                + (RuntimeCheck(LIMIT, s, s.lengths, s.span),))
    if isinstance(s, C.Loop):
        out = []
        if s.bound is not None:
            out.append(RuntimeCheck(BOUND, s, (s.bound,), s.span))
        steps = s.trips if s.trips is not None else (
            C.const_int(s.bound) if s.bound is not None else None)
        if steps is None or steps > LIMITS.loop_steps:
            out.append(RuntimeCheck(LIMIT, s, (), s.span))
        return tuple(out)
    if isinstance(s, C.Call):
        return (RuntimeCheck(REQUIRES, s, tuple(s.args), s.span),
                RuntimeCheck(LIMIT, s, (), s.span))
    if isinstance(s, C.Check) and s.kind in (ASSERT, ASSUME):
        return (RuntimeCheck(s.kind, s, (s.cond,), s.span),)
    if isinstance(s, C.Choose):
        return (RuntimeCheck(CHOICE, s, (s.pred,), s.span),)
    return ()


@dataclass(frozen=True)
class Site:
    """A check inside an expression, with the context in which it runs."""

    check: RuntimeCheck
    guards: tuple["Guard", ...]  # short-circuit operands that decide whether it runs
    binders: tuple[C.Var, ...]  # quantified variables in scope (innermost last)


@dataclass(frozen=True)
class Guard:
    """The check runs only where `cond` evaluates to `value` (`p && q`: q runs where p)."""

    cond: C.Expr
    value: bool


def guard_of(op: str, left: C.Expr) -> Guard:
    """When the right operand of a short-circuit operator is evaluated."""
    return Guard(left, op in ("&&", "==>"))


def checks_in(e: C.Expr, guards: tuple[Guard, ...] = (),
              binders: tuple[C.Var, ...] = ()) -> Iterator[Site]:
    """Every check that evaluating e performs, operands before the node, left to
    right; the right operand of `&&`, `||`, `==>` under its guard, each branch of a
    conditional expression under its condition, a quantifier's
    body with its variable bound (checked for every value the quantifier ranges over)."""
    if isinstance(e, C.Unary):
        yield from checks_in(e.operand, guards, binders)
    elif isinstance(e, C.BinOp):
        yield from checks_in(e.left, guards, binders)
        inner = guards + (guard_of(e.op, e.left),) if e.op in ("&&", "||", "==>") else guards
        yield from checks_in(e.right, inner, binders)
    elif isinstance(e, C.Select):
        yield from checks_in(e.array, guards, binders)
        for i in e.indices:
            yield from checks_in(i, guards, binders)
    elif isinstance(e, (C.Apply, C.SpecCall)):
        for a in e.args:
            yield from checks_in(a, guards, binders)
    elif isinstance(e, C.Quant):
        yield from checks_in(e.body, guards, binders + (e.var,))
    elif isinstance(e, C.Cond):
        yield from checks_in(e.cond, guards, binders)
        yield from checks_in(e.then, guards + (Guard(e.cond, True),), binders)
        yield from checks_in(e.orelse, guards + (Guard(e.cond, False),), binders)
    for c in expr_checks(e):
        yield Site(c, guards, binders)
