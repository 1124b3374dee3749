"""Python source for core expressions: values, runtime checks and fault sites.

`Code` is the state one generated module shares (numbered sites, Python names of
Relax variables, constants, the output lines); `ExprGen` turns expressions into
Python expressions over it. The runtime tests an expression performs are the ones
`relaxverify.core.checks.expr_checks` lists for each node, one generator method per
check kind, so the interpreter checks what the verifier obliges and nothing else.

Python's parser allows 200 nested parentheses. Left-nested chains (`a + b + c`,
`p && q && r`) are written without inner parentheses; an expression nested deeper
than `FLAT_DEPTH` is written *flat*: every operand becomes a temporary assigned by
a statement of its own, in evaluation order, and the right operand of `&&`, `||`
and `==>` is computed inside an `if`, so short-circuiting is kept.
"""
from __future__ import annotations

import math
from fractions import Fraction
from typing import Any, Callable, Optional, Union

from relaxverify.core import checks as K
from relaxverify.core import nodes as C
from relaxverify.core.precision import fault_format, site_precision
from relaxverify.core.visitor import ExprVisitor
from relaxverify.run.choose import to_float
from relaxverify.run.faults import FaultSpec, hazard
from relaxverify.run.codegen_floats import float_op, write_rounded
from relaxverify.run.options import Options
from relaxverify.run.outcome import CompileLimit, Site
from relaxverify.source import Span

FLAT_DEPTH = 40  # expressions nested deeper than this are written with temporaries

Resolver = Callable[[C.VarRef], str]


def _pyname(source: str) -> str:
    return "".join(c if c.isalnum() or c == "_" else "_" for c in source)


def zero(ty: C.Type, exact: bool) -> Any:
    if ty.is_float:
        return 0.0
    return {"int": 0, "bool": False}.get(ty.base, Fraction(0) if exact else 0.0)


def depth(e: C.Expr) -> int:
    """The nesting depth of e (a constant or variable has depth 1); iterative, since
    the expressions this is for are the ones too deep to recurse over cheaply."""
    best = 0
    stack = [(e, 1)]
    while stack:
        x, d = stack.pop()
        best = max(best, d)
        if isinstance(x, C.Unary):
            stack.append((x.operand, d + 1))
        elif isinstance(x, C.BinOp):
            stack.extend(((x.left, d + 1), (x.right, d + 1)))
        elif isinstance(x, C.Select):
            stack.extend(((x.array, d + 1), (x.index, d + 1)))
        elif isinstance(x, (C.Apply, C.SpecCall)):
            stack.extend((a, d + 1) for a in x.args)
        elif isinstance(x, C.Quant):
            stack.append((x.body, d + 1))
        elif isinstance(x, C.Cond):
            stack.extend(((x.cond, d + 1), (x.then, d + 1), (x.orelse, d + 1)))
    return best


class Code:
    """The shared state of one generated module."""

    def __init__(self, exact: bool):
        self.exact = exact
        self.sites: list[Site] = []
        self.fault_specs: dict[int, FaultSpec] = {}
        self.names: dict[int, str] = {}
        self.used: set[str] = set()
        self.consts: list[Any] = []
        self.roundings: dict[int, Any] = {}  # site -> Rounding / WriteRounding (floatops)
        self.tmp = 0
        self.lines: list[str] = []

    def site(self, span: Span, what: str = "", node: Any = None) -> int:
        self.sites.append(Site(span, what, node))
        return len(self.sites) - 1

    def fresh(self, prefix: str) -> str:
        self.tmp += 1
        return f"_{prefix}{self.tmp}"

    def py(self, var: C.Var) -> str:
        key = id(var)
        if key not in self.names:
            base = "v_" + _pyname(var.source)
            name, n = base, 1
            while name in self.used:
                n += 1
                name = f"{base}_{n}"
            self.used.add(name)
            self.names[key] = name
        return self.names[key]

    def emit(self, indent: int, text: str) -> None:
        self.lines.append("    " * indent + text)

    def const(self, value: Any, ty: C.Type) -> str:
        if isinstance(value, bool):
            return "True" if value else "False"
        if ty.is_float:  # the checker gives the format's value exactly: a float holds it
            f = float(value)
            return repr(f) if f >= 0 and not (f == 0 and math.copysign(1, f) < 0) \
                else f"(-{repr(f).lstrip('-')})"
        if ty.base == "real" or isinstance(value, Fraction):
            if self.exact:
                self.consts.append(Fraction(value))
                return f"_K[{len(self.consts) - 1}]"
            f = to_float(value)
            text = repr(f) if math.isfinite(f) else "1e999"  # 1e999 is the literal of inf
            return text if value >= 0 else f"(-{text.lstrip('-')})"
        return repr(int(value)) if value >= 0 else f"({int(value)})"


