"""Differential soundness: what `verify` proves must survive the interpreter.

For one generated program, `check_program` proves every obligation with the
verifier's own pipeline (VCGen + prover, as `relaxverify verify` does), then runs
many seeded pairs of executions of each function: the original O fault-free, the
relaxed R with random relax/havoc choices and with faults injected at high rates
(bit flips, or values within the declared `error`: both are among the "arbitrary"
faults the verifier allows). Inputs satisfy `requires` (and `requires_r`).

A disagreement is a run pair that violates something the verifier proved:

* O's first failure is a check whose original-side obligation is verified
  (O-side proofs only assume O's own earlier checks, so no condition applies);
* R's first failure is a check whose relaxed-side obligation is verified, while O
  completed; counted only when the relational facts the proof of R may assume are
  themselves verified (every relational obligation of the function, and every
  obligation of its callees, whose contracts the proof trusts);
* under the same condition, an `accept` false at the k-th arrival of both runs, a
  relational loop invariant false at a product loop head (lockstep, then the side
  still running against the other's exit state), `ensures_r` false at the end, or
  a different number of arrivals at an `accept` the verifier says is aligned;
* a runtime failure with no obligation at all for that check (a relax/havoc that
  fails evaluating its predicate fails the bounds/division check inside it);
* a failed obligation whose counterexample is concrete but does not replay;
* a `requires_r` written as the default (`eq` of every parameter) that changes a
  verdict, or a `requires_r true` that fails an `alignment` the default passes.
"""
from __future__ import annotations

import copy
import dataclasses
import random
import re
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Callable, Optional

from relaxverify.core import nodes as C
from relaxverify.core.formats import FORMATS
from relaxverify.run.options import Options
from relaxverify.run.outcome import RunOutcome, RuntimeFailure, named_results
from relaxverify.run.runtime import Interpreter
from relaxverify.api.verify import ObligationResult, unconfirmed
from relaxverify.verify.replay import replay
from relaxverify.pipeline import load_source
from relaxverify.verify.prover import ProverStats, prove, rlimit_for
from relaxverify.verify.vcgen import Decider, Faults, VCGen

from strategies import FnMeta, GenProgram, Param

TIMEOUT_S = 10.0
MAX_STEPS = 400  # loop iterations before a run is abandoned (faulty bounds can be huge)
DISCARD_O = ("assume", "havoc", "limit")  # the pair is not one the verifier reasons about
DISCARD_R = ("relax", "havoc", "limit")
# A relax/havoc that fails evaluating its predicate (not "no values") fails a
# definedness check of its predicate: a bounds or division failure, not a discard.
DEFINEDNESS = (("bounds", re.compile(r"is outside the array|outside dimension")),
               ("division", re.compile(r"division by zero|modulo by zero")))


@dataclass
class Disagreement:
    what: str  # "unsound", "missing" or "replay"
    detail: str
    source: str

    def __str__(self) -> str:
        return f"{self.what}: {self.detail}\n--- program ---\n{self.source}"


