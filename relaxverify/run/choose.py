"""Values for `relax` and `havoc` (docs/language.md, spec §4, §6): any values satisfying the
predicate.

Most predicates are simple ranges, possibly a disjunction of them, like the Swish++
knob `(old(m) <= 10 && m == old(m)) || (old(m) > 10 && 10 <= m)`. These are solved
directly: the disjuncts whose guards hold and whose ranges are non-empty are
collected, one is picked at random, and each variable is drawn uniformly from its
range (a side left open is closed at `WINDOW` beyond the other side, or around the
old value). Anything else goes to Z3 with the current state substituted; random
pivots (`x >= p` or `x <= p`, or `b == true` or `false`, dropped when unsatisfiable)
spread the models.
All randomness comes from the caller's seeded generator, so runs are reproducible.
The predicate must be defined for the values considered: a runtime failure while
evaluating it (an index out of range) propagates to the caller (run/choices.py).
"""
from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Callable, Optional

from relaxverify.core import arrays
from relaxverify.core import nodes as C
from relaxverify.core.formats import FORMATS

WINDOW = 100  # width of the range used for a side the predicate leaves open
Z3_TIMEOUT_MS = 5000


class ChooseError(Exception):
    """No values satisfy the predicate (or the solver could not find any)."""


# ---------------------------------------------------------------- Z3 translation


def _z3():
    import z3  # imported lazily: plain runs should not pay for it
    return z3


def z3_value(value: Any, ty: C.Type, open_arrays: bool = False):
    """A concrete value as a Z3 term; arrays as (array term, length). With
    `open_arrays`, elements out of range are unconstrained (the verifier's reading)."""
    z3 = _z3()
    if ty.array and ty.dims > 1:  # (array from Int x Int ..., length, length, ...)
        return z3_grid(value, ty, open_arrays)
    if ty.array:
        if open_arrays:
            arr = z3.FreshConst(z3.ArraySort(z3.IntSort(), _sort(ty.base)), "out")
        else:
            arr = z3.K(z3.IntSort(), z3_value({"int": 0, "bool": False}.get(ty.base, 0),
                                              ty.elem))
        for i, x in enumerate(value):
            arr = z3.Store(arr, i, z3_value(x, ty.elem))
        return arr, z3.IntVal(len(value))
    if ty.base == "bool":
        return z3.BoolVal(bool(value))
    if ty.base == "int":
        return z3.IntVal(int(value))
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ChooseError("a real value is infinite or NaN, which the solver cannot use")
        value = Fraction(value)
    return z3.RealVal(value)


