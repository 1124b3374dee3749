"""`relaxverify run FILE --fn F --arg x=3 ...`: execute a function (LANGUAGE.md §7-§8).

One run in the original or relaxed semantics, optionally with faults injected
under a hardware model, or `--trials N` faulty runs against the fault-free one
(Monte Carlo reliability) beside the static value of the reliability analysis.
"""
from __future__ import annotations

import argparse
import math
import re
import sys
import time
from fractions import Fraction
from typing import Any, Optional

from relaxverify.core import nodes as C
from relaxverify.report.diagnostics import Diagnostic
from relaxverify.check.hardware import find_model, model_names
from relaxverify.run.interpreter import MAX_STEPS, CompileLimit, Interpreter, Options, RuntimeFailure, to_float
from relaxverify.report.render import CommandResult, FileReport
from relaxverify.cli.common import loaded_files


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--arg", action="append", default=[], metavar="NAME=VALUE",
                        help="a parameter value, e.g. --arg x=3 --arg v=2.5 --arg a=[1,2,3] "
                             "(repeat for each parameter)")
    parser.add_argument("--semantics", choices=("original", "relaxed"), default="original",
                        help="original: relax has no effect (default); relaxed: relax "
                             "chooses values satisfying its predicate")
    parser.add_argument("--trials", type=int, metavar="N",
                        help="Monte Carlo: N faulty runs against the fault-free one")
    parser.add_argument("--seed", type=int, default=0, metavar="S",
                        help="random seed for faults and choices (default 0)")
    parser.add_argument("--exact", action="store_true",
                        help="run reals as exact rationals instead of floats")
    parser.add_argument("--max-steps", type=int, default=MAX_STEPS, metavar="N",
                        help=f"iterations one loop may run before the run is stopped "
                             f"(default {MAX_STEPS})")


class ArgError(Exception):
    """A bad --arg; `span` is the parameter's declaration when there is one."""

    def __init__(self, message: str, span=None):
        super().__init__(message)
        self.span = span


# ---------------------------------------------------------------- arguments

_INT = re.compile(r"[+-]?\d+")


def _example(ty: C.Type) -> str:
    return {"int": "3", "real": "2.5", "bool": "true"}[ty.base]


def parse_scalar(text: str, ty: C.Type, name: str) -> Any:
    t = text.strip()
    if ty.base == "int":
        if _INT.fullmatch(t):
            return int(t)
        raise ArgError(f"`{name}` is an int, but `{text}` is not a whole number; "
                       f"write e.g. `--arg {name}={_example(ty) if not ty.array else '[1,2,3]'}`")
    if ty.base == "real":
        try:
            if t and not t.lower().lstrip("+-").startswith(("inf", "nan")):
                return Fraction(t)
        except (ValueError, ZeroDivisionError):
            pass
        raise ArgError(f"`{name}` is a real, but `{text}` is not a number; write e.g. "
                       f"`--arg {name}={'2.5' if not ty.array else '[0.5,1,2.25]'}` "
                       "(a fraction such as 1/3 works too)")
    if t in ("true", "false"):
        return t == "true"
    raise ArgError(f"`{name}` is a bool, so its value is `true` or `false`, not `{text}`")


def parse_value(text: str, ty: C.Type, name: str) -> Any:
    if not ty.array:
        return parse_scalar(text, ty, name)
    t = text.strip()
    if not (t.startswith("[") and t.endswith("]")):
        raise ArgError(f"`{name}` is an array ({ty}), so write its elements in brackets, e.g. "
                       f"`--arg {name}=[{_example(ty)},{_example(ty)}]` (or `[]` for none)")
    inner = t[1:-1].strip()
    if not inner:
        return []
    return [parse_scalar(x, ty.elem, name) for x in inner.split(",")]


def parse_args(fn: C.Function, given: list[str]) -> list:
    """The --arg values in parameter order; ArgError says what to write instead."""
    params = {p.source: p for p in fn.params}
    values: dict[str, Any] = {}
    listing = ", ".join(f"{p.source}: {p.type}" for p in fn.params) or "none"
    for item in given:
        if "=" not in item:
            raise ArgError(f"`--arg {item}` needs a value: write `--arg NAME=VALUE`, "
                           f"e.g. `--arg x=3`")
        name, text = item.split("=", 1)
        name = name.strip()
        if name not in params:
            raise ArgError(f"`{fn.name}` has no parameter `{name}` (its parameters: {listing})")
        if name in values:
            raise ArgError(f"`--arg {name}=...` is given twice; give each parameter once")
        try:
            values[name] = parse_value(text, params[name].type, name)
        except ArgError as exc:
            raise ArgError(str(exc), params[name].span) from None
    missing = [p for p in fn.params if p.source not in values]
    if missing:
        adds = " ".join(f"--arg {p.source}={_example(p.type) if not p.type.array else '[...]'}"
                        for p in missing)
        raise ArgError(f"no value for parameter{'s' if len(missing) > 1 else ''} "
                       + ", ".join(f"`{p.source}: {p.type}`" for p in missing)
                       + f" of `{fn.name}`; add {adds}", missing[0].span)
    return [values[p.source] for p in fn.params]


