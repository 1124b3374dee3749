"""Bound queries on straight-line code: the two executions as round-off expressions.

`accept abs(E<o> - E<r>) <= ?` after straight-line float or real code (assignments,
rounded operations, conversions, `relax`/`havoc` to constants) is the question
FPTaylor answers: how far apart can two formulas over an input box be when every
rounding may err by its unit roundoff? This module symbolically executes both
executions into the round-off IR (`errorir.py`), each rounding with its own error
variables, following `core/precision.py` exactly, and hands the pair to the
rigorous engine (`errorbound.py`). Anything else (branches, loops, calls, faults,
array reads, a parameter without a finite range) is not straight-line: the caller
then falls back on the solver's search.

The bound holds for runs that pass their overflow checks (the verifier obliges
those separately): an overflowing run stops before the accept.
"""
from __future__ import annotations

import sys
from fractions import Fraction
from typing import Optional

from relaxverify.core import nodes as C
from relaxverify.core.formats import FORMATS, Format
from relaxverify.core.precision import rounding_of, write_rounding
from relaxverify.verify import errorir as IR
from relaxverify.verify.errorbound import Ranges, error_bound

Box = dict[str, tuple[Fraction, Fraction]]


class NotStraightLine(Exception):
    """The code before the query is outside what this analysis covers."""


def straight_line_bound(fn: C.Function, check: C.Check, model: Optional[C.HardwareModel],
                        query: Optional[C.Expr] = None) -> Optional[float]:
    """A sound upper bound, where `check` (a statement of fn's body) is reached, of its
    bound query or of `query`, or None."""
    query = query if query is not None else check.query
    if query is None:
        return None
    try:
        box = input_box(fn)
        envs = execute(fn, check, model, box)
        o, r = query_pair(query, envs)
    except NotStraightLine:
        return None
    found = error_bound(o, r, box)
    return None if found is None else float(found.bound)


# ---------------------------------------------------------------- inputs


def input_box(fn: C.Function) -> Box:
    """Each numeric parameter's range from constant bounds in the `requires`."""
    lo: dict[str, Fraction] = {}
    hi: dict[str, Fraction] = {}
    for e in fn.requires:
        _bounds(e, lo, hi)
    box: Box = {}
    for p in fn.params:
        if p.type.array or p.type == C.BOOL:
            raise NotStraightLine(f"parameter {p.source} is not a number")
        if p.name not in lo or p.name not in hi or lo[p.name] > hi[p.name]:
            raise NotStraightLine(f"parameter {p.source} has no finite range")
        box[p.name] = (lo[p.name], hi[p.name])
    if not fn.requires_r_default:
        raise NotStraightLine("a relational precondition")
    return box


def _param(e: C.Expr) -> Optional[C.Var]:
    if isinstance(e, C.Apply) and e.fn == "real":
        e = e.args[0]
    return e.var if isinstance(e, C.VarRef) and e.var.kind == "param" else None


def _bounds(e: C.Expr, lo: dict[str, Fraction], hi: dict[str, Fraction]) -> None:
    if isinstance(e, C.BinOp) and e.op == "&&":
        _bounds(e.left, lo, hi)
        _bounds(e.right, lo, hi)
        return
    if not (isinstance(e, C.BinOp) and e.op in ("<=", "<", ">=", ">")):
        return
    left, right = (e.left, e.right) if e.op in ("<=", "<") else (e.right, e.left)
    # left <= right (strict bounds widen to non-strict ones: still sound)
    var, const = _param(right), left
    if var is not None and isinstance(const, C.Const) and not isinstance(const.value, bool):
        v = Fraction(const.value)
        lo[var.name] = max(lo.get(var.name, v), v)
    var, const = _param(left), right
    if var is not None and isinstance(const, C.Const) and not isinstance(const.value, bool):
        v = Fraction(const.value)
        hi[var.name] = min(hi.get(var.name, v), v)


# ---------------------------------------------------------------- execution


def _rounding(fmt: Format, exact_sum: bool) -> IR.Rounding:
    """fl(z) = z(1 + d) + e: sums of two values of the format are exact when tiny."""
    return IR.Rounding(fmt.unit_roundoff, Fraction(0) if exact_sum else fmt.subnormal_error)