class Z3Translator:
    """Core expressions to Z3 over concrete values, except the `fresh` variables."""

    def __init__(self, env: dict[str, Any], fresh: dict[str, Any], open_arrays: bool = False):
        self.z3 = _z3()
        self.env = env
        self.open_arrays = open_arrays
        self.fresh = fresh  # Var.name -> Z3 term (arrays: (term, length))
        self.bound: dict[int, Any] = {}
        self.values: dict[str, Any] = {}  # Var.name -> the Z3 term of its current value

    def var(self, r: C.VarRef):
        if id(r.var) in self.bound:
            return self.bound[id(r.var)]
        if not r.old and r.var.name in self.fresh:
            return self.fresh[r.var.name]
        if r.var.name not in self.values:  # one term per array: its elements agree
            self.values[r.var.name] = z3_value(self.env[r.var.name], r.var.type,
                                               self.open_arrays)
        return self.values[r.var.name]

    def __call__(self, e: C.Expr):
        z3 = self.z3
        if isinstance(e, C.Const):
            return z3_value(e.value, e.ty)
        if isinstance(e, C.VarRef):
            return self.var(e)
        if isinstance(e, C.Unary):
            x = self(e.operand)
            return z3.Not(x) if e.op == "!" else -x
        if isinstance(e, C.Select):
            arr = self(e.array)[0]
            return z3.Select(arr, *(self(i) for i in e.indices))
        if isinstance(e, C.Apply):
            args = [self(a) for a in e.args]
            if e.fn == "len":
                return args[0][1 + arrays.len_dim(e)]
            if e.fn == "real":  # of an int; of a float (a real already) nothing to do
                return z3.ToReal(args[0]) if z3.is_int(args[0]) else args[0]
            if e.fn == "abs":
                return z3.If(args[0] >= 0, args[0], -args[0])
            a, b = args
            return z3.If(a <= b, a, b) if e.fn == "min" else z3.If(a >= b, a, b)
        if isinstance(e, C.Cond):
            return z3.If(self(e.cond), self(e.then), self(e.orelse))
        if isinstance(e, C.Quant):
            v = z3.Const(f"{e.var.name}!{len(self.bound)}", _sort(e.var.type.base))
            self.bound[id(e.var)] = v
            body = self(e.body)
            del self.bound[id(e.var)]
            return z3.ForAll([v], body) if e.kind == "forall" else z3.Exists([v], body)
        assert isinstance(e, C.BinOp)
        return self.binop(e)

    def binop(self, e: C.BinOp):
        z3 = self.z3
        a, b = self(e.left), self(e.right)
        op = e.op
        if op == "&&":
            return z3.And(a, b)
        if op == "||":
            return z3.Or(a, b)
        if op == "==>":
            return z3.Implies(a, b)
        if op == "<==>":
            return a == b
        if isinstance(a, tuple) and len(a) > 2:  # several dimensions
            ks = [z3.FreshInt("j") for _ in a[1:]]
            inside = z3.And([z3.And(0 <= k, k < n) for k, n in zip(ks, a[1:])])
            same = z3.And(*[n == m for n, m in zip(a[1:], b[1:])], z3.ForAll(
                ks, z3.Implies(inside, z3.Select(a[0], *ks) == z3.Select(b[0], *ks))))
            return same if op == "==" else z3.Not(same)
        if isinstance(a, tuple):  # array (in)equality: same length and elements
            (xa, na), (xb, nb) = a, b
            j = z3.FreshInt("j")
            same = z3.And(na == nb, z3.ForAll([j], z3.Implies(z3.And(0 <= j, j < na),
                                                              xa[j] == xb[j])))
            return same if op == "==" else z3.Not(same)
        if op in ("/", "%") and e.ty == C.INT:
            q = z3.If(b > 0, a / b, (-a) / (-b))  # floor division, as in Python
            return q if op == "/" else a - b * q
        return {"+": lambda: a + b, "-": lambda: a - b, "*": lambda: a * b,
                "/": lambda: a / b, "==": lambda: a == b, "!=": lambda: a != b,
                "<": lambda: a < b, "<=": lambda: a <= b, ">": lambda: a > b,
                ">=": lambda: a >= b}[op]()


def z3_holds(e: C.Expr, env: dict[str, Any]) -> Optional[bool]:
    """Decide a closed formula (e.g. a quantifier over concrete arrays); None if unknown."""
    z3 = _z3()
    s = z3.Solver()
    s.set("timeout", Z3_TIMEOUT_MS)
    s.add(z3.Not(Z3Translator(env, {})(e)))
    r = s.check()
    if r == z3.unsat:
        return True
    return False if r == z3.sat else None


def z3_grid(value: Any, ty: C.Type, open_arrays: bool):
    """An array of several dimensions as (Z3 array, length of each dimension)."""
    z3 = _z3()
    sort = z3.ArraySort(*([z3.IntSort()] * ty.dims), _sort(ty.base))
    if open_arrays:
        arr = z3.FreshConst(sort, "out")
    else:
        ks = [z3.Int(f"k!{d}") for d in range(ty.dims)]
        arr = z3.Lambda(ks, z3_value({"int": 0, "bool": False}.get(ty.base, 0), ty.elem))
    lengths = [arrays.length(value, d) for d in range(ty.dims)]

    def cells(x: Any, at: tuple) -> Any:
        if len(at) == ty.dims:
            yield at, x
        else:
            for i, y in enumerate(x):
                yield from cells(y, at + (i,))
    for at, x in cells(value, ()):
        arr = z3.Store(arr, *at, z3_value(x, ty.elem))
    return (arr, *(z3.IntVal(n) for n in lengths))


