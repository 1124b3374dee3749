"""Monte Carlo in chunks (relaxverify/run/chunks.py) and on a Dask cluster
(relaxverify/run/cluster.py, `run --dask`), against the in-process run.

A LocalCluster of two worker threads in this process serves the module; one test
starts `--dask local:1` (a worker process: the job is pickled) through the command
line. For the interpreter (examples/newton.relax, exact reals) and the vectorised
backend (tests/data/vector/newton_f64.relax): the cluster's counts are those of the
same chunks run here, and the sum of the chunks run one by one with `monte_carlo`;
the same seed gives them twice; one chunk is the plain run; the interval overlaps
the plain run's. Errors (no dask, no scheduler, bad options) exit 2 with a message.
"""
from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path
from typing import Iterator

import distributed
import pytest

from relaxverify.check.hardware import find_model
from relaxverify.cli.main import main
from relaxverify.pipeline import load
from relaxverify.run import chunks, cluster, interrupt
from relaxverify.run.arguments import parse_args
from relaxverify.run.montecarlo import monte_carlo

ROOT = Path(__file__).resolve().parent.parent
NEWTON = str(ROOT / "examples" / "newton.relax")  # exact reals: the interpreter
NEWTON_F64 = str(ROOT / "tests" / "data" / "vector" / "newton_f64.relax")  # vectorised
COUNTS = ("trials", "correct", "failed_runs", "faults_injected", "most_faults_per_run",
          "failed_accepts", "interval")
CASES = [(NEWTON, "interpreter", 1500, 500), (NEWTON_F64, "vectorised", 15000, 5000)]


@pytest.fixture(scope="module")
def address() -> Iterator[str]:
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None, scheduler_kwargs=cluster.QUIET,
                                  silence_logs=50) as local:
        yield local.scheduler_address


def _run(capsys: pytest.CaptureFixture, path: str, trials: int, *options: str) -> dict:
    code = main(["run", path, "--arg", "v=2.0", "--hardware", "aggressive", "--trials",
                 str(trials), "--format", "json", *options])
    out = capsys.readouterr().out
    assert code == 0, out
    return json.loads(out)


def _counts(result: dict) -> dict:
    return {k: result[k] for k in COUNTS}


@pytest.mark.parametrize("path,backend,trials,size", CASES, ids=["interpreter", "vectorised"])
def test_the_cluster_gives_the_counts_of_the_same_chunks_run_here(
        capsys: pytest.CaptureFixture, address: str, path: str, backend: str, trials: int,
        size: int) -> None:
    chunked = ("--chunk-trials", str(size))
    on_dask = _run(capsys, path, trials, *chunked, "--dask", address)
    here = _run(capsys, path, trials, *chunked)
    assert on_dask["backend"] == here["backend"] == backend
    assert _counts(on_dask) == _counts(here)
    assert on_dask["trials"] == trials and not on_dask["partial"]
    assert on_dask["chunk_trials"] == size and on_dask["dask"] == address
    assert _counts(_run(capsys, path, trials, *chunked, "--dask", address)) == _counts(on_dask)
    other = _run(capsys, path, trials, *chunked, "--dask", address, "--seed", "1")
    assert other["correct"] != on_dask["correct"] or other["faults_injected"] != \
        on_dask["faults_injected"]


@pytest.mark.parametrize("path,backend,trials,size", CASES, ids=["interpreter", "vectorised"])
def test_the_merged_counts_are_the_sums_of_the_chunks(address: str, path: str, backend: str,
                                                      trials: int, size: int) -> None:
    item = load(path)
    program = item.program
    assert program is not None
    fn = program.functions["newton_sqrt"]
    values, model = parse_args(fn, ["v=2.0"]), find_model(program, "aggressive")
    assert model is not None
    job = chunks.TrialJob(program, fn.name, values, model, seed=3, source=item.source)
    with cluster.connect(address) as client:
        merged = chunks.chunked_monte_carlo(job, trials, size, cluster.run_chunks(client))
    parts = [monte_carlo(program, fn.name, values, model, c.trials, 3, source=item.source,
                         precision=True, trial_seed=c.seed)
             for c in chunks.plan(trials, 3, size)]
    assert len(parts) == 3 and all(p.backend == backend for p in parts)
    assert (merged.trials, merged.correct, merged.failures, merged.faults, merged.rejected) \
        == tuple(sum(getattr(p, k) for p in parts)
                 for k in ("trials", "correct", "failures", "faults", "rejected"))
    assert merged.most_faults == max(p.most_faults for p in parts)
    assert merged.backend == backend and not merged.partial and merged.requested == trials


