"""The chunks of a Monte Carlo run (chunks.py), or any map of independent tasks, on a
Dask cluster (`pip install 'relaxverify[dask]'`): Dask schedules, sends and retries;
this module connects, submits and collects, and stops on Ctrl-C.

`ADDRESS` is a scheduler's (`tcp://host:8786`; its workers need this version of
relaxverify installed) or `local[:WORKERS]`: a cluster of worker processes on this
machine, one thread each (the interpreter holds the GIL), started for the run and
stopped after it. Only this module imports dask, and only when a run asks for it.
"""
from __future__ import annotations

import logging
import os
import signal
import time
from contextlib import contextmanager
from typing import Any, Callable, Iterator, Optional

from relaxverify.run import interrupt
from relaxverify.run.chunks import Chunk, ChunkCounts, ChunkError, TrialJob, run_chunk

CONNECT_TIMEOUT = 10.0  # seconds to reach a scheduler before giving up
INSTALL = "pip install 'relaxverify[dask]'"
# The scheduler's HTTP server (health checks) on a free port: no warning that 8787 is taken
QUIET = {"dashboard_address": "127.0.0.1:0"}


class ClusterError(ChunkError):
    """The cluster cannot be used: dask missing, an address not reached, a task failed."""


def local_workers(address: str) -> Optional[int]:
    """The workers `local[:N]` asks for (0: one per core); None for a scheduler address."""
    name, _, count = address.partition(":")
    if name != "local":
        return None
    if not count:
        return 0
    if not count.isdigit() or int(count) < 1:
        raise ClusterError(f"`--dask {address}`: the number of local workers must be a "
                           "positive integer, e.g. `--dask local:4`")
    return int(count)


@contextmanager
def connect(address: str) -> Iterator[Any]:
    """A dask.distributed Client of `address` (see the module docstring), closed after."""
    workers = local_workers(address)
    try:
        import distributed
    except ImportError:
        raise ClusterError(f"`--dask` needs Dask, which is not installed: {INSTALL}") from None
    cluster = None
    if workers is not None:
        try:
            cluster = _local_cluster(distributed, workers or os.cpu_count() or 1)
        except Exception as exc:  # noqa: BLE001 - Dask raises RuntimeError, OSError...
            raise ClusterError(f"cannot start a local Dask cluster ({type(exc).__name__}: "
                               f"{exc})") from None
        address = cluster.scheduler_address
    try:
        client = distributed.Client(address, timeout=CONNECT_TIMEOUT, set_as_default=False)
    except (OSError, TimeoutError, ValueError, TypeError) as exc:
        if cluster is not None:
            cluster.close()
        raise ClusterError(f"cannot reach the Dask scheduler at `{address}` "
                           f"({type(exc).__name__}: {exc}); start one with "
                           "`dask scheduler` and `dask worker ADDRESS`, or use "
                           "`--dask local` for worker processes on this machine") from None
    try:
        yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _local_cluster(distributed: Any, workers: int) -> Any:
    """Worker processes on this machine, deaf to the terminal's Ctrl-C: that goes to
    this process, which stops the run and prints the chunks done (cli/main.py). A
    blocked SIGINT is inherited by the threads started here and the processes they
    start; this thread's own mask is restored after. (multiprocessing unblocks it in
    the thread that first starts its resource tracker: that is done before.)"""
    block = hasattr(signal, "pthread_sigmask")
    if block:
        from multiprocessing import resource_tracker
        resource_tracker.ensure_running()
        old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        return distributed.LocalCluster(n_workers=workers, threads_per_worker=1,
                                        processes=True, dashboard_address=None,
                                        scheduler_kwargs=QUIET, silence_logs=logging.ERROR)
    finally:
        if block:
            signal.pthread_sigmask(signal.SIG_SETMASK, old)


def map_tasks(client: Any, fn: Callable[..., Any], items: list, *shared: Any,
              done: Optional[Callable[[Any], None]] = None) -> list:
    """`fn(*shared, item)` for each item on the cluster (`shared` sent once), the
    results in completion order, each also passed to `done`; a Ctrl-C stops the
    waiting and cancels the tasks not finished (their results are left out)."""
    sent = [client.scatter(s, broadcast=True) for s in shared]
    futures = client.map(fn, *([s] * len(items) for s in sent), items, pure=False)
    results: list = []
    pending = set(futures)
    with interrupt.listen():
        while pending:
            if interrupt.requested():
                client.cancel(list(pending))
                break
            finished = [f for f in pending if f.done()]
            if not finished:
                time.sleep(0.05)
                continue
            for future in finished:
                pending.discard(future)
                results.append(_result(future))
                if done is not None:
                    done(results[-1])
    return results


def _result(future: Any) -> Any:
    try:
        return future.result()
    except Exception as exc:  # noqa: BLE001 - whatever the worker raised, said plainly
        raise ClusterError(f"a task failed on the Dask cluster ({type(exc).__name__}: "
                           f"{exc}); every worker needs relaxverify installed, the "
                           "version of this client") from None


def run_chunks(client: Any) -> Callable[..., list[ChunkCounts]]:
    """A runner for chunks.chunked_monte_carlo: the chunks as tasks of `client`."""
    def runner(job: TrialJob, chunks: list[Chunk],
               progress: Optional[Callable[[int], None]] = None) -> list[ChunkCounts]:
        total = 0

        def done(part: ChunkCounts) -> None:
            nonlocal total
            total += part.trials
            if progress is not None:
                progress(total)
        return map_tasks(client, run_chunk, chunks, job, done=done)
    return runner