_GROUP = {"+": "add", "-": "add", "*": "mul", "/": "mul", "%": "mul", "&&": "and", "||": "or"}


class ExprGen(ExprVisitor):
    """Python expressions for core expressions.

    Interface for the statement generator: `code(e, ind)` for program code (fault
    sites apply), `spec(e, ind)` for specifications and checks (no faults),
    `faulty(...)` to wrap a value that may be faulty, `env_dict(e)` for the state an
    expression reads, `closure(...)` for predicates compiled on demand. `fast` and
    `hazard_sum` belong to the straight-line fast path (see codegen_stmts).
    """

    def __init__(self, code: Code, opts: Options, model: Optional[C.HardwareModel],
                 precision: Optional[C.HardwareModel] = None):
        self.c = code
        self.opts = opts
        self.model = model  # the model faults are injected from (None: no faults)
        self.precision = precision  # the model whose precisions R runs at (None: none)
        self.resolver: Optional[Resolver] = None
        self.in_code = False  # generating program code (faults apply), not a specification
        self.fast = False  # generating the fault-free fast path of a straight-line run
        self.hazard_sum = 0.0  # total hazard of the fault sites generated so far
        self.bare: dict[str, tuple[str, str]] = {}  # "(a + b)" -> ("add", "a + b")
        self.trace_all = False  # trace mode without a model: every site may fail
        self.flat: Optional[int] = None  # indentation of flat temporaries, when flat
        self.guard: Optional[str] = None  # in flat mode: the variable that says whether
        # the operand being computed is evaluated at all (the right of `&&`, `||`, `==>`)

    # ------------------------------------------------------------ entry points

    def code(self, e: C.Expr, ind: int) -> str:
        self.in_code = True
        try:
            return self.top(e, ind)
        finally:
            self.in_code = False

    def spec(self, e: C.Expr, ind: int) -> str:
        return self.top(e, ind)

    def top(self, e: C.Expr, ind: int) -> str:
        """e, written flat (its temporaries emitted at `ind`) when it is deep."""
        if self.flat is not None or depth(e) <= FLAT_DEPTH:
            return self.expr(e)
        self.flat, self.guard = ind, None
        try:
            return self.sub(e)
        finally:
            self.flat = None

    def closure(self, e: C.Expr, resolver: Resolver, args: str) -> str:
        """Emit `def NAME(args): return e`, reading variables through `resolver`."""
        name = self.c.fresh("closure")
        self.c.emit(0, f"def {name}({args}):")
        self.resolver = resolver
        self.in_code = False
        try:
            body = self.top(e, 1)
        finally:
            self.resolver = None
        self.c.emit(1, f"return {body}")
        self.c.emit(0, "")
        return name

    def sub(self, e: C.Expr) -> str:
        """An operand: its code, or in flat mode a temporary holding its value."""
        code = self.expr(e)
        if self.flat is None or code.isidentifier() or _is_literal(code):
            return code
        t = self.c.fresh("x")
        self.flat_stmt(f"{t} = {code}")
        return t

    def flat_stmt(self, text: str) -> None:
        """A statement of flat code, run only where the current guard holds."""
        assert self.flat is not None
        self.c.emit(self.flat, text if self.guard is None else f"if {self.guard}: {text}")

    # ------------------------------------------------------------ fault sites

    def faulty(self, code: str, prob: float, spec: FaultSpec, span: Span, what: str,
               read: bool = True) -> str:
        """`code` wrapped so that it may return a faulty value."""
        mode = self.opts.faults
        if mode == "none" or not self.in_code or self.fast:
            return code
        if mode == "trace":
            # The verifier's counterexamples list, in order, the operator results,
            # `urel` scalar/element reads and scalar/element writes that may fail (all
            # of them without a model), not call results or whole-array copies.
            if not read or (prob >= 1.0 and not self.trace_all):
                return code
            k = self.c.site(span, what)
            self.c.fault_specs[k] = spec
            return f"_U({k}, {code})"
        h = hazard(prob)
        if h == 0.0:
            return code
        self.hazard_sum += h
        k = self.c.site(span, what)
        self.c.fault_specs[k] = spec
        t = self.c.fresh("t")
        hs = "1e999" if math.isinf(h) else repr(h)  # 1e999 is inf: the site always fails
        return f"({t} if (({t} := {code}) is {t}) and (_B := _B - {hs}) >= 0.0 else _flt({k}, {t}))"

    def write(self, var: C.Var, code: str, span: Span, traced: bool = True) -> str:
        """`code` as the value written to var (a fault site when var is `urel`)."""
        code = write_rounded(self, var, code, span)
        if var.urel and self.model is not None:
            self.in_code = True
            try:
                return self.faulty(code, self.model.memory(var.region).write,
                                   fault_spec(self, var.type, None, var, var.type.array), span,
                                   var.source,
                                   read=traced and not var.type.array)
            finally:
                self.in_code = False
        return code

    # ------------------------------------------------------------ expressions

    def e_Const(self, e: C.Const) -> str:
        return self.c.const(e.value, e.ty)

    def e_VarRef(self, e: C.VarRef) -> str:
        if self.resolver is not None:
            return self.resolver(e)
        name = self.c.py(e.var)
        if e.var.urel and self.model is not None and not e.var.type.array:
            # A whole array (copied, compared or passed on) is not a read access: only
            # its elements are (as in the reliability analysis).
            return self.faulty(name, self.model.memory(e.var.region).read,
                               fault_spec(self, e.var.type, None, e.var), e.span, e.var.source)
        return name

    def e_Unary(self, e: C.Unary) -> str:
        x = self.sub(e.operand)
        return f"(not {x})" if e.op == "!" else f"(-{x})"

    def e_BinOp(self, e: C.BinOp) -> str:
        op = e.op
        if op in ("&&", "||", "==>") and self.flat is not None:
            return self.flat_logic(e)
        if op in ("&&", "||", "==>", "<==>"):
            a, b = self.sub(e.left), self.sub(e.right)
            if op in ("&&", "||"):
                py = "and" if op == "&&" else "or"
                return self.chain(self.left_bare(a, _GROUP[op]), py, b, _GROUP[op])
            return f"((not {a}) or {b})" if op == "==>" else f"({a} == {b})"
        a, b = self.sub(e.left), self.sub(e.right)
        pyop = "//" if (op == "/" and e.ty == C.INT) else op
        code = float_op(self, e, a, b)
        for check in K.expr_checks(e) if code is None else ():
            if check.kind == K.OVERFLOW:
                # Nothing rounds (real arithmetic, exact): nothing can overflow. (With
                # --float-reals, reals are binary64 without checks, as v1 ran them.)
                continue
            code = self.test(check, e, pyop, a, b)
        if code is None:
            if op in _GROUP:
                code = self.chain(self.left_bare(a, _GROUP[op]), pyop, b, _GROUP[op])
            else:
                code = f"({a} {op} {b})"
        if e.unreliable and self.model is not None:
            om = self.model.op(op)
            code = self.faulty(code, om.prob, fault_spec(self, e.ty, om.error, e), e.span, op + ".")
            self.bare.pop(code, None)
        return code

    def flat_logic(self, e: C.BinOp) -> str:
        """`&&`, `||`, `==>` as statements: the right operand is computed under a guard
        variable (one `if` per line, so nesting does not indent: right-nested chains
        of any depth stay within Python's 100 levels)."""
        assert self.flat is not None
        t, g = self.c.fresh("x"), self.c.fresh("g")
        a = self.sub(e.left)
        self.flat_stmt(f"{t} = {'not ' if e.op == '==>' else ''}{a}")
        self.c.emit(self.flat, f"{g} = False")
        self.flat_stmt(f"{g} = {'' if e.op == '&&' else 'not '}{t}")
        outer, self.guard = self.guard, g
        try:
            self.flat_stmt(f"{t} = {self.sub(e.right)}")
        finally:
            self.guard = outer
        return t

    # The runtime test of each check kind an operator performs (core/checks.py).

    def test(self, check: K.RuntimeCheck, e: C.BinOp, pyop: str, a: str, b: str) -> str:
        if check.kind == K.DIVISION:
            k = self.c.site(e.span, "", e)
            l, r = self.c.fresh("l"), self.c.fresh("r")
            return (f"({l} {pyop} {r} if (({l} := {a}) is {l}) and ({r} := {b}) != 0 "
                    f"else _dz({k}, {r}))")
        if check.kind == K.LIMIT:  # the bits of an int product
            k = self.c.site(e.span, "", e)
            m = self.c.fresh("m")
            return (f"({m} if ({m} := {a} * {b}).bit_length() <= {K.LIMITS.int_bits} "
                    f"else _huge({k}, {m}))")
        raise CompileLimit(f"the interpreter has no runtime test for `{check.kind}` checks "
                           f"of `{e.op}`", e.span)

    def chain(self, a: str, op: str, b: str, group: str) -> str:
        code = f"({a} {op} {b})"
        if self.flat is None:
            self.bare[code] = (group, f"{a} {op} {b}")
        return code

    def left_bare(self, a: str, group: str) -> str:
        hit = self.bare.get(a)
        return hit[1] if hit is not None and hit[0] == group else a

    def e_Select(self, e: C.Select) -> str:
        arr_ref = e.array
        assert isinstance(arr_ref, C.VarRef)
        a = self.resolver(arr_ref) if self.resolver is not None else self.c.py(arr_ref.var)
        if e.more:  # several dimensions: `_get` checks each index in order
            idx = ", ".join(self.sub(i) for i in e.indices)
            for check in K.expr_checks(e):
                if check.kind != K.BOUNDS:
                    raise CompileLimit(f"the interpreter has no runtime test for "
                                       f"`{check.kind}` checks of an array read", e.span)
            k = self.c.site(e.span, arr_ref.var.source)
            code = f"_get({k}, {a}, {idx})"
        else:
            code = _select_1d(self, e, a, arr_ref)
        var = arr_ref.var
        if var.urel and self.model is not None and self.resolver is None:
            return self.faulty(code, self.model.memory(var.region).read,
                               fault_spec(self, var.type.elem, None, var), e.span, var.source)
        return code

    def e_Apply(self, e: C.Apply) -> str:
        if e.fn == "len" and len(e.args) == 2:  # len(m, d) of several dimensions
            arr = (self.c.py(e.args[0].var) if isinstance(e.args[0], C.VarRef)
                   and self.resolver is None else self.sub(e.args[0]))
            assert isinstance(e.args[1], C.Const)
            return f"_lennd({arr}, {e.args[1].value})"
        if e.fn == "len" and isinstance(e.args[0], C.VarRef) and self.resolver is None:
            return f"len({self.c.py(e.args[0].var)})"  # the length is not in unreliable memory
        args = [self.sub(a) for a in e.args]
        if e.fn == "real":  # exact: a float or an int is a rational
            return f"{'_Fr' if self.opts.exact else 'float'}({args[0]})"
        if e.fn in C.FLOAT_BASES or e.fn in C.MATH_FUNCTIONS:
            k = self.c.site(e.span, "", e)
            return f"{'_cvt' if e.fn in C.FLOAT_BASES else '_math'}({k}, {args[0]})"
        if e.fn in ("floor", "ceil"):
            return f"_{e.fn}({args[0]})"
        return f"{e.fn}({', '.join(args)})"

    def e_Cond(self, e: C.Cond) -> str:
        """Python's conditional expression: only the taken branch is evaluated."""
        if self.flat is None:  # sites numbered in evaluation order: the condition first
            c = self.expr(e.cond)
            return f"({self.expr(e.then)} if {c} else {self.expr(e.orelse)})"
        return flat_cond(self, e)

    def e_SpecCall(self, e: C.SpecCall) -> str:
        k = self.c.site(e.span, e.fn.name, e)
        return f"_spec_{e.fn.name}({', '.join([str(k)] + [self.sub(a) for a in e.args])})"

    def e_Quant(self, e: C.Quant) -> str:
        flat, self.flat = self.flat, None  # a generator expression holds no statements
        guard, self.guard = self.guard, None
        try:
            return self.quant(e)
        finally:
            self.flat, self.guard = flat, guard

    def quant(self, e: C.Quant) -> str:
        v = self.c.py(e.var)
        body = self.expr(e.body)
        agg = "all" if e.kind == "forall" else "any"
        if e.var.type == C.BOOL:
            return f"{agg}({body} for {v} in (False, True))"
        rng = quant_range(e, self.expr) if e.var.type == C.INT else None
        if rng is not None:
            lo, hi = rng
            return f"{agg}({body} for {v} in range({lo}, {hi}))"
        k = self.c.site(e.span, "", e)
        return f"_quant({k}, {self.env_dict(e)})"

    def env_dict(self, e: C.Expr, extra: tuple = ()) -> str:
        """A dict literal of the current values of e's free variables (by Var.name)."""
        names = {}
        for x in C.subexprs(e):
            if isinstance(x, C.VarRef) and x.var.kind != "bound":
                names[x.var.name] = x
        for v in extra:
            names[v.name] = C.VarRef(v, v.span)
        parts = []
        for name, ref in names.items():
            code = self.resolver(ref) if self.resolver is not None else self.c.py(ref.var)
            parts.append(f"{name!r}: {code}")
        return "{" + ", ".join(parts) + "}"



