"""Discharge obligations with Z3: one solver per obligation, with a time limit and
a deterministic resource limit, and turn models into counterexamples.

`unsat` of the negation is the only way to `verified`; `unknown` (time-out,
resource limit, incompleteness) is reported with Z3's reason.
"""
from __future__ import annotations

import os
import re
import time
import weakref
from dataclasses import dataclass
from decimal import Decimal, localcontext
from fractions import Fraction
from typing import Callable, Optional

import z3

from relaxverify.core import nodes as C
from relaxverify.core.formats import FORMATS
from relaxverify.verify.bounds import search
from relaxverify.verify.budget import budget_constraint
from relaxverify.verify.straightline import check_by_ranges, straight_line_bound
from relaxverify.verify.counterexample import Counterexample
from relaxverify.verify.decider import SlicedSolver, z3_timeout_ms
from relaxverify.verify.instances import QuantifiedFacts, goal_instances
from relaxverify.report.diagnostics import Diagnostic
from relaxverify.verify.obligations import Obligation
from relaxverify.verify.smt import ArrayVal, array_too_long, is_true_in, model_value
from relaxverify.verify.terms import negate
from relaxverify.verify.vcgen import VCGen

# Resource units per second of --timeout: deterministic limit well before the clock
# limit on ordinary machines, so that verdicts do not depend on the load.
RLIMIT_PER_SECOND = 2_000_000
SMALL_ARRAY = 8  # counterexamples prefer input arrays at most this long
SMALL_SLICE = 64  # an obligation's slice is decided alone up to this many terms or 1/2
SHALLOW = 2  # steps from the goal of the first, small slice tried (slicing.goal_slice)
SHOWN_ELEMENTS = 20  # the text output shows this many elements of an array


def rlimit_for(timeout_s: float) -> int:
    return max(100_000, int(timeout_s * RLIMIT_PER_SECOND))


@dataclass
class ProverStats:
    solver_seconds: float = 0.0
    queries: int = 0


# Per generator: the quantifiers of its facts (verify/instances.py), walked once.
_QUANTIFIERS: "weakref.WeakKeyDictionary[VCGen, QuantifiedFacts]" = weakref.WeakKeyDictionary()


