"""Check a parsed program (names, scopes, types, placement, adornments, hardware)
and lower it to the core language.

Checking and lowering are one walk: the typed core *is* the checker's output.
Errors are collected (an ill-typed expression gets the type `?`, which fits
anywhere, so one mistake gives one message) and raised together at the end.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Callable, Optional, Union

from relaxverify.syntax import ast as A
from relaxverify.core import nodes as C
from relaxverify.core.nodes import BOOL, INT, REAL, Type
from relaxverify.report.diagnostics import Diagnostic, RelaxError, error
from relaxverify.gcpause import gc_paused

ERR = Type("?")  # the type of an expression that already produced an error
UNRELIABLE = {"+.", "-.", "*.", "/.", "==.", "!=.", "<.", "<=.", ">.", ">=."}
RELATIONAL_CLAUSES = "accept, requires_r, ensures_r, invariant_r"
# Reals are exact rationals: `1e999999999` would take hours to expand, so the
# exponent of a real literal is bounded (far beyond any float, 1e308).
MAX_EXPONENT = 10_000


def _tstr(t: Type) -> str:
    return f"`{t}`"


@dataclass
class Ctx:
    """Where an expression stands, which decides what it may contain."""

    where: str  # a phrase for messages: "an `assert`", "a condition", ...
    mode: str  # "code", "unary" or "relational"
    allow_old: bool = False
    allow_result: bool = False
    side: Optional[str] = None  # the enclosing adornment in relational mode
    in_eq: bool = False
    bound: dict[str, C.Var] = field(default_factory=dict)

    def with_(self, **kw) -> "Ctx":
        return Ctx(**{**self.__dict__, **kw})


class Checker:
    def __init__(self, program: A.Program):
        self.program = program
        self.path = program.path
        self.diags: list[Diagnostic] = []
        self.consts: dict[str, A.Const] = {}
        self.const_values: dict[str, Union[int, Fraction, bool]] = {}
        self.functions: dict[str, A.Function] = {}
        self.hardware: dict[str, C.HardwareModel] = {}
        self._evaluating: list[str] = []
        # per-function state
        self.fn: Optional[A.Function] = None
        self.scopes: list[dict[str, C.Var]] = []
        self.locals: list[C.Var] = []
        self.used_names: dict[str, int] = {}
        self.readonly: set[C.Var] = set()
        self.result: Optional[C.Var] = None

    # ------------------------------------------------------------ reporting

    def err(self, msg: str, span: A.Span, code: str = "type", *notes: str) -> None:
        self.diags.append(error(msg, span, code, *notes))

    # ------------------------------------------------------------ program

    def run(self) -> C.Program:
        seen: dict[str, A.Span] = {}
        for d in self.program.decls:
            kind = {A.Const: "constant", A.Function: "function", A.Hardware: "hardware model"}[type(d)]
            span = d.name_span if isinstance(d, A.Function) else d.span
            key = (kind if kind == "hardware model" else "value") + ":" + d.name
            if key in seen:
                self.err(f"{kind} `{d.name}` is already defined at line {seen[key].line}",
                         span, "name", "rename one of the two definitions")
                continue
            seen[key] = span
            if isinstance(d, A.Const):
                self.consts[d.name] = d
            elif isinstance(d, A.Function):
                self.functions[d.name] = d
        for d in self.program.decls:
            if isinstance(d, A.Const) and self.consts.get(d.name) is d:
                self.const_value(d.name, d.span)
            elif isinstance(d, A.Hardware) and d.name not in self.hardware:
                self.hardware[d.name] = self.check_hardware(d)
        functions = {name: self.check_function(f) for name, f in self.functions.items()}
        if self.diags:
            raise RelaxError(self.diags)
        return C.Program(self.path, functions, self.hardware, dict(self.const_values))

    # ------------------------------------------------------------ constants

    def const_value(self, name: str, span: A.Span):
        """The value of constant `name`, evaluated on first use (any order)."""
        if name in self.const_values:
            return self.const_values[name]
        decl = self.consts[name]
        if name in self._evaluating:
            self.err(f"constant `{name}` is defined in terms of itself", span, "constant",
                     "constants may refer to other constants, but not in a cycle")
            return None
        self._evaluating.append(name)
        value = self.eval_const(decl.value, f"the value of constant `{name}`")
        self._evaluating.pop()
        if value is not None:
            want = Type(decl.type.base, decl.type.array)
            if want.array:
                self.err("constants cannot be arrays", decl.span, "constant")
                value = None
            elif want == REAL and _const_type(value) == INT and _is_int_literal(decl.value):
                value = Fraction(value)
            elif _const_type(value) != want:
                self.err(f"constant `{name}` is declared {_tstr(want)} but its value is "
                         f"{_tstr(_const_type(value))}", decl.value.span, "type",
                         _conversion_hint(want, _const_type(value)))
                value = None
        self.const_values[name] = value
        return value

    def eval_const(self, e: A.Expr, what: str, allow_names: bool = True, reals: bool = False):
        """Evaluate a constant expression: literals, constants, + - * / % and unary -.
        With `reals`, every number is a real (probabilities: `1/4` is 0.25, not 0).
        Returns None (after reporting) if `e` is not a constant expression."""
        if isinstance(e, A.IntLit):
            return Fraction(e.value) if reals else e.value
        if isinstance(e, A.RealLit):
            return self.real_value(e)
        if isinstance(e, A.BoolLit):
            return e.value
        if isinstance(e, A.Name) and allow_names and e.ident in self.consts:
            value = self.const_value(e.ident, e.span)
            return Fraction(value) if reals and _const_type(value) == INT else value
        if isinstance(e, A.Unary):
            v = self.eval_const(e.operand, what, allow_names, reals)
            if v is None:
                return None
            if e.op == "-" and not isinstance(v, bool):
                return -v
            if e.op == "!" and isinstance(v, bool):
                return not v
            self.err(f"`{e.op}` cannot be applied to {_tstr(_const_type(v))}", e.span)
            return None
        if isinstance(e, A.Binary) and e.op in ("+", "-", "*", "/", "%"):
            a = self.eval_const(e.left, what, allow_names, reals)
            b = self.eval_const(e.right, what, allow_names, reals)
            if a is None or b is None:
                return None
            return self.const_arith(e, a, b)
        if allow_names:
            self.err(f"{what} must be a constant expression (literals, constants and + - * /)",
                     e.span, "constant", "a variable, call or unreliable operator cannot appear here")
        else:  # a probability: LANGUAGE.md section 7 allows real literals only
            self.err(f"{what} must be a constant expression (literals and + - * /)", e.span,
                     "constant", "names, even of constants, calls and unreliable operators "
                     "cannot appear here")
        return None

    def const_arith(self, e: A.Binary, a, b):
        if isinstance(a, bool) or isinstance(b, bool):
            self.err(f"`{e.op}` needs numbers", e.span)
            return None
        if e.op in ("/", "%") and b == 0:
            self.err("division by zero in a constant expression", e.span, "constant")
            return None
        both_int = isinstance(a, int) and isinstance(b, int)
        if e.op == "%" and not both_int:
            self.err("`%` needs two ints", e.span)
            return None
        if e.op == "/":
            return a // b if both_int else Fraction(a) / Fraction(b)
        if e.op == "%":
            return a % b
        return a + b if e.op == "+" else a - b if e.op == "-" else a * b

    # ------------------------------------------------------------ hardware

    def check_hardware(self, hw: A.Hardware) -> C.HardwareModel:
        model = C.HardwareModel(hw.name, {}, span=hw.span)
        seen: set[str] = set()
        for entry in hw.entries:
            if isinstance(entry, A.HwOperator):
                if entry.op in seen:
                    self.err(f"operator `{entry.op}` is given twice in hardware `{hw.name}`",
                             entry.span, "hardware", "keep one entry per operator")
                seen.add(entry.op)
                prob = self.probability(entry.prob, f"the probability of `{entry.op}`")
                err_bound = None
                if entry.error is not None:
                    v = self.eval_const(entry.error, "an error bound", reals=True)
                    if v is not None and (isinstance(v, bool) or v < 0 or v > 1e300):
                        # (beyond 1e300 float() overflows, and such a bound says nothing)
                        self.err(f"the error bound of `{entry.op}` must be a non-negative number"
                                 " of at most 1e300 (omit `error` for arbitrary faults)",
                                 entry.error.span, "hardware")
                    elif v is not None:
                        err_bound = float(v)
                model.operators[entry.op] = C.OperatorModel(prob, err_bound)
            else:
                for kind, value, span in entry.access:
                    if kind in seen:
                        self.err(f"memory `{kind}` is given twice in hardware `{hw.name}`", span,
                                 "hardware", "keep one entry per access kind")
                    seen.add(kind)
                    setattr(model, kind, self.probability(value, f"the urel {kind} probability"))
        return model

    def probability(self, e: A.Expr, what: str) -> float:
        v = self.eval_const(e, what, allow_names=False, reals=True)
        if v is None:
            return 1.0
        if isinstance(v, bool) or not 0 <= v <= 1:
            shown = v if isinstance(v, bool) else float(v)
            self.err(f"{what} is {shown}, but a probability must be between 0 and 1", e.span,
                     "hardware", "write the probability that the operation is correct, "
                     "e.g. `1 - 1e-4`")
            return 1.0
        return C.probability(v)

    # ------------------------------------------------------------ scopes

    def fresh(self, source: str, ty: Type, urel: bool, kind: str, span: A.Span) -> C.Var:
        n = self.used_names.get(source, 0)
        self.used_names[source] = n + 1
        name = source if n == 0 else f"{source}#{n}"
        var = C.Var(name, source, ty, urel, kind, span)
        if kind not in ("param", "result", "bound"):
            self.locals.append(var)
        return var

    def declare(self, name: str, ty: Type, urel: bool, kind: str, span: A.Span) -> C.Var:
        prior = self.lookup(name)
        if prior is not None:
            self.err(f"`{name}` is already declared at line {prior.span.line}; a variable may not "
                     "shadow another", span, "name", "choose a different name for this variable")
        elif name in self.consts:
            self.err(f"`{name}` is already a constant (line {self.consts[name].span.line})", span,
                     "name", "choose a different name for this variable")
        var = self.fresh(name, ty, urel, kind, span)
        self.scopes[-1][name] = var
        return var

    def lookup(self, name: str) -> Optional[C.Var]:
        for scope in reversed(self.scopes):
            if name in scope:
                return scope[name]
        return None

    def visible_names(self) -> list[str]:
        names = set(self.consts)
        for scope in self.scopes:
            names.update(scope)
        return sorted(names)

    def undefined(self, name: str, span: A.Span, kind: str = "variable") -> None:
        pool = self.visible_names() if kind == "variable" else sorted(self.functions)
        close = difflib.get_close_matches(name, pool, n=1)
        notes = [f"did you mean `{close[0]}`?"] if close else []
        if kind == "function" and name in ("sqrt", "exp", "log", "floor", "ceil", "pow"):
            notes.append("Relax has no math library; the built-ins are len, abs, min, max, real")
        self.err(f"{kind} `{name}` is not defined", span, "name", *notes)

    # ------------------------------------------------------------ functions

    def check_function(self, f: A.Function) -> C.Function:
        self.fn = f
        self.scopes = [{}]
        self.locals = []
        self.used_names = {}
        self.readonly = set()
        params = []
        for p in f.params:
            if p.name in self.scopes[0]:
                self.err(f"parameter `{p.name}` is declared twice", p.span, "name")
                continue
            var = self.declare(p.name, Type(p.type.base, p.type.array), p.urel, "param", p.span)
            params.append(var)
            self.readonly.add(var)
        self.result = None
        if f.ret is not None:
            self.result = self.fresh("result", Type(f.ret.base, f.ret.array), False, "result",
                                     f.name_span)
        unary = Ctx("a precondition", "unary")
        requires = [self.spec(e, unary, "`requires`") for e in f.requires]
        ens_ctx = Ctx("a postcondition", "unary", allow_result=True)
        ensures = [self.spec(e, ens_ctx, "`ensures`") for e in f.ensures]
        rel = Ctx("a relational precondition", "relational")
        requires_r = [self.spec(e, rel, "`requires_r`") for e in f.requires_r]
        default_rr = not f.requires_r
        if default_rr:
            requires_r = [self.eq_var(v, f.name_span) for v in params]
        ens_r_ctx = Ctx("a relational postcondition", "relational", allow_result=True)
        ensures_r = [self.spec(e, ens_r_ctx, "`ensures_r`") for e in f.ensures_r]
        reliability = [self.reliability_spec(s, params) for s in f.reliability]
        body = self.function_body(f)
        return C.Function(f.name, params, self.result, requires, ensures, requires_r, ensures_r,
                          reliability, body, self.locals, f.span, default_rr)

    def function_body(self, f: A.Function) -> list[C.Stmt]:
        stmts = list(f.body)
        last = stmts[-1] if stmts else None
        if f.ret is not None and not isinstance(last, A.Return):
            where = last.span if last else f.name_span
            self.err(f"function `{f.name}` declares a result of type `{f.ret}` but does not end "
                     "with `return`", where, "placement",
                     "add `return e;` as the last statement of the function body")
        if f.ret is None and isinstance(last, A.Return):
            self.err(f"function `{f.name}` has no result type, so it cannot return a value",
                     last.span, "placement",
                     f"declare the result type: `fn {f.name}(...) -> int` (or the type you need)")
            stmts = stmts[:-1]
        returns = f.ret is not None and isinstance(last, A.Return)
        self.scopes.append({})
        body: list[C.Stmt] = []
        for s in stmts[:-1] if returns else stmts:
            body.extend(self.stmt(s))
        if returns:
            value = self.expr(last.value, Ctx("the returned value", "code"))
            body.append(C.Assign(self.result, self.coerce(value, last.value, self.result.type,
                                                          "the returned value"), last.span))
        self.scopes.pop()
        return body

    def reliability_spec(self, s: A.ReliabilitySpec, params: list[C.Var]) -> C.ReliabilitySpec:
        for name, span in s.refs:
            if name != "R":
                self.err(f"`{name}(...)` means nothing in a reliability spec: reliabilities are "
                         "written `R(...)`", span, "reliability-spec",
                         "write `reliability R(result) >= c * R(p, ...)`")
        for _, span in s.refs[2:]:
            # R(a) * R(b) is not R(a, b): the two may fail together or exclusively.
            self.err("a reliability spec has at most one `R(...)` on the right", span,
                     "reliability-spec", "name every parameter in one: `R(a, b)` is the "
                     "probability that `a` and `b` are all correct")
        if s.target != ["result"]:
            self.err("a reliability spec must be about the result: write "
                     "`reliability R(result) >= c * R(p, ...)`", s.target_span, "reliability-spec")
        elif self.result is None:
            self.err(f"function `{self.fn.name}` has no result, so `R(result)` means nothing",
                     s.target_span, "reliability-spec", "add a result type and a `return`")
        factor = 1.0
        for fac in s.factors:
            v = self.eval_const(fac, "a reliability factor", reals=True)
            if v is None:
                continue
            if isinstance(v, bool) or not 0 <= v <= 1:
                self.err("a reliability factor must be a number between 0 and 1", fac.span,
                         "reliability-spec")
            else:
                factor *= float(v)
        inputs = []
        by_name = {p.source: p for p in params}
        for name in s.inputs or []:
            if name not in by_name:
                self.err(f"`R({name})`: `{name}` is not a parameter of `{self.fn.name}`",
                         s.span, "reliability-spec",
                         "the right-hand side names the parameters the result depends on")
            else:
                inputs.append(by_name[name])
        text = f"R(result) >= {factor:g}" + (
            f" * R({', '.join(s.inputs)})" if s.inputs is not None else "")
        return C.ReliabilitySpec(factor, inputs, s.span, text)

    # ------------------------------------------------------------ statements

    def block(self, stmts: list[A.Stmt]) -> list[C.Stmt]:
        self.scopes.append({})
        out: list[C.Stmt] = []
        for s in stmts:
            out.extend(self.stmt(s))
        self.scopes.pop()
        return out

    def stmt(self, s: A.Stmt) -> list[C.Stmt]:
        return _STMT_METHODS[type(s)](self, s)

    def stmt_Return(self, s: A.Return) -> list[C.Stmt]:
        self.err("`return` may only appear as the last statement of a function", s.span,
                 "placement", "compute the result into a variable and return it at the end")
        return []

    def stmt_Skip(self, s: A.Skip) -> list[C.Stmt]:
        return []

    def stmt_VarDecl(self, s: A.VarDecl) -> list[C.Stmt]:
        ty = Type(s.type.base, s.type.array)
        if isinstance(s.init, A.CallExpr):
            call = self.call(s.init, ty, s.span)
            var = self.declare(s.name, ty, s.urel, "local", s.name_span)
            if call is None:
                return []
            call.target = var
            return [call]
        value = None
        if s.init is not None:
            value = self.coerce(self.expr(s.init, Ctx("an initial value", "code")), s.init, ty,
                                f"the initial value of `{s.name}`")
        var = self.declare(s.name, ty, s.urel, "local", s.name_span)
        if value is not None:
            return [C.Assign(var, value, s.span)]
        if ty.array:
            return [C.NewArray(var, C.Const(0, INT, s.span), s.span)]
        default = {"int": 0, "real": Fraction(0), "bool": False}[ty.base]
        return [C.Assign(var, C.Const(default, ty, s.span), s.span)]

    def stmt_ArrayDecl(self, s: A.ArrayDecl) -> list[C.Stmt]:
        length = self.expect(s.length, INT, Ctx("an array length", "code"), "the array length")
        var = self.declare(s.name, Type(s.base, True), s.urel, "local", s.name_span)
        return [C.NewArray(var, length, s.span)]

    def target(self, name: str, span: A.Span, what: str = "assign to") -> Optional[C.Var]:
        var = self.lookup(name)
        if var is None:
            if name in self.consts:
                self.err(f"cannot {what} `{name}`: it is a constant", span, "readonly")
            else:
                self.undefined(name, span)
            return None
        if var in self.readonly:
            kind = "parameter" if var.kind == "param" else "loop counter"
            hint = (f"copy it into a local variable first: `var my_{name}: {var.type} = {name};`"
                    if var.kind == "param" else "the `for` loop advances it; use a `while` loop "
                    "to control the counter yourself")
            self.err(f"cannot {what} {kind} `{name}`: it is read-only", span, "readonly", hint)
        return var

    def stmt_Assign(self, s: A.Assign) -> list[C.Stmt]:
        var = self.target(s.target, s.target_span)
        if isinstance(s.value, A.CallExpr):
            call = self.call(s.value, var.type if var else None, s.span)
            if call is None or var is None:
                return []
            call.target = var
            return [call]
        value = self.expr(s.value, Ctx("an assigned value", "code"))
        if var is None:
            return []
        return [C.Assign(var, self.coerce(value, s.value, var.type, f"the value assigned to "
                                           f"`{s.target}`"), s.span)]

    def stmt_ArrayAssign(self, s: A.ArrayAssign) -> list[C.Stmt]:
        var = self.target(s.target, s.target_span)
        index = self.expect(s.index, INT, Ctx("an array index", "code"), "an array index")
        value = self.expr(s.value, Ctx("an assigned value", "code"))
        if var is None:
            return []
        if not var.type.array:
            self.err(f"`{s.target}` is not an array (it is {_tstr(var.type)})", s.target_span)
            return []
        return [C.Store(var, index, self.coerce(value, s.value, var.type.elem,
                                                f"an element of `{s.target}`"), s.span)]

    def stmt_CallStmt(self, s: A.CallStmt) -> list[C.Stmt]:
        call = self.call(s.call, None, s.span)
        return [call] if call else []

    def call(self, c: A.CallExpr, want: Optional[Type], span: A.Span) -> Optional[C.Call]:
        callee = self.functions.get(c.callee)
        args = [self.expr(a, Ctx("a call argument", "code")) for a in c.args]
        if callee is None:
            self.undefined(c.callee, c.callee_span, "function")
            return None
        if len(c.args) != len(callee.params):
            self.err(f"`{c.callee}` takes {len(callee.params)} argument(s) but is given {len(c.args)}",
                     c.span, "type")
            return None
        args = [self.coerce(a, src, Type(p.type.base, p.type.array), f"argument `{p.name}`")
                for a, src, p in zip(args, c.args, callee.params)]
        ret = Type(callee.ret.base, callee.ret.array) if callee.ret else None
        if want is not None:
            if ret is None:
                self.err(f"`{c.callee}` returns no value, so its call cannot be assigned", c.span,
                         "type", f"call it as a statement: `{c.callee}(...);`")
            elif not _fits(ret, want):
                self.err(f"`{c.callee}` returns {_tstr(ret)}, which cannot be assigned to a "
                         f"variable of type {_tstr(want)}", c.span, "type")
        elif ret is not None:
            self.err(f"the result of `{c.callee}` is not used", c.span, "placement",
                     f"assign it: `x = {c.callee}(...);`")
        return C.Call(None, c.callee, args, span)

    def stmt_Relax(self, s: A.Relax) -> list[C.Stmt]:
        targets = []
        seen = set()
        for n in s.targets:
            if n.ident in seen:  # one error for the repeat, not the target's again
                self.err(f"`{n.ident}` is listed twice", n.span, "name")
                continue
            var = self.target(n.ident, n.span, s.kind)
            seen.add(n.ident)
            if var is not None:
                targets.append(var)
        pred = self.expect(s.pred, BOOL, Ctx(f"a `{s.kind}` predicate", "unary", allow_old=True),
                           f"the `{s.kind}` predicate")
        return [C.Choose(s.kind, targets, pred, s.span)]

    def stmt_Check(self, s: A.Check) -> list[C.Stmt]:
        mode = "relational" if s.kind == "accept" else "unary"
        cond = self.spec(s.cond, Ctx(f"an `{s.kind}`", mode), f"`{s.kind}`")
        return [C.Check(s.kind, cond, s.span)]

    def stmt_If(self, s: A.If) -> list[C.Stmt]:
        cond = self.expect(s.cond, BOOL, Ctx("a condition", "code"), "the condition of `if`")
        return [C.If(cond, self.block(s.then), self.block(s.orelse), s.span)]

    def loop_specs(self, clauses: A.LoopClauses) -> tuple[list[C.Expr], list[C.Expr]]:
        inv = [self.spec(e, Ctx("a loop invariant", "unary"), "`invariant`")
               for e in clauses.invariants]
        inv_r = [self.spec(e, Ctx("a relational loop invariant", "relational"), "`invariant_r`")
                 for e in clauses.invariants_r]
        return inv, inv_r

    def no_bounds(self, clauses: A.LoopClauses, kind: str) -> None:
        for b in clauses.bounds:
            self.err(f"a `{kind}` loop cannot have a `bound`: its number of iterations is "
                     "already fixed", b.span, "placement", "remove the `bound` clause")

    def stmt_While(self, s: A.While) -> list[C.Stmt]:
        cond = self.expect(s.cond, BOOL, Ctx("a condition", "code"), "the condition of `while`")
        inv, inv_r = self.loop_specs(s.clauses)
        bound = None
        for i, b in enumerate(s.clauses.bounds):
            if i:
                self.err("a loop has at most one `bound`", b.span, "placement")
                continue
            bound = self.expect(b, INT, Ctx("a loop bound", "code"), "the loop bound")
        body = self.block(s.body)
        return [C.Loop("while", cond, body, inv, inv_r, s.span, bound=bound)]

    def counted_loop(self, kind: str, counter: C.Var, lo: C.Expr, hi: C.Expr, trips: Optional[int],
                     clauses: A.LoopClauses, body: list[A.Stmt], span: A.Span) -> list[C.Stmt]:
        """`counter = lo; while (counter < hi) { body; counter = counter + 1 }`, with the
        counter's range as an automatic invariant (hi evaluated once, into a ghost)."""
        out: list[C.Stmt] = [C.Assign(counter, lo, span)]
        lo_v, hi_v = lo, hi
        if not isinstance(lo, C.Const):
            lo_v = self.ghost(f"{counter.source}_lo", span)
            out.insert(0, C.Assign(lo_v.var, lo, span))
            out[1] = C.Assign(counter, lo_v, span)
        if not isinstance(hi, C.Const):
            hi_v = self.ghost(f"{counter.source}_hi", span)
            out.insert(0, C.Assign(hi_v.var, hi, span))
        inv, inv_r = self.loop_specs(clauses)
        self.no_bounds(clauses, kind)
        c = C.VarRef(counter, span)
        cond = C.BinOp("<", c, hi_v, BOOL, span)
        top = C.Apply("max", [lo_v, hi_v], INT, span)
        auto = [_and(C.BinOp("<=", lo_v, c, BOOL, span), C.BinOp("<=", c, top, BOOL, span))]
        auto_r = []
        if kind == "repeat":
            auto_r = [C.BinOp("==", C.VarRef(counter, span, "o"), C.VarRef(counter, span, "r"),
                              BOOL, span)]
        inner = self.block(body)
        step = C.Assign(counter, C.BinOp("+", c, C.Const(1, INT, span), INT, span), span)
        out.append(C.Loop(kind, cond, inner + [step], inv, inv_r, span, trips=trips,
                          counter=counter, auto_invariants=auto, auto_invariants_r=auto_r))
        return out

    def ghost(self, source: str, span: A.Span) -> C.VarRef:
        return C.VarRef(self.fresh(source, INT, False, "ghost", span), span)

    def stmt_For(self, s: A.For) -> list[C.Stmt]:
        lo = self.expect(s.lo, INT, Ctx("a loop range", "code"), "the start of the range")
        hi = self.expect(s.hi, INT, Ctx("a loop range", "code"), "the end of the range")
        self.scopes.append({})
        counter = self.declare(s.var, INT, False, "counter", s.var_span)
        self.readonly.add(counter)
        trips = None
        lo_n, hi_n = C.const_int(lo), C.const_int(hi)
        if lo_n is not None and hi_n is not None:  # `0 .. N + 1` is constant too
            trips = max(0, hi_n - lo_n)
        out = self.counted_loop("for", counter, lo, hi, trips, s.clauses, s.body, s.span)
        self.scopes.pop()
        return out

    def stmt_Repeat(self, s: A.Repeat) -> list[C.Stmt]:
        n = self.eval_const(s.count, "the count of `repeat`")
        if n is not None and (isinstance(n, bool) or not isinstance(n, int) or n < 0):
            self.err("the count of `repeat` must be a non-negative int", s.count.span)
            n = None
        n = 0 if n is None else n
        counter = self.fresh("repeat", INT, False, "counter", s.span)
        return self.counted_loop("repeat", counter, C.Const(0, INT, s.span),
                                 C.Const(n, INT, s.count.span), n, s.clauses, s.body, s.span)

    # ------------------------------------------------------------ expressions

    def spec(self, e: A.Expr, ctx: Ctx, what: str) -> C.Expr:
        return self.expect(e, BOOL, ctx, what)

    def expect(self, e: A.Expr, ty: Type, ctx: Ctx, what: str) -> C.Expr:
        return self.coerce(self.expr(e, ctx), e, ty, what)

    def coerce(self, value: C.Expr, src: A.Expr, ty: Type, what: str) -> C.Expr:
        """`value` as type `ty`: integer literals become reals; anything else must match."""
        if value.ty == ERR or ty == ERR or value.ty == ty:
            return value
        if ty == REAL and value.ty == INT and _is_int_literal(src):
            return _as_real(value)
        self.err(f"{what} must be {_tstr(ty)}, but this is {_tstr(value.ty)}", src.span, "type",
                 *_hint(ty, value.ty))
        return _error_expr(src.span, ty)

    def expr(self, e: A.Expr, ctx: Ctx) -> C.Expr:
        return _EXPR_METHODS[type(e)](self, e, ctx)

    def expr_IntLit(self, e: A.IntLit, ctx: Ctx) -> C.Expr:
        return C.Const(e.value, INT, e.span)

    def expr_RealLit(self, e: A.RealLit, ctx: Ctx) -> C.Expr:
        value = self.real_value(e)
        return _error_expr(e.span, REAL) if value is None else C.Const(value, REAL, e.span)

    def real_value(self, e: A.RealLit) -> Optional[Fraction]:
        """The literal's exact value, or None (reported) if its exponent is too large."""
        mantissa, _, exponent = e.text.lower().partition("e")
        digits = exponent.lstrip("+-").lstrip("0")
        if len(digits) > len(str(MAX_EXPONENT)) or (digits and int(digits) > MAX_EXPONENT):
            self.err(f"the exponent of `{e.text[:40]}` is too large for this tool "
                     f"(at most {MAX_EXPONENT} either way)", e.span, "limit")
            return None
        return Fraction(e.text)

    def expr_BoolLit(self, e: A.BoolLit, ctx: Ctx) -> C.Expr:
        return C.Const(e.value, BOOL, e.span)

    def var_ref(self, var: C.Var, span: A.Span, ctx: Ctx, name: str, old: bool = False) -> C.Expr:
        if ctx.mode == "relational" and var.kind != "bound" and ctx.side is None and not ctx.in_eq:
            self.err(f"`{name}` must say which execution it means in {ctx.where}: write "
                     f"`{name}<o>` (original) or `{name}<r>` (relaxed)", span, "adornment",
                     f"or `eq({name})` for `{name}<o> == {name}<r>`; relational clauses are "
                     f"{RELATIONAL_CLAUSES}")
            return _error_expr(span, var.type)
        side = ctx.side if var.kind != "bound" else None
        return C.VarRef(var, span, side, old)

    def expr_Name(self, e: A.Name, ctx: Ctx) -> C.Expr:
        if e.ident in ctx.bound:
            return C.VarRef(ctx.bound[e.ident], e.span)
        var = self.lookup(e.ident)
        if var is not None:
            return self.var_ref(var, e.span, ctx, e.ident)
        if e.ident in self.consts:
            value = self.const_value(e.ident, e.span)
            if value is None:
                return _error_expr(e.span, ERR)
            return C.Const(value, _const_type(value), e.span)
        if e.ident in self.functions:
            self.err(f"`{e.ident}` is a function; call it as `x = {e.ident}(...);`", e.span, "name")
        else:
            self.undefined(e.ident, e.span)
        return _error_expr(e.span, ERR)

    def expr_ResultRef(self, e: A.ResultRef, ctx: Ctx) -> C.Expr:
        if not ctx.allow_result:
            self.err(f"`result` can only be used in `ensures`, `ensures_r` and reliability specs, "
                     f"not in {ctx.where}", e.span, "placement")
            return _error_expr(e.span, ERR)
        if self.result is None:
            self.err(f"function `{self.fn.name}` has no result", e.span, "placement",
                     f"declare one: `fn {self.fn.name}(...) -> int`")
            return _error_expr(e.span, ERR)
        return self.var_ref(self.result, e.span, ctx, "result")

    def expr_Unary(self, e: A.Unary, ctx: Ctx) -> C.Expr:
        x = self.expr(e.operand, ctx)
        if e.op == "!":
            x = self.coerce(x, e.operand, BOOL, "the operand of `!`")
            if isinstance(x, C.Const):
                return C.Const(not x.value, BOOL, e.span)
            return C.Unary("!", x, BOOL, e.span)
        if x.ty not in (INT, REAL, ERR):
            self.err(f"`-` needs a number, but this is {_tstr(x.ty)}", e.operand.span)
            return _error_expr(e.span, ERR)
        if isinstance(x, C.Const):
            return C.Const(-x.value, x.ty, e.span)
        return C.Unary("-", x, x.ty, e.span)

    def check_unreliable(self, op: str, span: A.Span, ctx: Ctx) -> None:
        if op in UNRELIABLE and ctx.mode != "code":
            self.err(f"the unreliable operator `{op}` can only be used in code, not in {ctx.where}",
                     span, "placement", f"specifications are exact: write `{op[:-1]}`")

    def expr_Binary(self, e: A.Binary, ctx: Ctx) -> C.Expr:
        self.check_unreliable(e.op, e.span, ctx)
        left = self.expr(e.left, ctx)
        right = self.expr(e.right, ctx)
        op = e.op[:-1] if e.op in UNRELIABLE else e.op
        unreliable = e.op in UNRELIABLE
        if op in C.LOGIC_OPS:
            left = self.coerce(left, e.left, BOOL, f"the left operand of `{op}`")
            right = self.coerce(right, e.right, BOOL, f"the right operand of `{op}`")
            return C.BinOp(op, left, right, BOOL, e.span)
        left, right, ty = self.numeric_pair(e.op, left, e.left, right, e.right, e.span)
        if op == "%" and ty == REAL:
            self.err("`%` needs two ints", e.span, "type", "the remainder is defined for ints only")
        return C.BinOp(op, left, right, ty, e.span, unreliable)

    def numeric_pair(self, op: str, left: C.Expr, lsrc: A.Expr, right: C.Expr, rsrc: A.Expr,
                     span: A.Span) -> tuple[C.Expr, C.Expr, Type]:
        """Unify two numeric operands (an int literal fits a real)."""
        lt, rt = left.ty, right.ty
        if ERR in (lt, rt):
            return left, right, ERR
        for t, src in ((lt, lsrc), (rt, rsrc)):
            if t not in (INT, REAL):
                self.err(f"`{op}` needs numbers, but this is {_tstr(t)}", src.span)
                return left, right, ERR
        if lt == rt:
            return left, right, lt
        if lt == INT and _is_int_literal(lsrc):
            return _as_real(left), right, REAL
        if rt == INT and _is_int_literal(rsrc):
            return left, _as_real(right), REAL
        self.err(f"`{op}` needs operands of the same type, but they are {_tstr(lt)} and "
                 f"{_tstr(rt)}", span, "type", "convert the int one with `real(...)`")
        return left, right, ERR

    def expr_Chain(self, e: A.Chain, ctx: Ctx) -> C.Expr:
        operands = [self.expr(x, ctx) for x in e.operands]
        parts: list[C.Expr] = []
        for i, op in enumerate(e.ops):
            self.check_unreliable(op, e.span, ctx)
            l, lsrc, r, rsrc = operands[i], e.operands[i], operands[i + 1], e.operands[i + 1]
            base = op[:-1] if op in UNRELIABLE else op
            span = e.span if len(e.ops) == 1 else A.Span(
                e.span.path, lsrc.span.line, lsrc.span.column, rsrc.span.end_line,
                rsrc.span.end_column)
            if base in ("==", "!="):
                l, r = self.equality_pair(op, l, lsrc, r, rsrc, span)
            else:
                l, r, _ = self.numeric_pair(op, l, lsrc, r, rsrc, span)
            parts.append(C.BinOp(base, l, r, BOOL, span, op in UNRELIABLE))
        out = parts[0]
        for p in parts[1:]:
            out = C.BinOp("&&", out, p, BOOL, e.span)
        return out

    def equality_pair(self, op, l, lsrc, r, rsrc, span):
        if ERR in (l.ty, r.ty) or l.ty == r.ty:
            return l, r
        if {l.ty, r.ty} == {INT, REAL}:
            l, r, _ = self.numeric_pair(op, l, lsrc, r, rsrc, span)
            return l, r
        self.err(f"`{op}` compares values of one type, but these are {_tstr(l.ty)} and "
                 f"{_tstr(r.ty)}", span, "type")
        return l, r

    def expr_Index(self, e: A.Index, ctx: Ctx) -> C.Expr:
        arr = self.expr(e.array, ctx)
        idx = self.expect(e.index, INT, ctx.with_(where="an array index") if ctx.mode == "code"
                          else ctx, "an array index")
        if arr.ty == ERR:
            return _error_expr(e.span, ERR)
        if not arr.ty.array:
            self.err(f"only arrays can be indexed, but this is {_tstr(arr.ty)}", e.array.span)
            return _error_expr(e.span, ERR)
        return C.Select(arr, idx, arr.ty.elem, e.span)

    def expr_Adorned(self, e: A.Adorned, ctx: Ctx) -> C.Expr:
        text = f"<{e.side}>"
        if ctx.mode != "relational":
            plain = _plain_text(e.operand)
            fix = f"write `{plain}` without `{text}`" if plain else f"remove the `{text}`"
            self.err(f"`{text}` can only be used in relational clauses ({RELATIONAL_CLAUSES}), "
                     f"not in {ctx.where}", e.span, "adornment",
                     f"{ctx.where} is about one execution at a time: {fix}")
            return self.expr(e.operand, ctx.with_(mode="unary"))
        if ctx.side is not None or ctx.in_eq:
            self.err(f"`{text}` is inside another adornment or `eq(...)`; each variable takes one",
                     e.span, "adornment", f"remove the inner `{text}`")
            return self.expr(e.operand, ctx)
        if isinstance(e.operand, A.Name) and e.operand.ident in ctx.bound:
            name = e.operand.ident
            self.err(f"`{name}` is bound by a quantifier, so it is not adorned", e.span,
                     "adornment", f"it is the same in both executions: write `{name}`")
            return self.expr(e.operand, ctx)
        return self.expr(e.operand, ctx.with_(side=e.side))

    def eq_var(self, var: C.Var, span: A.Span) -> C.Expr:
        return C.BinOp("==", C.VarRef(var, span, "o"), C.VarRef(var, span, "r"), BOOL, span)

    def expr_Builtin(self, e: A.Builtin, ctx: Ctx) -> C.Expr:
        arity = {"old": 1, "len": 1, "abs": 1, "real": 1, "min": 2, "max": 2}
        if e.name != "eq" and len(e.args) != arity[e.name]:
            self.err(f"`{e.name}` takes {arity[e.name]} argument(s) but is given {len(e.args)}",
                     e.span, "type")
            return _error_expr(e.span, ERR)
        if e.name == "eq":
            return self.builtin_eq(e, ctx)
        if e.name == "old":
            return self.builtin_old(e, ctx)
        args = [self.expr(a, ctx) for a in e.args]
        if any(a.ty == ERR for a in args):
            return _error_expr(e.span, ERR)
        if e.name == "len":
            if not args[0].ty.array:
                self.err(f"`len` needs an array, but this is {_tstr(args[0].ty)}", e.args[0].span)
                return _error_expr(e.span, INT)
            return C.Apply("len", args, INT, e.span)
        if e.name == "real":
            if args[0].ty != INT:
                self.err(f"`real(...)` converts an int, but this is {_tstr(args[0].ty)}",
                         e.args[0].span)
                return _error_expr(e.span, REAL)
            if isinstance(args[0], C.Const):
                return C.Const(Fraction(args[0].value), REAL, e.span)
            return C.Apply("real", args, REAL, e.span)
        if e.name == "abs":
            if args[0].ty not in (INT, REAL):
                self.err(f"`abs` needs a number, but this is {_tstr(args[0].ty)}", e.args[0].span)
                return _error_expr(e.span, ERR)
            return C.Apply("abs", args, args[0].ty, e.span)
        a, b, ty = self.numeric_pair(e.name, args[0], e.args[0], args[1], e.args[1], e.span)
        return C.Apply(e.name, [a, b], ty, e.span)

    def builtin_eq(self, e: A.Builtin, ctx: Ctx) -> C.Expr:
        if ctx.mode != "relational":
            self.err(f"`eq(...)` relates the two executions, so it can only be used in relational "
                     f"clauses ({RELATIONAL_CLAUSES}), not in {ctx.where}", e.span, "adornment")
            return _error_expr(e.span, BOOL)
        if ctx.side is not None:
            self.err("`eq(...)` cannot be adorned: it already mentions both executions", e.span,
                     "adornment")
            return _error_expr(e.span, BOOL)
        if not e.args:
            self.err("`eq` needs at least one variable", e.span, "type")
            return _error_expr(e.span, BOOL)
        parts = []
        for a in e.args:
            if isinstance(a, A.ResultRef):
                x = self.expr_ResultRef(a, ctx.with_(in_eq=True))
                var = x.var if isinstance(x, C.VarRef) else None
            elif isinstance(a, A.Name) and self.lookup(a.ident) is not None:
                var = self.lookup(a.ident)
            else:
                if isinstance(a, A.Name):
                    self.expr_Name(a, ctx.with_(in_eq=True))
                else:
                    self.err("`eq` takes variable names, such as `eq(x, a)`", a.span, "adornment",
                             "to compare expressions, write `(e)<o> == (e)<r>`")
                var = None
            if var is not None:
                parts.append(self.eq_var(var, a.span))
        if not parts:
            return _error_expr(e.span, BOOL)
        out = parts[0]
        for p in parts[1:]:
            out = C.BinOp("&&", out, p, BOOL, e.span)
        return out

    def builtin_old(self, e: A.Builtin, ctx: Ctx) -> C.Expr:
        if not ctx.allow_old:
            self.err(f"`old(...)` can only be used in `relax` and `havoc` predicates, not in "
                     f"{ctx.where}", e.span, "placement")
            return _error_expr(e.span, ERR)
        arg = e.args[0]
        if not isinstance(arg, A.Name) or self.lookup(arg.ident) is None:
            if isinstance(arg, A.Name) and arg.ident not in self.consts:
                self.undefined(arg.ident, arg.span)
            else:
                self.err("`old` takes a variable name, such as `old(x)`", arg.span, "placement")
            return _error_expr(e.span, ERR)
        return C.VarRef(self.lookup(arg.ident), e.span, None, True)

    def expr_CallExpr(self, e: A.CallExpr, ctx: Ctx) -> C.Expr:
        if ctx.mode != "code":
            self.err(f"functions cannot be called in {ctx.where}", e.span, "placement",
                     "specifications may use only variables, built-ins and operators")
        else:
            self.err(f"a call of `{e.callee}` must be the whole right-hand side of an assignment",
                     e.span, "placement",
                     f"call it on its own first: `var t: T = {e.callee}(...);`, then use `t`")
        return _error_expr(e.span, ERR)

    def expr_Quant(self, e: A.Quant, ctx: Ctx) -> C.Expr:
        if ctx.mode == "code":
            self.err(f"quantifiers can only be used in specifications, not in {ctx.where}", e.span,
                     "placement")
            return _error_expr(e.span, BOOL)
        if e.var_type.array:
            self.err("a quantified variable must be int, real or bool", e.span, "type")
        if self.lookup(e.var) is not None or e.var in ctx.bound or e.var in self.consts:
            self.err(f"the quantified variable `{e.var}` shadows another name", e.span, "name",
                     "choose a different name for the quantified variable")
        var = self.fresh(e.var, Type(e.var_type.base), False, "bound", e.span)
        body = self.expect(e.body, BOOL, ctx.with_(bound={**ctx.bound, e.var: var}),
                           "the body of a quantifier")
        return C.Quant(e.kind, var, body, e.span)