# The formats whose values include those of a format (a value of float16 is one of
# float32 and float64 too): rounding such a value to them is exact.
WIDER = {"float16": ("float16", "float32", "float64"), "bfloat16": ("bfloat16", "float32",
         "float64"), "float32": ("float32", "float64"), "float64": ("float64",)}


class Values:
    """The format each IR node's values are known to belong to (by identity): a
    rounding of such a node to that format or a wider one is exact and is skipped."""

    def __init__(self, faults: bool = False) -> None:
        # With `faults`, a faulty operator whose model bounds its `error` is its value
        # plus a fresh variable ranging over [-error, error] (kept here): for range
        # checks only (a bound query with faults goes to Z3).
        self.faults: Optional[Box] = {} if faults else None
        self.formats: dict[int, str] = {}
        self.keep: list[IR.Expr] = []  # keeps the nodes alive, so that ids stay unique
        # (line, column, side) of an operation -> the exact values its roundings take,
        # each with its format, and whether the value must be >= 0 (sqrt): what its
        # `overflow` check asks
        self.sites: dict[tuple[str, int, int, str], list[tuple[IR.Expr, Optional[Format],
                                                               str]]] = {}

    def site(self, e: C.Expr, side: str, exact: IR.Expr, fmt: Optional[Format],
             test: str = "finite") -> None:
        """Record what a check of e asks: `finite` (below fmt's overflow threshold),
        `nonneg` (and >= 0: a sqrt's operand), `nonzero` (a divisor: kind division)."""
        if fmt is not None or test == "nonzero":
            kind = "division" if test == "nonzero" else "overflow"
            key = (kind, e.span.line, e.span.column, side)
            self.sites.setdefault(key, []).append((exact, fmt, test))

    def mark(self, x: IR.Expr, fmt: Optional[str]) -> IR.Expr:
        if fmt is not None:
            self.formats[id(x)] = fmt
            self.keep.append(x)
        return x

    def round(self, x: IR.Expr, fmt: Optional[Format]) -> IR.Expr:
        if fmt is None:
            return x
        if isinstance(x, IR.Const):
            value = fmt.round(x.value)
            if value in (float("inf"), float("-inf")):
                raise NotStraightLine("a constant overflows")
            return IR.Const(Fraction(value))
        known = self.formats.get(id(x))
        if known is not None and fmt.name in WIDER[known]:
            return x
        return self.mark(IR.Round(x, _rounding(fmt, False)), fmt.name)


# The formats whose values a format's values include, the reverse of WIDER.
_NARROWER = {f: tuple(g for g, wider in WIDER.items() if f in wider) for f in WIDER}


def execute(fn: C.Function, check: Optional[C.Check], model: Optional[C.HardwareModel],
            box: Box, values: Optional[Values] = None) -> dict[str, dict[C.Var, IR.Expr]]:
    """The value of every variable in each execution when `check` is reached (None:
    at the end of the body)."""
    envs: dict[str, dict[C.Var, IR.Expr]] = {"o": {}, "r": {}}
    values = values if values is not None else Values()
    for p in fn.params:
        x = values.mark(IR.Var(p.name), p.type.base if p.type.is_float else None)
        envs["o"][p] = x
        envs["r"][p] = values.round(x, write_rounding(p, model, True))
        if model is not None and p.region is not None and model.memory(p.region).read < 1:
            raise NotStraightLine("an unreliable read")
    for s in fn.body:
        if s is check:
            return envs
        for side in ("o", "r"):
            _stmt(s, side, envs[side], model, values)
    if check is None:
        return envs
    raise NotStraightLine("the query is not at the top level of the body")


