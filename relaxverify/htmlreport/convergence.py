"""Monte Carlo convergence: the trials of `relaxverify run --trials` in batches, so
that the page can draw the running estimate and its Wilson interval narrowing.

`api.run` reports only a run's totals; the running estimate comes from batches of
independent trials (batch k has its own seed, drawn from `seed` and the function's
name), whose counts add up: after k batches the estimate is their correct runs over
their trials. The
result is deterministic for a seed, and the final point is a Monte Carlo estimate
of the same reliability as one run of `trials` (not the same random numbers).
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Optional

from relaxverify import api
from relaxverify.report.render import CommandResult
from relaxverify.run.montecarlo import wilson

BATCHES = 25  # points of the running estimate


class Interrupted(Exception):
    """Ctrl-C stopped the trials (relaxverify/run/interrupt.py): no page is written."""


class RunRejected(Exception):
    """`api.run` rejected the run (an argument that does not fit): its result says why."""

    def __init__(self, result: CommandResult):
        super().__init__("the run was rejected")
        self.result = result


@dataclass
class Convergence:
    function: str
    hardware: str
    seed: int
    points: list[tuple[int, int]] = field(default_factory=list)  # (trials, correct) so far
    static: Optional[float] = None  # the reliability analysis's lower bound
    failure: str = ""  # the fault-free run failed: no trials (this says why)

    @property
    def trials(self) -> int:
        return self.points[-1][0] if self.points else 0

    @property
    def correct(self) -> int:
        return self.points[-1][1] if self.points else 0

    @property
    def estimate(self) -> float:
        return self.correct / self.trials if self.trials else 0.0

    @property
    def interval(self) -> tuple[float, float]:
        return wilson(self.correct, self.trials)


def batch_sizes(trials: int, batches: int = BATCHES) -> list[int]:
    """`trials` split into at most `batches` sizes that differ by at most one."""
    n = max(1, min(batches, trials))
    return [trials // n + (i < trials % n) for i in range(n)]


def batch_seeds(seed: int, function: str, n: int) -> list[int]:
    """The seeds of a function's batches: independent streams however close two `seed`s
    are, and different for two functions (whose plots would otherwise look alike)."""
    draw = random.Random(f"{seed}:{function}")
    return [draw.randrange(2 ** 31) for _ in range(n)]


def converge(path: str, function: str, args: dict[str, str], trials: int, seed: int,
             hardware: Optional[str], timeout: float) -> Convergence:
    """Run `trials` faulty runs of `function` in batches; raises RunRejected when the
    run cannot start (the arguments do not fit the parameters), Interrupted on Ctrl-C."""
    sizes = batch_sizes(trials)
    out = Convergence(function, hardware or "", seed)
    done = correct = 0
    for size, batch_seed in zip(sizes, batch_seeds(seed, function, len(sizes))):
        result = api.run(path, fn=function, args=args, trials=size, seed=batch_seed,
                         hardware=hardware, timeout=timeout)
        if result.status == "error":
            raise RunRejected(result)
        extra = result.extra
        if extra.get("partial"):
            raise Interrupted(function)
        if extra.get("error"):
            out.failure = f"the fault-free run fails: {extra['error']['message']} (line " \
                          f"{extra['error']['line']})"
            return out
        done += int(extra["trials"])
        correct += int(extra["correct"])
        out.points.append((done, correct))
        out.static = extra.get("static_value")
        out.hardware = str(extra.get("hardware", ""))
    return out
