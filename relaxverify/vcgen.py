"""Verification conditions for one function: symbolic execution of the product
of its original (O) and relaxed (R) executions, in passive form.

Design (see docs/verifier.md):

* Every intermediate value and every reachability condition is a fresh Z3
  constant defined by one *background fact* (`x!7 == x!3 + 1`,
  `reach!9 == reach!8 && c`). Facts only define or loosely constrain fresh
  symbols, so any prefix of them is satisfiable from any state: an obligation
  is checked against the facts before it plus its own negation, and the query
  grows linearly with the program (no duplication of post-conditions across
  sequential `if`s).
* Two reachability conditions are tracked: `ro` (the original execution got
  here: only O's own conditions) and `rp` (the pair got here: O's and R's
  conditions and the relational assumptions). Checks on O are guarded by `ro`,
  so original correctness is plain Hoare logic on O; checks on R and relational
  checks are guarded by `rp`, so R may assume that O did not fail.
* Control flow: an `if` whose two conditions are provably equal runs in
  lockstep; otherwise O runs its `if`, then R runs its own. Loops run in
  lockstep while both conditions hold, then each side alone, all steps checked
  against the unary invariants of their side and the relational invariant.
  A relational check where the two executions may be apart is `alignment`.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Callable, Optional

import z3

from . import core as C
from .ast import Span
from .core import BOOL, INT, Type
from .diagnostics import Diagnostic
from .obligations import SIDE_NAMES, Instance, Obligation, show
from .smt import (ArrayVal, Value, conj, default_value, floor_div, floor_mod, literal,
                  optional_error, same, sort_of, values_equal)

BOTH = "or"
# Resource budget of one side query (a small constant keeps generation linear;
# running out only makes the generator treat the two executions as apart).
DECISION_RLIMIT = 300_000


@dataclass
class State:
    """Values of each execution's variables, and how the executions got here."""

    o: dict  # Var -> Value
    r: dict
    ro: z3.BoolRef  # the original execution reaches this point
    rp: z3.BoolRef  # the pair reaches this point (implies ro)
    path: tuple = ()
    parts: tuple = ()  # the conjuncts of rp, for sliced side queries

    def copy(self) -> "State":
        return State(dict(self.o), dict(self.r), self.ro, self.rp, self.path, self.parts)

    def vals(self, side: str) -> dict:
        return self.o if side == "o" else self.r

    def guard(self, side: Optional[str]) -> z3.BoolRef:
        return self.ro if side == "o" else self.rp


@dataclass
class Cx:
    """How to evaluate one expression: on which side, with which variables, as code
    (integrity checks, faults) or as a specification (exact, total)."""

    side: Optional[str]
    vals: dict  # "o"/"r" -> {Var: Value}
    code: bool = False
    st: Optional[State] = None  # for integrity checks (code only)
    old: Optional[dict] = None
    local: list = field(default_factory=list)  # short-circuit conditions
    bound: dict = field(default_factory=dict)
    assumed: list = field(default_factory=list)


@dataclass
class Record:
    """A trace event a counterexample reports: a relax/havoc choice, a fault, or a
    loop/call summarised by its specification (which makes the trace abstract)."""

    kind: str  # "choice", "fault" or "abstract"
    side: str
    guard: z3.BoolRef
    values: dict = field(default_factory=dict)  # source name -> (term, Type) for choices
    term: Optional[z3.ExprRef] = None
    exact: Optional[z3.ExprRef] = None
    ty: Optional[Type] = None


@dataclass
class Faults:
    """Which unreliable operations may fail in R (from the --hardware model)."""

    model: Optional[C.HardwareModel]

    def op(self, op: str) -> tuple[bool, Optional[float]]:
        if self.model is None:
            return True, None
        m = self.model.op(op)
        return m.prob < 1.0, m.error

    @property
    def read(self) -> bool:
        return self.model is None or self.model.read < 1.0

    @property
    def write(self) -> bool:
        return self.model is None or self.model.write < 1.0


