"""`run`: execute a function, original or relaxed, with fault injection (LANGUAGE.md §7-§8).

For now a bridge over `relaxverify.cli.run.execute`, whose logic another change moves
into relaxverify/run/; `_execute` is the one place that knows it (see docs/api.md).
"""
from __future__ import annotations

import argparse
import dataclasses
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from relaxverify.api.inputs import Inputs
from relaxverify.api.options import RunOptions
from relaxverify.report.render import CommandResult


@dataclass
class RunFailure:
    """The runtime check that failed: its kind (`assert`, `bounds`...) and place."""

    kind: str
    line: int
    column: int
    message: str


def run_inputs(inputs: Inputs, options: RunOptions) -> CommandResult:
    if inputs.source is None:
        return _execute(list(inputs.paths), options)
    with tempfile.TemporaryDirectory(prefix="relaxverify-run-") as work:
        path = Path(work) / (Path(inputs.name).name or "source.relax")
        path.write_text(inputs.source, encoding="utf-8")
        result = _execute([str(path)], options)
    _rename(result, str(path), inputs.name)
    return result


def _execute(paths: list[str], options: RunOptions) -> CommandResult:
    """Bridge: build the namespace `cli.run.execute` reads (its logic still lives in the
    CLI module). The integrator replaces this function by a call into relaxverify/run/
    once that module holds it; nothing else in the API depends on the CLI."""
    from relaxverify.cli import run as cli_run  # here: the CLI imports the API, not back

    namespace = argparse.Namespace(
        files=paths, fn=options.fn, hardware=options.hardware, timeout=options.timeout,
        arg=[f"{name}={value_text(v)}" for name, v in options.args.items()],
        semantics=options.semantics, trials=options.trials, seed=options.seed,
        exact=options.exact, max_steps=options.max_steps)
    result: CommandResult = cli_run.execute(namespace)
    return result


def _rename(result: CommandResult, temporary: str, name: str) -> None:
    """Report a source string under its name, not the temporary file it ran from."""
    for report in result.files:
        if report.path == temporary:
            report.path = name
        for f in report.findings:
            if f.span is not None and f.span.path == temporary:
                f.span = dataclasses.replace(f.span, path=name)
            if f.path == temporary:
                f.path = name


def value_text(value: Any) -> str:
    """A parameter value as Relax writes it: `true`, `[1,2,3]`, `1/3`; text unchanged."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(value_text(v) for v in value) + "]"
    return str(value)  # a number, a Fraction (`1/3`) or Relax text


def result_value(result: CommandResult) -> Any:
    """The function's result as JSON gives it (None when the run failed or has none)."""
    return result.extra.get("result")


def run_failure(result: CommandResult) -> Optional[RunFailure]:
    """The failed runtime check of the run, if one failed."""
    error = result.extra.get("error")
    if not error:
        return None
    return RunFailure(error["kind"], error["line"], error["column"], error["message"])
