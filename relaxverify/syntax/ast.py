"""Surface syntax tree of a `.relax` file: dataclasses that carry source spans.

The parser builds these; the checker reads them and lowers them to the core
language (`relaxverify.core`). Nothing here knows about types or scopes.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional, Union

from relaxverify.source import Span  # re-exported: the AST's nodes carry spans


@dataclass(frozen=True)
class TypeRef:
    """A written type: `int`, `real`, `bool`, or an array of one of them."""

    base: str
    array: bool = False
    span: Optional[Span] = field(default=None, compare=False)
    dims: int = 1  # the number of dimensions of an array (`real[,]`: 2)

    def __str__(self) -> str:
        return self.base + ("[" + "," * (self.dims - 1) + "]" if self.array else "")


# ---------------------------------------------------------------- expressions


@dataclass
class IntLit:
    value: int
    span: Span


@dataclass
class RealLit:
    text: str
    span: Span


@dataclass
class BoolLit:
    value: bool
    span: Span


@dataclass
class Name:
    ident: str
    span: Span


@dataclass
class ResultRef:
    span: Span


@dataclass
class Unary:
    op: str  # "-" or "!"
    operand: "Expr"
    span: Span


@dataclass
class Binary:
    op: str  # "+", "+.", "&&", "==>", ... (never a comparison chain)
    left: "Expr"
    right: "Expr"
    span: Span


@dataclass
class Chain:
    """Comparisons `a op1 b op2 c ...`; a single comparison has one op."""

    operands: list["Expr"]
    ops: list[str]
    span: Span


@dataclass
class Index:
    array: "Expr"
    index: "Expr"
    span: Span
    more: list["Expr"] = field(default_factory=list)  # indices of dimensions 1, 2, ...


@dataclass
class Query:
    """`?`, the bound a bound query asks for (`accept abs(E<o> - E<r>) <= ?;`)."""

    span: Span


@dataclass
class Adorned:
    """`e<o>` or `e<r>`: e evaluated in the original or the relaxed state."""

    operand: "Expr"
    side: str  # "o" or "r"
    span: Span


@dataclass
class Builtin:
    """`old len abs min max real eq` applied to arguments."""

    name: str
    args: list["Expr"]
    span: Span


@dataclass
class CallExpr:
    """A call of a user function; legal only as the whole right-hand side."""

    callee: str
    args: list["Expr"]
    span: Span
    callee_span: Span


@dataclass
class Quant:
    kind: str  # "forall" or "exists"
    var: str
    var_type: TypeRef
    body: "Expr"
    span: Span


@dataclass
class Cond:
    """`if cond then then else orelse` (the conditional expression)."""

    cond: "Expr"
    then: "Expr"
    orelse: "Expr"
    span: Span


Expr = Union[IntLit, RealLit, BoolLit, Name, ResultRef, Unary, Binary, Chain, Index,
             Adorned, Builtin, CallExpr, Quant, Query, Cond]


# ---------------------------------------------------------------- statements


@dataclass
class VarDecl:
    name: str
    type: TypeRef
    urel: bool
    init: Optional[Expr]
    span: Span
    name_span: Span
    region: Optional[str] = None  # the memory region of `in NAME` (urel is True)


@dataclass
class ArrayDecl:
    """`var a: T[n];` allocates a zero-filled array of length n."""

    name: str
    base: str
    length: Expr
    urel: bool
    span: Span
    name_span: Span
    region: Optional[str] = None  # the memory region of `in NAME` (urel is True)
    more: list[Expr] = field(default_factory=list)  # lengths of dimensions 1, 2, ...


@dataclass
class Assign:
    target: str
    value: Expr
    span: Span
    target_span: Span


@dataclass
class ArrayAssign:
    target: str
    index: Expr
    value: Expr
    span: Span
    target_span: Span
    more: list[Expr] = field(default_factory=list)  # indices of dimensions 1, 2, ...


@dataclass
class CallStmt:
    call: CallExpr
    span: Span


@dataclass
class MultiAssign:
    """`(q, r) = f(x);`: the named results of a call into declared variables."""

    targets: list[Name]
    call: CallExpr
    span: Span


@dataclass
class Relax:
    """`relax (xs) st (P)` (relaxed only) or `havoc (xs) st (P)` (both)."""

    kind: str  # "relax" or "havoc"
    targets: list[Name]
    pred: Expr
    span: Span


@dataclass
class Check:
    """`assert P`, `assume P` or `accept Q`."""

    kind: str
    cond: Expr
    span: Span


@dataclass
class LoopClauses:
    invariants: list[Expr] = field(default_factory=list)
    invariants_r: list[Expr] = field(default_factory=list)
    bounds: list[Expr] = field(default_factory=list)


@dataclass
class If:
    cond: Expr
    then: list["Stmt"]
    orelse: list["Stmt"]  # `else if` is an If alone in this list
    span: Span


@dataclass
class While:
    cond: Expr
    clauses: LoopClauses
    body: list["Stmt"]
    span: Span


@dataclass
class For:
    var: str
    lo: Expr
    hi: Expr
    clauses: LoopClauses
    body: list["Stmt"]
    span: Span
    var_span: Span


@dataclass
class Repeat:
    count: Expr
    clauses: LoopClauses
    body: list["Stmt"]
    span: Span


@dataclass
class Return:
    """`return e;`, or `return (e1, e2, ...);` for several named results (`more`)."""

    value: Expr
    span: Span
    more: list[Expr] = field(default_factory=list)

    @property
    def values(self) -> list[Expr]:
        return [self.value] + self.more


@dataclass
class Skip:
    span: Span


Stmt = Union[VarDecl, ArrayDecl, Assign, ArrayAssign, CallStmt, MultiAssign, Relax, Check, If,
             While, For, Repeat, Return, Skip]


# ---------------------------------------------------------------- declarations


@dataclass
class Param:
    name: str
    type: TypeRef
    urel: bool
    span: Span
    region: Optional[str] = None  # the memory region of `in NAME` (urel is True)


@dataclass
class ReliabilitySpec:
    """`reliability R(result) >= c1 * c2 * R(p, q)`: factors kept as written."""

    target: list[str]
    factors: list[Union[IntLit, RealLit, Name]]
    inputs: Optional[list[str]]  # None: no R(...) on the right
    span: Span
    target_span: Span
    refs: list[tuple[str, Span]] = field(default_factory=list)  # every `X(...)`, as written


@dataclass
class Function:
    name: str
    params: list[Param]
    ret: Optional[TypeRef]
    requires: list[Expr]
    ensures: list[Expr]
    requires_r: list[Expr]
    ensures_r: list[Expr]
    reliability: list[ReliabilitySpec]
    body: list[Stmt]
    span: Span
    name_span: Span
    extern: bool = False  # `extern fn ...;`: no body, a trusted contract
    results: list[Param] = field(default_factory=list)  # `-> (q: int, r: int)`; ret is None


@dataclass
class SpecFunction:
    """`spec fn NAME(params) -> T requires ... decreases E { body }`."""

    name: str
    params: list[Param]
    ret: TypeRef
    requires: list[Expr]
    decreases: list[Expr]
    body: Expr
    span: Span
    name_span: Span


@dataclass
class Const:
    name: str
    type: TypeRef
    value: Expr
    span: Span


@dataclass
class HwOperator:
    op: str
    prob: Expr
    error: Optional[Expr]
    span: Span
    precision: Optional[tuple[str, Span]] = None  # `precision F`: format, where written


@dataclass
class HwMemory:
    access: list[tuple[str, Expr, Span]]  # ("read" | "write", probability, span)
    span: Span
    region: str = "urel"
    precision: list[tuple[str, Span]] = field(default_factory=list)  # `precision F` entries


@dataclass
class HwBudget:
    """`faults at most K;` (LANGUAGE.md v2 section 11)."""

    count: Expr
    span: Span


@dataclass
class Hardware:
    name: str
    entries: list[Union[HwOperator, HwMemory, HwBudget]]
    span: Span


@dataclass
class Program:
    path: str
    decls: list[Union[Const, Hardware, Function, SpecFunction]]
