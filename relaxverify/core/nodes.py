"""The core language: typed, name-resolved, desugared Relax.

The checker produces it; the verifier, the reliability analysis and the
interpreter consume it. Compared with the surface syntax:

* names are resolved to `Var` objects, unique per function (`Var.name`), keeping
  the written name (`Var.source`) for messages and counterexamples;
* constants are inlined as `Const`; integer literals used as reals are `Fraction`s;
* chained comparisons are conjunctions; `eq(x)` is `x<o> == x<r>`; adornments sit
  on the variables (`VarRef.side`), never on compound expressions;
* unreliable operators are `BinOp(op, ..., unreliable=True)` with the plain op;
* `else if` is a nested `If`; `for` and `repeat` are `Loop`s with an explicit
  counter (`trips` is the exact iteration count when it is a constant);
* declarations are assignments (`Assign` of the default or initial value, or
  `NewArray`); `return e` is `Assign(result, e)` as the last statement.

Every node carries the span of the source it came from.
"""
from __future__ import annotations

import math
import zlib
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Iterator, NamedTuple, Optional, Union

from relaxverify.source import Span


class Type(NamedTuple):
    """A value type. A NamedTuple rather than a dataclass: types are compared very
    often while checking, and tuple equality runs in C."""

    base: str  # "int", "real", "bool", or a float format: "float64", "float32", ...
    array: bool = False
    dims: int = 1  # an array's number of dimensions (`real[,]`: 2); 1 for scalars

    @property
    def elem(self) -> "Type":
        return Type(self.base)

    @property
    def is_float(self) -> bool:
        """A floating-point type (or an array of one): its operations round."""
        return self.base in FLOAT_BASES

    @property
    def numeric(self) -> bool:
        return not self.array and (self.base in ("int", "real") or self.base in FLOAT_BASES)

    def __str__(self) -> str:
        return self.base + ("[" + "," * (self.dims - 1) + "]" if self.array else "")


INT = Type("int")
REAL = Type("real")
BOOL = Type("bool")
FLOAT_BASES = ("float64", "float32", "float16", "bfloat16")  # core/formats.py FORMATS
FLOAT64, FLOAT32, FLOAT16, BFLOAT16 = (Type(b) for b in FLOAT_BASES)
# Built-ins of LANGUAGE.md section 9 on floats: rounded (sqrt) or within 1 ulp (the rest).
MATH_FUNCTIONS = ("sqrt", "exp", "log", "sin", "cos")


@dataclass(eq=False)
class Var:
    """A program variable. Compared by identity; `name` is unique in its function."""

    name: str
    source: str
    type: Type
    urel: bool
    kind: str  # "param", "local", "result", "counter", "ghost" or "bound"
    span: Span
    region: Optional[str] = None  # the memory region (`in NAME`) when urel is True

    def __post_init__(self) -> None:
        s = self.span
        self._hash = hash((zlib.crc32(self.name.encode()), s.line, s.column, s.end_line,
                           s.end_column))

    def __hash__(self) -> int:
        """From the name and place, not the address: a set of variables (those a loop
        writes, say) then iterates in the same order in every run and process, and so
        do the fresh Z3 constants made from it (and the counterexamples Z3 picks)."""
        return self._hash

    def __repr__(self) -> str:
        return f"Var({self.name}: {self.type})"


# ---------------------------------------------------------------- expressions


@dataclass(eq=False)
class Const:
    """A constant; a float constant's value is the exact Fraction of the format's value."""

    value: Union[int, Fraction, bool]
    ty: Type
    span: Span


@dataclass(eq=False)
class VarRef:
    """A read of `var`; `side` is "o"/"r" in relational positions, None elsewhere.
    `old` marks `old(x)` in relax/havoc predicates (the value before the statement)."""

    var: Var
    span: Span
    side: Optional[str] = None
    old: bool = False

    @property
    def ty(self) -> Type:
        return self.var.type


@dataclass(eq=False)
class Unary:
    op: str  # "-" or "!"
    operand: "Expr"
    ty: Type
    span: Span