class Decider:
    """Side queries the generator asks while building the product (are two
    conditions equal here? is this point reachable?). Unknown counts as 'no',
    which is always the sound answer.

    One incremental solver holds the background facts as they are created
    (facts are definitional, so the current list is a sound context at any
    point); each question is a push/check/pop, which keeps the generator linear.
    """

    def __init__(self, timeout_s: float, rlimit: int):
        self.timeout_ms = int(timeout_s * 1000)
        self.rlimit = max(1, min(rlimit, DECISION_RLIMIT))
        self.seconds = 0.0
        self.queries = 0
        self._solver: Optional[z3.Solver] = None
        self._synced = 0

    def forget_after(self, n: int) -> None:
        """The generator dropped facts from index n on."""
        if n < self._synced:
            self._solver = None

    def check_alone(self, formulas: list) -> z3.CheckSatResult:
        """Satisfiability of a self-contained (sliced) query, in a fresh solver."""
        import time
        t0 = time.perf_counter()
        s = z3.Solver()
        s.set("timeout", self.timeout_ms)
        s.set("rlimit", self.rlimit)
        s.add(formulas)
        self.queries += 1
        try:
            return s.check()
        except z3.Z3Exception:
            return z3.unknown
        finally:
            self.seconds += time.perf_counter() - t0

    def check(self, facts: list, goal: z3.BoolRef) -> z3.CheckSatResult:
        import time
        t0 = time.perf_counter()
        if self._solver is None:
            self._solver = z3.Solver()
            self._solver.set("timeout", self.timeout_ms)
            self._solver.set("rlimit", self.rlimit)
            self._synced = 0
        s = self._solver
        for f in facts[self._synced:]:
            s.add(f)
        self._synced = len(facts)
        s.push()
        s.add(goal)
        self.queries += 1
        try:
            return s.check()
        except z3.Z3Exception:
            return z3.unknown
        finally:
            s.pop()
            self.seconds += time.perf_counter() - t0


