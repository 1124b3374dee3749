"""`verify --jobs N`: functions proved in worker processes (docs/verifier.md, "Jobs and
cache").

The unit of work is one function (or spec function) of a file: its VCGen and its
obligations' proofs. Z3 terms cannot cross processes, so a worker gets a `Unit`
(plain data: the file's path and text, the function's name, the options) and sends
back its `UnitResult` encoded as plain data (records.py); the caller merges them in
the units' order, so that the output is the same as with one job. Counterexample
replay runs the interpreter where the report is built, not here.

Workers are forked on Linux: a fork inherits the files already parsed and checked
(`share`) and costs milliseconds, where a fresh interpreter costs about a second of
imports. Elsewhere (macOS, Windows), or with `RELAXVERIFY_START_METHOD=spawn`, a
worker starts afresh and loads the file from its text. `multiprocessing` is imported
only when a pool starts (`relaxverify check` never loads it).
"""
from __future__ import annotations

import gc
import hashlib
import os
import sys
import threading
from dataclasses import dataclass
from contextlib import contextmanager
from typing import Any, Callable, Iterator, Optional

import z3

from relaxverify.check.hardware import find_model
from relaxverify.core import nodes as C
from relaxverify.pipeline import load_source
from relaxverify.verify.prover import ProverStats, prove, rlimit_for
from relaxverify.verify.records import UnitResult, decode_result, encode_result
from relaxverify.verify.specfns import as_function, forget_definitions
from relaxverify.verify.vcgen import Decider, Faults, VCGen

START_METHOD_ENV = "RELAXVERIFY_START_METHOD"
WORKER_STACK = 512 * 1024 * 1024  # as the command line's thread (cli/main.py)

# Files parsed and checked, by (path, hash of the text): filled by the caller before
# a fork (the workers inherit it), and by a spawned worker as it loads files.
_PROGRAMS: dict[tuple[str, str], C.Program] = {}


@dataclass(frozen=True)
class Unit:
    """One function of a file to prove, as plain data a worker can rebuild it from."""

    path: str
    source: str
    function: str
    spec: bool  # a spec function (proved through `as_function`: its definedness)
    hardware: Optional[str]  # the hardware model's name; None: no model
    timeout: float
    explain: bool
    smt2: Optional[str]  # the --smt2 directory


def source_key(path: str, source: str) -> tuple[str, str]:
    return path, hashlib.sha256(source.encode("utf-8", "surrogatepass")).hexdigest()


def share(path: str, source: str, program: C.Program) -> None:
    """Make a loaded file available to the workers forked after this call."""
    _PROGRAMS[source_key(path, source)] = program


def forget() -> None:
    _PROGRAMS.clear()


def prove_unit(program: C.Program, unit: Unit, stats: Optional[ProverStats] = None
               ) -> UnitResult:
    """Generate the function's obligations and prove them (spec functions: only the
    original side, the relaxed one is the same computation, specfns.as_function)."""
    stats = stats if stats is not None else ProverStats()
    fresh_context()
    sf = program.spec_functions[unit.function] if unit.spec else None
    fn = as_function(sf) if sf is not None else program.functions[unit.function]
    model = find_model(program, unit.hardware) if unit.hardware else None
    gen = VCGen(program, fn, Faults(model), Decider(unit.timeout, rlimit_for(unit.timeout)),
                explain=unit.explain)
    gen.exprs.defining = sf
    gen.run()
    stats.solver_seconds += gen.decider.seconds
    result = UnitResult()
    for ob in gen.obligations.values():
        if sf is not None and ob.side == "relaxed":
            continue
        prove(gen, ob, unit.timeout, stats, unit.smt2)
        result.obligations.append(ob)
    result.warnings.extend(gen.warnings)
    return result


def fresh_context() -> None:
    """Start Z3's default context afresh: its models depend on the terms created
    before (their ids), so that without this a function's counterexample would depend
    on the functions and files verified before it in the same process, and
    `--jobs N` would not print what `--jobs 1` prints. No term of relaxverify outlives
    a unit (the report keeps plain values only). The collection frees the last
    unit's context now (its terms sit in reference cycles): 100 functions would
    otherwise hold gigabytes of contexts until the collector came round."""
    forget_definitions()
    if z3.z3._main_ctx is not None:  # the first unit has nothing to free
        gc.collect()
    z3.z3._main_ctx = None