@dataclass(eq=False)
class BinOp:
    """Arithmetic, comparison or logical operator. `/` and `%` on ints are floor
    division and remainder (Python semantics); `==` on arrays compares lengths
    and elements. `unreliable` marks `+.`, `<.`, ... (op is then the plain one).
    Arithmetic whose `ty` is a float type rounds its exact result to that format;
    its operands then have that type (specifications convert floats to `real`)."""

    op: str
    left: "Expr"
    right: "Expr"
    ty: Type
    span: Span
    unreliable: bool = False


@dataclass(eq=False)
class Select:
    """`a[i]`, or `m[i, j, ...]` on an array of several dimensions (`more` holds the
    indices of dimensions 1, 2, ...; each index is checked against its dimension)."""

    array: "Expr"
    index: "Expr"
    ty: Type
    span: Span
    more: tuple["Expr", ...] = ()

    @property
    def indices(self) -> tuple["Expr", ...]:
        return (self.index,) + self.more


@dataclass(eq=False)
class Apply:
    """A built-in function: "len", "abs", "min", "max", a conversion ("real",
    "float64", ... to the type of that name; "floor", "ceil" to int), or one of
    MATH_FUNCTIONS on a float type."""

    fn: str
    args: list["Expr"]
    ty: Type
    span: Span


@dataclass(eq=False)
class Quant:
    kind: str  # "forall" or "exists"
    var: Var
    body: "Expr"
    span: Span

    @property
    def ty(self) -> Type:
        return BOOL


@dataclass(eq=False)
class Cond:
    """`if cond then then else orelse`: only the branch `cond` selects is evaluated
    (its checks run under that guard, like the right operand of `&&`)."""

    cond: "Expr"
    then: "Expr"
    orelse: "Expr"
    ty: Type
    span: Span


@dataclass(eq=False)
class SpecCall:
    """A call of a specification function (in specifications only): its `requires`
    is a check at every use (kind `requires`)."""

    fn: "SpecFunction"
    args: list["Expr"]
    ty: Type
    span: Span


Expr = Union[Const, VarRef, Unary, BinOp, Select, Apply, Quant, Cond, SpecCall]

CMP_OPS = ("==", "!=", "<", "<=", ">", ">=")
LOGIC_OPS = ("&&", "||", "==>", "<==>")


# ---------------------------------------------------------------- statements


@dataclass(eq=False)
class Assign:
    var: Var
    value: Expr
    span: Span


@dataclass(eq=False)
class Store:
    """`a[i] = e` (index checked against the length); `m[i, j] = e` with `more` the
    indices of dimensions 1, 2, ..."""

    var: Var
    index: Expr
    value: Expr
    span: Span
    more: tuple[Expr, ...] = ()

    @property
    def indices(self) -> tuple[Expr, ...]:
        return (self.index,) + self.more


@dataclass(eq=False)
class NewArray:
    """`var a: T[n]`: a zero-filled array; `n >= 0` is an integrity check. `var m:
    T[n, k]`: `more` holds the lengths of dimensions 1, 2, ... (each checked)."""

    var: Var
    length: Expr
    span: Span
    more: tuple[Expr, ...] = ()

    @property
    def lengths(self) -> tuple[Expr, ...]:
        return (self.length,) + self.more


@dataclass(eq=False)
class Call:
    """`f(args);`, `x = f(args);` or `(q, r) = f(args);`: `targets` receive the
    callee's results in order (none for a call whose result is not kept)."""

    targets: list[Var]
    callee: str
    args: list[Expr]
    span: Span


@dataclass(eq=False)
class Choose:
    """`relax` (kind "relax": relaxed execution only) or `havoc` (both): give
    `vars` any values satisfying `pred`, where `VarRef.old` reads the prior value."""

    kind: str
    vars: list[Var]
    pred: Expr
    span: Span


@dataclass(eq=False)
class Check:
    """`assert`, `assume` (unary) or `accept` (relational). A bound query
    `accept abs(E<o> - E<r>) <= ?` has `query`: the real expression `abs(...)` whose
    least upper bound the verifier reports; `cond` is then `true`."""

    kind: str
    cond: Expr
    span: Span
    query: Optional[Expr] = None


