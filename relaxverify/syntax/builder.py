"""The tree builder: the LALR parse's reductions, which build `relaxverify.syntax.ast`.

Each method is named after a grammar rule (or its alias) and gets the rule's
children, every token included (keep_all_tokens), and builds AST nodes directly,
with spans from the first and the last child. Expressions arrive as a flat
`operand (op operand)*` sequence and are resolved here by precedence climbing.

The builder holds no state: a span's path comes from the tokens, which carry
it. One instance serves every parse, in every thread, with either driver (the
fast loop of lalr.py or stock Lark, which takes it as its transformer).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Union

from relaxverify.syntax import ast as A
from relaxverify.syntax.errors import SyntaxFault
from relaxverify.syntax.lexer import Tok

# Binary operators by precedence level (docs/language.md section 5), loosest first.
# `!` sits between `&&` and the comparisons; unary `-` binds tighter than `*`.
_LEVELS = [("<==>",), ("==>",), ("||",), ("&&",),
           ("==", "!=", "<", "<=", ">", ">=", "==.", "!=.", "<.", "<=.", ">.", ">=."),
           ("+", "-", "+.", "-."), ("*", "/", "%", "*.", "/.")]
_PREC = {op: level for level, ops in enumerate(_LEVELS) for op in ops}
_CMP_LEVEL = 4
_NOT_LEVEL = 4  # the operand of `!` is a comparison (or tighter)
_RIGHT_ASSOC = {"==>"}


def _region(c: list) -> Any:
    """The region of a declaration's `in NAME`, or None."""
    return next((x.value for x in c if isinstance(x, _Part) and x.kind == "urel"), None)


@dataclass
class _Part:
    """An intermediate result that is not an AST node but needs a span."""

    kind: str
    value: Any
    span: A.Span


def _signature(items: list, kinds: tuple[str, ...]
               ) -> tuple[list[A.Param], Any, dict[str, list]]:
    """A declaration's parameters, result type and clauses (each kind in order)."""
    params: list[A.Param] = []
    ret: Any = None
    clauses: dict[str, list] = {k: [] for k in kinds}
    for item in items:
        if isinstance(item, _Part) and item.kind == "params":
            params = item.value
        elif isinstance(item, _Part) and item.kind == "ret":
            ret = item.value
        elif isinstance(item, _Part) and item.kind in clauses:
            clauses[item.kind].append(item.value)
    return params, ret, clauses