class VCGen:
    def __init__(self, program: C.Program, fn: C.Function, faults: Faults, decider: Decider):
        self.program = program
        self.fn = fn
        self.faults = faults
        self.decider = decider
        self.facts: list[z3.BoolRef] = []
        self.defs: dict[int, int] = {}  # symbol id -> index of the fact defining it
        self._symbols: dict[int, tuple] = {}
        self.obligations: dict[tuple, Obligation] = {}
        self.records: list[Record] = []
        self.warnings: list[Diagnostic] = []
        self.entry_o: dict = {}
        self.entry_r: dict = {}
        self._ids = itertools.count(1)
        self._ghosts = itertools.count(1)
        self._dry = 0

    # ------------------------------------------------------------ fresh symbols

    def fresh(self, hint: str, sort: z3.SortRef) -> z3.ExprRef:
        return z3.Const(f"{hint}!{next(self._ids)}", sort)

    def fresh_value(self, var: C.Var, side: str, keep_length: Optional[z3.ArithRef] = None
                    ) -> tuple[Value, list]:
        """A fresh value for `var`; arrays get a fresh length >= 0 unless kept."""
        name = f"{var.name}<{side}>"
        if var.type.array:
            arr = self.fresh(name, sort_of(var.type))
            if keep_length is not None:
                return ArrayVal(arr, keep_length), []
            n = self.fresh(f"len({name})", z3.IntSort())
            return ArrayVal(arr, n), [n >= 0]
        return self.fresh(name, sort_of(var.type)), []

    def define(self, hint: str, term: Value) -> Value:
        """A fresh constant equal to `term` (passive form), unless `term` is trivial."""
        if isinstance(term, ArrayVal):
            arr = term.arr if _trivial(term.arr) else self.define(hint, term.arr)
            n = term.length if _trivial(term.length) else self.define(f"len({hint})", term.length)
            return ArrayVal(arr, n)
        if _trivial(term):
            return term
        c = self.fresh(hint, term.sort())
        self.defs[c.get_id()] = len(self.facts)
        self.facts.append(c == term)
        return c

    def reach(self, term: z3.BoolRef) -> z3.BoolRef:
        return self.define("reach", term)

    def assume(self, st: State, side: Optional[str], cond: z3.BoolRef, text: str = "") -> None:
        """Continue only where `cond` holds (O's conditions also restrict the pair)."""
        if z3.is_true(cond):
            return
        if side == "o":
            st.ro = self.reach(conj([st.ro, cond]))
        st.rp = self.reach(conj([st.rp, cond]))
        st.parts = st.parts + (cond,)
        if text:
            st.path = st.path + (text,)

    def ghost(self, source: str, span: Span) -> C.Var:
        return C.Var(f"{source}!{next(self._ghosts)}", source, INT, False, "ghost", span)

    # ------------------------------------------------------------ obligations

    def oblige(self, kind: str, side: Optional[str], span: Span, explanation: str,
               goal_text: str, guard: z3.BoolRef, goal: z3.BoolRef, st: State) -> None:
        if self._dry:
            return
        side_name = SIDE_NAMES[side]
        key = (kind, side_name, span.line, span.column, explanation)
        ob = self.obligations.get(key)
        if ob is None:
            base = f"{self.fn.name}/{kind}/{side_name}@{span.line}:{span.column}"
            taken = {o.id for o in self.obligations.values()}
            oid, n = base, 1
            while oid in taken:
                n += 1
                oid = f"{base}#{n}"
            ob = Obligation(oid, self.fn.name, kind, side_name, span, explanation, goal_text)
            self.obligations[key] = ob
        ob.instances.append(Instance(guard, goal, len(self.facts), len(self.records),
                                     dict(st.o), dict(st.r), st.path))

    def drop_facts(self, mark: int) -> None:
        del self.facts[mark:]
        self.defs = {k: i for k, i in self.defs.items() if i < mark}
        self.decider.forget_after(mark)

    def symbols(self, t: z3.ExprRef) -> frozenset:
        """Ids of the uninterpreted constants in `t` (memoised)."""
        key = t.get_id()
        got = self._symbols.get(key)
        if got is not None:
            return got[1]
        out: set = set()
        stack, seen = [t], set()
        while stack:
            x = stack.pop()
            xid = x.get_id()
            if xid in seen:
                continue
            seen.add(xid)
            known = self._symbols.get(xid)
            if known is not None:
                out |= known[1]
            elif z3.is_quantifier(x):
                stack.append(x.body())
            elif z3.is_app(x):
                if x.num_args() == 0 and x.decl().kind() == z3.Z3_OP_UNINTERPRETED:
                    out.add(xid)
                else:
                    stack.extend(x.children())
        result = frozenset(out)
        self._symbols[key] = (t, result)  # keeping t alive keeps its id unique
        return result

    def slice(self, st: State, goal: z3.BoolRef) -> list:
        """`goal` with the facts and path conjuncts that share symbols with it,
        transitively: a weaker context than the whole path, so 'unsat' still
        means unsat under the path, at a cost that does not grow with it."""
        syms: set = set()
        chosen_facts: set = set()
        todo = list(self.symbols(goal))
        remaining = list(st.parts)
        chosen_parts: list = []
        while True:
            while todo:
                x = todo.pop()
                if x in syms:
                    continue
                syms.add(x)
                i = self.defs.get(x)
                if i is not None and i not in chosen_facts:
                    chosen_facts.add(i)
                    todo.extend(self.symbols(self.facts[i]) - syms)
            rest = []
            for p in remaining:
                ps = self.symbols(p)
                if ps & syms:
                    chosen_parts.append(p)
                    todo.extend(ps - syms)
                else:
                    rest.append(p)
            remaining = rest
            if not todo:
                break
        return [self.facts[i] for i in sorted(chosen_facts)] + chosen_parts + [goal]

    def record(self, rec: Record) -> None:
        if not self._dry:
            self.records.append(rec)

    def check_spec(self, kind: str, side: Optional[str], e: C.Expr, st: State, what: str,
                   span: Optional[Span] = None, vals: Optional[dict] = None,
                   assume_after: bool = True) -> z3.BoolRef:
        """Oblige `e` on `side` (None: relational), then assume it."""
        cx = Cx(side, vals or {"o": st.o, "r": st.r})
        goal = self.expr(e, cx)
        text = show(e)
        where = _side_phrase(side)
        self.oblige(kind, side, span or e.span, what.format(e=f"`{text}`", where=where),
                    show(e, side), st.guard(side), goal, st)
        if assume_after:
            self.assume(st, side, goal)
        return goal

    # ------------------------------------------------------------ expressions

    def expr(self, e: C.Expr, cx: Cx) -> Value:
        method: Callable = getattr(self, "e_" + type(e).__name__)
        return method(e, cx)

    def code(self, e: C.Expr, st: State, side: str) -> Value:
        """Evaluate code on one side: integrity checks, faults; assume the checks after."""
        cx = Cx(side, {"o": st.o, "r": st.r}, code=True, st=st)
        v = self.expr(e, cx)
        if cx.assumed:
            self.assume(st, side, conj(cx.assumed))
        return v

    def integrity(self, kind: str, cx: Cx, span: Span, explanation: str, goal_text: str,
                  cond: z3.BoolRef) -> None:
        st = cx.st
        guard = conj([st.guard(cx.side)] + cx.local)
        self.oblige(kind, cx.side, span, explanation, goal_text, guard, cond, st)
        cx.assumed.append(z3.Implies(conj(cx.local), cond) if cx.local else cond)

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
            if e.op in ("/", "%") and cx.code:
                self.integrity("division", cx, e.span,
                               f"the divisor `{show(e.right)}` is not zero{_side_phrase(cx.side)}",
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
        if cx.code:
            self.integrity("bounds", cx, e.span,
                           f"the index `{show(e.index)}` is within `0 <= i < len({show(e.array)})`"
                           f"{_side_phrase(cx.side)}",
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
        inner = Cx(cx.side, cx.vals, False, cx.st, cx.old, [], {**cx.bound, e.var: x}, [])
        body = self.expr(e.body, inner)
        return z3.ForAll([x], body) if e.kind == "forall" else z3.Exists([x], body)

    # ------------------------------------------------------------ functions

    def run(self) -> None:
        fn = self.fn
        st = State({}, {}, z3.BoolVal(True), z3.BoolVal(True))
        shared = _eq_params(fn.requires_r)
        entry_facts_o, entry_facts_r = [], []
        for p in fn.params:
            v, extra = self.fresh_value(p, "o")
            st.o[p] = v
            entry_facts_o += extra
            if p in shared:
                st.r[p] = v
            else:
                v, extra = self.fresh_value(p, "r")
                st.r[p] = v
                entry_facts_r += extra
        self.entry_o, self.entry_r = dict(st.o), dict(st.r)
        self.assume(st, "o", conj(entry_facts_o))
        self.assume(st, "r", conj(entry_facts_r))
        for e in fn.requires:
            self.assume(st, "o", self.expr(e, Cx("o", {"o": st.o, "r": st.r})),
                        f"line {e.span.line}: requires {show(e, 'o')}")
        ro_requires = st.ro
        for e in fn.requires:
            self.assume(st, "r", self.expr(e, Cx("r", {"o": st.o, "r": st.r})),
                        f"line {e.span.line}: requires {show(e, 'r')}")
        for e in fn.requires_r:
            if not _is_shared_eq(e, shared):
                self.assume(st, None, self.expr(e, Cx(None, {"o": st.o, "r": st.r})),
                            f"line {e.span.line}: requires_r {show(e)}")
        self.vacuity_of_preconditions(ro_requires, st.rp)
        self.block(fn.body, st, BOTH)
        for e in fn.ensures:
            for side in "or":
                self.check_spec("ensures", side, e, st,
                                "the postcondition {e} holds at the end of `" + fn.name +
                                "`{where}")
        for e in fn.ensures_r:
            self.check_spec("ensures_r", None, e, st, "the relational postcondition {e} holds "
                            "at the end of `" + fn.name + "`", assume_after=False)

    def vacuity_of_preconditions(self, ro: z3.BoolRef, rp: z3.BoolRef) -> None:
        if not (self.fn.requires or not self.fn.requires_r_default):
            return
        if self.decider.check(self.facts, ro) == z3.unsat:
            msg = f"the preconditions of `{self.fn.name}` are contradictory"
        elif self.decider.check(self.facts, rp) == z3.unsat:
            msg = (f"the preconditions of `{self.fn.name}` (with `requires_r`) cannot hold for "
                   "any pair of executions")
        else:
            return
        self.warnings.append(Diagnostic("warning", msg + "; every obligation of this function "
                                        "then holds vacuously", self.fn.span, "vacuous",
                                        ["no input satisfies them, so the proofs say nothing"]))

    # ------------------------------------------------------------ statements

    def block(self, stmts: list[C.Stmt], st: State, sides: str) -> None:
        for s in stmts:
            getattr(self, "s_" + type(s).__name__)(s, st, sides)

    def s_Assign(self, s: C.Assign, st: State, sides: str) -> None:
        raw = {}
        for side in sides:
            v = self.code(s.value, st, side)
            if side == "r" and s.var.urel and not s.var.type.array and self.faults.write:
                cx = Cx("r", {"o": st.o, "r": st.r}, code=True, st=st)
                v = self.fault(cx, v, s.var.type, None, f"write {s.var.source}")
            if side == "r" and "o" in raw and same(v, raw["o"]):
                st.r[s.var] = st.o[s.var]  # the same value in both executions
            else:
                st.vals(side)[s.var] = self.define(f"{s.var.name}<{side}>", v)
            raw[side] = v

    def s_Store(self, s: C.Store, st: State, sides: str) -> None:
        done: dict = {}
        for side in sides:
            cx = Cx(side, {"o": st.o, "r": st.r}, code=True, st=st)
            a = st.vals(side)[s.var]
            i = self.expr(s.index, cx)
            v = self.expr(s.value, cx)
            self.integrity("bounds", cx, s.span,
                           f"the index `{show(s.index)}` is within `0 <= i < len({s.var.source})`"
                           f"{_side_phrase(side)}",
                           f"0 <= {show(s.index, side)} < len({s.var.source}<{side}>)",
                           z3.And(0 <= i, i < a.length))
            if cx.assumed:
                self.assume(st, side, conj(cx.assumed))
            if side == "r" and s.var.urel and self.faults.write:
                v = self.fault(cx, v, s.var.type.elem, None, f"write {s.var.source}[]")
            if "o" in done and same(done["o"][0], a) and done["o"][1].eq(i) and done["o"][2].eq(v):
                st.r[s.var] = st.o[s.var]  # both executions store the same value
                continue
            done[side] = (a, i, v)
            st.vals(side)[s.var] = self.define(f"{s.var.name}<{side}>",
                                               ArrayVal(z3.Store(a.arr, i, v), a.length))

    def s_NewArray(self, s: C.NewArray, st: State, sides: str) -> None:
        raw: dict = {}
        for side in sides:
            cx = Cx(side, {"o": st.o, "r": st.r}, code=True, st=st)
            n = self.expr(s.length, cx)
            self.integrity("length", cx, s.span,
                           f"the array length `{show(s.length)}` is not negative"
                           f"{_side_phrase(side)}", f"{show(s.length, side)} >= 0", n >= 0)
            if cx.assumed:
                self.assume(st, side, conj(cx.assumed))
            elem = z3.K(z3.IntSort(), default_value(s.var.type.elem))
            if side == "r" and "o" in raw and n.eq(raw["o"]):
                st.r[s.var] = st.o[s.var]
            else:
                st.vals(side)[s.var] = ArrayVal(elem, self.define(f"len({s.var.name})", n))
            raw[side] = n

    def s_Check(self, s: C.Check, st: State, sides: str) -> None:
        if s.kind == "accept":
            if sides == BOTH:
                self.check_spec("accept", None, s.cond, st, "the accepted relation {e} holds "
                                "between the two executions", span=s.span)
            else:
                self.misaligned(s.span, st, "this `accept`", show(s.cond))
            return
        for side in sides:
            if s.kind == "assume" and side == "o":
                self.assume(st, "o", self.expr(s.cond, Cx("o", {"o": st.o, "r": st.r})),
                            f"line {s.span.line}: assume {show(s.cond, 'o')}")
            elif s.kind == "assume":
                self.check_spec("assume", "r", s.cond, st, "the relaxed execution satisfies "
                                "{e}, which the original assumes", span=s.span)
            else:
                self.check_spec("assert", side, s.cond, st, "the assertion {e} holds{where}",
                                span=s.span)

    def misaligned(self, span: Span, st: State, what: str, text: str) -> None:
        self.oblige("alignment", None, span, f"both executions reach {what} together",
                    f"unreachable unless aligned: {text}", st.rp, z3.BoolVal(False), st)

    def s_Choose(self, s: C.Choose, st: State, sides: str) -> None:
        for side in sides:
            if s.kind == "relax" and side == "o":
                continue
            vals = st.vals(side)
            old = dict(vals)
            extra = []
            chosen = {}
            for var in s.vars:
                v, ex = self.fresh_value(var, side)
                vals[var] = v
                extra += ex
                chosen[var.source] = (v, var.type)
            cx = Cx(side, {"o": st.o, "r": st.r}, old={side: old})
            pred = self.expr(s.pred, cx)
            before = st.copy()
            self.assume(st, side, conj(extra + [pred]),
                        f"line {s.span.line}: {s.kind} {show(s.pred, side)}")
            self.record(Record("choice", side, st.guard(side), values=chosen))
            self.vacuity_of_choice(s, side, before, conj(extra + [pred]))

    def vacuity_of_choice(self, s: C.Choose, side: str, before: State, pred) -> None:
        """Warn when no values satisfy the predicate (a sliced query first: cheap,
        and its 'unsat' is conclusive), unless the statement is dead code anyway."""
        if self._dry:
            return
        if self.decider.check_alone(self.slice(before, pred)) != z3.unsat:
            return
        if self.decider.check(self.facts, before.guard(side)) == z3.unsat:
            return  # the statement is unreachable anyway
        who = "the relaxed execution" if s.kind == "relax" else f"the {SIDE_NAMES[side]} execution"
        self.warnings.append(Diagnostic(
            "warning", f"the `{s.kind}` predicate can never be satisfied here, so {who} always "
            "stops at this statement; every obligation after it holds vacuously", s.span,
            "vacuous", ["check the predicate: no values of the variables satisfy it"]))

    def s_If(self, s: C.If, st: State, sides: str) -> None:
        conds = {side: self.code(s.cond, st, side) for side in sides}
        if sides == BOTH and not self.equal_here(st, conds["o"], conds["r"]):
            for side in "or":  # the executions may part: O's `if`, then R's
                self.branch(s, st, side, {side: conds[side]})
            return
        self.branch(s, st, sides, conds)

    def branch(self, s: C.If, st: State, sides: str, conds: dict) -> None:
        """Run both arms of `s` on `sides` (whose conditions agree) and join them."""
        then, other = st.copy(), st.copy()
        for side in sides:
            text = show(s.cond, side)
            self.assume(then, side, conds[side], f"line {s.span.line}: if ({text}) [then]")
            self.assume(other, side, z3.Not(conds[side]), f"line {s.span.line}: if ({text}) [else]")
        entry = (then.ro, then.rp, other.ro, other.rp)
        self.block(s.then, then, sides)
        self.block(s.orelse, other, sides)
        self.join(st, then, other, conds, sides, entry)

    def join(self, st: State, a: State, b: State, conds: dict, sides: str,
             entry: tuple) -> None:
        """Merge the arms: values by the condition; reachability as the disjunction,
        or unchanged when neither arm added an assumption (so that sequential
        `if`s do not pile up disjunctions for the solver to split)."""
        cache: dict = {}
        for side in sides:
            c = conds[side]
            table = st.vals(side)
            for var in list(table):
                va, vb = a.vals(side).get(var), b.vals(side).get(var)
                if va is None or vb is None:
                    continue
                if same(va, vb):
                    table[var] = va
                    continue
                key = (_key(va), _key(vb), c.get_id())
                if key not in cache:
                    cache[key] = self.define(f"{var.name}<{side}>", _ite(c, va, vb))
                table[var] = cache[key]
        if a.ro.eq(entry[0]) and b.ro.eq(entry[2]):
            pass  # st.ro: neither arm restricted the original execution
        else:
            st.ro = a.ro if a.ro.eq(b.ro) else self.reach(z3.Or(a.ro, b.ro))
        if a.rp.eq(entry[1]) and b.rp.eq(entry[3]):
            pass
        elif a.rp.eq(b.rp):
            st.rp, st.parts = a.rp, a.parts
        else:
            st.rp = self.reach(z3.Or(a.rp, b.rp))
            n = len(st.parts)
            st.parts = st.parts + (z3.Or(conj(list(a.parts[n:])), conj(list(b.parts[n:]))),)

    def equal_here(self, st: State, a: z3.BoolRef, b: z3.BoolRef) -> bool:
        """Do the two conditions agree wherever the pair can be here?"""
        if a.eq(b):
            return True
        return self.decider.check_alone(self.slice(st, a != b)) == z3.unsat

    # ------------------------------------------------------------ calls

    def s_Call(self, s: C.Call, st: State, sides: str) -> None:
        f = self.program.functions[s.callee]
        env: dict = {}
        for side in sides:
            env[side] = {p: self.code(a, st, side) for p, a in zip(f.params, s.args)}
        for side in sides:
            for e in f.requires:
                self.check_spec("requires", side, e, st, "the precondition {e} of `" + f.name +
                                "` holds at this call{where}", span=s.span,
                                vals={side: env[side]})
        if sides == BOTH:
            for e in f.requires_r:
                self.check_spec("requires_r", None, e, st, "the relational precondition {e} of `"
                                + f.name + "` holds at this call", span=s.span, vals=env)
        elif f.requires_r and not f.requires_r_default:
            self.misaligned(s.span, st, f"this call of `{f.name}` (its `requires_r` relates "
                            "both executions)", " && ".join(show(e) for e in f.requires_r))
        for side in sides:
            if s.target is not None:
                v, extra = self.fresh_value(s.target, side)
                st.vals(side)[s.target] = v
                env[side][f.result] = v
                self.assume(st, side, conj(extra))
            for e in f.ensures:
                self.assume(st, side, self.expr(e, Cx(side, {side: env[side]})),
                            f"line {s.span.line}: {f.name} ensures {show(e, side)}")
        if sides == BOTH:
            for e in f.ensures_r:
                self.assume(st, None, self.expr(e, Cx(None, env)),
                            f"line {s.span.line}: {f.name} ensures_r {show(e)}")
        self.record(Record("abstract", sides, st.ro if sides == "o" else st.rp))

    # ------------------------------------------------------------ loops

    def s_Loop(self, s: C.Loop, st: State, sides: str) -> None:
        mod = C.assigned_vars(s.body)
        store_only = _store_only(s.body)
        counters: list[C.Var] = []
        bound_vars = None
        if s.bound is not None:
            n_var, it_var = self.ghost("bound", s.bound.span), self.ghost("iterations", s.span)
            for side in sides:
                n = self.code(s.bound, st, side)
                self.check_bound(s, st, side, n)
                st.vals(side)[n_var] = self.define(f"bound<{side}>", n)
                st.vals(side)[it_var] = z3.IntVal(0)
            bound_vars = (n_var, it_var)
            mod = mod | {it_var}
            counters.append(it_var)
        if s.counter is not None:
            counters.append(s.counter)
        # entry
        self.loop_invariants(s, st, sides, "holds when the loop is entered", sides == BOTH)
        if sides != BOTH and s.invariants_r:
            for e in s.invariants_r:
                self.misaligned(e.span, st, "this loop (its `invariant_r` relates both "
                                "executions)", show(e))
        h, lock = self.loop_head(s, st, sides, mod, store_only, counters, bound_vars)
        self.record(Record("abstract", sides, h.ro if sides == "o" else h.rp))
        conds = {side: self.loop_cond(s, h, side, bound_vars) for side in sides}
        # lockstep (or the only side)
        body = h.copy()
        for side in sides:
            self.assume(body, side, conds[side], f"line {s.span.line}: loop condition {show(s.cond, side)}")
        self.iteration(s, body, sides, bound_vars, relational=sides == BOTH)
        if not lock:
            for side in "or":
                other = "r" if side == "o" else "o"
                alone = h.copy()
                self.assume(alone, side, conds[side])
                self.assume(alone, "r", z3.Not(conds[other]),
                            f"line {s.span.line}: only the {SIDE_NAMES[side]} execution "
                            "is still in the loop")
                self.iteration(s, alone, side, bound_vars, relational=True)
        # exit
        st.o, st.r, st.ro, st.rp, st.path, st.parts = h.o, h.r, h.ro, h.rp, h.path, h.parts
        for side in sides:
            self.assume(st, side, z3.Not(conds[side]), f"line {s.span.line}: loop exit !({show(s.cond, side)})")

    def loop_head(self, s: C.Loop, st: State, sides: str, mod: set, store_only: set,
                  counters: list, bound_vars) -> tuple[State, bool]:
        """The state at the loop head (an arbitrary iteration), and whether the two
        executions provably run the loop in lockstep.

        Candidate relational facts `v<o> == v<r>` (loop counters, variables of the
        condition) are kept when they hold on entry, are preserved by a lockstep
        iteration (Houdini: drop the failing ones and retry), and make the two
        conditions equal, which rules out the one-sided iterations that could break
        them. They make ordinary counted loops run in lockstep without annotations.
        """
        cands: list[C.Var] = []
        if sides == BOTH:
            pool = list(counters) + sorted(C.free_vars(s.cond) & mod, key=lambda v: v.name)
            for c in pool:
                if (c not in cands and c in st.o and c in st.r
                        and self.equal_vals(st, st.o[c], st.r[c])):
                    cands.append(c)
        mark = len(self.facts)
        while True:
            h = self.havoc(s, st, sides, mod, store_only, cands)
            if cands:
                kept = self.preserved(s, h, cands, bound_vars)
                if len(kept) < len(cands):
                    self.drop_facts(mark)
                    cands = kept
                    continue
            conds = self.dry_conds(s, h, sides, bound_vars)
            lock = sides != BOTH or self.equal_here(h, conds["o"], conds["r"])
            if lock or not cands:
                return h, lock
            self.drop_facts(mark)
            cands = []

    def preserved(self, s: C.Loop, h: State, cands: list, bound_vars) -> list:
        """The candidates that a lockstep iteration keeps equal (a dry run)."""
        self._dry += 1
        try:
            body = h.copy()
            for side in BOTH:
                self.assume(body, side, self.loop_cond(s, body, side, bound_vars))
            self.block(s.body, body, BOTH)
            if bound_vars is not None:
                it = bound_vars[1]
                for side in BOTH:
                    body.vals(side)[it] = self.define("iterations", body.vals(side)[it] + 1)
            return [c for c in cands if c in body.o and c in body.r
                    and self.equal_vals(body, body.o[c], body.r[c])]
        finally:
            self._dry -= 1

    def check_bound(self, s: C.Loop, st: State, side: str, n: z3.ArithRef) -> None:
        self.oblige("bound", side, s.bound.span,
                    f"the loop bound `{show(s.bound)}` is not negative{_side_phrase(side)}",
                    f"{show(s.bound, side)} >= 0", st.guard(side), n >= 0, st)
        self.assume(st, side, n >= 0)

    def equal_vals(self, st: State, a: Value, b: Value) -> bool:
        if same(a, b):
            return True
        return self.decider.check_alone(self.slice(st, z3.Not(values_equal(a, b)))) == z3.unsat

    def loop_invariants(self, s: C.Loop, st: State, sides: str, when: str,
                        relational: bool) -> None:
        """Oblige the unary invariants on each side in `sides`, and the relational
        ones when the loop is run as a product (`relational`)."""
        for side in sides:
            for e in s.invariants:
                self.check_spec("invariant", side, e, st, "the loop invariant {e} " + when +
                                "{where}")
        if relational:
            for e in s.invariants_r:
                self.check_spec("invariant_r", None, e, st, "the relational invariant {e} "
                                + when, assume_after=False)

    def havoc(self, s: C.Loop, st: State, sides: str, mod: set, store_only: set,
              cands: list) -> State:
        h = st.copy()
        extra = {"o": [], "r": []}
        for side in sides:
            table = h.vals(side)
            for var in mod:
                if var not in table:
                    continue
                keep = table[var].length if var in store_only else None
                v, ex = self.fresh_value(var, side, keep)
                table[var] = v
                extra[side] += ex
        if sides == BOTH:
            shared = set(cands) | _eq_vars(s.invariants_r)
            for var in shared:
                if var in mod and var in h.o and var in h.r:
                    h.r[var] = h.o[var]
        for side in sides:
            facts = extra[side]
            for e in s.invariants + s.auto_invariants:
                facts.append(self.expr(e, Cx(side, {"o": h.o, "r": h.r})))
            self.assume(h, side, conj(facts), f"line {s.span.line}: loop head, invariant "
                        + (" && ".join(show(e, side) for e in s.invariants) or "true"))
        if sides == BOTH:
            rel = [self.expr(e, Cx(None, {"o": h.o, "r": h.r})) for e in s.invariants_r]
            self.assume(h, None, conj(rel), f"line {s.span.line}: loop head, invariant_r "
                        + " && ".join(show(e) for e in s.invariants_r)
                        if rel else "")
        return h

    def dry_conds(self, s: C.Loop, h: State, sides: str, bound_vars) -> dict:
        """The loop conditions at the head, without emitting obligations (to decide
        whether the loop can run in lockstep)."""
        self._dry += 1
        try:
            probe = h.copy()
            out = {side: self.loop_cond(s, probe, side, bound_vars) for side in sides}
        finally:
            self._dry -= 1
        if sides == BOTH and self._has_faults(s.cond):
            out["r"] = self.fresh("unreliable-cond", z3.BoolSort())
        return out

    def _has_faults(self, e: C.Expr) -> bool:
        for x in C.subexprs(e):
            if isinstance(x, C.BinOp) and x.unreliable and self.faults.op(x.op + ".")[0]:
                return True
            if isinstance(x, C.VarRef) and x.var.urel and self.faults.read:
                return True
        return False

    def loop_cond(self, s: C.Loop, st: State, side: str, bound_vars) -> z3.BoolRef:
        b = self.code(s.cond, st, side)
        if bound_vars is not None:
            n_var, it_var = bound_vars
            b = z3.And(b, st.vals(side)[it_var] < st.vals(side)[n_var])
        return self.define(f"loop{s.span.line}<{side}>", b)

    def iteration(self, s: C.Loop, st: State, sides: str, bound_vars,
                  relational: bool = False) -> None:
        """One iteration from the head; then the invariants must hold again."""
        self.block(s.body, st, sides)
        if bound_vars is not None:
            it = bound_vars[1]
            for side in sides:
                st.vals(side)[it] = self.define(f"iterations<{side}>", st.vals(side)[it] + 1)
        self.loop_invariants(s, st, sides, "is preserved by an iteration", relational)


# ---------------------------------------------------------------- helpers


def _side_phrase(side: Optional[str]) -> str:
    return {"o": " in the original execution", "r": " in the relaxed execution"}.get(side, "")


def _trivial(t: z3.ExprRef) -> bool:
    return z3.is_const(t) or (z3.is_app_of(t, z3.Z3_OP_CONST_ARRAY)
                              and z3.is_const(t.arg(0)))


def _key(v: Value):
    if isinstance(v, ArrayVal):
        return (v.arr.get_id(), v.length.get_id())
    return v.get_id()


def _ite(c: z3.BoolRef, a: Value, b: Value) -> Value:
    if isinstance(a, ArrayVal):
        return ArrayVal(z3.If(c, a.arr, b.arr), z3.If(c, a.length, b.length))
    return z3.If(c, a, b)


def _eq_conjuncts(e: C.Expr):
    if isinstance(e, C.BinOp) and e.op == "&&":
        yield from _eq_conjuncts(e.left)
        yield from _eq_conjuncts(e.right)
    elif (isinstance(e, C.BinOp) and e.op == "==" and isinstance(e.left, C.VarRef)
          and isinstance(e.right, C.VarRef) and e.left.var is e.right.var
          and {e.left.side, e.right.side} == {"o", "r"} and not e.left.old):
        yield e.left.var


def _eq_vars(exprs: list[C.Expr]) -> set:
    return {v for e in exprs for v in _eq_conjuncts(e)}


def _eq_params(requires_r: list[C.Expr]) -> set:
    return _eq_vars(requires_r)


def _is_shared_eq(e: C.Expr, shared: set) -> bool:
    """Is `e` only `x<o> == x<r>` conjuncts over shared variables?"""
    if isinstance(e, C.BinOp) and e.op == "&&":
        return _is_shared_eq(e.left, shared) and _is_shared_eq(e.right, shared)
    return bool(set(_eq_conjuncts(e)) & shared) and set(_eq_conjuncts(e)) <= shared


def _store_only(body: list[C.Stmt]) -> set:
    """Arrays the loop body changes only element-wise (their length is kept)."""
    stored = {s.var for s in C.walk(body) if isinstance(s, C.Store)}
    other = set()
    for s in C.walk(body):
        if isinstance(s, (C.Assign, C.NewArray)):
            other.add(s.var)
        elif isinstance(s, C.Call) and s.target is not None:
            other.add(s.target)
        elif isinstance(s, C.Choose):
            other.update(s.vars)
    return stored - other
