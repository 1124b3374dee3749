"""An interpreter for the core language (docs/language.md, spec §6-§8): original and relaxed
semantics, runtime checks, fault injection and traces of given faulty values.

Each configuration compiles the program to Python source (codegen_stmts,
codegen_exprs): one `def` per Relax function, Relax locals as Python locals,
arrays as lists copied on assignment, reals as float (or Fraction with `exact`).
Runtime checks and fault sites are inlined, so a Monte Carlo trial runs at close
to the speed of hand-written Python instead of walking the syntax tree. Anything
that needs state (faults, choices, records for replay) calls back into the
`Interpreter` through the namespace.
"""
from __future__ import annotations

import math
import random
import time
from fractions import Fraction
from typing import Any, Callable, Optional

from relaxverify.check.hardware import RELIABLE
from relaxverify.core import nodes as C
from relaxverify.core import arrays
from relaxverify.core.checks import LIMITS
from relaxverify.run.choices import Choices
from relaxverify.run.choose import ChoicePlan, to_float, z3_holds
from relaxverify.run.codegen_stmts import Generator
from relaxverify.run.gridops import GridOps
from relaxverify.run.failures import Failures
from relaxverify.run.faults import FaultMaker
from relaxverify.run.floatops import FloatOps, round_argument
from relaxverify.run.options import Options
from relaxverify.run.outcome import CompileLimit, RunOutcome, RuntimeFailure
from relaxverify.run.recursion import deep_recursion
from relaxverify.source import Span

# Python frames a run may use: every nested Relax call is one frame of the generated
# code, so the call depth limit of the table is reached before Python's own.
RECURSION = LIMITS.call_depth * 2 + 2000