@contextmanager
def own_contexts() -> Iterator[None]:
    """Units proved in this process each get a fresh context (`fresh_context`); the
    caller's default context comes back afterwards, so that Z3 terms a Python caller
    made before `verify` still combine with the ones it makes after."""
    saved = z3.z3._main_ctx
    try:
        yield
    finally:
        forget_definitions()
        z3.z3._main_ctx = saved


def run_units(units: list[Unit], jobs: int, local: Callable[[Unit], UnitResult],
              done: Callable[[int, UnitResult], None], method: Optional[str] = None) -> None:
    """Prove the units, calling `done(i, result)` for each in their order: by `local`
    (in this process) when one job or one unit, else in a pool of `jobs` worker
    processes. If the pool breaks (a worker killed), the units it did not finish are
    proved here."""
    with frozen_heap():
        _run_units(units, jobs, local, done, method)


@contextmanager
def frozen_heap() -> Iterator[None]:
    """Each unit's collection (fresh_context), here or in a forked worker, skips the
    objects that exist on entry: the programs, the modules. Garbage is collected
    first, or it would be frozen too: a caller's last Z3 context (in reference
    cycles) would then outlive every later call (gigabytes over a harness run)."""
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _run_units(units: list[Unit], jobs: int, local: Callable[[Unit], UnitResult],
               done: Callable[[int, UnitResult], None], method: Optional[str]) -> None:
    finished = 0
    if jobs > 1 and len(units) > 1:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor
        from concurrent.futures.process import BrokenProcessPool
        context = multiprocessing.get_context(method or start_method())
        try:
            with ProcessPoolExecutor(max_workers=min(jobs, len(units)), mp_context=context,
                                     initializer=_start_worker) as pool:
                for batch in pool.map(_work_all, _batches(units, jobs)):
                    for encoded in batch:
                        done(finished, decode_result(encoded))
                        finished += 1
        except BrokenProcessPool:
            pass
    for i in range(finished, len(units)):
        done(i, local(units[i]))


def _batches(units: list[Unit], jobs: int) -> list[list[Unit]]:
    """The units in order, in batches that shrink (guided self-scheduling): each a
    share of those left, so that the first ones save round trips to the pool and
    the last ones, of one unit, leave no worker idle for long at the end."""
    out, i = [], 0
    while i < len(units):
        size = max(1, (len(units) - i) // (4 * jobs))
        out.append(units[i:i + size])
        i += size
    return out


def start_method() -> str:
    chosen = os.environ.get(START_METHOD_ENV)
    if chosen:
        return chosen
    return "fork" if sys.platform.startswith("linux") else "spawn"


def default_jobs() -> int:
    """The cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def _start_worker() -> None:
    """A spawned worker's limits, as the command line sets them (cli/main.py)."""
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 60000))
    if hasattr(sys, "set_int_max_str_digits"):
        sys.set_int_max_str_digits(0)


_prover: tuple[int, Any] = (-1, None)  # in a worker: its pid, its one-thread executor


def _work(unit: Unit) -> dict[str, Any]:
    """In a worker: prove the unit in a thread with a large stack (deeply nested
    programs, as on the command line) and return its result as plain data. The
    same thread proves all of the worker's units: a new one for each would map a
    new stack and take its page faults again (a tenth of the worker's time). (A
    process forked from one that has this thread does not have it: hence the pid.)"""
    global _prover
    if _prover[0] != os.getpid():
        from concurrent.futures import ThreadPoolExecutor
        old = threading.stack_size(WORKER_STACK)
        try:
            executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="relaxverify")
            executor.submit(lambda: None).result()  # its thread starts with this stack
        finally:
            threading.stack_size(old)
        _prover = (os.getpid(), executor)
    return _prover[1].submit(_prove_encoded, unit).result()


def _work_all(batch: list[Unit]) -> list[dict[str, Any]]:
    return [_work(unit) for unit in batch]


def _prove_encoded(unit: Unit) -> dict[str, Any]:
    return encode_result(prove_unit(_program(unit), unit))


def _program(unit: Unit) -> C.Program:
    key = source_key(unit.path, unit.source)
    program = _PROGRAMS.get(key)
    if program is None:
        item = load_source(unit.path, unit.source)
        if item.program is None:  # it loaded in the caller: the same text loads here
            raise RuntimeError(f"{unit.path}: the file does not load in a worker process")
        program = _PROGRAMS[key] = item.program
    return program