def fault_spec(self: "ExprGen", ty: C.Type, error: Optional[float], site: Union[C.Expr, C.Var],
               whole_array: bool = False) -> FaultSpec:
    """What a fault at this site produces: a value of the format R computes or
    stores it at (core.precision.fault_format), as the verifier assumes."""
    prec = site_precision(site, self.precision) if self.precision is not None else None
    elem = ty.elem if whole_array else ty
    return FaultSpec(ty, error, whole_array, fault_format(elem, prec))


def _select_1d(self: "ExprGen", e: C.Select, a: str, arr_ref: C.VarRef) -> str:
    """`a[i]` with its bounds test inline."""
    i = self.sub(e.index)
    code = a + "[" + i + "]"
    for check in K.expr_checks(e):
        if check.kind != K.BOUNDS:
            raise CompileLimit(f"the interpreter has no runtime test for `{check.kind}` "
                               "checks of an array read", e.span)
        k = self.c.site(e.span, arr_ref.var.source)
        if isinstance(e.index, C.Const) and e.index.value >= 0:
            code = f"({a}[{i}] if {i} < len({a}) else _oob({k}, {i}, {a}))"
        elif i.isidentifier():
            code = f"({a}[{i}] if 0 <= {i} < len({a}) else _oob({k}, {i}, {a}))"
        else:
            t = self.c.fresh("i")
            code = f"({a}[{t}] if 0 <= ({t} := {i}) < len({a}) else _oob({k}, {t}, {a}))"
    return code