def make_solver(gen: VCGen, ob: Obligation, timeout_s: float) -> z3.Solver:
    """The obligation's query: its negation (and fault budget) with the background
    facts before it, decided first by the function's incremental solver or on the
    facts the negation depends on; only `unsat` is taken from those, any other
    answer comes from the whole query (`SlicedSolver`), so verdicts are those of
    the whole context."""
    budget = budget_constraint(gen.faults.budget, gen.records, ob)
    goal = ob.negation()
    # the instances of quantified facts at the goal's reads (valid: they only help)
    extra = goal_instances(_QUANTIFIERS.setdefault(gen, QuantifiedFacts()), gen.facts,
                           ob.nfacts, goal)
    goals = ([] if budget is None else [budget]) + list(extra) + [goal]

    def sliced(alone: Callable[[list], bool]) -> bool:
        """Do queries that are each weaker than one instance's show it (all unsat is a
        proof)? Each instance first tries the facts a few steps from its goal, then
        its whole slice, unless that is more than half the whole query: the
        incremental solver, which holds the facts already, decides those faster."""
        slicer = gen.store.slicer
        if not all(i.parts is not None for i in ob.instances):
            return alone(slicer.cone(goals, ob.nfacts) + goals)
        cap = max(SMALL_SLICE, ob.nfacts // 2)
        for i in ob.instances:
            path, negation, extra = i.parts or (), negate(i.goal), tuple(goals[:-1])
            near = slicer.goal_slice(path, negation, i.nfacts, cap, SHALLOW, extra)
            if near is not None and alone(near):
                continue
            q = slicer.goal_slice(path, negation, i.nfacts, cap, extra=extra)
            # (the shallow slice is a part of the whole one: as long, it is the same)
            if q is None or (near is not None and len(q) == len(near)) or not alone(q):
                return False
        return True
    return SlicedSolver(z3_timeout_ms(timeout_s), rlimit_for(timeout_s), sliced,
                        gen.facts[:ob.nfacts] + goals,
                        (gen.store.prover, gen.facts, ob.nfacts, goals))


def smt2_text(solver: z3.Solver, ob: Obligation, timeout_s: float) -> str:
    header = (f"; relaxverify obligation {ob.id}\n; {ob.kind} ({ob.side}) at "
              f"{ob.span.path}:{ob.span.line}:{ob.span.column}: {ob.explanation}\n"
              "; unsat means the obligation holds\n"
              f"(set-option :rlimit {rlimit_for(timeout_s)})\n"
              f"(set-option :timeout {z3_timeout_ms(timeout_s)})\n")
    return header + solver.to_smt2()


def smt2_name(ob: Obligation) -> str:
    """`<file stem>.<obligation id>.smt2`, with only portable characters."""
    stem = os.path.splitext(os.path.basename(ob.span.path))[0]
    return re.sub(r"[^A-Za-z0-9_.@#-]+", "_", f"{stem}.{ob.id}") + ".smt2"


def prove(gen: VCGen, ob: Obligation, timeout_s: float, stats: ProverStats,
          smt2_dir: Optional[str] = None) -> None:
    if ob.kind == "accept" and not ob.is_query and ob.status != "verified" \
            and accept_by_engine(gen, ob):
        return  # (a proof independent of the generator and of Z3's answers so far)
    if ob.kind in ("overflow", "division") and ob.side in ("original", "relaxed") \
            and ob.status != "verified" and check_by_ranges(
                gen.fn, gen.faults.model, ob.kind, ob.span.line, ob.span.column, ob.side[0]):
        ob.status, ob.reason, ob.counterexample = "verified", None, None
        return  # interval ranges over the input box (straight-line code)
    if ob.status == "unknown" and ob.reason:  # the generator stopped before it was complete
        return
    if ob.is_query:
        prove_bound(gen, ob, timeout_s, stats)
        return
    solver = make_solver(gen, ob, timeout_s)
    if smt2_dir is not None:
        name = smt2_name(ob)
        target = os.path.join(smt2_dir, name)
        try:
            with open(target, "w") as f:
                f.write(smt2_text(solver, ob, timeout_s))
        except OSError as exc:
            gen.warnings.append(Diagnostic("warning", f"cannot write `{target}`: {exc.strerror}",
                                           ob.span, "io"))
    t0 = time.perf_counter()
    reason: Optional[str]
    try:
        answer = solver.check()
    except z3.Z3Exception as exc:  # e.g. an interrupted or failing tactic
        answer, reason = z3.unknown, str(exc)
    else:
        reason = solver.reason_unknown() if answer == z3.unknown else None
    ob.time_ms = (time.perf_counter() - t0) * 1000
    stats.solver_seconds += ob.time_ms / 1000
    stats.queries += 1
    if answer == z3.unsat:
        ob.status = "verified"
    elif answer == z3.sat:
        ob.status = "failed"
        small = [n <= SMALL_ARRAY for v in list(gen.entry_o.values())
                 + list(gen.entry_r.values()) if isinstance(v, ArrayVal) for n in v.lengths]
        ob.counterexample = counterexample(gen, ob, _better_model(solver, ob, small))
    else:
        ob.status = "unknown"
        ob.reason = _reason(reason)


def accept_by_engine(gen: VCGen, ob: Obligation) -> bool:
    """`accept abs(A<o> - B<r>) <= c` after straight-line code: proved when the
    round-off engine's rigorous bound is at most c (non-linear round-off is where Z3
    gives up); otherwise the solver decides."""
    check = next((s for s in gen.fn.body if isinstance(s, C.Check) and s.kind == "accept"
                  and s.query is None and s.span == ob.span), None)
    if check is None:
        return False
    cond = check.cond
    if not (isinstance(cond, C.BinOp) and cond.op == "<=" and isinstance(cond.right, C.Const)
            and not isinstance(cond.right.value, bool)):
        return False
    t0 = time.perf_counter()
    bound = straight_line_bound(gen.fn, check, gen.faults.model, cond.left)
    ob.time_ms = (time.perf_counter() - t0) * 1000
    if bound is None or Fraction(bound) > Fraction(cond.right.value):
        return False
    ob.status, ob.reason, ob.counterexample = "verified", None, None
    return True


def prove_bound(gen: VCGen, ob: Obligation, timeout_s: float, stats: ProverStats) -> None:
    """A bound query: verified with the least bound proved, else unknown."""
    check = next((s for s in C.walk(gen.fn.body) if isinstance(s, C.Check)
                  and s.query is not None and s.span == ob.span), None)
    engine = None if check is None else straight_line_bound(gen.fn, check, gen.faults.model)
    bound, why, queries = search(gen.facts, ob, timeout_s, engine)
    stats.solver_seconds += ob.time_ms / 1000
    stats.queries += queries
    ob.bound = bound
    if bound is None:
        ob.status, ob.reason = "unknown", why
    else:
        ob.status = "verified"


def _better_model(solver: z3.Solver, ob: Obligation, small: list) -> z3.ModelRef:
    """The model of the failed query, or preferably one that tells more (a second
    query, for the counterexample only: the verdict is already decided): for
    `alignment`, executions that really branch differently; for a check of O,
    a relaxed execution that also gets there (else its values mean nothing); and
    short input arrays."""
    model = solver.model()
    if ob.kind == "alignment":
        better = [z3.And(i.guard, z3.Or([c_o != c_r for c_o, c_r, _ in i.apart]))
                  for i in ob.instances if i.apart]
    elif ob.side == "original":
        better = [z3.And(i.guard, z3.Not(i.goal), i.pair) for i in ob.instances
                  if i.pair is not None]
    else:
        better = []
    wishes = []
    if better and small:
        wishes.append(z3.And(z3.Or(better), *small))
    if better:
        wishes.append(z3.Or(better))
    if small:
        wishes.append(z3.And(small))
    for wish in wishes:
        solver.push()
        solver.add(wish)
        try:
            if solver.check() == z3.sat:
                return solver.model()
        except z3.Z3Exception:
            pass
        finally:
            solver.pop()
    return model


def _reason(reason: Optional[str]) -> str:
    if not reason:
        return "Z3 gave no reason"
    if reason in ("canceled", "max. resource limit exceeded", "resource limits exceeded"):
        return "Z3 reached its time or resource limit (try a larger --timeout)"
    if reason == "timeout":
        return "Z3 timed out (try a larger --timeout)"
    return f"Z3: {reason}"


# ---------------------------------------------------------------- counterexamples


def counterexample(gen: VCGen, ob: Obligation, model: z3.ModelRef) -> Counterexample:
    inst = next((i for i in ob.instances
                 if is_true_in(model, i.guard) and not is_true_in(model, i.goal)),
                ob.instances[0])
    cex = Counterexample(gen.fn.name)
    cex.inputs_o = _values(model, gen.entry_o, params_only=True)
    cex.inputs_r = _values(model, gen.entry_r, params_only=True)
    cex.final_o = _values(model, inst.values_o)
    if ob.side != "original" or inst.pair is None or is_true_in(model, inst.pair):
        cex.final_r = _values(model, inst.values_r)
    tables = (gen.entry_o, gen.entry_r, inst.values_o, inst.values_r)
    concrete = not inst.abstract and not any(array_too_long(model, v) for t in tables
                                             for v in t.values())
    for rec in gen.records[:inst.nrecords]:
        if not is_true_in(model, rec.guard):
            continue
        if rec.kind == "rounding":
            ob.approximate = True
        elif rec.kind == "abstract":
            concrete = False
        elif rec.kind == "choice":
            chosen = {name: model_value(model, v, ty) for name, (v, ty) in rec.values.items()}
            (cex.choices_o if rec.side == "o" else cex.choices_r).append(chosen)
        elif rec.kind == "fault":
            assert rec.term is not None and rec.exact is not None and rec.ty is not None
            v = model_value(model, rec.term, rec.ty)
            exact = model_value(model, rec.exact, rec.ty)
            cex.faults.append(None if v == exact else v)
    if ob.kind == "alignment" and inst.apart:
        # a real misalignment needs the executions to branch differently somewhere
        apart = [line for c_o, c_r, line in inst.apart if not is_true_in(model, c_o == c_r)]
        concrete = concrete and bool(apart)
        ob.branches_apart = apart
    cex.concrete = concrete
    if not ob.approximate:  # float inputs off their format's grid are no run's
        ob.approximate = _off_grid(gen, model)
    return cex


def _off_grid(gen: VCGen, model: z3.ModelRef) -> bool:
    """Does the model give a float input, choice or fault a value off its format's
    grid (the abstraction allows any real in range; no run has such a value)?"""
    items = [(v, var.type) for table in (gen.entry_o, gen.entry_r) for var, v in table.items()]
    for rec in gen.records:
        items += list(rec.values.values())
        if rec.kind == "fault" and rec.term is not None and rec.ty is not None:
            items.append((rec.term, rec.ty))
    for v, ty in items:
        fmt = FORMATS.get(ty.base)
        if fmt is None:
            continue
        x = model_value(model, v, ty)
        for e in (x if isinstance(x, list) else [x]):
            if isinstance(e, Fraction) and not _representable(fmt, e):
                return True
    return False


def _representable(fmt, x: Fraction) -> bool:
    try:
        return fmt.representable(x)
    except OverflowError:  # beyond binary64: no value of any format
        return False


def _values(model: z3.ModelRef, table: dict, params_only: bool = False) -> dict:
    out: dict = {}
    for var, v in table.items():
        if var.kind in ("ghost", "bound"):
            continue
        if params_only and var.kind != "param":
            continue
        name = var.source
        out[name] = model_value(model, v, var.type)
    return out


def format_value(v) -> str:
    """A value as Relax would write it: reals in decimal when that is exact."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, Fraction):
        if v.denominator == 1:
            return f"{v.numerator}.0"
        d = v.denominator
        for p in (2, 5):
            while d % p == 0:
                d //= p
        if d == 1:  # a terminating decimal: print it exactly
            with localcontext() as ctx:
                ctx.prec = 60
                return format(Decimal(v.numerator) / Decimal(v.denominator), "f")
        return f"{v.numerator}/{v.denominator}"
    if isinstance(v, list):
        shown = ", ".join(format_value(x) for x in v[:SHOWN_ELEMENTS])
        more = f", ... ({len(v)} elements)" if len(v) > SHOWN_ELEMENTS else ""
        return "[" + shown + more + "]"
    if v is None:
        return "?"
    return str(v)