@dataclass
class Tally:
    programs: int = 0
    obligations: int = 0
    verified: int = 0
    failed: int = 0
    unknown: int = 0
    verified_programs: int = 0
    verified_functions: int = 0  # functions all of whose obligations are verified
    run_pairs: int = 0
    trusted_pairs: int = 0  # pairs where R and the relation were held to account
    failures_judged: int = 0  # runtime failures compared with an obligation
    replays: int = 0
    variants: int = 0  # programs verified again with a `requires_r` written as the default
    disagreements: list[Disagreement] = field(default_factory=list)

    def add(self, other: "Tally") -> None:
        for name in ("programs", "obligations", "verified", "failed", "unknown",
                     "verified_programs", "verified_functions", "run_pairs", "trusted_pairs",
                     "failures_judged", "replays", "variants"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.disagreements.extend(other.disagreements)


# ---------------------------------------------------------------- verification


def verify_all(program: C.Program, model: Optional[C.HardwareModel]) -> list:
    obligations = []
    for fn in program.functions.values():
        gen = VCGen(program, fn, Faults(model), Decider(TIMEOUT_S, rlimit_for(TIMEOUT_S)))
        gen.run()
        for ob in gen.obligations.values():
            prove(gen, ob, TIMEOUT_S, ProverStats(), None)
            obligations.append(ob)
    return obligations


class Claims:
    """The obligations, looked up by the check a runtime failure names."""

    def __init__(self, obligations: list):
        self.obligations = obligations

    def at(self, kind: str, side: str, span, within: bool = False) -> list:
        """The obligations of `kind` on `side` at `span`; with `within`, or when none is
        there for a loop's `bound`, those inside `span` (the interpreter locates a
        loop bound at the loop and a predicate's failure at its relax/havoc)."""
        out = [o for o in self.obligations if o.kind == kind and o.side == side
               and (o.span.line, o.span.column) == (span.line, span.column)]
        if not out and (kind == "bound" or within):
            out = [o for o in self.obligations if o.kind == kind and o.side == side
                   and _inside(o.span, span)]
        return out

    @staticmethod
    def proved(obs: list) -> bool:
        return bool(obs) and all(o.status == "verified" for o in obs)

    def trusted(self, program: C.Program, fn: C.Function) -> bool:
        """Are the contracts `fn`'s proof trusts proved? Every obligation of every
        function it calls, directly or not (their `ensures_r` is assumed at calls and
        never checked at run time). A recursive function calls itself: its proof
        trusts its own contract at the inner calls, so all its obligations count."""
        todo, seen = [fn.name], set()
        while todo:
            name = todo.pop()
            for s in C.walk(program.functions[name].body):
                if isinstance(s, C.Call) and s.callee not in seen:
                    seen.add(s.callee)
                    todo.append(s.callee)
        return all(o.status == "verified" for o in self.obligations if o.function in seen)


def _inside(a, b) -> bool:
    return ((b.line, b.column) <= (a.line, a.column)
            and (a.end_line, a.end_column) <= (b.end_line, b.end_column))


# ---------------------------------------------------------------- inputs and models


def fault_models(program: C.Program, gen: GenProgram) -> list[C.HardwareModel]:
    """Models for R's fault injection: high rates, faults the verifier allows."""
    if gen.hardware is not None:
        declared = program.hardware[gen.hardware]
        out = []
        for p in (0.5, 0.85):
            # (high rates where the model has faults; its precisions and regions kept:
            # R runs at the model's precisions, LANGUAGE.md section 9)
            ops = {k: dataclasses.replace(m, prob=p if m.prob < 1 else 1.0)
                   for k, m in declared.operators.items()}
            regions = {k: dataclasses.replace(m, read=p if m.read < 1 else 1.0,
                                              write=p if m.write < 1 else 1.0)
                       for k, m in declared.regions.items()}
            out.append(C.HardwareModel(f"{gen.hardware}@{p}", ops,
                                       p if declared.read < 1 else 1.0,
                                       p if declared.write < 1 else 1.0, regions=regions,
                                       budget=declared.budget))  # R runs respect it
        return out
    from relaxverify.check.hardware import UNRELIABLE_OPERATORS
    out = []
    for p, err in ((0.5, None), (0.7, 1.0), (0.9, 3.0)):
        ops = {o: C.OperatorModel(p, err) for o in UNRELIABLE_OPERATORS}
        out.append(C.HardwareModel(f"any@{p}", ops, p, p))
    return out


def draw_inputs(meta: FnMeta, rng: random.Random) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for p in meta.params:
        if p.array and p.dims == 2:  # rows x columns, as `--arg g=[[1,2],[3,4]]`
            n, k = (rng.randint(p.min_len, p.min_len + 2) for _ in range(2))
            out[p.name] = [[rng.randint(-3, 5) for _ in range(k)] for _ in range(n)]
        elif p.array:
            n = rng.randint(p.min_len, p.min_len + 3)
            out[p.name] = [rng.randint(-3, 5) for _ in range(n)]
        elif p.base == "int":
            out[p.name] = rng.randint(p.lo, p.hi)
        else:
            out[p.name] = draw_number(p, rng)
    return out


def draw_number(p: Param, rng: random.Random) -> Any:
    """A `real` (a Fraction) or a finite value of p's float format (a Python float),
    within [p.lo, p.hi] (rounding is monotone and the ends are representable): a
    uniform one, an integer or a multiple of 1/8, or an end of the box."""
    form = rng.randrange(4)
    if form == 0:
        v = Fraction(rng.uniform(p.lo, p.hi))
    elif form == 1:
        v = Fraction(rng.randint(p.lo * 8, p.hi * 8), 8)
    elif form == 2:
        v = Fraction(rng.randint(p.lo, p.hi))
    else:
        v = Fraction(rng.choice((p.lo, p.hi)))
    if p.base == "real":
        return v
    return FORMATS[p.base].round(v)


def related_inputs(meta: FnMeta, xo: dict, rng: random.Random) -> dict:
    if not meta.custom_requires_r:
        return {k: copy.deepcopy(v) if isinstance(v, list) else v for k, v in xo.items()}
    xr = dict(xo)
    for p in meta.params:
        if not p.array and p.base == "int":
            xr[p.name] = xo[p.name] + rng.randint(-1, 2)
    return xr


def metas_of(program: C.Program) -> list[FnMeta]:
    """Input descriptions for a hand-written program: small ints, short arrays; pairs
    whose inputs miss `requires` are discarded by the runner. Externs have no body to
    run: they are reached through their callers."""
    return [FnMeta(f.name, [Param(p.source, array=p.type.array, dims=p.type.dims,
                                  base="int" if p.type.array else p.type.base)
                            for p in f.params], True, not f.requires_r_default)
            for f in program.functions.values() if not f.extern]


# ---------------------------------------------------------------- one program


def check_program(gen: GenProgram, pairs: int = 40, seed: int = 0,
                  verify: Callable = None) -> Tally:
    """Verify `gen`, replay its counterexamples, run `pairs` O/R pairs per function.
    `verify` replaces the verifier (the harness's own tests feed it a lying one)."""
    verify = verify or verify_all
    tally = Tally(programs=1)
    item = load_source("gen.relax", gen.source)
    if not item.ok:
        raise AssertionError("the generator made an ill-typed program: "
                             + "; ".join(d.message for d in item.diagnostics) + "\n" + gen.source)
    program = item.program
    assert program is not None
    model = program.hardware.get(gen.hardware) if gen.hardware else None
    obligations = verify(program, model)
    claims = Claims(obligations)
    tally.obligations = len(obligations)
    for o in obligations:
        setattr(tally, o.status, getattr(tally, o.status) + 1)
    tally.verified_programs = int(all(o.status == "verified" for o in obligations))
    tally.verified_functions = sum(
        all(o.status == "verified" for o in obligations if o.function == f)
        for f in program.functions)

    def disagree(what: str, detail: str) -> None:
        tally.disagreements.append(Disagreement(what, detail, gen.source))

    judged = 0
    for o in obligations:  # the verifier's counterexamples must replay
        cex = o.counterexample
        if o.status == "failed" and cex is not None and cex.concrete:
            tally.replays += 1
            outcome = replay(program, cex, o.kind, o.side, o.span, model)
            unconfirmed(o, ObligationResult(o, True, outcome))  # as `verify` reports it
            if not outcome.reproduced and o.status == "failed":
                disagree("replay", f"{o.kind} ({o.side}) at {o.span.line}:{o.span.column} in "
                         f"`{o.function}`: {outcome.detail}; counterexample {cex}")
    for what, detail in requires_r_variants(gen, program, obligations, verify, model, tally):
        disagree(what, detail)
    rng = random.Random(seed)
    models = fault_models(program, gen)
    for meta in gen.functions:
        fn = program.functions[meta.name]
        runner = PairRunner(program, fn, claims, models, rng.randrange(1 << 30))
        for _ in range(pairs):
            xo = draw_inputs(meta, rng)
            xr = related_inputs(meta, xo, rng)
            problem = runner.check(xo, xr)
            tally.trusted_pairs += runner.trusted_now
            runner.trusted_now = 0
            if problem is not None:
                tally.run_pairs += 1
                if problem:
                    disagree(problem[0], f"`{meta.name}` with inputs O={xo} R={xr}: "
                             f"{problem[1]}")
                    break
        judged += runner.judged
    tally.failures_judged = judged
    return tally


def requires_r_variants(gen: GenProgram, program: C.Program, obligations: list,
                        verify: Callable, model, tally: Tally) -> list[tuple[str, str]]:
    """A `requires_r` that says what the default says (`eq` of every parameter) must
    give the verdicts of the default; `requires_r true` asks less of the callers than
    the default, so an `alignment` at a call that the default passes must pass. Each
    such clause is compared with the file where it is blanked out (same lines)."""
    problems = []
    for meta in gen.functions:
        if not meta.explicit_requires_r or meta.requires_r_clause not in gen.source:
            continue
        clause = meta.requires_r_clause
        variant = gen.source.replace(clause, "//" + " " * (len(clause) - 2), 1)
        item = load_source("gen.relax", variant)
        if not item.ok:
            continue
        tally.variants += 1
        default = verify(item.program, model)
        if any(o.status == "unknown" for o in [*obligations, *default]):
            continue  # a timeout is no verdict
        failed_written, failed_default = _failed(obligations), _failed(default)
        if meta.explicit_requires_r == "true":
            # Calls from other functions: inside the function itself, `true` lets the
            # two runs start apart, so a recursive call may be made apart too, and
            # such a call to a callee that may not complete has its own obligation.
            calls = {(s.span.line, s.span.column) for f in program.functions.values()
                     if f.name != meta.name
                     for s in C.walk(f.body) if isinstance(s, C.Call) and s.callee == meta.name}
            extra = {k for k in failed_written - failed_default
                     if k[1] == "alignment" and (k[3], k[4]) in calls}
        else:
            extra = failed_written ^ failed_default
        if extra:
            where = ", ".join(f"{k[1]} ({k[2]}) at {k[3]}:{k[4]} in `{k[0]}` "
                              f"{'fails only as written' if k in failed_written else 'fails only by default'}"
                              for k in sorted(extra))
            problems.append(("requires_r", f"`{meta.name}`'s `{clause}` changes the verdicts "
                             f"of the default `requires_r`: {where}"))
    return problems


def _failed(obligations: list) -> set:
    return {(o.function, o.kind, o.side, o.span.line, o.span.column)
            for o in obligations if o.status == "failed"}


class PairRunner:
    """Runs O/R pairs of one function and compares them with the verifier's claims."""

    def __init__(self, program: C.Program, fn: C.Function, claims: Claims,
                 models: list[C.HardwareModel], seed: int):
        self.program = program
        self.fn = fn
        self.claims = claims
        # reals exact, as `run` computes them by default (LANGUAGE.md section 2)
        self.o = Interpreter(program, fn.name, Options("original", True, "none", True, True,
                                                       MAX_STEPS), None, seed)
        self.rs = [Interpreter(program, fn.name, Options("relaxed", True, "inject", True, True,
                                                         MAX_STEPS), m, seed + i + 1,
                               precision=m)  # R runs at the model's precisions (section 9)
                   for i, m in enumerate(models)]
        self.turn = 0
        self.judged = 0
        self.trusted_now = 0
        self.trusted = claims.trusted(program, fn)
        top = _top_level(fn.body)
        self.top_loops = {id(s) for s in top if isinstance(s, C.Loop) and s.invariants_r}
        self.top_calls = {id(s) for s in top if isinstance(s, C.Call)}

    def check(self, xo: dict, xr: dict):
        """None: the pair is outside what the verifier reasons about; () no
        disagreement; (what, detail) otherwise."""
        fn = self.fn
        r = self.rs[self.turn % len(self.rs)]
        self.turn += 1
        env_o = {p.name: self.o.convert(xo[p.source], p.type) for p in fn.params}
        env_r = {p.name: r.convert(xr[p.source], p.type) for p in fn.params}
        for e in fn.requires_r:
            if not self.o.relation(e)(env_o, env_r):
                return None
        out_o = self.o.run([env_o[p.name] for p in fn.params])
        out_r = r.run([env_r[p.name] for p in fn.params])
        fo, fr = definedness(out_o.failure), definedness(out_r.failure)
        if fo is not None and (fo.kind in DISCARD_O or _entry_requires(fn, fo)):
            return None
        if fo is not None:
            return self.judge("original", fo)
        if fr is not None and (fr.kind in DISCARD_R or _entry_requires(fn, fr)):
            return None
        if not self.trusted:
            return ()
        problem, trusted = self.relational(r, out_o, out_r, env_o, env_r)
        if problem or not trusted:
            return problem
        self.trusted_now = 1
        if fr is not None:
            return self.judge("relaxed", fr)
        return ()

    def judge(self, side: str, f) -> tuple:
        self.judged += 1
        obs = self.claims.at(f.kind, side, f.span, within=getattr(f, "in_choice", False))
        where = f"{f.span.line}:{f.span.column}" if f.span else "?"
        if not obs:
            if f.kind in ("requires",):
                return ()  # a callee's precondition at a call: located at the call, checked
            return ("missing", f"the {side} run fails the {f.kind} check at {where} "
                    f"({f.message}) but the verifier has no {side} obligation for it")
        if self.claims.proved(obs):
            return ("unsound", f"the {side} run fails the {f.kind} check at {where} "
                    f"({f.message}), which the verifier reports verified")
        return ()

    # ------------------------------------------------------------ relational claims

    def holds(self, e: Any, a: dict, b: dict) -> bool:
        """A relational claim in the states a (O) and b (R): an expression, or a
        bound query's proved bound (`abs(E<o> - E<r>) <= bound`)."""
        if isinstance(e, Query):
            names = {x.var.name for x in C.subexprs(e.expr) if isinstance(x, C.VarRef)}
            if e.bound is None or not names <= a.keys() or not names <= b.keys():
                return True  # no bound claimed, or a run that did not record E's inputs
            return self.o.relation(e.expr)(a, b) <= e.bound
        return bool(self.o.relation(e)(a, b))

    def relational(self, r: Interpreter, out_o: RunOutcome, out_r: RunOutcome,
                   env_o: dict, env_r: dict) -> tuple[tuple, bool]:
        """Evaluate the relational claims of the pair in R's order: (problem, whether
        the relational facts R's proof may have assumed all held). The first false
        claim is a disagreement if proved; otherwise what follows it is not judged."""
        complete = out_o.failure is None and out_r.failure is None
        ev_o, ev_r = _events(self.o, out_o), _events(r, out_r)
        proved = self.claims.proved
        at = self.claims.at
        events = []  # (R's record index, O's, kind, span, relation, O state, R state)
        trusted = True
        miscounted = []
        for node in {id(n): n for n in [*ev_o, *ev_r]}.values():
            so, sr = ev_o.get(node, []), ev_r.get(node, [])
            if isinstance(node, C.Check):  # accept
                align = at("alignment", "relational", node.span)
                if align and not proved(align):  # arrivals may not pair up
                    trusted &= proved(at("accept", "relational", node.span))
                    continue
                claim = node.cond if node.query is None else query_claim(
                    node, at("accept", "relational", node.span))
                for (io, a), (ir, b) in zip(so, sr):
                    events.append((ir, io, "accept", node.span, claim, a, b))
                if complete and len(so) != len(sr):
                    miscounted.append((node, len(so), len(sr)))
            elif isinstance(node, C.Loop):
                if id(node) not in self.top_loops:  # heads of several executions
                    trusted &= all(proved(at("invariant_r", "relational", e.span))
                                   for e in node.invariants_r)
                    continue
                if not so or not sr:
                    continue  # one side skipped the loop: an alignment matter
                # Lockstep heads, then the side still running against the other's
                # exit state; a run that stopped (failed) has no exit state.
                span_k = max(len(so), len(sr))
                if (len(so) < len(sr) and out_o.failure) or (len(sr) < len(so) and out_r.failure):
                    span_k = min(len(so), len(sr))  # the rest cannot be evaluated
                    trusted &= all(proved(at("invariant_r", "relational", e.span))
                                   for e in node.invariants_r)
                for k in range(span_k):
                    (io, a), (ir, b) = so[min(k, len(so) - 1)], sr[min(k, len(sr) - 1)]
                    for e in node.invariants_r:
                        events.append((ir, io, "invariant_r", e.span, e, a, b))
            elif isinstance(node, C.Call):
                callee = self.program.functions[node.callee]
                align = at("alignment", "relational", node.span)
                if align and not proved(align):
                    # One run may make this call alone: the callee's relaxed-side proof
                    # leans on a partner run, so R's failures past it are not judged.
                    trusted = False
                    continue
                if id(node) not in self.top_calls:
                    trusted &= proved(at("requires_r", "relational", node.span)) or \
                        not at("requires_r", "relational", node.span)
                    continue
                if _fails_at(out_r, "requires", node.span):
                    continue  # R stopped at the callee's `requires`, checked before requires_r
                for (io, a), (ir, b) in zip(so, sr):
                    for e in callee.requires_r:
                        events.append((ir, io, "requires_r", node.span, e, a, b))
        events.sort(key=lambda ev: (ev[0], ev[1]))
        for _ir, _io, kind, span, e, a, b in events:
            if not self.holds(e, a, b):
                if proved(at(kind, "relational", span)):
                    return ("unsound", f"{kind} at {_at(span)}, reported verified, is false: "
                            f"O={a} R={b}"), False
                return (), False
        if not trusted:
            return (), False
        for node, no, nr in miscounted:
            return ("unsound", f"the runs reach the accept at {_at(node.span)} {no} and {nr} "
                    "times, but no alignment obligation fails there"), False
        if complete:
            fn = self.fn
            fo, fr = dict(env_o), dict(env_r)
            fo.update(named_results(fn.results, out_o.result))
            fr.update(named_results(fn.results, out_r.result))
            for e in fn.ensures_r:
                if not self.o.relation(e)(fo, fr) and proved(at("ensures_r", "relational",
                                                                 e.span)):
                    return ("unsound", f"ensures_r at {_at(e.span)}, reported verified, is "
                            f"false: result O={out_o.result} R={out_r.result}"), False
        return (), True


@dataclass
class Query:
    """`accept abs(E<o> - E<r>) <= ?;` with the bound verify reports (None: none
    proved, nothing to hold the runs to)."""

    expr: C.Expr
    bound: Optional[float]


def query_claim(node: C.Check, obligations: list) -> Query:
    """The claim of a bound query: its verified obligation's `bound` (the smallest
    bound verify proved, LANGUAGE.md section 9), or no claim."""
    assert node.query is not None
    bounds = [getattr(o, "bound", None) for o in obligations if o.status == "verified"]
    proved = [b for b in bounds if b is not None]
    return Query(node.query, min(proved) if proved else None)


def definedness(f: Optional[RuntimeFailure]) -> Optional[RuntimeFailure]:
    """`f`, or, for a relax/havoc that failed evaluating its predicate (an index out
    of range, a division by zero), the bounds/division failure it is, located at the
    statement (`in_choice`: its obligations lie inside that span)."""
    if f is None or f.kind not in ("relax", "havoc"):
        return f
    for kind, pattern in DEFINEDNESS:
        if pattern.search(f.message):
            out = RuntimeFailure(kind, f.span, f.message)
            out.in_choice = True  # type: ignore[attr-defined]
            return out
    return f


def _fails_at(out: RunOutcome, kind: str, span) -> bool:
    f = out.failure
    return (f is not None and f.kind == kind and f.span is not None
            and (f.span.line, f.span.column) == (span.line, span.column))


def _at(span) -> str:
    return f"{span.line}:{span.column}"


def _events(interp: Interpreter, out: RunOutcome) -> dict:
    """Recorded states by statement: node -> [(index in the run's records, state)]."""
    evs: dict = {}
    for i, (_tag, k, env) in enumerate(out.records):
        evs.setdefault(interp.sites[k].node, []).append((i, env))
    return evs


def _top_level(body: list) -> list:
    """Statements not inside a loop (they run at most once per call)."""
    out = []
    for s in body:
        out.append(s)
        if isinstance(s, C.If):
            out.extend(_top_level(s.then))
            out.extend(_top_level(s.orelse))
    return out


def _entry_requires(fn: C.Function, f) -> bool:
    return f.kind == "requires" and f.span is not None and any(
        (e.span.line, e.span.column) == (f.span.line, f.span.column) for e in fn.requires)
