"""`relaxverify run FILE --fn F --arg x=3 ...`: execute a function (docs/language.md, spec §7-§8).

The argparse adapter of `relaxverify.run.session`, which does the work: one run in
the original or relaxed semantics, optionally with faults injected under a hardware
model, or `--trials N` faulty runs against the fault-free one beside the static
value of the reliability analysis. Here: the options, the progress bar on a
terminal, and exit 130 when Ctrl-C stopped the trials (their partial statistics
are printed); the API loads the one file a run takes.
"""
from __future__ import annotations

import argparse
import sys
import time
from typing import Any, Optional

from relaxverify.api.inputs import Inputs
from relaxverify.api.run import run_loaded
from relaxverify.report.render import CommandResult
from relaxverify.run.options import MAX_STEPS
from relaxverify.run.session import RunOptions


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
                        help="accepted for compatibility: `real` is exact by default")
    parser.add_argument("--float-reals", action="store_true",
                        help="run `real` as binary64 floats: approximate, not what verify "
                             "proves")
    parser.add_argument("--backend", choices=("auto", "interpreter", "vectorised"),
                        default="auto",
                        help="Monte Carlo: who runs the trials; auto (default): the "
                             "vectorised numpy backend where it applies, else the "
                             "interpreter (the output says which ran)")
    parser.add_argument("--dask", metavar="ADDRESS",
                        help="Monte Carlo on a Dask cluster: a scheduler's address "
                             "(tcp://host:8786) or local[:WORKERS] for worker processes "
                             "here; needs pip install 'relaxverify[dask]'")
    parser.add_argument("--chunk-trials", type=int, metavar="N",
                        help="Monte Carlo in chunks of N trials, each seeded from --seed "
                             "and its index (default with --dask: 100000); the statistics "
                             "depend on the seed and N only, not on where chunks run")
    parser.add_argument("--max-steps", type=int, default=MAX_STEPS, metavar="N",
                        help=f"iterations one loop may run before the run is stopped "
                             f"(default {MAX_STEPS})")


def execute(args: argparse.Namespace) -> CommandResult:
    bar = _Progress(args.trials) if args.trials is not None and args.trials > 0 else None
    opts = RunOptions(args=list(args.arg), semantics=args.semantics, trials=args.trials,
                      seed=args.seed, float_reals=args.float_reals,
                      max_steps=args.max_steps,
                      hardware=args.hardware, timeout=args.timeout,
                      progress=bar.update if bar is not None else None,
                      backend=args.backend, chunk_trials=args.chunk_trials,
                      dask=args.dask)
    try:
        result = run_loaded(Inputs.of(args.files), args.fn or (), opts)
    finally:
        if bar is not None:
            bar.close()
    if result.extra.get("partial"):
        return Interrupted(result.command, result.files, result.extra, result.summary)
    return result


class Interrupted(CommandResult):
    """The partial statistics of trials stopped by Ctrl-C: exit 130, as any interrupt."""

    @property
    def exit_code(self) -> int:
        return 130


class _Progress:
    """A progress bar on stderr, only on a terminal and only for long runs."""

    def __init__(self, total: int):
        self.total = total
        self.start = time.monotonic()
        self.bar: Optional[Any] = None
        self.task: Any = None
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
                                _rate_column(), "ETA", TimeRemainingColumn(),
                                console=Console(stderr=True), transient=True)
            self.bar.start()
            self.task = self.bar.add_task("trials", total=self.total)
        self.bar.update(self.task, completed=done)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


def _rate_column() -> Any:
    """Trials per second (rich's own speed column counts bytes)."""
    from rich.progress import ProgressColumn
    from rich.text import Text

    class Rate(ProgressColumn):
        def render(self, task: Any) -> Text:
            speed = task.finished_speed or task.speed
            return Text("" if speed is None else f"{speed:,.0f} trials/s")
    return Rate()