def _stmt(s: C.Stmt, side: str, env: dict[C.Var, IR.Expr],
          model: Optional[C.HardwareModel], values: Values) -> None:
    relaxed = side == "r"
    if isinstance(s, C.Assign):
        if s.var.type.array or s.var.type == C.BOOL:
            raise NotStraightLine("a non-numeric variable")
        mem = model.memory(s.var.region) if model is not None else None
        if relaxed and mem is not None and (mem.read < 1 or mem.write < 1):
            raise NotStraightLine("unreliable memory")
        value = _expr(s.value, side, env, model, values)
        env[s.var] = values.round(value, write_rounding(s.var, model, relaxed))
    elif isinstance(s, C.Check):
        return  # asserts and accepts do not change the state
    elif isinstance(s, C.Choose) and (s.kind == "havoc" or relaxed):
        for var, chosen in _constant_choice(s).items():
            env[var] = IR.Const(chosen)
    elif isinstance(s, C.Choose):
        return  # relax has no effect in the original execution
    else:
        raise NotStraightLine(type(s).__name__)


def _constant_choice(s: C.Choose) -> dict[C.Var, Fraction]:
    """`relax (x, y) st (x == c && y == d)`: the constants chosen."""
    out: dict[C.Var, Fraction] = {}
    stack = [s.pred]
    while stack:
        e = stack.pop()
        if isinstance(e, C.BinOp) and e.op == "&&":
            stack += [e.left, e.right]
        elif (isinstance(e, C.BinOp) and e.op == "==" and isinstance(e.left, C.VarRef)
              and not e.left.old and isinstance(e.right, C.Const)):
            out[e.left.var] = Fraction(e.right.value)
        else:
            raise NotStraightLine("a choice that is not a constant")
    if set(out) != set(s.vars):
        raise NotStraightLine("a choice that is not a constant")
    return out


_OPS = {"+": "+", "-": "-", "*": "*", "/": "/"}


def _expr(e: C.Expr, side: str, env: dict[C.Var, IR.Expr],
          model: Optional[C.HardwareModel], values: Values) -> IR.Expr:
    relaxed = side == "r"
    if isinstance(e, C.Const) and not isinstance(e.value, bool):
        return IR.Const(Fraction(e.value))
    if isinstance(e, C.VarRef):
        if e.var not in env:
            raise NotStraightLine("a variable without a value")
        return env[e.var]
    if isinstance(e, C.Unary) and e.op == "-":
        x = _expr(e.operand, side, env, model, values)
        return values.mark(IR.Op("neg", (x,), None), values.formats.get(id(x)))
    if isinstance(e, C.BinOp) and e.op in _OPS:
        om = model.op(e.op) if model is not None else None
        if e.unreliable and relaxed and om is not None and om.prob < 1:
            if values.faults is None or om.error is None:
                raise NotStraightLine("a faulty operator")
            correct = _arith(e, side, env, model, values)
            name = f"fault#{len(values.faults)}"
            err = Fraction(om.error)
            values.faults[name] = (-err, err)
            return IR.Op("+", (correct, IR.Var(name)), None)
        if e.unreliable and relaxed and model is None:
            raise NotStraightLine("faults are arbitrary without a model")
        return _arith(e, side, env, model, values)
    if isinstance(e, C.Apply):
        args = tuple(_expr(a, side, env, model, values) for a in e.args)
        if e.fn in ("abs", "min", "max"):
            known = {values.formats.get(id(a)) for a in args}
            return values.mark(IR.Op(e.fn, args, None), known.pop() if len(known) == 1 else None)
        if e.fn == "real":
            return args[0]
        if e.fn in FORMATS:
            values.site(e, side, args[0], FORMATS[e.fn])
            return values.round(args[0], FORMATS[e.fn])
        if e.fn == "sqrt":
            fmt = FORMATS[e.ty.base]
            values.site(e, side, args[0], fmt, "nonneg")
            return values.mark(IR.Op("sqrt", args, _rounding(fmt, False)), fmt.name)
    raise NotStraightLine(f"`{type(e).__name__}` in the computation")


