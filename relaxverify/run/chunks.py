"""Monte Carlo in chunks: the trials of one run split into tasks a cluster can run
(cluster.py) or this process can run one after the other, with the same statistics.

Chunk i runs `size` trials (the last one the rest) with its own seed for the faults,
derived from the user's seed and i alone (chunk 0 uses the user's seed, so a run of
one chunk is the plain run); every chunk compares with the same fault-free run, that
of the user's seed. The counts are integers and add up exactly, so a given seed and
chunk size give the same statistics wherever and in whatever order the chunks run.
"""
from __future__ import annotations

import hashlib
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Optional

from relaxverify.core import nodes as C
from relaxverify.run import interrupt
from relaxverify.run.montecarlo import MonteCarloResult, fault_free, monte_carlo, same_result
from relaxverify.run.options import MAX_STEPS

CHUNK_TRIALS = 100_000  # trials per chunk by default: seconds of work, a small fixed cost


class ChunkError(Exception):
    """The chunks cannot give the run's statistics (cluster.ClusterError: nor the cluster)."""


@dataclass(frozen=True)
class Chunk:
    index: int
    trials: int
    seed: int  # of its faulty trials


@dataclass(frozen=True)
class TrialJob:
    """What every chunk of a run needs; it is sent to the workers once (pickled)."""

    program: C.Program
    fn: str
    args: list  # in parameter order, as Python values
    model: C.HardwareModel
    seed: int = 0  # the user's: of the fault-free run, and of chunk 0's faults
    semantics: str = "original"
    exact: bool = True
    source: Optional[str] = None
    max_steps: int = MAX_STEPS
    backend: str = "auto"  # as montecarlo.monte_carlo takes it
    timeout_ms: int = 10_000  # Z3's time for one relax/havoc predicate (run/choose.py)


@dataclass(frozen=True)
class ChunkCounts:
    """What one chunk sends back: its counts, small to send."""

    index: int
    trials: int
    correct: int
    failures: int
    faults: int
    rejected: int
    most_faults: int
    backend: str
    backend_note: str
    partial: bool  # it was stopped (Ctrl-C in the process that ran it)
    reference: Any  # the result of its fault-free run, which must be the client's
    reference_ok: bool  # its fault-free run completed (it fails nowhere else either)


def chunk_seed(seed: int, index: int) -> int:
    """The seed of chunk `index`'s faults: a hash of the user's seed and the index."""
    if index == 0:
        return seed
    digest = hashlib.blake2b(f"relaxverify chunk {seed} {index}".encode(), digest_size=8)
    return int.from_bytes(digest.digest(), "big") >> 1


def plan(trials: int, seed: int, size: int = CHUNK_TRIALS) -> list[Chunk]:
    """The chunks of `trials` trials, `size` each but the last."""
    return [Chunk(i, min(size, trials - start), chunk_seed(seed, i))
            for i, start in enumerate(range(0, trials, size))]


def run_chunk(job: TrialJob, chunk: Chunk,
              progress: Optional[Callable[[int], None]] = None) -> ChunkCounts:
    """One chunk's trials (in a cluster's worker, or here)."""
    from relaxverify.run import choose
    choose.Z3_TIMEOUT_MS = job.timeout_ms
    with _long_ints():
        mc = monte_carlo(job.program, job.fn, job.args, job.model, chunk.trials, job.seed,
                         job.semantics, job.exact, job.source, job.max_steps, progress,
                         precision=True, backend=job.backend, trial_seed=chunk.seed)
    return ChunkCounts(chunk.index, mc.trials, mc.correct, mc.failures, mc.faults,
                       mc.rejected, mc.most_faults, mc.backend, mc.backend_note, mc.partial,
                       mc.reference.result, mc.reference.failure is None)


def run_here(job: TrialJob, chunks: list[Chunk],
             progress: Optional[Callable[[int], None]] = None) -> list[ChunkCounts]:
    """The chunks one after the other in this process; Ctrl-C stops the one running
    (its trials done count) and the rest."""
    parts: list[ChunkCounts] = []
    done = 0
    with interrupt.listen():
        for chunk in chunks:
            report = None if progress is None else _offset(progress, done)
            parts.append(run_chunk(job, chunk, report))
            done += parts[-1].trials
            if progress is not None:
                progress(done)
            if parts[-1].partial or interrupt.requested():
                break
    return parts


def _offset(progress: Callable[[int], None], done: int) -> Callable[[int], None]:
    return lambda n: progress(done + n)


def chunked_monte_carlo(job: TrialJob, trials: int, size: int = CHUNK_TRIALS,
                        runner: Callable[..., list[ChunkCounts]] = run_here,
                        progress: Optional[Callable[[int], None]] = None
                        ) -> MonteCarloResult:
    """`monte_carlo` in chunks of `size` trials, which `runner(job, chunks, progress)`
    runs (run_here, or cluster.run_chunks(client)); the fault-free run is done here."""
    out = fault_free(job.program, job.fn, job.args, job.model, job.seed, job.semantics,
                     job.exact, job.source, job.max_steps, precision=True)
    if out.reference.failure is not None:
        return out
    chunks = plan(trials, job.seed, size)
    return merge(out, runner(job, chunks, progress), len(chunks), trials)


def merge(out: MonteCarloResult, parts: list[ChunkCounts], planned: int,
          requested: int) -> MonteCarloResult:
    """The chunks' counts added into `out` (which holds the fault-free run); partial
    when a chunk was stopped or some never ran. A chunk whose fault-free run differs
    (a relax/havoc value Z3 chose otherwise, out of time) compared with another."""
    for p in parts:
        if not (p.reference_ok and same_result(p.reference, out.reference.result)):
            raise ChunkError(f"the fault-free run of chunk {p.index} differs from this "
                             "process's (a relax or havoc value the solver chose otherwise, "
                             "perhaps out of time): raise --timeout, or run without chunks")
    out.requested = requested
    out.trials = sum(p.trials for p in parts)
    out.correct = sum(p.correct for p in parts)
    out.failures = sum(p.failures for p in parts)
    out.faults = sum(p.faults for p in parts)
    out.rejected = sum(p.rejected for p in parts)
    out.most_faults = max((p.most_faults for p in parts), default=0)
    out.partial = len(parts) < planned or any(p.partial for p in parts)
    out.backend, out.backend_note = _backend(sorted(parts, key=lambda p: p.index))
    return out


def _backend(parts: list[ChunkCounts]) -> tuple[str, str]:
    """Which backend ran the chunks: one, or "mixed" with how many each ran (auto
    decides per chunk, and the last chunk is smaller)."""
    if not parts:
        return "interpreter", ""
    names = {p.backend for p in parts}
    notes = [p.backend_note for p in parts if p.backend_note]
    if len(names) == 1:
        return parts[0].backend, notes[0] if notes else ""
    vector = sum(p.backend == "vectorised" for p in parts)
    return "mixed", (f"vectorised in {vector} of {len(parts)} chunks, the interpreter in "
                     f"the others" + (f" ({notes[0]})" if notes else ""))


@contextmanager
def _long_ints() -> Iterator[None]:
    """Relax ints are unbounded: as cli/main.py, lift Python's limit on converting long
    ints to text (a worker process has not run main)."""
    old = getattr(sys, "get_int_max_str_digits", lambda: None)()
    if old:
        sys.set_int_max_str_digits(0)
    try:
        yield
    finally:
        if old:
            sys.set_int_max_str_digits(old)