# ---------------------------------------------------------------- values as text and JSON


def show(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, Fraction):
        return str(v.numerator) if v.denominator == 1 else f"{v} (= {to_float(v)!r})"
    if isinstance(v, list):
        return "[" + ", ".join(show(x) for x in v) + "]"
    return repr(v)


def to_json(v: Any) -> Any:
    if isinstance(v, list):
        return [to_json(x) for x in v]
    if isinstance(v, Fraction):
        if v.denominator == 1:
            return v.numerator
        v = to_float(v)
    if isinstance(v, float) and not math.isfinite(v):
        return str(v)  # JSON has no inf/NaN: "inf", "-inf", "nan"
    return v


# ---------------------------------------------------------------- the command


def _usage(path: str, message: str, source: Optional[str] = None,
           span=None) -> CommandResult:
    diag = Diagnostic("error", message, span, "usage", path=path)
    return CommandResult("run", [FileReport(path, "error", source, [diag])],
                         extra={"result": None, "error": None})


def _failure_json(f: RuntimeFailure) -> dict:
    return {"kind": f.kind, "line": f.span.line if f.span else 1,
            "column": f.span.column if f.span else 1, "message": f.message}


def execute(args: argparse.Namespace) -> CommandResult:
    if len(args.files) != 1:
        return _usage(args.files[0], f"`run` takes exactly one file, but {len(args.files)} "
                      "are given: `relaxverify run FILE --fn NAME --arg x=...`")
    good, reports = loaded_files(args.files)
    if not good:
        for r in reports:
            r.extra = {}
        return CommandResult("run", reports, extra={"result": None, "error": None})
    if len(good) + len(reports) != 1:
        return _usage(args.files[0], f"`run` takes exactly one file, but `{args.files[0]}` "
                      f"holds {len(good) + len(reports)}; name one of them")
    item = good[0]
    program, path = item.program, item.path
    names = list(program.functions)
    if args.fn is None:
        if len(names) != 1:
            return _usage(path, "name the function to run with `--fn NAME`; this file has "
                          + (", ".join(f"`{n}`" for n in names) or "no functions"), item.source)
        fn_name = names[0]
    elif args.fn not in program.functions:
        return _usage(path, f"there is no function `{args.fn}` in this file; it has "
                      + (", ".join(f"`{n}`" for n in names) or "no functions"), item.source)
    else:
        fn_name = args.fn
    fn = program.functions[fn_name]
    try:
        values = parse_args(fn, args.arg)
    except ArgError as exc:
        return _usage(path, str(exc), item.source, exc.span)
    if args.trials is not None and args.trials < 1:
        return _usage(path, f"--trials must be at least 1, not {args.trials}", item.source)
    if args.max_steps < 1:
        return _usage(path, f"--max-steps must be at least 1, not {args.max_steps}", item.source)
    model = None
    if args.hardware is not None:
        model = find_model(program, args.hardware)
        if model is None:
            return _usage(path, f"unknown hardware model `{args.hardware}`; choose one of "
                          + ", ".join(model_names(program)), item.source)
    from relaxverify.run import choose
    choose.Z3_TIMEOUT_MS = int(args.timeout * 1000)  # for relax/havoc predicates Z3 solves
    try:
        if args.trials is not None:
            return _trials(args, item, fn, values, model or find_model(program, "medium"))
        return _single(args, item, fn, values, model)
    except CompileLimit as exc:
        return _usage(path, str(exc), item.source)


def _single(args, item, fn: C.Function, values: list, model) -> CommandResult:
    opts = Options(args.semantics, args.exact, "inject" if model else "none", True, False,
                   args.max_steps)
    interp = Interpreter(item.program, fn.name, opts, model, args.seed, item.source)
    out = interp.run([interp.convert(v, p.type) for v, p in zip(values, fn.params)])
    report = FileReport(item.path, "verified", item.source)
    extra: dict = {"result": None, "error": None}
    notes = list(out.notes)
    if model is not None:
        n = interp.ns["_NF"]
        notes.append(f"hardware `{model.name}`, seed {args.seed}: {n} fault(s) injected")
        extra.update(hardware=model.name, seed=args.seed, faults_injected=n)
    if out.failure is not None:
        f = out.failure
        report.status = "failed"
        where = " in the relaxed execution" if args.semantics == "relaxed" else ""
        report.diagnostics.append(Diagnostic("error", f.message + where, f.span, f"run/{f.kind}",
                                             notes))
        extra["error"] = _failure_json(f)
    else:
        extra["result"] = to_json(out.result)
        report.lines.append(f"result: {show(out.result)}" if fn.result is not None
                            else "completed (the function has no result)")
        report.lines.extend(f"  note: {n}" for n in notes)
    return CommandResult("run", [report], extra=extra)