# Dispatch by node type (the checker visits tens of thousands of nodes per second).
_EXPR_METHODS: dict[type, Callable] = {
    t: getattr(Checker, "expr_" + t.__name__) for t in A.Expr.__args__}
_STMT_METHODS: dict[type, Callable] = {
    t: getattr(Checker, "stmt_" + t.__name__) for t in A.Stmt.__args__}


# ---------------------------------------------------------------- helpers


def _const_type(v) -> Type:
    if isinstance(v, bool):
        return BOOL
    return INT if isinstance(v, int) else REAL


def _is_int_literal(e: A.Expr) -> bool:
    while isinstance(e, A.Unary) and e.op == "-":
        e = e.operand
    return isinstance(e, A.IntLit)


def _as_real(e: C.Expr) -> C.Expr:
    if isinstance(e, C.Const):
        return C.Const(Fraction(e.value), REAL, e.span)
    return C.Apply("real", [e], REAL, e.span)


def _error_expr(span: A.Span, ty: Type) -> C.Expr:
    return C.Const(0, ERR, span)


def _fits(have: Type, want: Type) -> bool:
    return have == want or ERR in (have, want)


def _hint(want: Type, have: Type) -> list[str]:
    hint = _conversion_hint(want, have)
    return [hint] if hint else []


def _conversion_hint(want: Type, have: Type) -> str:
    if want == REAL and have == INT:
        return "convert it with `real(...)`"
    if want == INT and have == REAL:
        return "Relax has no conversion from real to int; keep the value real"
    if want == BOOL and have in (INT, REAL):
        return "compare it, for example `x != 0`"
    return ""


def _and(a: C.Expr, b: C.Expr) -> C.Expr:
    return C.BinOp("&&", a, b, BOOL, a.span)


def _plain_text(e: A.Expr) -> Optional[str]:
    if isinstance(e, A.Name):
        return e.ident
    if isinstance(e, A.ResultRef):
        return "result"
    return None


def check(program: A.Program) -> C.Program:
    """Check `program` and lower it to the core language; raise RelaxError on errors."""
    with gc_paused():
        return Checker(program).run()