@dataclass(eq=False)
class If:
    cond: Expr
    then: list["Stmt"]
    orelse: list["Stmt"]
    span: Span


@dataclass(eq=False)
class Loop:
    """A loop `while (cond) { body }` with its annotations.

    kind "while": `bound`, when given, is evaluated once on entry; the loop then
    exits when `cond` is false or after `bound` iterations, whichever is first.
    kind "for"/"repeat": `counter` was initialised just before the loop, the body
    ends with `counter = counter + 1`, and `trips` is the exact number of
    iterations when it is a constant. `auto_invariants` and `auto_invariants_r`
    are facts the lowering knows to hold (counter ranges), not user claims.
    """

    kind: str
    cond: Expr
    body: list["Stmt"]
    invariants: list[Expr]
    invariants_r: list[Expr]
    span: Span
    bound: Optional[Expr] = None
    trips: Optional[int] = None
    counter: Optional[Var] = None
    auto_invariants: list[Expr] = field(default_factory=list)
    auto_invariants_r: list[Expr] = field(default_factory=list)


Stmt = Union[Assign, Store, NewArray, Call, Choose, Check, If, Loop]


# ---------------------------------------------------------------- declarations


@dataclass(eq=False)
class SpecFunction:
    """`spec fn NAME(params) -> ty requires ... decreases E { body }`: pure, possibly
    (self-)recursive; `body` is None only while the checker has not lowered it."""

    name: str
    params: list[Var]
    ty: Type
    requires: list[Expr]
    decreases: Optional[Expr]
    body: Optional[Expr]
    span: Span

    @property
    def recursive(self) -> bool:
        return self.body is not None and any(
            isinstance(x, SpecCall) and x.fn is self for x in subexprs(self.body))


@dataclass(eq=False)
class ReliabilitySpec:
    """`reliability R(outputs) >= factor * R(inputs)`: outputs are the function's
    results the spec is about (`R(result)`, `R(q)`, `R(q, r)`)."""

    factor: float
    inputs: list[Var]
    span: Span
    text: str
    outputs: list[Var] = field(default_factory=list)


@dataclass(eq=False)
class Function:
    """A function: `results` are `[result]` for `-> T`, the named results of `-> (q: T,
    r: U)` in order, or none."""

    name: str
    params: list[Var]
    results: list[Var]
    requires: list[Expr]
    ensures: list[Expr]
    requires_r: list[Expr]
    ensures_r: list[Expr]
    reliability: list[ReliabilitySpec]
    body: list[Stmt]
    locals: list[Var]
    span: Span
    requires_r_default: bool = False
    extern: bool = False  # `extern fn`: no body; verify and reliability trust the contract

    @property
    def result(self) -> Optional[Var]:
        """The one result (None without one); several are an error for a caller that
        has not been taught about them."""
        if len(self.results) > 1:
            raise ValueError(f"`{self.name}` has {len(self.results)} results where one was "
                             "expected")
        return self.results[0] if self.results else None


def const_int(e: Expr) -> Optional[int]:
    """The value of a constant int expression (a `bound`, a `for` range), or None."""
    if isinstance(e, Const) and isinstance(e.value, int) and not isinstance(e.value, bool):
        return e.value
    if isinstance(e, Unary) and e.op == "-":
        v = const_int(e.operand)
        return None if v is None else -v
    if isinstance(e, BinOp) and e.op in ("+", "-", "*", "/", "%") and not e.unreliable:
        a, b = const_int(e.left), const_int(e.right)
        if a is None or b is None or (e.op in ("/", "%") and b == 0):
            return None
        return {"+": a + b, "-": a - b, "*": a * b, "/": a // b if b else 0,
                "%": a % b if b else 0}[e.op]
    return None


def probability(exact: Union[Fraction, float]) -> float:
    """A probability as a float that is 1.0 only when the exact value is 1: a number
    just below 1 (`1 - 10^-16.7`) rounds to 1.0, which would make the operation
    reliable; the largest float below 1 keeps it unreliable (and errs low)."""
    p = float(exact)
    return math.nextafter(1.0, 0.0) if p == 1.0 and exact < 1 else p