@pytest.mark.parametrize("path,backend,trials,size", CASES, ids=["interpreter", "vectorised"])
def test_one_chunk_is_the_plain_run_and_chunks_agree_with_its_interval(
        capsys: pytest.CaptureFixture, address: str, path: str, backend: str, trials: int,
        size: int) -> None:
    plain = _run(capsys, path, trials)
    one = _run(capsys, path, trials, "--dask", address)  # the default chunk: all trials
    assert _counts(one) == _counts(plain) and one["chunk_trials"] == chunks.CHUNK_TRIALS
    many = _run(capsys, path, trials, "--dask", address, "--chunk-trials", str(size))
    assert many["correct"] != plain["correct"]  # other seeds for chunks 1 and 2
    (lo, hi), (lo2, hi2) = plain["interval"], many["interval"]
    assert lo <= hi2 and lo2 <= hi  # the two 95% intervals overlap


def test_the_api_runs_on_the_cluster_too(address: str) -> None:
    from relaxverify import api
    kwargs = dict(args={"v": 2.0}, hardware="aggressive", trials=600, chunk_trials=200)
    on_dask = api.run(NEWTON, dask=address, **kwargs).extra
    here = api.run(NEWTON, **kwargs).extra
    assert on_dask["dask"] == address and here["dask"] is None
    assert _counts(on_dask) == _counts(here) and on_dask["trials"] == 600


def test_local_worker_processes_give_the_counts_of_this_process(
        capsys: pytest.CaptureFixture) -> None:
    """`local:1` starts a worker process: the job and the counts cross by pickle."""
    chunked = ("--chunk-trials", "400")
    on_dask = _run(capsys, NEWTON, 800, *chunked, "--dask", "local:1")
    assert _counts(on_dask) == _counts(_run(capsys, NEWTON, 800, *chunked))


def test_the_text_says_how_the_trials_were_split(capsys: pytest.CaptureFixture,
                                                 address: str) -> None:
    code = main(["run", NEWTON, "--arg", "v=2.0", "--trials", "250", "--chunk-trials", "100",
                 "--dask", address])
    out = capsys.readouterr().out
    assert code == 0, out
    assert (f"note: 3 chunk(s) of 100 trials on the Dask cluster `{address}`, each seeded "
            "from seed 0 and its index") in out


@pytest.mark.parametrize("runner", ["here", "dask"])
def test_an_interrupt_keeps_the_chunks_done(address: str, runner: str) -> None:
    item = load(NEWTON)
    program = item.program
    assert program is not None
    model = find_model(program, "aggressive")
    assert model is not None
    job = chunks.TrialJob(program, "newton_sqrt", [2.0], model, source=item.source)
    seen: list[int] = []

    def progress(done: int) -> None:  # the first chunk done: Ctrl-C (as cli/main.py does)
        seen.append(done)
        if done >= 200:
            interrupt.request()
    with cluster.connect(address) as client:
        run = chunks.run_here if runner == "here" else cluster.run_chunks(client)
        mc = chunks.chunked_monte_carlo(job, 10 ** 5, 200, run, progress)
    assert mc.partial and mc.requested == 10 ** 5
    assert 0 < mc.trials < 10 ** 5 and mc.trials == seen[-1]
    assert 0.6 < mc.fraction < 0.95  # newton on aggressive: about 0.77


def test_chunks_have_their_sizes_and_seeds() -> None:
    plan = chunks.plan(250, 7, 100)
    assert [(c.index, c.trials) for c in plan] == [(0, 100), (1, 100), (2, 50)]
    assert plan[0].seed == 7 and len({c.seed for c in plan}) == 3
    assert plan == chunks.plan(250, 7, 100)  # from the seed and the index alone
    assert chunks.plan(250, 8, 100)[1].seed != plan[1].seed
    assert chunks.plan(100, 7, 100) == plan[:1]