def check_by_ranges(fn: C.Function, model: Optional[C.HardwareModel], kind: str, line: int,
                    column: int, side: str) -> bool:
    """Is the `overflow` or `division` check of the operation at line:column, in
    execution `side` ("o"/"r"), proved by interval ranges over the input box? Every
    exact value its roundings take lies strictly inside the format's overflow
    threshold (a sqrt's operand is also >= 0), or its divisor excludes 0. False when
    the code is not straight-line or the ranges do not show it."""
    found_sites = _range_sites(fn, model)
    if found_sites is None:
        return False
    ranges, values = found_sites
    sites = values.sites.get((kind, line, column, side))
    if not sites:
        return False
    for exact, fmt, test in sites:
        found = ranges.of(exact)
        if found is None:
            return False
        lo, hi = found
        if test == "nonzero":
            if lo <= 0 <= hi:
                return False
            continue
        assert fmt is not None
        limit = min(fmt.overflow_threshold, Fraction(sys.float_info.max))
        if not (-limit < lo and hi < limit) or (test == "nonneg" and lo < 0):
            return False
    return True


_LAST: list = []  # [(fn, model, result)]: the checks of one function come in a row


def _range_sites(fn: C.Function, model: Optional[C.HardwareModel]
                 ) -> Optional[tuple[Ranges, "Values"]]:
    """fn executed symbolically once for all its checks, with the ranges over its
    input box (None: not straight-line)."""
    if _LAST and _LAST[0][0] is fn and _LAST[0][1] is model:
        return _LAST[0][2]
    values = Values(faults=True)
    try:
        box = input_box(fn)
        execute(fn, None, model, box, values)
        assert values.faults is not None
        out: Optional[tuple[Ranges, Values]] = (Ranges({**box, **values.faults}), values)
    except NotStraightLine:
        out = None
    _LAST[:] = [(fn, model, out)]
    return out


def query_pair(q: C.Expr, envs: dict[str, dict[C.Var, IR.Expr]]) -> tuple[IR.Expr, IR.Expr]:
    """`abs(A - B)` with A over <o> and B over <r> (or the reverse): the two formulas."""
    if not (isinstance(q, C.Apply) and q.fn == "abs" and isinstance(q.args[0], C.BinOp)
            and q.args[0].op == "-"):
        raise NotStraightLine("the query is not abs(E<o> - E<r>)")
    left, right = q.args[0].left, q.args[0].right
    sides = {_side(left), _side(right)}
    if sides != {"o", "r"}:
        raise NotStraightLine("the query does not compare the two executions")
    a = _expr(left, _side(left), envs[_side(left)], None, Values())
    b = _expr(right, _side(right), envs[_side(right)], None, Values())
    return (a, b) if _side(left) == "o" else (b, a)


def _arith(e: C.BinOp, side: str, env: dict[C.Var, IR.Expr],
           model: Optional[C.HardwareModel], values: Values) -> IR.Expr:
    """An arithmetic operation's value with its roundings, its checks recorded."""
    relaxed = side == "r"
    r = rounding_of(e, model, relaxed)
    a0 = _expr(e.left, side, env, model, values)
    b0 = _expr(e.right, side, env, model, values)
    values.site(e, side, a0, r.operands)
    values.site(e, side, b0, r.operands)
    a, b = values.round(a0, r.operands), values.round(b0, r.operands)
    values.site(e, side, IR.Op(_OPS[e.op], (a, b), None), r.compute)
    if e.op == "/":
        values.site(e, side, b, None, "nonzero")
    if r.compute is not None and r.result is not None:
        values.site(e, side, IR.Op(_OPS[e.op], (a, b), _rounding(r.compute, False)),
                    r.result)
    if r.compute is None:
        return values.round(IR.Op(_OPS[e.op], (a, b), None), r.result)
    # Sums of two values of the format are exact in the subnormal range (Hauser).
    exact_sum = e.op in ("+", "-") and all(
        isinstance(x, IR.Const) and r.compute.representable(x.value)
        or values.formats.get(id(x)) in _NARROWER[r.compute.name] for x in (a, b))
    out = values.mark(IR.Op(_OPS[e.op], (a, b), _rounding(r.compute, exact_sum)),
                      r.compute.name)
    return values.round(out, r.result)


def _side(e: C.Expr) -> str:
    found = {x.side for x in C.subexprs(e) if isinstance(x, C.VarRef) and x.side}
    return found.pop() if len(found) == 1 else "?"
