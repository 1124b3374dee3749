"""The options of each command, as dataclasses (docs/api.md).

The fields are the command-line options of docs/language.md (spec §8), with the same defaults;
`relaxverify.cli` builds them from argparse, a Python caller directly.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Optional, Sequence, Union

from relaxverify.run.options import MAX_STEPS

from relaxverify.defaults import DEFAULT_TIMEOUT  # noqa: F401 (part of the API)
DEFAULT_RELIABILITY_HARDWARE = "medium"


@dataclass
class CommonOptions:
    hardware: Optional[str] = None  # a model of the file, or mild, medium, aggressive
    timeout: float = DEFAULT_TIMEOUT  # solver time limit per obligation, in seconds
    fn: Union[str, Sequence[str], None] = None  # only this function, or these
    # Glob patterns of the files and directories skipped when a directory is walked: one
    # with a `/` is matched against the path, one without against the name
    # (docs/cli.md, "Configuration").
    exclude: Sequence[str] = ()

    def __post_init__(self) -> None:
        if not (math.isfinite(self.timeout) and self.timeout > 0):  # nan and inf too
            raise ValueError("timeout must be a positive number of seconds")
        if not all(isinstance(name, str) for name in self.functions):
            raise ValueError("fn must be a function's name or a sequence of names")
        if isinstance(self.exclude, str) or not all(isinstance(p, str) for p in self.exclude):
            raise ValueError("exclude must be a sequence of glob patterns")

    @property
    def functions(self) -> tuple[str, ...]:
        """The functions `fn` names, in order; empty: every function."""
        if self.fn is None:
            return ()
        return (self.fn,) if isinstance(self.fn, str) else tuple(self.fn)


@dataclass
class CheckOptions(CommonOptions):
    pass


@dataclass
class VerifyOptions(CommonOptions):
    explain: bool = False  # list every obligation with its condition in source syntax
    smt2: Optional[str] = None  # a directory to write each solver query into
    # Worker processes proving functions in parallel (the command line's default: the
    # machine's cores); 1: all in this process.
    jobs: int = 1
    # The result cache's directory (docs/verifier.md, "Jobs and cache"); None: no cache.
    # The command line uses `.relaxverify_cache` (or $RELAXVERIFY_CACHE_DIR) unless
    # --no-cache; a Python caller asks for one.
    cache_dir: Optional[str] = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if isinstance(self.jobs, bool) or not isinstance(self.jobs, int) or self.jobs < 1:
            raise ValueError("jobs must be a positive whole number of processes")


@dataclass
class ReliabilityOptions(CommonOptions):
    precise: bool = False  # masking-aware values (LANGUAGE.md §11, docs/reliability.md)

    @property
    def model_name(self) -> str:
        return self.hardware or DEFAULT_RELIABILITY_HARDWARE


@dataclass
class RunOptions(CommonOptions):
    # Parameter values: Python values (int, float, Fraction, bool, lists of them) or
    # their Relax text (`"[1,2,3]"`), in any order.
    args: dict[str, Any] = field(default_factory=dict)
    semantics: str = "original"  # or "relaxed"
    trials: Optional[int] = None  # Monte Carlo: this many faulty runs
    seed: int = 0
    exact: bool = False  # reals as exact rationals
    max_steps: int = MAX_STEPS  # iterations one loop may run before the run is stopped
    chunk_trials: Optional[int] = None  # Monte Carlo in chunks of this many trials
    dask: Optional[str] = None  # the chunks on this Dask cluster, or `local[:N]` (docs/running.md)

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.semantics not in ("original", "relaxed"):
            raise ValueError(f"semantics must be `original` or `relaxed`, not "
                             f"`{self.semantics}`")