def kept_lengths(value: Any, ty: C.Type) -> tuple[int, ...]:
    """The lengths a chosen array of several dimensions keeps: those it has before
    the statement (only its elements are chosen, as the verifier assumes)."""
    return tuple(arrays.length(value, d) for d in range(ty.dims))


def _grid_from_z3(model, term, ty: C.Type) -> Any:
    """The value of an array of several dimensions in a model: each element read."""
    z3 = _z3()
    arr, *ns = term
    lengths = tuple(model.eval(n, model_completion=True).as_long() for n in ns)

    def build(at: tuple) -> Any:
        if len(at) == ty.dims:
            return _from_z3(model, model.eval(z3.Select(arr, *at), model_completion=True),
                            ty.elem)
        return [build(at + (i,)) for i in range(lengths[len(at)])]
    return arrays.rows(build(()), lengths)


def _from_z3(model, term, ty: C.Type):
    z3 = _z3()
    if ty.array and ty.dims > 1:
        return _grid_from_z3(model, term, ty)
    if ty.array:
        arr, n = term
        length = model.eval(n, model_completion=True).as_long()
        return [_from_z3(model, model.eval(arr[i], model_completion=True), ty.elem)
                for i in range(length)]
    v = model.eval(term, model_completion=True)
    if ty.base == "bool":
        return z3.is_true(v)
    if ty.base == "int":
        return v.as_long()
    if z3.is_algebraic_value(v):
        v = v.approx(20)
    q = Fraction(v.numerator_as_long(), v.denominator_as_long())
    fmt = FORMATS.get(ty.base)
    if fmt is None:
        return q
    out = fmt.round(q)  # the format's nearest value: the predicate is checked after
    if math.isinf(out):
        raise ChooseError(f"the value Z3 finds, {float(q):g}, is beyond the range of {fmt.name}")
    return out


def _sort(base: str):
    """The Z3 sort of a value: a float is the real it denotes (specifications read
    floats exactly, LANGUAGE.md section 9)."""
    z3 = _z3()
    return {"int": z3.IntSort(), "bool": z3.BoolSort()}.get(base, z3.RealSort())


# ---------------------------------------------------------------- simple ranges


@dataclass
class _Range:
    lo: Any = None
    lo_strict: bool = False
    hi: Any = None
    hi_strict: bool = False
    fixed: Any = None  # == value (or bool value)
    excluded: list = field(default_factory=list)


_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}


def _disjuncts(e: C.Expr) -> list[C.Expr]:
    if isinstance(e, C.BinOp) and e.op == "||":
        return _disjuncts(e.left) + _disjuncts(e.right)
    return [e]


def _conjuncts(e: C.Expr) -> list[C.Expr]:
    if isinstance(e, C.BinOp) and e.op == "&&":
        return _conjuncts(e.left) + _conjuncts(e.right)
    return [e]


