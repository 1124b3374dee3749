"""One `run` session: a loaded program, a function, typed options -> a result record.

A plain run in the original or relaxed semantics, optionally with faults injected
under a hardware model, or `trials` faulty runs against the fault-free one (Monte
Carlo reliability) beside the static value of the reliability analysis. The
command line (cli/run.py) and the API call this; neither computes anything else.

The static value is a soundness failure only when it is above the exact 99.9%
one-sided upper confidence bound of the trials (the runs contradict it with
probability of error below 0.1%): an exact static bound is above the 95% interval
by chance in about 1 run of 40, which is reported as "may be chance" and does not
fail.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from relaxverify.check.hardware import default_note, find_model, model_in_use, model_names
from relaxverify.core import nodes as C
from relaxverify.pipeline import Loaded
from relaxverify.report.diagnostics import Diagnostic
from relaxverify.report.render import CommandResult, FileReport
from relaxverify.run.accepts import bound_queries, original_states
from relaxverify.run.arguments import ArgError, parse_args, show, to_json
from relaxverify.run.choose import to_float
from relaxverify.run.externs import extern_note, externs_reached
from relaxverify.run.montecarlo import MonteCarloResult, monte_carlo, upper_bound
from relaxverify.run.options import MAX_STEPS, Options
from relaxverify.run.outcome import CompileLimit, RuntimeFailure
from relaxverify.run.runtime import Interpreter
from relaxverify.source import Span

STRICT = 0.999  # the level of the one-sided bound a soundness failure must exceed


@dataclass
class RunOptions:
    """What `relaxverify run` is asked to do (the command line's options, typed)."""

    args: list[str] = field(default_factory=list)  # NAME=VALUE, one per parameter
    semantics: str = "original"  # "original" or "relaxed"
    trials: Optional[int] = None  # Monte Carlo: this many faulty runs
    seed: int = 0
    exact: bool = True  # accepted for v1 compatibility: reals are exact by default
    float_reals: bool = False  # run `real` as binary64 (approximate, as v1 did)
    max_steps: int = MAX_STEPS
    hardware: Optional[str] = None  # None: the file's only model (not for a plain run), else
    # `medium` for --trials (check.hardware.model_in_use)
    timeout: float = 10.0  # seconds Z3 may take for one relax/havoc predicate
    progress: Optional[Callable[[int], None]] = None  # called with the trials done
    backend: str = "auto"  # Monte Carlo: "auto", "interpreter" or "vectorised" (montecarlo.py)
    chunk_trials: Optional[int] = None  # split the trials into chunks of this many (chunks.py)
    dask: Optional[str] = None  # run the chunks on this Dask cluster, or `local[:N]` (cluster.py)


def usage(path: str, message: str, source: Optional[str] = None,
          span: Optional[Span] = None) -> CommandResult:
    """A usage error (exit 2) of the `run` command."""
    diag = Diagnostic("error", message, span, "usage", path=path)
    return CommandResult("run", [FileReport(path, "error", source, [diag])],
                         extra={"result": None, "error": None})


def arithmetic(opts: RunOptions, precision: Optional[C.HardwareModel]) -> tuple[str, dict]:
    """Which arithmetic the run used, as a note and as JSON."""
    reals = "binary64 floats (--float-reals: approximate, not what verify proves)" \
        if opts.float_reals else "exact"
    floats = "IEEE binary per type"
    if precision is not None and not _has_precision(precision):
        precision = None
    if precision is not None:
        floats += f", the relaxed execution at the precisions of `{precision.name}`"
    return (f"reals: {reals}; floats: {floats}",
            {"reals": "float64" if opts.float_reals else "exact",
             "precision": precision.name if precision is not None else None})


def _has_precision(model: C.HardwareModel) -> bool:
    return any(o.precision for o in model.operators.values()) or \
        any(m.precision for m in model.regions.values())


def _failure_json(f: RuntimeFailure) -> dict:
    return {"kind": f.kind, "line": f.span.line if f.span else 1,
            "column": f.span.column if f.span else 1, "message": f.message}


def run_function(item: Loaded, fn_name: Optional[str], opts: RunOptions) -> CommandResult:
    """Run `fn_name` (None: the file's only function) of a loaded file as `opts` says."""
    program, path = item.program, item.path
    assert program is not None, "run_function needs a file that loaded"
    names = list(program.functions)
    if fn_name is None:
        if len(names) != 1:
            return usage(path, "name the function to run with `--fn NAME`; this file has "
                         + (", ".join(f"`{n}`" for n in names) or "no functions"), item.source)
        fn_name = names[0]
    elif fn_name not in program.functions:
        return usage(path, f"there is no function `{fn_name}` in this file; it has "
                     + (", ".join(f"`{n}`" for n in names) or "no functions"), item.source)
    fn = program.functions[fn_name]
    if fn.extern:
        return usage(path, f"`{fn_name}` is an `extern fn`: it has no body to run; run a "
                     "function that calls it (a call gets a result satisfying its `ensures`)",
                     item.source, fn.span)
    try:
        values = parse_args(fn, opts.args)
    except ArgError as exc:
        return usage(path, str(exc), item.source, exc.span)
    if opts.trials is not None and opts.trials < 1:
        return usage(path, f"--trials must be at least 1, not {opts.trials}", item.source)
    if opts.trials is None and (opts.dask is not None or opts.chunk_trials is not None):
        option = "--dask" if opts.dask is not None else "--chunk-trials"
        return usage(path, f"{option} splits the trials of Monte Carlo: add `--trials N`",
                     item.source)
    if opts.chunk_trials is not None and opts.chunk_trials < 1:
        return usage(path, f"--chunk-trials must be at least 1, not {opts.chunk_trials}",
                     item.source)
    if opts.max_steps < 1:
        return usage(path, f"--max-steps must be at least 1, not {opts.max_steps}", item.source)
    model = None
    name, default = model_in_use(program, opts.hardware)
    if default and opts.trials is None and opts.semantics != "relaxed":
        name, default = None, False  # a plain run injects no faults (LANGUAGE.md v2 s.10)
    if name is not None:
        model = find_model(program, name)
        if model is None:
            return usage(path, f"unknown hardware model `{name}`; choose one of "
                         + ", ".join(model_names(program)), item.source)
    from relaxverify.run import choose
    choose.Z3_TIMEOUT_MS = int(opts.timeout * 1000)  # for relax/havoc predicates Z3 solves
    try:
        if opts.trials is not None:
            medium = model or find_model(program, "medium")
            assert medium is not None
            result = _trials(opts, item, program, fn, values, medium)
        else:
            result = _single(opts, item, program, fn, values, model)
    except CompileLimit as exc:
        return usage(path, str(exc), item.source, exc.span)
    if default and name is not None:
        result.files[0].lines.append(f"  note: {default_note(name)}")
    return result


def _single(opts: RunOptions, item: Loaded, program: C.Program, fn: C.Function,
            values: list, model: Optional[C.HardwareModel]) -> CommandResult:
    queries = opts.semantics == "relaxed" and bound_queries(fn)  # observed |E| values
    options = Options(opts.semantics, not opts.float_reals, "inject" if model else "none", True,
                      queries, opts.max_steps)
    precision = model if opts.semantics == "relaxed" else None
    interp = Interpreter(program, fn.name, options, model, opts.seed, item.source, precision)
    args = [interp.convert(v, p.type) for v, p in zip(values, fn.params)]
    out = interp.run(args)
    report = FileReport(item.path, "verified", item.source)
    extra: dict = {"result": None, "error": None}
    notes = list(out.notes)
    externs = externs_reached(program, fn)
    if externs:
        notes.append(extern_note(externs))
        extra["extern"] = externs
    if _uses_numbers(item):
        text, extra["arithmetic"] = arithmetic(opts, precision)
        notes.append(text)
    if model is not None:
        n = interp.ns["_NF"]
        notes.append(f"hardware `{model.name}`, seed {opts.seed}: {n} fault(s) injected")
        extra.update(hardware=model.name, seed=opts.seed, faults_injected=n)
    if queries and out.failure is None:
        pairs = original_states(program, fn.name, args, not opts.float_reals, opts.max_steps,
                                opts.seed, item.source)
        extra["observed"] = []
        for node, value in pairs.observed(interp, out.records):
            line = node.span.line if node.span else 0
            approx = to_float(value) if not isinstance(value, bool) else float(value)
            notes.append(f"bound query at line {line}: observed {approx:.6g} on this run and "
                         "the original one (an estimate, not a bound: `verify` proves one)")
            extra["observed"].append({"line": line, "value": approx})
    if out.failure is not None:
        f = out.failure
        report.status = "failed"
        where = " in the relaxed execution" if opts.semantics == "relaxed" else ""
        report.diagnostics.append(Diagnostic("error", f.message + where, f.span, f"run/{f.kind}",
                                             notes))
        extra["error"] = _failure_json(f)
    else:
        extra["result"] = result_json(fn, out.result)
        report.lines.append(f"result: {result_text(fn, out.result)}" if fn.results
                            else "completed (the function has no result)")
        report.lines.extend(f"  note: {n}" for n in notes)
    return CommandResult("run", [report], extra=extra)


def _trials(opts: RunOptions, item: Loaded, program: C.Program, fn: C.Function,
            values: list, model: C.HardwareModel) -> CommandResult:
    assert opts.trials is not None
    if opts.dask is None and opts.chunk_trials is None:
        mc = monte_carlo(program, fn.name, values, model, opts.trials, opts.seed,
                         opts.semantics, not opts.float_reals, item.source, opts.max_steps,
                         opts.progress, precision=True, backend=opts.backend)
    else:
        from relaxverify.run.chunks import ChunkError
        try:
            mc = _chunked(opts, item, program, fn, values, model)
        except ChunkError as exc:  # Dask missing, a scheduler not reached...
            return usage(item.path, str(exc), item.source)
    report = FileReport(item.path, "verified", item.source)
    extra: dict = {"result": None, "error": None}
    ref = mc.reference
    if ref.failure is not None:
        f = ref.failure
        report.status = "failed"
        report.diagnostics.append(Diagnostic("error", f.message + " (in the fault-free run)",
                                             f.span, f"run/{f.kind}"))
        extra["error"] = _failure_json(f)
        return CommandResult("run", [report], extra=extra)
    static, why = static_value(program, fn.name, model)
    lo, hi = mc.interval
    extra.update(result=result_json(fn, ref.result), trials=mc.trials, correct=mc.correct,
                 reliability=mc.fraction, interval=[lo, hi], static_value=static,
                 hardware=model.name, seed=opts.seed, failed_runs=mc.failures,
                 faults_injected=mc.faults, most_faults_per_run=mc.most_faults,
                 backend=mc.backend, partial=mc.partial)
    if mc.partial:
        extra["trials_requested"] = mc.requested
    rows = [("function", f"{fn.name} on hardware `{model.name}`, seed {opts.seed}"),
            ("fault-free result", result_text(fn, ref.result) if fn.results
             else "none (the function has no result; a run is correct when it completes)"),
            ("trials", str(mc.trials) + (f" (partial: interrupted, of {mc.requested})"
                                         if mc.partial else "")),
            ("exactly correct", f"{mc.correct} ({mc.fraction:.6f})"),
            ("95% interval", f"[{lo:.6f}, {hi:.6f}]"),
            ("static value", f"{static:.6f}" if static is not None else f"none ({why})"),
            ("faults injected", str(mc.faults)),
            *([("faults per run", f"at most {model.budget} (`faults at most {model.budget};`); "
                f"the most in one run: {mc.most_faults}")] if model.budget is not None else []),
            ("failed runs", f"{mc.failures} (a runtime check failed; counted as incorrect)")]
    if mc.rejected:
        rows.append(("failed accepts", f"{mc.rejected} (the fault-free result, but an accept "
                     "failed; counted as incorrect)"))
    extra["failed_accepts"] = mc.rejected
    width = max(len(k) for k, _ in rows)
    report.lines.extend(f"{k.ljust(width)}  {v}" for k, v in rows)
    if static is not None and mc.rejected:
        report.lines.append(f"{'verdict'.ljust(width)}  not compared: the static value counts "
                            "faults only, and some trials failed an accept"
                            + ("" if mc.reference_accepts else
                               " (the fault-free run at this model's precisions fails one)"))
    elif static is not None:
        _verdict(report, static, mc, program, fn, model, width)
    report.lines.append("  note: the reliability is an estimate from the sampled runs "
                        "(the 95% interval says how precise)")
    if mc.partial:
        report.lines.append(f"  note: partial results: interrupted after {mc.trials} of "
                            f"{mc.requested} trials; the statistics are those of the trials done")
    report.lines.append(f"  note: {backend_note(mc)}")
    extra["backend_note"] = backend_note(mc)
    if opts.dask is not None or opts.chunk_trials is not None:
        report.lines.append(f"  note: {chunks_note(opts)}")
        extra.update(chunk_trials=_chunk_size(opts), dask=opts.dask)
    externs = externs_reached(program, fn)
    if externs:
        report.lines.append(f"  note: {extern_note(externs)}")
        extra["extern"] = externs
    if _uses_numbers(item):
        text, extra["arithmetic"] = arithmetic(opts, model)
        report.lines.append(f"  note: {text}")
    if opts.semantics == "relaxed":
        report.lines.append("  note: the static value assumes `relax` as in the original "
                            "execution; these runs used the relaxed semantics")
    return CommandResult("run", [report], extra=extra)


def _chunked(opts: RunOptions, item: Loaded, program: C.Program, fn: C.Function,
             values: list, model: C.HardwareModel) -> MonteCarloResult:
    """The trials in chunks, here or on the Dask cluster of `opts.dask`."""
    from relaxverify.run import chunks
    assert opts.trials is not None
    job = chunks.TrialJob(program, fn.name, values, model, opts.seed, opts.semantics,
                          not opts.float_reals, item.source, opts.max_steps, opts.backend,
                          int(opts.timeout * 1000))
    size = _chunk_size(opts)
    if opts.dask is None:
        return chunks.chunked_monte_carlo(job, opts.trials, size, progress=opts.progress)
    from relaxverify.run import cluster
    with cluster.connect(opts.dask) as client:
        return chunks.chunked_monte_carlo(job, opts.trials, size, cluster.run_chunks(client),
                                          opts.progress)


def _chunk_size(opts: RunOptions) -> int:
    from relaxverify.run.chunks import CHUNK_TRIALS
    return opts.chunk_trials or CHUNK_TRIALS


def chunks_note(opts: RunOptions) -> str:
    """How the trials were split, and where they ran."""
    assert opts.trials is not None
    size = _chunk_size(opts)
    count = -(-opts.trials // size)
    where = "in this process" if opts.dask is None else f"on the Dask cluster `{opts.dask}`"
    return (f"{count} chunk(s) of {min(size, opts.trials)} trials {where}, each seeded from "
            f"seed {opts.seed} and its index: the same seed and --chunk-trials give the "
            "same statistics")


def backend_note(mc: MonteCarloResult) -> str:
    """Which backend ran the trials, and why the interpreter when it did."""
    if mc.backend == "vectorised":
        return "backend: vectorised (numpy, one lane per trial)"
    if mc.backend == "mixed":
        return f"backend: {mc.backend_note}"
    return "backend: interpreter" + (f"; {mc.backend_note}" if mc.backend_note else "")


def _uses_numbers(item: Loaded) -> bool:
    """Whether the file mentions a real or float type (the arithmetic note is then
    worth printing; a program of ints and bools computes the same either way)."""
    return item.source is None or re.search(_NUMBER_TYPES, item.source) is not None


_NUMBER_TYPES = r"\b(real|float64|float32|float16|bfloat16)\b"


def strict_bound(mc: MonteCarloResult) -> float:
    """The exact 99.9% one-sided upper confidence bound of the measured reliability
    (the Wilson interval is too narrow near 1 for a few hundred trials)."""
    return upper_bound(mc.correct, mc.trials, STRICT)


def _verdict(report: FileReport, static: float, mc: MonteCarloResult, program: C.Program,
             fn: C.Function, model: C.HardwareModel, width: int) -> None:
    """Consistent, may be chance (above the 95% interval only), or a soundness failure."""
    lo, hi = mc.interval
    upper = strict_bound(mc)
    if static > upper:
        report.status = "failed"
        report.diagnostics.append(Diagnostic(
            "error", f"soundness failure: the static reliability {static:.6f} of `{fn.name}` is "
            f"above {upper:.6f}, the {STRICT:.1%} one-sided upper confidence bound of "
            f"{mc.trials} faulty runs (95% interval [{lo:.6f}, {hi:.6f}])",
            fn.span, "run/soundness", _soundness_notes(program, fn, model)))
    elif static > hi:
        report.lines.append(f"{'verdict'.ljust(width)}  may be chance: the static value is "
                            f"above the 95% interval but not above {upper:.6f}, the {STRICT:.1%} "
                            "one-sided upper bound; rerun with more trials")
    else:
        report.lines.append(f"{'verdict'.ljust(width)}  consistent: the static value is a lower "
                            "bound not above the interval")


def static_value(program: C.Program, fn: str,
                 model: C.HardwareModel) -> tuple[Optional[float], str]:
    """The reliability analysis's value of fn, or None and why not."""
    try:
        from relaxverify.reliability.analysis import function_value
    except ImportError:
        return None, "the reliability analysis is not available"
    try:
        return float(function_value(program, fn, model)), ""
    except Exception as exc:  # noqa: BLE001 - e.g. recursion without a spec
        msg = getattr(exc, "diagnostic", None)
        return None, msg.message if msg is not None else str(exc)


def _soundness_notes(program: C.Program, fn: C.Function, model: C.HardwareModel) -> list[str]:
    """Why the static value may be above the measurement: callee specs are trusted."""
    trusted = sorted(n for n in C.callees_reached(program, fn)
                     if program.functions[n].reliability)
    if trusted:
        names = ", ".join(f"`{n}`" for n in trusted)
        return [f"the static value trusts the reliability specs of {names}; check that they "
                f"hold on this hardware: `relaxverify reliability FILE --hardware {model.name}`"]
    return ["the reliability analysis claims a lower bound that the measured runs contradict; "
            "please report this with the program"]


def result_text(fn: C.Function, value: Any) -> str:
    """A run's result: `4`, or `(q = -2, r = 4)` for several named results."""
    if len(fn.results) > 1:
        return "(" + ", ".join(f"{r.source} = {show(v)}" for r, v in zip(fn.results, value)) + ")"
    return show(value)


def result_json(fn: C.Function, value: Any) -> Any:
    """A run's result in JSON: a value, or `{"q": -2, "r": 4}` for several results."""
    if len(fn.results) > 1 and value is not None:
        return {r.source: to_json(v) for r, v in zip(fn.results, value)}
    return to_json(value)