@dataclass
class OperatorModel:
    prob: float
    error: Optional[float] = None
    precision: Optional[str] = None  # in R, float/real operands are computed in this format


@dataclass
class MemoryModel:
    """A memory region: probabilities that a read / a write is correct, and the
    format that writes round to in R."""

    read: float = 1.0
    write: float = 1.0
    precision: Optional[str] = None


@dataclass
class HardwareModel:
    """Probabilities that each unreliable operator / memory access is correct.
    `read`/`write` are those of `urel`; `regions` holds the other declared regions
    (and urel's precision, if given, as `regions["urel"].precision`)."""

    name: str
    operators: dict[str, OperatorModel]
    read: float = 1.0
    write: float = 1.0
    span: Optional[Span] = None
    regions: dict[str, MemoryModel] = field(default_factory=dict)
    budget: Optional[int] = None  # `faults at most K;`: at most K faults per relaxed run

    def op(self, op: str) -> OperatorModel:
        """The model of unreliable operator `op` ("+", "<", ... or "+.", "<.", ...)."""
        key = op if op.endswith(".") else op + "."
        return self.operators.get(key, OperatorModel(1.0))

    def memory(self, region: Optional[str]) -> MemoryModel:
        """The model of a region (a region this model does not declare is reliable)."""
        if region is None:
            return MemoryModel()
        if region == "urel":
            extra = self.regions.get("urel")
            return MemoryModel(self.read, self.write, extra.precision if extra else None)
        return self.regions.get(region, MemoryModel())


@dataclass
class Program:
    path: str
    functions: dict[str, Function]
    hardware: dict[str, HardwareModel]
    consts: dict[str, Union[int, Fraction, bool]]
    spec_functions: dict[str, SpecFunction] = field(default_factory=dict)


# ---------------------------------------------------------------- traversals


def subexprs(e: Expr) -> Iterator[Expr]:
    """e and all its sub-expressions, parents first."""
    stack = [e]
    while stack:
        x = stack.pop()
        yield x
        if isinstance(x, Unary):
            stack.append(x.operand)
        elif isinstance(x, BinOp):
            stack.extend((x.right, x.left))
        elif isinstance(x, Select):
            stack.extend(reversed((x.array,) + x.indices))
        elif isinstance(x, Apply):
            stack.extend(reversed(x.args))
        elif isinstance(x, Quant):
            stack.append(x.body)
        elif isinstance(x, Cond):
            stack.extend((x.orelse, x.then, x.cond))
        elif isinstance(x, SpecCall):
            stack.extend(reversed(x.args))


def free_vars(e: Expr) -> set[Var]:
    """Program variables read by e (quantified variables excluded)."""
    bound = {x.var for x in subexprs(e) if isinstance(x, Quant)}
    return {x.var for x in subexprs(e) if isinstance(x, VarRef) and x.var not in bound}


def walk(stmts: list[Stmt]) -> Iterator[Stmt]:
    """Every statement, nested ones included, in source order."""
    for s in stmts:
        yield s
        if isinstance(s, If):
            yield from walk(s.then)
            yield from walk(s.orelse)
        elif isinstance(s, Loop):
            yield from walk(s.body)


def callees_reached(program: Program, fn: Function) -> set[str]:
    """The functions `fn` may call, directly or through its callees."""
    seen: set[str] = set()
    todo = [fn]
    while todo:
        f = todo.pop()
        for s in walk(f.body):
            if isinstance(s, Call) and s.callee not in seen:
                seen.add(s.callee)
                todo.append(program.functions[s.callee])
    return seen


def assigned_vars(stmts: list[Stmt]) -> set[Var]:
    """Variables that the statements may write (in either execution)."""
    out: set[Var] = set()
    for s in walk(stmts):
        if isinstance(s, (Assign, Store, NewArray)):
            out.add(s.var)
        elif isinstance(s, Call):
            out.update(s.targets)
        elif isinstance(s, Choose):
            out.update(s.vars)
    return out