class ChoicePlan:
    """How to choose values at one relax/havoc statement.

    `closed(expr)` compiles an expression that mentions no new value into a
    function of the environment (Var.name -> current value); `pred(env, new)`
    evaluates the whole predicate on old values and proposed new ones.
    """

    def __init__(self, stmt: C.Choose, closed: Callable[[C.Expr], Callable[[dict], Any]],
                 pred: Callable[[dict, dict], bool], exact: bool):
        self.stmt = stmt
        self.targets = {v.name: v for v in stmt.vars}
        self._context: Any = None  # the Z3 context of `_solve`, made on first use
        self.pred = pred
        self.exact = exact
        self.simple: Optional[list] = self._analyse(closed)

    # A disjunct is a list of atoms: ("guard", f) | ("cmp", name, op, f) | ("bool", name, value_f)
    def _analyse(self, closed) -> Optional[list]:
        plan = []
        for d in _disjuncts(self.stmt.pred):
            atoms = []
            for a in _conjuncts(d):
                atom = self._atom(a, closed)
                if atom is None:
                    return None
                atoms.append(atom)
            plan.append(atoms)
        return plan

    def _mentions_new(self, e: C.Expr) -> bool:
        return any(isinstance(x, C.VarRef) and not x.old and x.var.name in self.targets
                   for x in C.subexprs(e))

    def _target(self, e: C.Expr) -> Optional[C.Var]:
        if isinstance(e, C.VarRef) and not e.old and e.var.name in self.targets:
            return e.var
        return None

    def _atom(self, a: C.Expr, closed):
        if not self._mentions_new(a):
            return ("guard", closed(a))
        t = self._target(a)
        if t is not None and t.type == C.BOOL:
            return ("bool", t.name, lambda env: True)
        if isinstance(a, C.Unary) and a.op == "!":
            t = self._target(a.operand)
            if t is not None and t.type == C.BOOL:
                return ("bool", t.name, lambda env: False)
            return None
        if not isinstance(a, C.BinOp) or a.op not in _FLIP:
            return None
        lt, rt = self._target(a.left), self._target(a.right)
        if lt is not None and not self._mentions_new(a.right):
            t, op, other = lt, a.op, a.right
        elif rt is not None and not self._mentions_new(a.left):
            t, op, other = rt, _FLIP[a.op], a.left
        else:
            return None
        if t.type.array:
            return None
        if t.type == C.BOOL:
            if op == "==":
                return ("bool", t.name, closed(other))
            if op == "!=":
                f = closed(other)
                return ("bool", t.name, lambda env: not f(env))
            return None
        return ("cmp", t.name, op, closed(other))

    # ------------------------------------------------------------ choosing

    def choose(self, env: dict, rng: random.Random) -> dict:
        """New values for the targets (Var.name -> value); ChooseError if none exist."""
        if self.simple is not None:
            options = []
            for atoms in self.simple:
                ranges = self._ranges(atoms, env)
                if ranges is not None:
                    options.append(ranges)
            rng.shuffle(options)
            for ranges in options:
                for _ in range(20):
                    new = {name: self._sample(var, ranges.get(name), env, rng)
                           for name, var in self.targets.items()}
                    if all(v is not None for v in new.values()) and self.pred(env, new):
                        return new
            if not options:
                raise ChooseError(self._none_message(env))
        return self._solve(env, rng)

    def _ranges(self, atoms, env) -> Optional[dict]:
        ranges: dict[str, _Range] = {}
        for atom in atoms:
            if atom[0] == "guard":
                if not atom[1](env):
                    return None
                continue
            r = ranges.setdefault(atom[1], _Range())
            if atom[0] == "bool":
                v = bool(atom[2](env))
                if r.fixed is not None and r.fixed != v:
                    return None
                r.fixed = v
                continue
            _, _name, op, f = atom
            v = f(env)
            if isinstance(v, float) and math.isnan(v):
                return None
            if op == "==":
                if r.fixed is not None and r.fixed != v:
                    return None
                r.fixed = v
            elif op == "!=":
                r.excluded.append(v)
            elif op in ("<", "<="):
                if r.hi is None or v < r.hi or (v == r.hi and op == "<"):
                    r.hi, r.hi_strict = v, op == "<"
            else:
                if r.lo is None or v > r.lo or (v == r.lo and op == ">"):
                    r.lo, r.lo_strict = v, op == ">"
        for name, r in ranges.items():
            if self.targets[name].type == C.INT:
                if any(isinstance(x, (float, Fraction)) for x in (r.lo, r.hi)):
                    return None  # int compared with a real: let Z3 sort it out
                if r.lo is not None and r.lo_strict:
                    r.lo, r.lo_strict = r.lo + 1, False
                if r.hi is not None and r.hi_strict:
                    r.hi, r.hi_strict = r.hi - 1, False
            if r.fixed is not None and not isinstance(r.fixed, bool):
                if (r.lo is not None and (r.fixed < r.lo or (r.lo_strict and r.fixed == r.lo))) \
                        or (r.hi is not None and (r.fixed > r.hi or (r.hi_strict and r.fixed == r.hi))) \
                        or r.fixed in r.excluded:
                    return None
            elif r.lo is not None and r.hi is not None:
                if r.lo > r.hi or (r.lo == r.hi and (r.lo_strict or r.hi_strict)):
                    return None
        return ranges

    def _sample(self, var: C.Var, r: Optional[_Range], env: dict, rng: random.Random):
        if r is not None and r.fixed is not None:
            return r.fixed
        if var.type == C.BOOL:
            return rng.random() < 0.5
        if var.type.array:
            return None
        lo: Any
        hi: Any
        lo, hi = (r.lo, r.hi) if r is not None else (None, None)
        if lo is None and hi is None:
            centre = env.get(var.name, 0)
            lo, hi = centre - WINDOW, centre + WINDOW
        elif lo is None:
            lo = hi - max(WINDOW, abs(hi))
        elif hi is None:
            hi = lo + max(WINDOW, abs(lo))
        if var.type == C.INT:
            return rng.randint(int(lo), int(hi))
        fmt = FORMATS.get(var.type.base)
        if fmt is not None:  # a value of the format (a rounding may leave the range: the
            # predicate is checked after, and another value drawn)
            lo_f, hi_f = Fraction(lo), Fraction(hi)
            out = fmt.round(lo_f + (hi_f - lo_f) * Fraction(rng.random()))
            return out if math.isfinite(out) else None
        if self.exact:  # in rationals: bounds beyond the float range stay usable
            lo_f, hi_f = Fraction(lo), Fraction(hi)
            return lo_f + (hi_f - lo_f) * Fraction(rng.random())
        return rng.uniform(to_float(lo), to_float(hi))

    def _none_message(self, env: dict) -> str:
        shown = ", ".join(f"{v.source} = {_show(env.get(v.name))}" for v in self.stmt.vars
                          if v.name in env)
        what = ", ".join(f"`{v.source}`" for v in self.stmt.vars)
        return (f"no value of {what} satisfies the `{self.stmt.kind}` predicate here"
                + (f" (before it: {shown})" if shown else ""))

    @staticmethod
    def _grid(name: str, var: C.Var, env: dict, s: Any) -> tuple:
        """The unknown value of an array of several dimensions: a variable keeps its
        lengths; an extern's result gets lengths too, each at most GRID_SIDE."""
        z3 = _z3()
        arr = z3.Array(name, *[z3.IntSort()] * var.type.dims, _sort(var.type.base))
        if var.kind != "result":
            return (arr, *(z3.IntVal(n) for n in kept_lengths(env[name], var.type)))
        ns = [z3.Int(f"len({name}, {d})") for d in range(var.type.dims)]
        side = int(10_000 ** (1 / var.type.dims))
        s.add(*(z3.And(0 <= n, n <= side) for n in ns))
        return (arr, *ns)

    def _solve(self, env: dict, rng: random.Random) -> dict:
        """Values from Z3, in this plan's own context: Z3's models depend on the ids of
        the terms made before, so that in the default context a seeded run would
        choose other values after other work in the same process (a test before it,
        a verify through the API)."""
        z3 = _z3()
        saved = z3.z3._main_ctx
        if self._context is None:
            self._context = z3.Context()
        z3.z3._main_ctx = self._context
        try:
            return self._solve_here(env, rng)
        finally:
            z3.z3._main_ctx = saved

    def _solve_here(self, env: dict, rng: random.Random) -> dict:
        z3 = _z3()
        fresh: dict[str, Any] = {}
        s = z3.Solver()
        for name, var in self.targets.items():
            if var.type.array and var.type.dims > 1:
                fresh[name] = self._grid(name, var, env, s)
            elif var.type.array:
                n = z3.Int(f"len({name})")
                fresh[name] = (z3.Array(name, z3.IntSort(), _sort(var.type.base)), n)
            else:
                fresh[name] = z3.Const(name, _sort(var.type.base))
        try:
            # Elements out of range are unconstrained: a model that reads one makes the
            # predicate undefined, which the run then reports (it must be defined).
            formula = Z3Translator(env, fresh, True)(self.stmt.pred)
        except (ChooseError, KeyError) as exc:
            raise ChooseError(f"cannot solve the `{self.stmt.kind}` predicate: {exc}") from None
        s.set("timeout", Z3_TIMEOUT_MS)
        s.set("random_seed", rng.randrange(1 << 30))
        s.add(formula)
        for name, var in self.targets.items():
            if var.type.array and var.type.dims == 1:
                s.add(fresh[name][1] >= 0, fresh[name][1] <= 10_000)
        first = s.check()
        if first == z3.unsat:
            raise ChooseError(self._none_message(env))
        if first != z3.sat:
            raise ChooseError(f"Z3 could not find values for the `{self.stmt.kind}` predicate "
                              f"({s.reason_unknown()})")
        for name, var in self.targets.items():  # random pivots spread the models
            if var.type in (C.INT, C.REAL) or var.type.numeric:
                centre = env.get(name, 0)
                p = rng.uniform(float(centre) - WINDOW, float(centre) + WINDOW)
                pivot = z3_value(int(p) if var.type == C.INT else Fraction(p), var.type)
                side = fresh[name] >= pivot if rng.random() < 0.5 else fresh[name] <= pivot
            elif var.type == C.BOOL:  # (else Z3 gives the same truth value every time)
                side = fresh[name] == z3.BoolVal(rng.random() < 0.5)
            else:
                continue
            s.push()
            s.add(side)
            if s.check() != z3.sat:
                s.pop()
                s.check()
        model = s.model()
        out = {name: _from_z3(model, fresh[name], var.type) for name, var in self.targets.items()}
        if not self.exact:
            out = {k: _to_float(v) if self.targets[k].type.base == "real" else v
                   for k, v in out.items()}
        holds = self.pred(env, out)  # a failure here: the predicate is undefined there
        if not holds:
            # An irrational model (x * x == 2) is approximated, and floats round: the
            # run would go on with values that break the predicate.
            shown = ", ".join(f"{self.targets[k].source} = {_show(v)}" for k, v in out.items())
            arith = "exact rationals" if self.exact else "floating point"
            raise ChooseError(f"{self._none_message(env)} in {arith}: the values Z3 finds over "
                              f"the mathematical reals ({shown}, approximated) do not satisfy it")
        return out


def to_float(v: Any) -> float:
    """v as a float, rounded as IEEE-754 does: beyond the largest double it is
    +-inf (Python's float() raises OverflowError for such an int or Fraction)."""
    try:
        return float(v)
    except OverflowError:
        return math.inf if v > 0 else -math.inf


def _to_float(v):
    if isinstance(v, list):
        return [_to_float(x) for x in v]
    return to_float(v) if isinstance(v, Fraction) else v


def _show(v) -> str:
    if isinstance(v, Fraction):
        return str(v) if v.denominator != 1 else str(v.numerator)
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, list):
        return "[" + ", ".join(_show(x) for x in v) + "]"
    return repr(v) if isinstance(v, float) else str(v)