class Interpreter:
    """One compiled configuration of a program, ready to run a function many times."""

    def __init__(self, program: C.Program, fn: str, options: Options,
                 model: Optional[C.HardwareModel] = None, seed: int = 0,
                 source: Optional[str] = None,
                 precision: Optional[C.HardwareModel] = None):
        """`model` injects faults (when `options.faults` says so); `precision` is the
        model whose precisions this execution (R) runs at (LANGUAGE.md section 9)."""
        self.program = program
        self.fn = program.functions[fn]
        self.opts = options
        self.source = source
        self.fault_rng = random.Random(f"faults:{seed}")
        self.choice_rng = random.Random(f"choices:{seed}")
        trace_all = options.faults == "trace" and model is None
        if trace_all:
            model = RELIABLE  # trace mode without a model: every site, as the verifier does
        gen = Generator(program, options, model if options.faults != "none" else None,
                        precision)
        gen.x.trace_all = trace_all
        text = _generate(gen, fn)
        self.gen = gen
        self.sites = gen.sites
        self.plans: dict[int, ChoicePlan] = {}
        maker = FaultMaker(self.fault_rng, options.exact)
        faults: list[Optional[Callable]] = [None] * len(self.sites)
        for k, spec in gen.fault_specs.items():
            faults[k] = maker.make(spec)
        # state of one run
        self.trace: list = []
        self.trace_pos = 0
        self.records: list = []
        self.notes: list[str] = []
        self.failures = Failures(self.sites, options, source)
        self.choices = Choices(self.sites, self.plan, self.convert, self.choice_rng,
                               lambda msg: self.notes.append(msg))
        ns: dict[str, Any] = {
            "_K": gen.consts, "_Fr": Fraction, "_FAULTS": faults,
            "_expo": lambda: self.fault_rng.expovariate(1.0),
            "_MAXSTEPS": options.max_steps, "_MAXARRAY": options.max_array,
            "_MAXDEPTH": LIMITS.call_depth - 1,  # the top function runs at depth -1
            "_DEADLINE": math.inf, "_now": time.monotonic,
            "_choose": self.choices.choose, "_U": self._trace, "_rec": self._rec,
            "_quant": self._quant,
        }
        ns.update(self.failures.handlers())
        ns.update(GridOps(self.sites).handlers())
        ns.update(FloatOps(self.sites, gen.c.roundings, self.failures.quoted,
                           options.exact).handlers())
        self.ns = ns
        try:
            code = compile(text, f"<relax {program.path}>", "exec")
        except (SyntaxError, RecursionError, MemoryError, ValueError) as exc:
            raise _too_deep(gen, exc) from None
        exec(code, ns)
        ns["_B"] = self.fault_rng.expovariate(1.0)
        ns["_NF"] = 0  # faults injected so far
        ns["_RF"] = 0  # faults injected in this run (reset per Monte Carlo trial)
        budget = model.budget if model is not None and options.faults == "inject" else None
        ns["_FB"] = math.inf if budget is None else budget  # `faults at most K` (v2 s.11)
        self.source_text = text
        self.entry: Callable[..., Any] = ns["_entry"]
        self._closures: dict[int, Callable] = {}

    # ------------------------------------------------------------ compatibility

    def set_choices(self, choices: Optional[list[dict]]) -> None:
        """Choices to reuse, in execution order (by source name); None: choose at random."""
        self.choices.ordered = choices

    def set_choices_by_site(self, choices: Optional[dict]) -> None:
        """Choices to reuse by statement occurrence (another run's `choices.by_site`)."""
        self.choices.keyed = choices

    def snippet(self, span: Span) -> str:
        return self.failures.snippet(span)

    # ------------------------------------------------------------ running

    def run(self, args: list) -> RunOutcome:
        """Run the function on `args` (in parameter order, already converted)."""
        self.trace_pos = 0
        self.choices.reset()
        self.records = []
        self.notes = []
        self.ns["_RF"] = 0  # the fault budget is per run
        if self.opts.time_limit is not None:
            self.ns["_DEADLINE"] = time.monotonic() + self.opts.time_limit
        failure: Optional[RuntimeFailure] = None
        result = None
        try:
            with deep_recursion(RECURSION):
                result = self.entry(-1, *args)
        except RuntimeFailure as exc:
            failure = exc
        except RecursionError:
            failure = RuntimeFailure("limit", self.fn.span, "the calls nest too deeply (is "
                                     "there a recursion without a base case?)")
        except (MemoryError, OverflowError) as exc:
            what = "memory" if isinstance(exc, MemoryError) else "the range of a float"
            failure = RuntimeFailure("limit", self.fn.span, f"the run exceeded {what} ({exc})")
        return RunOutcome(result, failure, self.records, self.notes)

    def convert(self, value: Any, ty: C.Type) -> Any:
        """A Python value (int, Fraction, float, bool, list) as this configuration's value."""
        if ty.array:
            return arrays.mapped(value, lambda x: self.convert(x, ty.elem), ty.dims)
        if ty.base == "real":
            return Fraction(value) if self.opts.exact else to_float(value)
        if ty.is_float:
            return round_argument(value, ty)
        if ty.base == "int":
            return int(value)
        return bool(value)

    # ------------------------------------------------------------ choices

    def plan(self, k: int) -> ChoicePlan:
        if k not in self.plans:
            stmt: C.Choose = self.sites[k].node
            targets = {v.name for v in stmt.vars}
            py = self.gen.py

            def pred_res(r: C.VarRef) -> str:
                if r.var.name in targets and not r.old and r.var.kind != "bound":
                    return f"N[{r.var.name!r}]"
                return f"E[{r.var.name!r}]" if r.var.kind != "bound" else py(r.var)

            def closed(e: C.Expr) -> Callable:
                return self._compile(e, lambda r: f"E[{r.var.name!r}]" if r.var.kind != "bound"
                                     else py(r.var), "E")

            pred = self._compile(stmt.pred, pred_res, "E, N")
            self.plans[k] = ChoicePlan(stmt, closed, pred, self.opts.exact)
        return self.plans[k]

    def _compile(self, e: C.Expr, resolver: Callable[[C.VarRef], str], args: str) -> Callable:
        start = len(self.gen.lines)
        name = self.gen.x.closure(e, resolver, args)
        text = "\n".join(self.gen.lines[start:]) + "\n"
        exec(compile(text, "<relax closure>", "exec"), self.ns)
        return self.ns[name]

    # ------------------------------------------------------------ traces and records

    def set_trace(self, values: list) -> None:
        self.trace = list(values)

    def _trace(self, k: int, v: Any) -> Any:
        if self.trace_pos >= len(self.trace):
            return v
        given = self.trace[self.trace_pos]
        self.trace_pos += 1
        if given is None:
            return v
        spec = self.gen.fault_specs[k]
        ty = C.Type(spec.ty.base, spec.whole_array)
        try:
            return self.convert(given, ty)
        except (TypeError, ValueError):
            self.notes.append(f"the recorded value {given!r} at line {self.sites[k].span.line} "
                              "does not fit; the exact value was used")
            return v

    def _rec(self, tag: str, k: int, env: dict) -> None:
        self.records.append((tag, k, {n: arrays.copy(v) if isinstance(v, list) else v
                                      for n, v in env.items()}))

    def _quant(self, k: int, env: dict) -> bool:
        try:
            holds = z3_holds(self.sites[k].node, env)
        except Exception:  # noqa: BLE001 - a quantifier the solver cannot take
            holds = None
        if holds is None:
            self.notes.append(f"the quantifier at line {self.sites[k].span.line} could not be "
                              "evaluated; it was taken to hold")
            return True
        return holds

    def relation(self, e: C.Expr) -> Callable[[dict, dict], bool]:
        """A relational predicate as a function of the two states (by Var.name)."""
        key = id(e)
        if key not in self._closures:
            def res(r: C.VarRef) -> str:
                if r.var.kind == "bound":
                    return self.gen.py(r.var)
                return f"{'R' if r.side == 'r' else 'O'}[{r.var.name!r}]"
            self._closures[key] = self._compile(e, res, "O, R")
        return self._closures[key]


def _generate(gen: Generator, fn: str) -> str:
    """The module's source; generating it recurses once per level of nesting."""
    try:
        with deep_recursion(60000):
            return gen.module(fn)
    except RecursionError:
        raise CompileLimit("the program is nested too deeply for the interpreter to "
                           "translate it; split the deepest expression or block") from None


def _too_deep(gen: Generator, exc: BaseException) -> CompileLimit:
    """The real cause of a program Python cannot compile: blocks or loops nested too
    deeply (expressions are written flat), with the place of the deepest one."""
    msg = str(getattr(exc, "msg", exc))
    if "statically nested blocks" in msg:
        n, span = gen.deepest_loop
        return CompileLimit(f"loops are nested {n} deep here, more than the interpreter "
                            "allows (Python, which runs the program, allows 20 nested "
                            "loops): move the inner loops into a function", span)
    if "indentation" in msg or "indent" in msg:
        n, span = gen.deepest
        return CompileLimit(f"statements are nested {n} blocks deep here (`if`/`while`/`for` "
                            "inside each other), more than the interpreter allows (Python, "
                            "which runs the program, allows 100 levels): move the inner "
                            "part into a function", span)
    return CompileLimit("the program is too complex for the interpreter "
                        f"({exc.__class__.__name__}: {msg}); split its deepest expression "
                        "into several assignments")