@pytest.mark.parametrize("options,message", [
    (["--trials", "10", "--dask", "local:0"],
     "the number of local workers must be a positive integer"),
    (["--trials", "10", "--dask", "local:two"],
     "the number of local workers must be a positive integer"),
    (["--trials", "10", "--chunk-trials", "0"], "--chunk-trials must be at least 1, not 0"),
    (["--trials", "10", "--dask", "tcp://127.0.0.1:1"],
     "cannot reach the Dask scheduler at `tcp://127.0.0.1:1`"),
    (["--dask", "local"], "--dask splits the trials of Monte Carlo: add `--trials N`"),
    (["--chunk-trials", "5"], "--chunk-trials splits the trials of Monte Carlo: add `--trials N`"),
], ids=["no-workers", "not-a-number", "empty-chunks", "unreachable", "no-trials",
        "chunks-without-trials"])
def test_bad_cluster_options_exit_2_with_a_message(
        capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch, options: list[str],
        message: str) -> None:
    monkeypatch.setattr(cluster, "CONNECT_TIMEOUT", 0.5)
    code = main(["run", NEWTON, "--arg", "v=2.0", *options])
    out, err = capsys.readouterr()
    assert code == 2
    assert f"{NEWTON}: error: " in out and message in out, out
    assert "Traceback" not in out + err


def test_without_dask_the_message_says_what_to_install(capsys: pytest.CaptureFixture,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # `import distributed` fails
    code = main(["run", NEWTON, "--arg", "v=2.0", "--trials", "10", "--dask", "local"])
    out = capsys.readouterr().out
    assert code == 2
    assert "`--dask` needs Dask, which is not installed: pip install 'relaxverify[dask]'" in out


def test_a_chunk_failing_on_a_worker_exits_2(capsys: pytest.CaptureFixture,
                                             monkeypatch: pytest.MonkeyPatch,
                                             address: str) -> None:
    def broken(job: chunks.TrialJob, chunk: chunks.Chunk) -> chunks.ChunkCounts:
        raise ModuleNotFoundError("No module named 'relaxverify'")  # a worker without it
    monkeypatch.setattr(cluster, "run_chunk", broken)  # the in-process workers run it
    code = main(["run", NEWTON, "--arg", "v=2.0", "--trials", "10", "--dask", address])
    out, err = capsys.readouterr()
    assert code == 2
    assert ("a task failed on the Dask cluster (ModuleNotFoundError: No module named "
            "'relaxverify'); every worker needs relaxverify installed") in out, out
    assert "Traceback" not in out + err


def test_auto_may_pick_a_backend_per_chunk_and_says_so(capsys: pytest.CaptureFixture,
                                                       address: str) -> None:
    """About 23% of newton_f64's trials see a fault: 1,150 of a chunk of 5,000 (the
    vectorised backend), 230 of the last 1,000 (the interpreter: fewer than 1,000)."""
    out = _run(capsys, NEWTON_F64, 11000, "--chunk-trials", "5000", "--dask", address)
    assert out["backend"] == "mixed" and out["trials"] == 11000
    assert out["backend_note"].startswith(
        "backend: vectorised in 2 of 3 chunks, the interpreter in the others (only about ")


def test_a_chunk_with_another_fault_free_result_is_an_error(
        capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    """A chunk must compare with the fault-free result this process reports (a relax
    value Z3 chose otherwise on a worker would make its counts meaningless)."""
    real = chunks.run_chunk

    def other(job: chunks.TrialJob, chunk: chunks.Chunk, progress=None) -> chunks.ChunkCounts:
        got = real(job, chunk, progress)
        return dataclasses.replace(got, reference=-1) if chunk.index == 1 else got
    monkeypatch.setattr(chunks, "run_chunk", other)
    code = main(["run", NEWTON, "--arg", "v=2.0", "--trials", "30", "--chunk-trials", "10"])
    out, err = capsys.readouterr()
    assert code == 2
    assert "error: the fault-free run of chunk 1 differs from this process's" in out, out
    assert "Traceback" not in out + err