def flat_cond(gen: ExprGen, e: C.Cond) -> str:
    """A conditional expression in flat mode: each branch's temporaries are computed
    under a guard variable, as the right operand of `&&` is."""
    assert gen.flat is not None
    t, out = gen.c.fresh("x"), gen.c.fresh("x")
    gen.flat_stmt(f"{t} = {gen.sub(e.cond)}")
    gen.c.emit(gen.flat, f"{out} = None")
    for branch, test in ((e.then, t), (e.orelse, f"not {t}")):
        g = gen.c.fresh("g")
        gen.c.emit(gen.flat, f"{g} = False")
        gen.flat_stmt(f"{g} = {test}")
        outer, gen.guard = gen.guard, g
        try:
            gen.flat_stmt(f"{out} = {gen.sub(branch)}")
        finally:
            gen.guard = outer
    return out


def _is_literal(code: str) -> bool:
    return code in ("True", "False") or code.replace(".", "", 1).isdigit()


def quant_range(e: C.Quant, expr: Callable[[C.Expr], str]) -> Optional[tuple[str, str]]:
    """[lo, hi) for the quantified int from guards such as `0 <= j < len(a) ==> ...`."""
    guard = e.body
    inner: set[C.Var] = set()  # `forall i: int, j: int :: G ==> P`: the guard is j's body's
    while isinstance(guard, C.Quant) and guard.kind == e.kind:
        inner.add(guard.var)
        guard = guard.body
    if e.kind == "forall":
        if not (isinstance(guard, C.BinOp) and guard.op == "==>"):
            return None
        guard = guard.left
    atoms = []
    stack = [guard]
    while stack:
        x = stack.pop()
        if isinstance(x, C.BinOp) and x.op == "&&":
            stack.extend((x.left, x.right))
        else:
            atoms.append(x)
    los, his = [], []
    flip = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "=="}

    def is_v(x: C.Expr) -> bool:
        return isinstance(x, C.VarRef) and x.var is e.var

    def free_of_v(x: C.Expr) -> bool:
        return not any(is_v(y) or (isinstance(y, C.VarRef) and y.var in inner)
                       for y in C.subexprs(x))
    for a in atoms:
        if not isinstance(a, C.BinOp) or a.op not in flip:
            continue
        if is_v(a.left) and free_of_v(a.right):
            op, other = a.op, a.right
        elif is_v(a.right) and free_of_v(a.left):
            op, other = flip[a.op], a.left
        else:
            continue
        c = expr(other)
        if op in (">=", "=="):
            los.append(c)
        if op == ">":
            los.append(f"({c} + 1)")
        if op == "<":
            his.append(c)
        if op in ("<=", "=="):
            his.append(f"({c} + 1)")
    if not los or not his:
        return None
    lo = los[0] if len(los) == 1 else f"max({', '.join(los)})"
    hi = his[0] if len(his) == 1 else f"min({', '.join(his)})"
    return lo, hi