class Builder:
    """Reductions of the LALR parse: one method per rule or alias (see the module
    docstring). Helpers are module functions, so that no attribute of the builder
    can be taken for the callback of a rule (`_stmt` and the like are inlined)."""

    __slots__ = ()

    # declarations
    def start(self, c: list) -> Any:
        return list(c)

    def const_decl(self, c: list) -> Any:
        return A.Const(str(c[1]), c[3], c[5], _sp(c))

    def hardware_decl(self, c: list) -> Any:
        return A.Hardware(str(c[1]), list(c[3:-1]), _sp(c))

    def hw_operator(self, c: list) -> Any:
        parts = {x.kind: x for x in c[4:-1] if isinstance(x, _Part)}
        err = parts["error"].value if "error" in parts else None
        prec = (parts["precision"].value, parts["precision"].span) \
            if "precision" in parts else None
        return A.HwOperator(str(c[1]), c[3], err, _sp(c), prec)

    def hw_precision(self, c: list) -> Any:
        return _Part("precision", str(c[1]), _sp(c))

    def float_type(self, c: list) -> Any:
        return c[0]

    def region_name(self, c: list) -> Any:
        return c[0]

    def hw_error(self, c: list) -> Any:
        return _Part("error", c[1], _sp(c))

    def hw_memory(self, c: list) -> Any:
        items = c[2:-1]
        return A.HwMemory([x.value for x in items if x.kind == "access"], _sp(c), str(c[1]),
                          [(x.value, x.span) for x in items if x.kind == "precision"])

    def hw_access(self, c: list) -> Any:
        return _Part("access", (str(c[0]), c[2], _sp(c)), _sp(c))

    def hw_budget(self, c: list) -> Any:
        return A.HwBudget(c[3], _sp(c))

    def access_kind(self, c: list) -> Any:
        return c[0]

    def fn_decl(self, c: list) -> Any:
        return self._function(c, c[-1].value, c[1], c[3:-1])

    def extern_decl(self, c: list) -> Any:
        f = self._function(c, [], c[2], c[4:-1])
        f.extern = True
        return f

    def _function(self, c: list, body: list, name: Any, items: list) -> A.Function:
        kinds = ("requires", "ensures", "requires_r", "ensures_r", "reliability")
        params, ret, clauses = _signature(items, kinds)
        results = ret if isinstance(ret, list) else []
        return A.Function(str(name), params, None if results else ret, clauses["requires"],
                          clauses["ensures"], clauses["requires_r"], clauses["ensures_r"],
                          clauses["reliability"], body, _sp(c), _tok(name), results=results)

    def spec_fn_decl(self, c: list) -> Any:
        params, ret, clauses = _signature(c[4:-3], ("requires", "decreases"))
        return A.SpecFunction(str(c[2]), params, ret, clauses["requires"], clauses["decreases"],
                              c[-2], _sp(c), _tok(c[2]))

    def params(self, c: list) -> Any:
        return _Part("params", c[::2], _sp(c))

    def param(self, c: list) -> Any:
        region = c[3].value if len(c) > 3 else None
        return A.Param(str(c[0]), c[2], region is not None, _sp(c), region)

    def ret_type(self, c: list) -> Any:
        """`-> T`, or `-> (q: T, r: U)` (a list of parameters: the named results)."""
        return _Part("ret", c[2].value if len(c) > 2 else c[1], _sp(c))

    def urel(self, c: list) -> Any:
        return _Part("urel", str(c[1]), _sp(c))

    def _keyword_clause(self, c: list) -> Any:
        """`requires P`, `invariant P`, `bound E`, ...: tagged with the keyword."""
        return _Part(str(c[0]), c[1], _sp(c))

    requires = ensures = requires_r = ensures_r = _keyword_clause
    invariant = invariant_r = bound = decreases = _keyword_clause

    def reliability(self, c: list) -> Any:
        target = c[1].value
        for op in c[2::2]:
            expected = ">=" if op is c[2] else "*"
            if str(op) != expected:
                raise SyntaxFault(op, frozenset({expected}), None)
        inputs = None
        plain = []
        for f in c[3::2]:
            if isinstance(f, _Part):
                inputs = (inputs or []) + f.value[1]
            else:
                plain.append(f)
        refs = [(f.value[0], f.span) for f in [c[1], *c[3::2]] if isinstance(f, _Part)]
        spec = A.ReliabilitySpec(target[1], plain, inputs, _sp(c), c[1].span, refs)
        return _Part("reliability", spec, spec.span)

    def rel_ref(self, c: list) -> Any:
        names = c[2].value if isinstance(c[2], _Part) else []
        return _Part("rel_ref", (str(c[0]), names), _sp(c))

    def rel_names(self, c: list) -> Any:
        return _Part("names", [str(x) for x in c[::2]], _sp(c))

    def rel_name(self, c: list) -> Any:
        return c[0]

    def type(self, c: list) -> Any:
        dims = c[1].value if len(c) > 1 and isinstance(c[1], _Part) else 1
        return A.TypeRef(str(c[0]), len(c) > 1, _sp(c), dims)

    def dims(self, c: list) -> Any:
        return _Part("dims", len(c) - 1, _sp(c))

    def base_type(self, c: list) -> Any:
        return c[0]

    # statements
    def block(self, c: list) -> Any:
        return _Part("block", list(c[1:-1]), _sp(c))

    def var_decl(self, c: list) -> Any:
        region = _region(c)
        init = c[-2] if str(c[-3]) == "=" and isinstance(c[-3], Tok) else None
        return A.VarDecl(str(c[1]), c[3], region is not None, init, _sp(c), _tok(c[1]),
                         region)

    def array_decl(self, c: list) -> Any:
        region = _region(c)
        lengths = _indices(c[5:])
        return A.ArrayDecl(str(c[1]), str(c[3]), lengths[0], region is not None, _sp(c),
                           _tok(c[1]), region, lengths[1:])

    def assign(self, c: list) -> Any:
        return A.Assign(str(c[0]), c[2], _sp(c), _tok(c[0]))

    def array_assign(self, c: list) -> Any:
        indices = _indices(c[2:])
        return A.ArrayAssign(str(c[0]), indices[0], c[-2], _sp(c), _tok(c[0]), indices[1:])

    def call_stmt(self, c: list) -> Any:
        args = c[2].value if isinstance(c[2], _Part) else []
        call = A.CallExpr(str(c[0]), args, _sp(c[:-1]), _tok(c[0]))
        return A.CallStmt(call, _sp(c))

    def multi_assign(self, c: list) -> Any:
        args = c[6].value if isinstance(c[6], _Part) else []
        call = A.CallExpr(str(c[4]), args, _sp(c[4:-1]), _tok(c[4]))
        return A.MultiAssign(c[1].value, call, _sp(c))

    def args(self, c: list) -> Any:
        return _Part("args", c[::2], _sp(c))

    def names(self, c: list) -> Any:
        return _Part("names", [A.Name(str(t), _tok(t)) for t in c[::2]], _sp(c))

    def relax(self, c: list) -> Any:
        return A.Relax("relax", c[2].value, c[6], _sp(c))

    def havoc(self, c: list) -> Any:
        return A.Relax("havoc", c[2].value, c[6], _sp(c))

    def assert_(self, c: list) -> Any:
        return A.Check("assert", c[1], _sp(c))

    def assume(self, c: list) -> Any:
        return A.Check("assume", c[1], _sp(c))

    def accept(self, c: list) -> Any:
        return A.Check("accept", c[1], _sp(c))

    def if_(self, c: list) -> Any:
        orelse = c[5].value if len(c) > 5 else []
        return A.If(c[2], c[4].value, orelse, _sp(c))

    def else_(self, c: list) -> Any:
        branch = c[1]
        return _Part("else", branch.value if isinstance(branch, _Part) else [branch],
                     _sp(c))

    def while_(self, c: list) -> Any:
        return A.While(c[2], _loop_clauses(c[4:-1]), c[-1].value, _sp(c))

    def for_(self, c: list) -> Any:
        return A.For(str(c[1]), c[3], c[5], _loop_clauses(c[6:-1]), c[-1].value, _sp(c),
                     _tok(c[1]))

    def repeat(self, c: list) -> Any:
        return A.Repeat(c[2], _loop_clauses(c[4:-1]), c[-1].value, _sp(c))

    def return_(self, c: list) -> Any:
        if len(c) == 3:
            return A.Return(c[1], _sp(c))
        values = c[2:-2:2]  # `return ( e1 , e2 ) ;`
        return A.Return(values[0], _sp(c), values[1:])

    def skip(self, c: list) -> Any:
        return A.Skip(_sp(c))

    # expressions
    def expr(self, c: list) -> Any:
        if len(c) == 1 and not isinstance(c[0], _Prefixed):
            return c[0]
        return _climb(c)

    def cond_expr(self, c: list) -> Any:
        return A.Cond(c[1], c[3], c[5], _sp(c))

    def operand(self, c: list) -> Any:
        i = 0
        while isinstance(c[i], (Tok, _Part)):
            i += 1
        e = c[i]
        for post in c[i + 1:]:
            if isinstance(post, Tok):  # ADORN
                e = A.Adorned(e, str(post)[1], _join(e.span, _tok(post)))
            else:
                e = A.Index(e, post.value[0], _join(e.span, post.span), post.value[1:])
        if i == 0:
            return e
        return _Prefixed(c[:i], e, _sp(c[:i] + [e]))

    def index(self, c: list) -> Any:
        return _Part("index", _indices(c[1:]), _sp(c))

    def quant_head(self, c: list) -> Any:
        # `forall i: int, j: int :: P` is `forall i: int :: forall j: int :: P`
        binders = [(str(c[k]), c[k + 2]) for k in range(1, len(c) - 1, 4)]
        return _Part("quant", (str(c[0]), binders), _sp(c))

    def int_lit(self, c: list) -> Any:
        return A.IntLit(int(c[0].value), _tok(c[0]))

    def real_lit(self, c: list) -> Any:
        return A.RealLit(str(c[0]), _tok(c[0]))

    def true(self, c: list) -> Any:
        return A.BoolLit(True, _tok(c[0]))

    def false(self, c: list) -> Any:
        return A.BoolLit(False, _tok(c[0]))

    def name(self, c: list) -> Any:
        return A.Name(str(c[0]), _tok(c[0]))

    def result(self, c: list) -> Any:
        return A.ResultRef(_tok(c[0]))

    def paren(self, c: list) -> Any:
        inner = c[1]
        inner.span = _sp(c)  # the parentheses belong to the expression's extent
        return inner

    def query(self, c: list) -> Any:
        return A.Query(_tok(c[0]))

    def builtin(self, c: list) -> Any:
        return A.Builtin(str(c[0]), c[2].value, _sp(c))

    def builtin_name(self, c: list) -> Any:
        return c[0]

    def call(self, c: list) -> Any:
        args = c[2].value if isinstance(c[2], _Part) else []
        return A.CallExpr(str(c[0]), args, _sp(c), _tok(c[0]))