def _trials(args, item, fn: C.Function, values: list, model) -> CommandResult:
    from relaxverify.run.montecarlo import monte_carlo

    bar = _Progress(args.trials)
    try:
        mc = monte_carlo(item.program, fn.name, values, model, args.trials, args.seed,
                         args.semantics, args.exact, item.source, args.max_steps, bar.update)
    finally:
        bar.close()
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
    static, why = _static_value(item.program, fn.name, model)
    lo, hi = mc.interval
    extra.update(result=to_json(ref.result), trials=mc.trials, correct=mc.correct,
                 reliability=mc.fraction, interval=[lo, hi], static_value=static,
                 hardware=model.name, seed=args.seed, failed_runs=mc.failures,
                 faults_injected=mc.faults)
    rows = [("function", f"{fn.name} on hardware `{model.name}`, seed {args.seed}"),
            ("fault-free result", show(ref.result) if fn.result is not None
             else "none (the function has no result; a run is correct when it completes)"),
            ("trials", str(mc.trials)),
            ("exactly correct", f"{mc.correct} ({mc.fraction:.6f})"),
            ("95% interval", f"[{lo:.6f}, {hi:.6f}]"),
            ("static value", f"{static:.6f}" if static is not None else f"none ({why})"),
            ("faults injected", str(mc.faults)),
            ("failed runs", f"{mc.failures} (a runtime check failed; counted as incorrect)")]
    width = max(len(k) for k, _ in rows)
    report.lines.extend(f"{k.ljust(width)}  {v}" for k, v in rows)
    if static is not None and static > hi:
        report.status = "failed"
        report.diagnostics.append(Diagnostic(
            "error", f"soundness failure: the static reliability {static:.6f} of `{fn.name}` is "
            f"above the 95% interval [{lo:.6f}, {hi:.6f}] of {mc.trials} faulty runs",
            fn.span, "run/soundness", _soundness_notes(item.program, fn, model)))
    elif static is not None:
        report.lines.append(f"{'verdict'.ljust(width)}  consistent: the static value is a lower "
                            "bound not above the interval")
    if args.semantics == "relaxed":
        report.lines.append("  note: the static value assumes `relax` as in the original "
                            "execution; these runs used the relaxed semantics")
    return CommandResult("run", [report], extra=extra)


def _static_value(program: C.Program, fn: str, model) -> tuple[Optional[float], str]:
    try:
        from relaxverify.reliability.analysis import function_value
    except ImportError:
        return None, "the reliability analysis is not available"
    try:
        return float(function_value(program, fn, model)), ""
    except Exception as exc:  # noqa: BLE001 - e.g. recursion without a spec
        msg = getattr(exc, "diagnostic", None)
        return None, msg.message if msg is not None else str(exc)


class _Progress:
    """A progress bar on stderr, only on a terminal and only for long runs."""

    def __init__(self, total: int):
        self.total = total
        self.start = time.monotonic()
        self.bar = None
        self.task = None
        self.enabled = sys.stderr.isatty()

    def update(self, done: int) -> None:
        if not self.enabled:
            return
        if self.bar is None:
            if time.monotonic() - self.start < 0.5:
                return
            from rich.console import Console
            from rich.progress import BarColumn, Progress, TimeRemainingColumn
            self.bar = Progress("trials", BarColumn(), "{task.completed}/{task.total}",
                                TimeRemainingColumn(), console=Console(stderr=True),
                                transient=True)
            self.bar.start()
            self.task = self.bar.add_task("trials", total=self.total)
        self.bar.update(self.task, completed=done)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


def _soundness_notes(program: C.Program, fn: C.Function, model) -> list[str]:
    """Why the static value may be above the measurement: callee specs are trusted."""
    seen: set[str] = set()
    todo = [fn]
    while todo:
        f = todo.pop()
        for s in C.walk(f.body):
            if isinstance(s, C.Call) and s.callee not in seen:
                seen.add(s.callee)
                todo.append(program.functions[s.callee])
    trusted = sorted(n for n in seen if program.functions[n].reliability)
    if trusted:
        names = ", ".join(f"`{n}`" for n in trusted)
        return [f"the static value trusts the reliability specs of {names}; check that they "
                f"hold on this hardware: `relaxverify reliability FILE --hardware {model.name}`"]
    return ["the reliability analysis claims a lower bound that the measured runs contradict; "
            "please report this with the program"]
