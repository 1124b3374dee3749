"""Hypothesis strategies that generate small, well-typed Relax programs.

The soundness harness (tests/test_soundness.py, tests/test_reliability_soundness.py,
benchmarks/soundness.py) checks the verifier, the reliability analysis and the
interpreter against each other on these programs. They are kept small (a few
statements, small int ranges) so that Z3 and the interpreter answer in milliseconds,
and their specifications are drawn from templates that are right often enough that
many obligations verify and wrong often enough that many fail.

A program is Relax source text plus `Meta`: for every function, its parameters and
the input ranges its `requires` admits, so that the harness can draw inputs that
satisfy the precondition without solving it.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Callable, Optional

from hypothesis import strategies as st

# The one switch for float programs (tests/strategies_floats.py): True makes them join
# verify-vs-run (tests/test_float_programs.py, benchmarks/soundness.py) and the
# reliability Monte Carlo. Off until verify/* and run/* support floats (merge, then flip);
# the checker and the reliability analysis do already, and are tested on them always.
FLOAT_DIFFERENTIAL = True

CMP = ("==", "!=", "<", "<=", ">", ">=")
UNRELIABLE_ARITH = ("+.", "-.", "*.")
UNRELIABLE_CMP = ("==.", "!=.", "<.", "<=.", ">.", ">=.")


def budget(default: int, variable: str = "RELAXVERIFY_SOUNDNESS_EXAMPLES") -> int:
    """Examples per property: `default`, or the environment variable's value (set it, or
    run pytest with --slow, for a large campaign; benchmarks/soundness.py does)."""
    value = os.environ.get(variable)
    return max(1, int(value)) if value else default


def large_budget() -> bool:
    return "RELAXVERIFY_SOUNDNESS_EXAMPLES" in os.environ


@dataclass
class Param:
    name: str
    array: bool = False
    lo: int = -3  # int params: the range `requires` admits; arrays: element range
    hi: int = 5
    min_len: int = 0  # arrays: `requires len(a) >= min_len`
    urel: bool = False  # in a memory region (`urel` or `region`)
    base: str = "int"  # scalars: int, real or a float format (inputs in [lo, hi])
    region: Optional[str] = None  # a region other than urel (float programs)
    dims: int = 1  # arrays: 2 for an `int[,]` (min_len bounds both lengths)


@dataclass
class FnMeta:
    name: str
    params: list[Param]
    returns: bool
    custom_requires_r: bool = False  # not the default eq(p): R's inputs may differ
    recursive: bool = False  # its first parameter `n` decreases at a call to itself
    # A `requires_r` clause that needs no writing: "eq" (every parameter's eq, the
    # default written out) or "true"; the harness compares with the default.
    explicit_requires_r: Optional[str] = None
    requires_r_clause: str = ""  # its text, as in the source
    # `-> int` is ["result"]; `-> (q1: int, s2: int)` names its results
    results: list[str] = field(default_factory=lambda: ["result"])


@dataclass
class GenProgram:
    source: str
    functions: list[FnMeta]
    hardware: Optional[str] = None  # a model declared in the file, for verify --hardware
    unreliable: bool = False  # uses unreliable operators or urel memory

    @property
    def entry(self) -> FnMeta:
        return self.functions[-1]


@dataclass
class Options:
    """What the generator may use."""

    unreliable: bool = True
    relax: bool = True
    loops: bool = True
    calls: bool = True
    arrays: bool = True
    accept: bool = True
    asserts: bool = True
    straight_line: bool = False  # no if, loop or call (for exact reliability)
    linear: bool = False  # every variable read at most once (no fault can cancel out)
    max_stmts: int = 5
    partial_specs: bool = True  # array reads in specifications (may be out of range)
    specs: bool = True  # ensures, ensures_r and loop invariants
    # Constructs of disagreements found by the harness (fixed since; the switches
    # stay so that a future known issue can be steered around the same way):
    urel_call_targets: bool = True  # `var x: int in urel = f(...)`
    urel_array_copies: bool = True  # `var b: int[] in urel = a;`
    grids: bool = True  # `int[,]` params and locals: `g[i, j]`, `g[i, j] = e`, `len(g, d)`
    # `relax (g)` / `havoc (g)` of a local grid (it keeps its lengths), with forall
    # predicates over both indices (havoc only when `relax` is off: reliability)
    grid_choices: bool = True
    # Constructs added later (each may be switched off to steer around a finding):
    else_if: bool = True  # `if / else if / else` chains
    division: bool = True  # `/.` on ints; `/` and `%` with divisors that may be zero
    reliability_specs: bool = True  # `reliability R(result) >= c * R(...)` on helpers
    recursion: bool = True  # a helper that calls itself on `n - 1` under `if (n > 0)`
    cond_exprs: bool = True  # `if c then e1 else e2` in code and specifications
    spec_fns: bool = True  # `spec fn` calls (SPEC_FNS) in ensures, invariants, asserts
    # Constructs of the one-semantics issue (docs/semantics.md), once open known
    # disagreements, now fixed; tests/data/verify/regression_partial_* and
    # tests/data/montecarlo/ hold one program of each:
    partial_quantifiers: bool = True  # `forall j :: guard ==> a[j ± 1]`, `c / a[j]`
    partial_choices: bool = True  # `a[i]`, `e / d`, `e % d` in relax/havoc predicates
    shaky_havoc: bool = True  # a havoc only some runs make (under `<.` or a urel read)
    # `s = s * s` on a faulty 1; deep recursion on a faulty n. On for the reliability
    # programs; off for verify's: a fault that hits a limit only stops a relaxed run
    # there, which the differential skips, and a faulty squaring costs a second a run.
    limit_faults: bool = False
    explicit_requires_r: bool = True  # `requires_r eq(p, ...)` / `true`, divergent calls
    # Targeted: every helper has a reliability spec over all its parameters with a
    # small factor (so that it usually holds), and the entry calls one first (the
    # rule `x = f(args)` by f's spec, which random programs reach only by luck).
    spec_calls: bool = False
    # `extern fn` helpers (LANGUAGE.md v2 section 10): no body, a trusted contract
    # whose `ensures` always has a result (`run` chooses one, as `havoc` would).
    externs: bool = True
    # helpers and externs with two named results: `-> (q: int, s: int)`, `return (a, b);`,
    # `(x, y) = h(...);`, specs naming the results (LANGUAGE.md v2 section 10)
    several_results: bool = True

    def with_known(self, names: Optional[tuple[str, ...]] = None) -> "Options":
        """These options with the constructs of known open disagreements on (`names`,
        default every one that the kind of program uses: `KNOWN` or, for reliability
        programs, `KNOWN_RELIABILITY`)."""
        for name in names if names is not None else (KNOWN if self.specs
                                                      else KNOWN_RELIABILITY):
            setattr(self, name, True)
        return self


# The switches of open known disagreements (docs/soundness.md, tests/regressions/),
# off by default so that a clean run means "nothing new": of `verify` against `run`
# and of the reliability analysis against Monte Carlo. None is open today.
KNOWN: tuple[str, ...] = ()
KNOWN_RELIABILITY: tuple[str, ...] = ()


@dataclass
class Scope:
    ints: list[str] = field(default_factory=list)  # readable ints (params, locals)
    locals: list[str] = field(default_factory=list)  # assignable ints
    arrays: list[tuple[str, Optional[int]]] = field(default_factory=list)  # (name, known len)
    local_arrays: list[str] = field(default_factory=list)
    # 2-D int arrays: (name, known lengths or None); the locals among them
    grids: list[tuple[str, Optional[tuple[int, int]]]] = field(default_factory=list)
    local_grids: list[str] = field(default_factory=list)

    def child(self) -> "Scope":
        return Scope(list(self.ints), list(self.locals), list(self.arrays),
                     list(self.local_arrays), list(self.grids), list(self.local_grids))


class Draws:
    """The drawing helpers every program generator uses (`draw` is hypothesis's)."""

    def __init__(self, draw: Callable):
        self.draw = draw
        self.n = 0  # the last number `fresh` gave

    def fresh(self, prefix: str) -> str:
        self.n += 1
        return f"{prefix}{self.n}"

    def pick(self, xs):
        return self.draw(st.sampled_from(list(xs)))

    def chance(self, p: float) -> bool:
        return self.draw(st.integers(0, 999)) < int(p * 1000)


class Builder(Draws):
    """Draws one program; `draw` is hypothesis's draw function."""

    def __init__(self, draw: Callable, opts: Options):
        super().__init__(draw)
        self.opts = opts
        self.stmts = 0
        self.used_unreliable = False
        self.used_spec_fns = False
        self.helpers: list[tuple[FnMeta, Optional[str]]] = []  # (meta, ensures text)
        self.loop_depth = 0
        self.in_entry = False
        self.read_once: set[str] = set()  # linear mode: variables already read
        self.urel_vars: set[str] = set()
        self.partial_reads = True  # may a specification read an array (out of range)?
        self.havocked: list[str] = []  # shaky_havoc: targets of the havoc after the branch

    # ------------------------------------------------------------ helpers

    def const(self, lo: int = -2, hi: int = 4) -> str:
        return str(self.draw(st.integers(lo, hi)))

    def readable(self, scope: Scope) -> list[str]:
        if not self.opts.linear:
            return scope.ints
        return [v for v in scope.ints if v not in self.read_once]

    def read(self, name: str) -> str:
        if self.opts.linear:
            self.read_once.add(name)
        return name

    # ------------------------------------------------------------ expressions

    def int_expr(self, scope: Scope, depth: int = 0, code: bool = True) -> str:
        kinds = ["const", "var", "var"]
        if depth < 2:
            kinds += ["arith", "arith"]
            if not self.opts.linear:
                kinds += ["builtin"]
                if self.opts.cond_exprs:
                    kinds += ["ifexpr"]
                if self.opts.arrays and scope.arrays:
                    kinds += ["len"]
                    # Specifications may read out of range (`partial_specs`): verify
                    # checks the index (tests/test_soundness.py, spec_index_out_of_range).
                    if code or (self.opts.partial_specs and self.partial_reads):
                        kinds += ["select"]
                if self.opts.grids and scope.grids:
                    kinds += ["glen"]
                    if code or (self.opts.partial_specs and self.partial_reads):
                        kinds += ["gselect"]
        kind = self.pick(kinds)
        names = self.readable(scope)
        if kind == "var" and names:
            return self.read(self.pick(names))
        if kind == "arith":
            a = self.int_expr(scope, depth + 1, code)
            b = self.int_expr(scope, depth + 1, code)
            ops = ["+", "-"] if self.opts.linear else ["+", "-", "*", "+", "-"]
            if code and self.opts.unreliable and self.chance(0.45):
                op = self.pick(UNRELIABLE_ARITH if not self.opts.linear else ("+.", "-."))
                if self.opts.division and not self.opts.linear and self.chance(0.15):
                    op = "/."  # the divisor may be zero, exactly or after a fault
                self.used_unreliable = True
            else:
                op = self.pick(ops)
                if (not self.opts.linear and self.opts.division and code
                        and self.chance(0.1)):
                    op = self.pick(("/", "%"))
            return f"({a} {op} {b})"
        if kind == "builtin":
            fn = self.pick(("min", "max", "abs"))
            if fn == "abs":
                return f"abs({self.int_expr(scope, depth + 1, code)})"
            return f"{fn}({self.int_expr(scope, depth + 1, code)}, " \
                   f"{self.int_expr(scope, depth + 1, code)})"
        if kind == "ifexpr":
            c = self.cond(scope, code, 1)
            a = self.int_expr(scope, depth + 1, code)
            b = self.int_expr(scope, depth + 1, code)
            return f"(if {c} then {a} else {b})"
        if kind == "select":
            name, n = self.pick(scope.arrays)
            if n is not None and n > 0 and self.chance(0.6):
                idx = self.const(0, n - 1)
            else:
                idx = self.int_expr(scope, depth + 1, code)
            return f"{name}[{idx}]"
        if kind == "len":
            name, _n = self.pick(scope.arrays)
            return f"len({name})"
        if kind in ("gselect", "glen"):
            return self.grid_expr(kind, scope, depth, code)
        return self.const()

    def grid_expr(self, kind: str, scope: Scope, depth: int, code: bool) -> str:
        """`g[i, j]` (each index in range or not) or `len(g, d)` of a 2-D array."""
        name, ns = self.pick(scope.grids)
        if kind == "glen":
            return f"len({name}, {self.pick((0, 1))})" if self.chance(0.85) else f"len({name})"
        idx = []
        for d in (0, 1):
            if ns is not None and ns[d] > 0 and self.chance(0.6):
                idx.append(self.const(0, ns[d] - 1))
            else:
                idx.append(self.int_expr(scope, depth + 1, code))
        return f"{name}[{idx[0]}, {idx[1]}]"

    def cond(self, scope: Scope, code: bool = True, depth: int = 0) -> str:
        if depth < 1 and self.chance(0.25):
            a = self.cond(scope, code, depth + 1)
            b = self.cond(scope, code, depth + 1)
            op = self.pick(("&&", "||", "==>")) if not code else self.pick(("&&", "||"))
            return f"({a} {op} {b})"
        if depth < 1 and self.chance(0.08):
            return f"!({self.cond(scope, code, depth + 1)})"
        a = self.int_expr(scope, 1, code)
        b = self.int_expr(scope, 1, code)
        if code and self.opts.unreliable and self.chance(0.2):
            self.used_unreliable = True
            return f"{a} {self.pick(UNRELIABLE_CMP)} {b}"
        return f"{a} {self.pick(CMP)} {b}"

    def spec_atom(self, scope: Scope) -> str:
        """A unary fact about the state, from templates that are often true."""
        if not scope.ints:
            return "true"
        x = self.pick(scope.ints)
        if self.opts.partial_quantifiers and scope.arrays and self.chance(0.2):
            return self.partial_quantifier(scope)
        if self.opts.arrays and scope.arrays and self.chance(0.08):
            a, _n = self.pick(scope.arrays)
            j = self.fresh("j")
            return (f"(forall {j}: int :: 0 <= {j} && {j} < len({a}) ==> "
                    f"{a}[{j}] {self.pick(CMP)} {self.const(-3, 5)})")
        if self.opts.arrays and scope.arrays and self.chance(0.2):
            # an array read guarded by its range (the interpreter short-circuits `==>`)
            a, _n = self.pick(scope.arrays)
            k = self.draw(st.integers(0, 2))
            rhs = self.int_expr(scope, 1, False)
            return f"(len({a}) > {k} ==> {a}[{k}] {self.pick(CMP)} {rhs})"
        if self.opts.spec_fns and self.chance(0.1):
            return self.spec_fn_atom(scope, x)
        if self.opts.cond_exprs and self.chance(0.08):
            # a conditional spec, whose branches may read out of range under its guard
            a, b = self.spec_atom(scope), self.spec_atom(scope)
            return f"(if {self.cond(scope, False, 1)} then {a} else {b})"
        form = self.draw(st.integers(0, 4))
        if form == 0:
            return f"{x} >= {self.const(-4, 1)}"
        if form == 1:
            return f"{x} <= {self.const(0, 12)}"
        if form == 2 and len(scope.ints) > 1:
            y = self.pick(scope.ints)
            return f"{x} <= {y} + {self.const(0, 6)}"
        if form == 3:
            return f"{self.const(-6, 0)} <= {x} && {x} <= {self.const(0, 20)}"
        return self.cond(scope, code=False)

    def spec_fn_atom(self, scope: Scope, x: str) -> str:
        """A fact through a spec function (SPEC_FNS), often true; `asum` over a prefix
        that may be longer than the array (its `requires` then fails)."""
        self.used_spec_fns = True
        form = self.draw(st.integers(0, 3))
        if form == 0:
            return f"sq({x}) >= {self.const(-2, 3)}"
        if form == 1:
            return f"tri(min(abs({x}), {self.const(0, 6)})) {self.pick(CMP)} {self.const(0, 12)}"
        if scope.arrays:
            a, _n = self.pick(scope.arrays)
            if form == 2 or not (self.opts.partial_specs and self.partial_reads):
                return f"(len({a}) >= 1 ==> asum({a}, 1) == {a}[0])"
            return f"asum({a}, {self.const(0, 2)}) {self.pick(CMP)} {self.const(-3, 6)}"
        return f"sq({x}) == {x} * {x}"

    def partial_quantifier(self, scope: Scope) -> str:
        """A quantifier whose body reads an array or divides: the guard is right, or
        off by one (`j <= len(a)`, `a[j + 1]`), or a divisor may be zero. The
        interpreter evaluates it over the guard's range, so a wrong guard fails a
        bounds (division) check that `verify` must report."""
        a, _n = self.pick(scope.arrays)
        j = self.fresh("j")
        c, op = self.const(-3, 5), self.pick(CMP)
        upto = f"0 <= {j} && {j} < len({a})"
        forms = [  # (guard, body): the first three are right, the rest may fail
            (upto, f"{a}[{j}] {op} {c}"),
            (f"1 <= {j} && {j} < len({a})", f"{a}[{j} - 1] <= {a}[{j}]"),
            (f"0 < {j} && {j} <= len({a})", f"{a}[{j} - 1] {op} {c}"),
            (f"{upto} && {a}[{j}] != 0", f"{self.const(1, 12)} / {a}[{j}] {op} {c}"),
            (f"0 <= {j} && {j} <= len({a})", f"{a}[{j}] {op} {c}"),
            (upto, f"{a}[{j} + 1] {op} {c}"),
            (upto, f"{a}[{j}] <= {a}[{j} + 1]"),
            (upto, f"{self.const(1, 12)} / {a}[{j}] {op} {c}"),
            (upto, f"{self.const(1, 12)} % ({a}[{j}] - {self.const(0, 3)}) {op} {c}"),
        ]
        guard, body = self.pick(forms)
        if self.chance(0.2):
            return f"(exists {j}: int :: {guard} && {body})"
        return f"(forall {j}: int :: {guard} ==> {body})"

    def rel_atom(self, scope: Scope) -> str:
        """A relational fact (accept, invariant_r, ensures_r), often true."""
        if not scope.ints:
            return "true"
        if self.opts.arrays and scope.arrays and self.chance(0.15):
            return f"eq({self.pick(scope.arrays)[0]})"
        x = self.pick(scope.ints)
        if self.opts.cond_exprs and self.chance(0.08):
            return (f"(if {x}<o> <= {self.const(0, 6)} then {self.rel_atom(scope)} else "
                    f"{x}<r> {self.pick(CMP)} (if {x}<o> > 0 then {x}<o> else 0))")
        form = self.draw(st.integers(0, 4))
        if form == 0:
            return f"eq({x})"
        if form == 1:
            return f"{x}<o> <= {x}<r>"
        if form == 2:
            d = self.const(0, 4)
            return f"{x}<r> - {x}<o> <= {d} && {x}<o> - {x}<r> <= {d}"
        if form == 3:
            return f"{x}<r> < {self.const(0, 10)} ==> {x}<o> == {x}<r>"
        return f"{x}<o> == {x}<r> || {x}<r> >= {self.const(0, 6)}"

    # ------------------------------------------------------------ statements

    def block(self, scope: Scope, depth: int, lines: list[str], indent: int,
              n: Optional[int] = None) -> None:
        count = n if n is not None else self.draw(st.integers(1, 3))
        for _ in range(count):
            if self.stmts >= self.opts.max_stmts:
                break
            self.stmts += 1
            self.statement(scope, depth, lines, indent)

    def statement(self, scope: Scope, depth: int, out: list[str], ind: int) -> None:
        pad = "  " * ind
        o = self.opts
        kinds = ["decl", "decl", "assign", "assign"]
        if not o.straight_line:
            if depth < 2:
                kinds += ["if", "if"]
                if o.loops:
                    kinds += ["while", "for"] + ["for"] * 2 * (self.loop_depth == 1)
            elif depth == 2 and o.loops and self.loop_depth == 2:
                kinds += ["for", "for"]  # nests of three: inner loops decided on guesses
            if o.relax:
                kinds += ["relax", "relax", "havoc"]
            if o.asserts:
                kinds += ["assert", "assert", "assume"]
            if o.accept:
                kinds += ["accept", "accept"]
            if o.calls and self.helpers:
                kinds += ["call", "call"]
            if o.arrays:
                kinds += ["array"]
                if scope.local_arrays:
                    kinds += ["store", "copy"]
            if o.grids and o.arrays:
                kinds += ["grid"]
                if scope.local_grids:
                    kinds += ["gstore", "gstore"]
                    if o.grid_choices and (o.relax or o.shaky_havoc):
                        kinds += ["gchoose", "gchoose"]
            if o.loops and depth < 2:
                kinds += ["repeat"]
            if o.shaky_havoc:
                kinds += ["shaky_havoc", "shaky_havoc"]
            if o.limit_faults and o.unreliable:
                kinds += ["square"]
                if any(m.recursive for m, _ in self.helpers):
                    kinds += ["deep_call", "deep_call"]
            if o.explicit_requires_r and o.calls and self.helpers:
                kinds += ["divergent_call", "divergent_call"]
        kind = self.pick(kinds)
        if kind in ("assign", "relax", "havoc", "shaky_havoc") and not scope.locals:
            kind = "decl"
        if kind in ("shaky_havoc", "square", "deep_call", "divergent_call"):
            return self.known_statement(kind, scope, out, ind)
        if kind == "decl":
            name = self.fresh("v")
            urel = o.unreliable and self.chance(0.2)
            if urel:
                self.used_unreliable = True
            out.append(f"{pad}var {name}: int{' in urel' if urel else ''} = "
                       f"{self.int_expr(scope)};")
            if urel:
                self.urel_vars.add(name)
            scope.ints.append(name)
            scope.locals.append(name)
        elif kind == "assign":
            x = self.pick(scope.locals)
            out.append(f"{pad}{x} = {self.int_expr(scope)};")
            if o.linear:
                self.read_once.discard(x)
        elif kind == "if":
            out.append(f"{pad}if ({self.cond(scope)}) {{")
            self.block(scope.child(), depth + 1, out, ind + 1)
            if o.else_if:
                for _ in range(self.pick((0, 0, 1, 1, 2))):
                    out.append(f"{pad}}} else if ({self.cond(scope)}) {{")
                    self.block(scope.child(), depth + 1, out, ind + 1)
            if self.chance(0.5):
                out.append(f"{pad}}} else {{")
                self.block(scope.child(), depth + 1, out, ind + 1)
            out.append(f"{pad}}}")
        elif kind == "while":
            self.while_loop(scope, depth, out, ind)
        elif kind == "for":
            self.for_loop(scope, depth, out, ind)
        elif kind in ("relax", "havoc"):
            x = self.pick(scope.locals)
            others = [v for v in scope.locals if v != x]
            if others and self.chance(0.25):
                y = self.pick(others)
                out.append(f"{pad}{kind} ({x}, {y}) st ({self.choice_pred(x, scope, (x, y))} "
                           f"&& {self.choice_pred(y, scope, (x, y))});")
            else:
                out.append(f"{pad}{kind} ({x}) st ({self.choice_pred(x, scope)});")
        elif kind == "assert":
            out.append(f"{pad}assert {self.spec_atom(scope)};")
        elif kind == "assume":
            out.append(f"{pad}assume {self.spec_atom(scope)};")
        elif kind == "accept":
            out.append(f"{pad}accept {self.rel_atom(scope)};")
        elif kind == "call":
            self.call(scope, out, ind)
        elif kind == "array":
            name = self.fresh("a")
            urel = " in urel" if o.unreliable and self.chance(0.25) else ""
            if urel:
                self.used_unreliable = True
                self.urel_vars.add(name)
            if self.chance(0.7):
                n = self.draw(st.integers(0, 3))
                out.append(f"{pad}var {name}: int[{n}]{urel};")
            else:
                n = None
                out.append(f"{pad}var {name}: int[{self.int_expr(scope, 1, self.chance(0.3))}]"
                           f"{urel};")
            scope.arrays.append((name, n))
            scope.local_arrays.append(name)
        elif kind == "copy":  # arrays are values: a copy (of a urel array, say)
            src, n = self.pick(scope.arrays)
            if self.chance(0.5):
                name = self.fresh("a")
                urel = " in urel" if (o.unreliable and o.urel_array_copies
                                      and self.chance(0.4)) else ""
                self.used_unreliable |= bool(urel)
                out.append(f"{pad}var {name}: int[]{urel} = {src};")
                if urel:
                    self.urel_vars.add(name)
                scope.arrays.append((name, n))
                scope.local_arrays.append(name)
            else:
                dsts = [a for a in scope.local_arrays
                        if o.urel_array_copies or a not in self.urel_vars]
                if not dsts:
                    return self.statement_decl_fallback(scope, out, ind)
                dst = self.pick(dsts)
                out.append(f"{pad}{dst} = {src};")
                known = dict(scope.arrays)
                scope.arrays = [(a, None if a == dst and known[dst] != n else m)
                                for a, m in scope.arrays]
        elif kind == "repeat":
            out.append(f"{pad}repeat ({self.draw(st.integers(0, 3))}) {{")
            self.loop_depth += 1
            self.block(scope.child(), depth + 1, out, ind + 1)
            self.loop_depth -= 1
            out.append(f"{pad}}}")
        elif kind in ("grid", "gstore"):
            self.grid_statement(kind, scope, out, ind)
        elif kind == "gchoose":
            self.grid_choice(scope, out, ind)
        elif kind == "store":
            name = self.pick(scope.local_arrays)
            n = dict(scope.arrays)[name]
            idx = self.const(0, n - 1) if n and self.chance(0.6) else self.int_expr(scope, 1)
            out.append(f"{pad}{name}[{idx}] = {self.int_expr(scope, 1)};")

    def grid_statement(self, kind: str, scope: Scope, out: list[str], ind: int) -> None:
        """`var g: int[n, k];` (sometimes in urel, or a copy) or `g[i, j] = e;`."""
        pad = "  " * ind
        if kind == "grid":
            name = self.fresh("g")
            urel = " in urel" if self.opts.unreliable and self.chance(0.25) else ""
            if urel:
                self.used_unreliable = True
                self.urel_vars.add(name)
            ns: Optional[tuple[int, int]] = None
            if scope.grids and self.chance(0.2):
                src, ns = self.pick(scope.grids)
                out.append(f"{pad}var {name}: int[,]{urel} = {src};")
            elif self.chance(0.7):
                ns = (self.draw(st.integers(0, 3)), self.draw(st.integers(0, 3)))
                out.append(f"{pad}var {name}: int[{ns[0]}, {ns[1]}]{urel};")
            else:
                out.append(f"{pad}var {name}: int[{self.int_expr(scope, 1, self.chance(0.3))}, "
                           f"{self.const(0, 3)}]{urel};")
            scope.grids.append((name, ns))
            scope.local_grids.append(name)
            if (self.opts.grid_choices and (self.opts.relax or self.opts.shaky_havoc)
                    and self.chance(0.35)):
                return self.grid_choice(scope, out, ind)
            if not self.chance(0.6):
                return
        name = self.pick(scope.local_grids)
        ns = dict(scope.grids)[name]
        idx = [self.const(0, ns[d] - 1) if ns and ns[d] and self.chance(0.6)
               else self.int_expr(scope, 1) for d in (0, 1)]
        out.append(f"{pad}{name}[{idx[0]}, {idx[1]}] = {self.int_expr(scope, 1)};")

    def grid_choice(self, scope: Scope, out: list[str], ind: int) -> None:
        """`relax (g) st (P)` or `havoc (g) st (P)` of a local grid: it keeps its lengths
        (so `scope.grids` still knows them) and P, a forall over both indices, bounds
        each element by constants, by `old(g)` or by an int of the state; sometimes
        with a scalar target too, or with dimension 1 unguarded (partial_choices)."""
        pad = "  " * ind
        g = self.pick(scope.local_grids)
        kind = self.pick(("relax", "relax", "havoc")) if self.opts.relax else "havoc"
        i, j = self.fresh("i"), self.fresh("j")
        guard = f"0 <= {i} < len({g}, 0) && 0 <= {j} < len({g}, 1)"
        if self.opts.partial_choices and self.chance(0.1):
            guard = f"0 <= {i} < len({g}, 0)"  # j unguarded: undefined for some j
        el = f"{g}[{i}, {j}]"
        form = self.draw(st.integers(0, 3))
        if form == 0:
            lo = self.draw(st.integers(-3, 3))
            body = f"{lo} <= {el} && {el} <= {lo + self.draw(st.integers(0, 4))}"
        elif form == 1:
            d = self.const(0, 2)
            body = f"old({g})[{i}, {j}] - {d} <= {el} && {el} <= old({g})[{i}, {j}] + {d}"
        elif form == 2 and scope.ints:
            x = self.pick(scope.ints)
            body = f"{el} == {x} + {i} - {j}" if self.chance(0.5) else f"{el} >= {x}"
        else:
            body = f"{el} == {self.const(-2, 3)} * {i} + {j}"
        pred = f"forall {i}: int, {j}: int :: {guard} ==> {body}"
        if self.chance(0.1):  # the lengths are kept: this may never hold (a warning)
            pred = f"len({g}, {self.pick((0, 1))}) == {self.const(0, 3)} && {pred}"
        if scope.locals and self.chance(0.2):
            y = self.pick(scope.locals)
            out.append(f"{pad}{kind} ({g}, {y}) st (({pred}) && "
                       f"{self.choice_pred(y, scope, (g, y))});")
        else:
            out.append(f"{pad}{kind} ({g}) st ({pred});")

    # ------------------------------------------------------------ known disagreements

    def known_statement(self, kind: str, scope: Scope, out: list[str], ind: int) -> None:
        """The statements of `KNOWN` constructs (see `Options`)."""
        pad = "  " * ind
        if kind == "shaky_havoc":  # a havoc some runs make: later choices must still pair
            x = self.pick(scope.locals)
            out.append(f"{pad}if ({self.shaky_cond(scope)}) {{")
            out.append(f"{pad}  havoc ({x}) st ({self.choice_pred(x, scope)});")
            out.append(f"{pad}}}")
            y = self.pick(scope.locals)
            self.havocked.append(y)  # often returned: the shifted choice reaches the result
            lo = self.draw(st.integers(-2, 2))
            out.append(f"{pad}havoc ({y}) st ({lo} <= {y} && {y} <= {lo + self.draw(st.integers(1, 6))});")
        elif kind == "square":  # exactly 1 (or 0, -1) for ever; a faulty value explodes
            s = self.fresh("s")
            init = self.pick(("1", "-1", "0"))
            if self.chance(0.5):
                out.append(f"{pad}var {s}: int in urel = {init};")
                self.urel_vars.add(s)
            else:
                out.append(f"{pad}var {s}: int = {init} {self.pick(('+.', '-.'))} 0;")
            self.used_unreliable = True
            out.append(f"{pad}repeat ({self.draw(st.integers(20, 22))}) {{")
            out.append(f"{pad}  {s} = {s} * {s};")
            out.append(f"{pad}}}")
            scope.ints.append(s)
            scope.locals.append(s)
        elif kind == "deep_call":  # a faulty `n` recurses far deeper than `requires` lets
            meta = self.pick([m for m, _ in self.helpers if m.recursive])
            self.call(scope, out, ind, meta, first=self.faulty_small(meta.params[0].hi))
        elif kind == "divergent_call":
            c = self.fresh("c")
            out.append(f"{pad}var {c}: int = 0;")
            out.append(f"{pad}if ({self.shaky_cond(scope)}) {{")
            meta = self.pick([m for m, _ in self.helpers])
            self.call(scope.child(), out, ind + 1, meta, target=c)
            out.append(f"{pad}}}")
            scope.ints.append(c)
            scope.locals.append(c)

    def shaky_cond(self, scope: Scope) -> str:
        """A condition a fault may flip: an unreliable comparison or a urel read."""
        self.used_unreliable = True
        urel = [v for v in scope.ints if v in self.urel_vars]
        if urel and self.chance(0.4):
            return f"{self.pick(urel)} {self.pick(CMP)} {self.const(-1, 3)}"
        a = self.pick(scope.ints) if scope.ints else self.const()
        return f"{a} {self.pick(UNRELIABLE_CMP)} {self.const(-1, 3)}"

    def faulty_small(self, hi: int) -> str:
        """A value in 0..hi in the original run that a fault may make anything."""
        self.used_unreliable = True
        return f"({self.const(0, max(hi, 0))} {self.pick(('+.', '-.'))} 0)"

    def choice_pred(self, x: str, scope: Scope, targets: tuple = ()) -> str:
        if self.opts.partial_choices and self.chance(0.35):
            return self.partial_choice_pred(x, scope, targets or (x,))
        form = self.draw(st.integers(0, 3))
        if form == 0:
            lo = self.draw(st.integers(-3, 3))
            return f"{lo} <= {x} && {x} <= {lo + self.draw(st.integers(0, 4))}"
        if form == 1:
            d = self.const(0, 2)
            return f"old({x}) - {d} <= {x} && {x} <= old({x}) + {d}"
        if form == 2:  # a dynamic knob: small values stay, large ones may drop
            k = self.const(0, 6)
            return (f"(old({x}) <= {k} && {x} == old({x})) || "
                    f"(old({x}) > {k} && {k} <= {x} && {x} <= old({x}))")
        # With `partial_choices`, the bound may read an array out of range; without,
        # it reads none (a relax/havoc predicate's index has no obligation today).
        self.partial_reads = self.opts.partial_choices
        bound = self.int_expr(scope, 1, code=False)
        self.partial_reads = True
        return f"{x} >= {self.const(-2, 3)} && {x} <= {bound}"

    def partial_choice_pred(self, x: str, scope: Scope, targets: tuple) -> str:
        """A predicate reading an array element or dividing by what the state holds
        before the statement (never the new values): index and divisor may be out of
        range or zero, in both executions or only after a fault."""
        pre = [v for v in scope.ints if v not in targets] + [f"old({x})"]
        lo = self.const(-3, 1)
        form = self.draw(st.integers(0, 3 if scope.arrays else 1))
        if form == 0:
            d = self.pick(pre)
            if self.chance(0.5):
                d = f"({d} - {self.const(0, 2)})"
            op = self.pick(("/", "%"))
            return f"{lo} <= {x} && {x} <= {self.const(0, 9)} {op} {d} + {self.const(2, 5)}"
        if form == 1:
            d = self.pick(pre)
            return f"{lo} <= {x} && ({d} == 0 || {x} <= {self.const(0, 9)} / {d} + 3)"
        a, n = self.pick(scope.arrays)
        i = self.pick(pre + ([self.const(0, 3)] if n is None else [self.const(0, n)]))
        if form == 2:
            return f"{lo} <= {x} && {x} <= {a}[{i}] + {self.const(2, 6)}"
        return (f"{lo} <= {x} && (0 <= {i} && {i} < len({a}) ==> "
                f"{x} <= {a}[{i}] + {self.const(2, 6)})")

    def while_loop(self, scope: Scope, depth: int, out: list[str], ind: int) -> None:
        pad = "  " * ind
        k = self.fresh("k")
        out.append(f"{pad}var {k}: int = 0;")
        scope.ints.append(k)
        limit = self.pick([self.const(0, 4)] + scope.ints[:-1])
        inner = scope.child()
        inner.locals = [v for v in inner.locals]  # the counter is assignable in the body
        clauses = [f"invariant {k} >= 0"] if self.chance(0.6) and self.opts.specs else []
        for _ in range(self.draw(st.integers(0, 2 if self.opts.specs else 0))):
            clauses.append(f"invariant {self.spec_atom(inner)}")
        if self.loop_depth == 0 and o_rel(self) and self.chance(0.5):
            clauses.append(f"invariant_r {self.pick([f'eq({k})', self.rel_atom(inner)])}")
        bound = self.pick([self.const(0, 4), self.const(0, 4), self.int_expr(scope, 1, False)])
        clauses.append(f"bound {bound}")
        lt = "<"
        if self.opts.unreliable and self.chance(0.2):
            lt = "<."
            self.used_unreliable = True
        cond = f"{k} {lt} {limit}"
        if self.chance(0.25):  # any condition: the bound ends the loop
            cond = self.cond(scope)
        out.append(f"{pad}while ({cond}) {' '.join(clauses)} {{")
        self.loop_depth += 1
        self.block(inner, depth + 1, out, ind + 1)
        self.loop_depth -= 1
        out.append(f"{pad}  {k} = {k} + 1;")
        out.append(f"{pad}}}")
        scope.locals.append(k)

    def for_loop(self, scope: Scope, depth: int, out: list[str], ind: int) -> None:
        pad = "  " * ind
        i = self.fresh("i")
        lo = self.const(0, 1)
        hi = self.pick([self.const(0, 3)] + scope.ints)
        inner = scope.child()
        inner.ints.append(i)
        clauses = []
        for _ in range(self.draw(st.integers(0, 2 if self.opts.specs else 0))):
            clauses.append(f"invariant {self.spec_atom(inner)}")
        if self.loop_depth == 0 and o_rel(self) and self.chance(0.4):
            clauses.append(f"invariant_r {self.rel_atom(inner)}")
        out.append(f"{pad}for {i} in {lo} .. {hi} {' '.join(clauses)} {{")
        self.loop_depth += 1
        self.block(inner, depth + 1, out, ind + 1)
        self.loop_depth -= 1
        out.append(f"{pad}}}")

    def call(self, scope: Scope, out: list[str], ind: int, meta: Optional[FnMeta] = None,
             first: Optional[str] = None, target: Optional[str] = None) -> None:
        """A call of `meta` (a random helper); `first` is its first argument if given;
        into `target` if given, else into a fresh or an existing local."""
        meta = meta or self.pick(self.helpers)[0]
        args = []
        for p in meta.params:
            if p.array and p.dims == 2:
                if not scope.grids:
                    return self.statement_decl_fallback(scope, out, ind)
                args.append(self.pick(scope.grids)[0])
            elif p.array:
                if not scope.arrays:
                    return self.statement_decl_fallback(scope, out, ind)
                args.append(self.pick(scope.arrays)[0])
            elif first is not None and not args:
                args.append(first)
            else:
                args.append(self.int_expr(scope, 1))
        pad = "  " * ind
        if len(meta.results) > 1:
            return self.multi_call(scope, out, ind, f"{meta.name}({', '.join(args)})",
                                   len(meta.results), target)
        if target is not None:
            out.append(f"{pad}{target} = {meta.name}({', '.join(args)});")
            return
        targets = [v for v in scope.locals
                   if self.opts.urel_call_targets or v not in self.urel_vars]
        if targets and self.chance(0.3):
            out.append(f"{pad}{self.pick(targets)} = {meta.name}({', '.join(args)});")
            return
        name = self.fresh("c")
        urel = " in urel" if (self.opts.unreliable and self.opts.urel_call_targets
                              and self.chance(0.3)) else ""
        self.used_unreliable |= bool(urel)
        out.append(f"{pad}var {name}: int{urel} = {meta.name}({', '.join(args)});")
        scope.ints.append(name)
        scope.locals.append(name)

    def multi_call(self, scope: Scope, out: list[str], ind: int, call: str, k: int,
                   target: Optional[str]) -> None:
        """`(x, y) = h(...);` into declared variables: `target` first if given, then
        existing locals or fresh ones declared just before."""
        pad = "  " * ind
        pool = [v for v in scope.locals if v != target
                and (self.opts.urel_call_targets or v not in self.urel_vars)]
        targets = [target] if target is not None else []
        while len(targets) < k:
            if pool and self.chance(0.4):
                v = self.pick(pool)
                pool.remove(v)
            else:
                v = self.fresh("c")
                out.append(f"{pad}var {v}: int = {self.const()};")
                scope.ints.append(v)
                scope.locals.append(v)
            targets.append(v)
        out.append(f"{pad}({', '.join(targets)}) = {call};")

    def statement_decl_fallback(self, scope: Scope, out: list[str], ind: int) -> None:
        name = self.fresh("v")
        out.append(f"{'  ' * ind}var {name}: int = {self.const()};")
        scope.ints.append(name)
        scope.locals.append(name)

    # ------------------------------------------------------------ functions

    def function(self, name: str, entry: bool) -> tuple[FnMeta, str]:
        o = self.opts
        params = []
        # Bounded recursion: `n` decreases on every call and the call is under `n > 0`.
        # Never urel (a faulty `n` would recurse for ever); the reliability analysis
        # needs a spec for it, so a recursive helper always has one.
        recursive = (not entry and o.recursion and o.calls and not o.straight_line
                     and self.chance(0.25))
        if recursive:
            params.append(Param(self.fresh("n"), lo=0, hi=self.draw(st.integers(0, 3))))
        for _ in range(self.draw(st.integers(0 if recursive else 1, 3 if not o.linear else 4))):
            if o.grids and o.arrays and not o.linear and self.chance(0.12):
                params.append(Param(self.fresh("g"), array=True, dims=2,
                                    min_len=self.draw(st.integers(0, 2)),
                                    urel=o.unreliable and self.chance(0.2)))
            elif o.arrays and not o.linear and self.chance(0.25):
                params.append(Param(self.fresh("b"), array=True,
                                    min_len=self.draw(st.integers(0, 2)),
                                    urel=o.unreliable and self.chance(0.2)))
            else:
                lo = self.draw(st.integers(-3, 2))
                params.append(Param(self.fresh("p"), lo=lo, hi=lo + self.draw(st.integers(0, 6)),
                                    urel=o.unreliable and self.chance(0.25)))
        if any(p.urel for p in params):
            self.used_unreliable = True
        scope = Scope()
        header = []
        for p in params:
            if p.array and p.dims == 2:
                scope.grids.append((p.name, None))
                header.append(f"{p.name}: int[,]{' in urel' if p.urel else ''}")
            elif p.array:
                scope.arrays.append((p.name, None))
                header.append(f"{p.name}: int[]{' in urel' if p.urel else ''}")
            else:
                scope.ints.append(p.name)
                header.append(f"{p.name}: int{' in urel' if p.urel else ''}")
        specs = []
        reqs = [f"{p.lo} <= {p.name} && {p.name} <= {p.hi}" for p in params if not p.array]
        reqs += [f"len({p.name}) >= {p.min_len}" for p in params
                 if p.array and p.min_len and p.dims == 1]
        reqs += [f"len({p.name}, 0) >= {p.min_len} && len({p.name}, 1) >= {p.min_len}"
                 for p in params if p.array and p.min_len and p.dims == 2]
        if reqs:
            specs.append("requires " + " && ".join(reqs))
        meta = FnMeta(name, params, True)
        if (not entry and not recursive and o.several_results and not o.linear
                and self.chance(0.3)):
            meta.results = [self.fresh("q"), self.fresh("s")]
        res = self.pick(meta.results) if len(meta.results) > 1 else "result"
        ints = [p for p in params if not p.array]
        if ints and not o.linear and o.accept and self.chance(0.2):
            # R may start from a neighbouring input
            p = self.pick(ints)
            rest = [f"eq({q.name})" for q in params if q is not p]
            specs.append("requires_r " + " && ".join(
                [f"{p.name}<o> <= {p.name}<r> && {p.name}<r> <= {p.name}<o> + 1"] + rest))
            meta.custom_requires_r = True
        elif not entry and o.explicit_requires_r and params and self.chance(0.6):
            form = self.pick(("eq", "eq", "true"))
            if form == "true":
                clause = "requires_r true"
            elif self.chance(0.5):
                clause = "requires_r eq(" + ", ".join(p.name for p in params) + ")"
            else:
                clause = "requires_r " + " && ".join(f"eq({p.name})" for p in params)
            specs.append(clause)
            meta.explicit_requires_r, meta.requires_r_clause = form, clause
            meta.custom_requires_r = form == "true"
        meta.recursive = recursive
        ens = None
        if not o.linear and o.specs:
            rscope = Scope(ints=list(scope.ints) + meta.results)
            if self.chance(0.5):
                x = self.pick(rscope.ints)
                ens = self.pick([f"{res} >= {self.const(-6, 2)}",
                                 f"{res} <= {self.const(0, 30)}",
                                 f"{res} >= {x} - {self.const(0, 5)}",
                                 f"{res} <= {x} + {self.const(0, 10)}"])
                if o.spec_fns and self.chance(0.15):
                    self.used_spec_fns = True
                    ens = self.pick([f"sq({res}) >= {self.const(0, 4)}",
                                     f"tri(min(abs({res}), 4)) <= {self.const(6, 10)}"])
                specs.append(f"ensures {ens}")
            if self.chance(0.3):
                specs.append("ensures_r " + self.pick([f"eq({res})", f"{res}<o> <= {res}<r>",
                                                       f"{res}<r> - {res}<o> <= 2 && "
                                                       f"{res}<o> - {res}<r> <= 2"]))
        if not entry and (recursive or o.spec_calls
                          or (o.reliability_specs and self.chance(0.45))):
            specs.append(self.reliability_spec(params, meta.results))
        lines = [f"fn {name}({', '.join(header)}) -> {_result_types(meta)}"] + \
            [f"  {s}" for s in specs] + ["{"]
        self.stmts = 0
        self.in_entry = entry
        self.read_once = set()
        if recursive:
            r = self.fresh("r")
            args = [params[0].name + " - 1"]
            for p in params[1:]:  # the same inputs satisfy `requires`; others may not
                args.append(p.name if p.array or self.chance(0.7) else self.int_expr(scope, 1))
            lines += [f"  var {r}: int = 0;", f"  if ({params[0].name} > 0) {{",
                      f"    {r} = {name}({', '.join(args)});", "  }"]
            scope.ints.append(r)
            scope.locals.append(r)
        self.havocked = []
        if entry and o.spec_calls and self.helpers:
            self.stmts += 1
            self.call(scope, lines, 1, self.pick([m for m, _ in self.helpers]))
        self.block(scope, 0, lines, 1, n=self.draw(st.integers(1, o.max_stmts)))
        ret = self.pick(self.readable(scope) or ["0"]) if self.chance(0.6) \
            else self.int_expr(scope)
        havocked = [v for v in self.havocked if v in scope.ints]
        if havocked and self.chance(0.6):
            ret = self.pick(havocked)
        if len(meta.results) > 1:  # and a second value, often a plain variable
            ret = "(" + ret + ", " + (self.pick(self.readable(scope) or ["0"])
                                      if self.chance(0.5) else self.int_expr(scope)) + ")"
        lines.append(f"  return {ret};")
        lines.append("}")
        return meta, "\n".join(lines)


    def extern_function(self, name: str) -> tuple[FnMeta, str]:
        """`extern fn NAME(p: int, ...) -> int requires ... ensures ...;`. Its `ensures`
        admits a result for every argument (a call never blocks). With specifications,
        a range about an argument or constants; without (reliability programs), the
        result is a function of the arguments, so that a trusted reliability spec over
        every parameter holds (a faulty run on the same arguments gets the same one)."""
        params = []
        for _ in range(self.draw(st.integers(0, 2))):
            lo = self.draw(st.integers(-3, 2))
            params.append(Param(self.fresh("p"), lo=lo, hi=lo + self.draw(st.integers(0, 6)),
                                urel=self.opts.unreliable and self.chance(0.2)))
        self.used_unreliable |= any(p.urel for p in params)
        header = [f"{p.name}: int{' in urel' if p.urel else ''}" for p in params]
        specs = []
        reqs = [f"{p.lo} <= {p.name} && {p.name} <= {p.hi}" for p in params]
        if reqs and self.chance(0.7 if self.opts.specs else 0.2):
            specs.append("requires " + " && ".join(reqs))
        meta = FnMeta(name, params, True)
        if self.opts.several_results and self.chance(0.3):
            meta.results = [self.fresh("q"), self.fresh("s")]
        x = self.pick([p.name for p in params]) if params else None
        for res in meta.results:  # each result admits a value for every argument
            if not self.opts.specs:
                specs.append(f"ensures {res} == {x + ' + ' if x else ''}{self.const()}")
            elif self.chance(0.85):
                lo, hi = self.const(-6, 2), self.const(0, 8)
                forms = [f"{lo} <= {res} && {res} <= {hi} + 3", f"{res} == {self.const()}"]
                if x is not None:
                    forms += [f"{res} >= {x} - {self.const(0, 5)}",
                              f"{x} <= {res} && {res} <= {x} + {self.const(0, 3)}",
                              f"{res} == {x} + {self.const()}"]
                specs.append("ensures " + self.pick(forms))
        # (a reliability program's extern has a spec that holds: 1.0 * R(params) does)
        if self.opts.spec_calls or not self.opts.specs or (self.opts.reliability_specs
                                                           and self.chance(0.5)):
            c = self.pick(("0.01", "0.2", "0.9", "1.0"))
            names = ", ".join(p.name for p in params)
            specs.append(f"reliability R({', '.join(meta.results)}) >= {c}" +
                         (f" * R({names})" if names else ""))
        text = (f"extern fn {name}({', '.join(header)}) -> {_result_types(meta)}" +
                "".join(f"\n  {sp}" for sp in specs) + ";")
        return meta, text

    def reliability_spec(self, params: list[Param], results: list[str]) -> str:
        """`reliability R(result) >= c * R(P)`: P is usually every parameter, c is drawn
        from a wide range, so that the spec holds under some fault models and not others
        (the reliability properties only trust a callee's spec that the analysis checks).
        With several results, it is about all of them or one."""
        names = [p.name for p in params]
        outs = results if len(results) == 1 or self.chance(0.5) else [self.pick(results)]
        head = f"reliability R({', '.join(outs)}) >= "
        if self.opts.spec_calls:
            c = self.pick(("0.01", "0.05", "0.1", "0.2"))
            return head + c + (f" * R({', '.join(names)})" if names else "")
        if len(names) > 1 and self.chance(0.25):
            names.remove(self.pick(names))
        elif names and self.chance(0.05):
            names = []
        c = self.pick(("0.05", "0.2", "0.4", "0.6", "0.7", "0.8", "0.9", "0.95", "0.99", "1.0"))
        return head + c + (f" * R({', '.join(names)})" if names else "")


def _result_types(meta: FnMeta) -> str:
    """`int`, or `(q1: int, s2: int)` for named results."""
    if meta.results == ["result"]:
        return "int"
    return "(" + ", ".join(f"{r}: int" for r in meta.results) + ")"


def o_rel(b: Builder) -> bool:
    """May this function carry relational annotations?"""
    return b.opts.accept


HARDWARE = """hardware faulty {
  operator +. = 0.999 error 2;
  operator -. = 0.999 error 1;
  operator *. = 0.999;
  operator <. = 0.999;
  memory urel read = 0.9999 write = 0.9999;
}
"""


# The specification functions a generated program may call (`spec_fns`): a plain one,
# a recursive one on ints and one over an array whose `requires` a call may miss.
SPEC_FNS = """spec fn sq(x: int) -> int { x * x }

spec fn tri(n: int) -> int
  requires n >= 0
  decreases n
{
  if n == 0 then 0 else tri(n - 1) + n
}

spec fn asum(a: int[], n: int) -> int
  requires 0 <= n && n <= len(a)
  decreases n
{
  if n == 0 then 0 else asum(a, n - 1) + a[n - 1]
}"""


@st.composite
def programs(draw, opts: Optional[Options] = None) -> GenProgram:
    """A Relax file: 0-2 helper functions, then the entry function `main`."""
    opts = opts or Options()
    b = Builder(draw, opts)
    parts = []
    helpers = 0 if (opts.straight_line or not opts.calls) else draw(
        st.integers(1 if opts.spec_calls else 0, 2))
    metas = []
    if opts.externs and helpers and draw(st.integers(0, 2)) == 0:
        meta, text = b.extern_function("e0")  # called, not run (it has no body)
        b.helpers.append((meta, None))
        parts.append(text)
    for k in range(helpers):
        meta, text = b.function(f"h{k}", False)
        b.helpers.append((meta, None))
        metas.append(meta)
        parts.append(text)
    meta, text = b.function("main", True)
    metas.append(meta)
    parts.append(text)
    if b.used_spec_fns:
        parts.insert(0, SPEC_FNS)
    hardware = None
    if b.used_unreliable and not opts.straight_line and draw(st.booleans()):
        hardware = "faulty"
        parts.insert(0, HARDWARE)
        # `faults at most K` sometimes (LANGUAGE.md v2 section 11); recursion under a
        # budget is an error, so not with a recursive helper.
        if not any(m.recursive for m in metas) and draw(st.booleans()):
            k = draw(st.integers(0, 2))
            parts[0] = HARDWARE.replace("}\n", f"  faults at most {k};\n}}\n")
    return GenProgram("\n\n".join(parts) + "\n", metas, hardware, b.used_unreliable)


def reliability_programs(straight_line: bool = False, linear: bool = False,
                         known: bool | tuple[str, ...] = False, spec_calls: bool = False,
                         grids: bool = True):
    """Programs for the reliability properties: unreliable operators and urel
    memory, no relax or specifications (the analysis ignores them). With `known`
    (True: all of `KNOWN_RELIABILITY`, or some of them by name), also havocs that
    only some runs make and faults that hit interpreter limits."""
    names = KNOWN_RELIABILITY if known is True else (known or ())
    opts = Options(unreliable=True, relax=False, accept=False, asserts=False, specs=False,
                   calls=not straight_line, arrays=not linear, loops=not straight_line,
                   straight_line=straight_line, linear=linear, max_stmts=5,
                   limit_faults=True, spec_calls=spec_calls,
                   shaky_havoc=not spec_calls,  # (a havoc: enumeration cannot replay it)
                   externs=False,  # (in the full suite they cut the enumerated values)
                   grids=grids)
    if names:
        opts.with_known(tuple(names))
    return programs(opts)