@dataclass
class _Prefixed:
    """An operand with prefix operators (`!`, `-`, quantifier heads) still to apply:
    how far `!` and a quantifier reach depends on the binary operators that follow."""

    prefixes: list
    operand: Any
    span: A.Span


def _loop_clauses(items: list) -> A.LoopClauses:
    clauses = A.LoopClauses()
    for item in items:
        {"invariant": clauses.invariants, "invariant_r": clauses.invariants_r,
         "bound": clauses.bounds}[item.kind].append(item.value)
    return clauses


def _tok(t: Tok) -> A.Span:
    return A.Span(t.path, t.line, t.column, t.end_line, t.end_column)


def _indices(c: list) -> list:
    """The expressions of `e1, e2, ...]` (up to the closing bracket)."""
    out = []
    for x in c:
        if isinstance(x, Tok):
            if str(x) == "]":
                break
            continue
        out.append(x)
    return out


def _sp(c: list) -> A.Span:
    """The span from the first child to the last (tokens and nodes alike)."""
    a, b = c[0], c[-1]
    a = a if isinstance(a, Tok) else a.span
    b = b if isinstance(b, Tok) else b.span
    return A.Span(a.path, a.line, a.column, b.end_line, b.end_column)


def _join(a: A.Span, b: Any) -> A.Span:
    return A.Span(a.path, a.line, a.column, b.end_line, b.end_column)


def _start(prefix: Union[Tok, _Part]) -> A.Span:
    if isinstance(prefix, Tok):
        return _tok(prefix)
    return prefix.span


def _climb(seq: list) -> Any:
    """Resolve `operand (op operand)*` into a tree by precedence climbing.

    Binary operators are left-associative except `==>`; comparisons chain. A
    prefix `-` applies to its operand alone; `!` reaches over the comparisons and
    the tighter operators after it; a quantifier reaches as far right as possible.
    """
    pos = 0

    def parse(min_level: int) -> Any:
        return extend(operand(), min_level)

    def extend(left: Any, min_level: int) -> Any:
        nonlocal pos
        while pos < len(seq):
            op = str(seq[pos])
            level = _PREC[op]
            if level < min_level:
                break
            if level == _CMP_LEVEL:
                left = chain(left)
                continue
            pos += 1
            right = parse(level if op in _RIGHT_ASSOC else level + 1)
            left = A.Binary(op, left, right, _join(left.span, right.span))
        return left

    def chain(first: Any) -> A.Chain:
        nonlocal pos
        operands, ops = [first], []
        while pos < len(seq) and _PREC[str(seq[pos])] == _CMP_LEVEL:
            ops.append(str(seq[pos]))
            pos += 1
            operands.append(parse(_CMP_LEVEL + 1))
        return A.Chain(operands, ops, _join(first.span, operands[-1].span))

    def operand() -> Any:
        nonlocal pos
        item = seq[pos]
        pos += 1
        if not isinstance(item, _Prefixed):
            return item
        e = item.operand
        for prefix in reversed(item.prefixes):
            start = _start(prefix)
            if isinstance(prefix, Tok) and prefix.type == "MINUS":
                e = A.Unary("-", e, _join(start, e.span))
            elif isinstance(prefix, Tok):
                e = extend(e, _NOT_LEVEL)
                e = A.Unary("!", e, _join(start, e.span))
            else:
                e = extend(e, 0)
                kind, binders = prefix.value
                for var, ty in reversed(binders):
                    e = A.Quant(kind, var, ty, e, _join(start, e.span))
        return e

    return parse(0)


BUILDER = Builder()
