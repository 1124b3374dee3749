"""`verify --jobs N` and the result cache (docs/verifier.md, "Jobs and cache"): the
same verdicts and output with and without them, a cache that is safe under
concurrent runs and ignores damaged entries, and `--no-cache`."""
from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from relaxverify import api
from relaxverify.source import Span
from relaxverify.verify import allocator
from relaxverify.verify import cache as cache_module
from relaxverify.verify import pool
from relaxverify.verify.obligations import Instance, Obligation
from relaxverify.verify.records import UnitResult, decode_result, encode_result
from tests.conftest import EXAMPLES, ROOT, run_cli

DATA = ROOT / "tests" / "data" / "verify"
# Files with failures (counterexamples, replays) and several functions each.
FAILING = [DATA / "divergence_fail.relax", DATA / "extern_fail.relax",
           DATA / "spec_functions.relax", DATA / "several_results.relax"]
VERIFIED = [EXAMPLES / "dot_product.relax", EXAMPLES / "rely_coord.relax",
            DATA / "swish_ok.relax"]


# A time limit well above the resource limit's reach on a loaded machine: the
# verdicts compared are the resource limit's, not the clock's.
SLACK = ("--timeout", "60")


def _json(*argv: object) -> dict:
    out = run_cli("verify", "--format", "json", *SLACK, *argv)
    assert out.code in (0, 1), out.err
    return json.loads(out.out)


def _verdicts(data: dict) -> list[tuple]:
    """Each obligation's verdict and what the report says of it (not its time, nor a
    counterexample's values: Z3 may pick other ones on another run)."""
    return [(f["path"], o["id"], o["status"], o["message"], o.get("reason"), o.get("bound"))
            for f in data["files"] for o in f["obligations"]]


def _entries(root: Path) -> list[Path]:
    return sorted(root.rglob("*.json"))


# ---------------------------------------------------------------- --jobs


@pytest.mark.parametrize("path", FAILING, ids=lambda p: p.name)
def test_jobs_give_the_verdicts_of_one_job(path: Path) -> None:
    one = _json(path, "--jobs", "1", "--no-cache")
    two = _json(path, "--jobs", "2", "--no-cache")
    assert _verdicts(one) == _verdicts(two) and len(_verdicts(one)) > 5


def test_jobs_print_what_one_job_prints() -> None:
    one = run_cli("verify", *VERIFIED, *SLACK, "--jobs", "1", "--no-cache")
    two = run_cli("verify", *VERIFIED, *SLACK, "--jobs", "2", "--no-cache")
    assert one.code == two.code == 0 and one.out == two.out
    assert "obligations in 3 file(s)" in one.out


def test_a_worker_proves_its_units_in_one_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    """One thread with the large stack for all of a worker's units (a new one for
    each cost a tenth of the worker's time in page faults); a process forked from
    one that has that thread makes its own (the thread is not forked with it)."""
    seen: list[int] = []

    def prove(unit: pool.Unit) -> dict:
        seen.append(threading.get_ident())
        return {"unit": unit.function}
    monkeypatch.setattr(pool, "_prove_encoded", prove)
    monkeypatch.setattr(pool, "_prover", (-1, None))
    a, b, c = (pool.Unit("p.relax", "", name, False, None, 1.0, False, None) for name in "abc")
    assert pool._work(a) == {"unit": "a"} and pool._work(b) == {"unit": "b"}
    assert len(set(seen)) == 1 and seen[0] != threading.get_ident()
    assert threading.stack_size() == 0  # the caller's setting is back
    monkeypatch.setattr(os, "getpid", lambda: -2)  # as in a forked child
    pool._work(c)
    assert len(set(seen)) == 2


def test_verify_on_the_command_line_keeps_freed_memory(monkeypatch: pytest.MonkeyPatch
                                                      ) -> None:
    """glibc's allocator is told to keep what units free (allocator.py): on this
    project's Linux machines mallopt takes both settings; the command calls it."""
    glibc = sys.platform.startswith("linux") and os.confstr("CS_GNU_LIBC_VERSION") is not None
    assert allocator.keep_freed_memory() is glibc
    called: list[bool] = []
    monkeypatch.setattr(allocator, "keep_freed_memory", lambda: called.append(True) or True)
    assert run_cli("verify", EXAMPLES / "dot_product.relax", "--no-cache").code == 0
    assert called == [True]


def test_counterexamples_are_the_same_in_every_run() -> None:
    """The loop in `pivot_unchecked` writes several variables; their fresh constants
    used to be made in the order of a set hashed by address, so Z3 picked other
    counterexample values from run to run (Var hashes by name and place now)."""
    env_args = [sys.executable, "-m", "relaxverify", "verify", "--format", "json",
                "--no-cache", "--jobs", "1", *SLACK, str(DATA / "lu_fail.relax")]
    runs = []
    for seed in ("1", "2"):
        env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONHASHSEED=seed)
        proc = subprocess.run(env_args, capture_output=True, text=True, cwd=ROOT, env=env,
                              timeout=300)
        assert proc.returncode == 1, proc.stderr
        runs.append([(o["id"], o.get("counterexample"))
                     for f in json.loads(proc.stdout)["files"] for o in f["obligations"]
                     if o["status"] == "failed"])
    assert runs[0] == runs[1] and len(runs[0]) >= 2


def test_spawned_workers_do_not_hang_and_agree(monkeypatch: pytest.MonkeyPatch) -> None:
    """Where fork is not used (macOS, Windows), workers start afresh and load the file
    from its text."""
    monkeypatch.setenv(pool.START_METHOD_ENV, "spawn")
    path = DATA / "extern_fail.relax"
    two = _json(path, "--jobs", "2", "--no-cache")
    assert _verdicts(two) == _verdicts(_json(path, "--jobs", "1", "--no-cache"))


def test_explain_with_jobs_lists_the_same_paths() -> None:
    path = DATA / "extern_fail.relax"
    one = run_cli("verify", path, *SLACK, "--explain", "--jobs", "1", "--no-cache")
    two = run_cli("verify", path, *SLACK, "--explain", "--jobs", "2", "--no-cache")
    lines = [[ln for ln in out.out.splitlines() if ln.startswith("    ")] for out in (one, two)]
    assert any("prove:" in ln for ln in lines[0]) and lines[0] == lines[1]


def test_smt2_with_jobs_writes_every_query(tmp_path: Path) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    path = EXAMPLES / "dot_product.relax"
    run_cli("verify", path, "--smt2", one, "--jobs", "1")
    run_cli("verify", path, "--smt2", two, "--jobs", "2")
    names = sorted(p.name for p in one.iterdir())
    assert names and names == sorted(p.name for p in two.iterdir())


def _die(unit: pool.Unit) -> dict:
    os._exit(3)  # a worker killed (out of memory, a crash in Z3)


def test_a_broken_pool_falls_back_to_this_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pool, "_work", _die)  # the forked workers inherit it
    path = DATA / "extern_fail.relax"
    two = _json(path, "--jobs", "2", "--no-cache")
    assert _verdicts(two) == _verdicts(_json(path, "--jobs", "1", "--no-cache"))


@pytest.mark.parametrize("value", ["0", "-2", "two"])
def test_jobs_must_be_a_positive_number(value: str) -> None:
    out = run_cli("verify", EXAMPLES / "dot_product.relax", "--jobs", value)
    assert out.code == 2 and "--jobs" in out.err and "positive whole number" in out.err
    with pytest.raises(ValueError, match="jobs"):
        api.VerifyOptions(jobs=0)


# ---------------------------------------------------------------- the cache


def test_a_warm_cache_gives_the_same_text_and_json(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    where = ["--cache-dir", tmp_path / "c"]
    cold_text = run_cli("verify", *FAILING, *where)
    cold_json = _json(*FAILING, *where, "--jobs", "1")
    assert _entries(tmp_path / "c")

    def no_proving(*args: object, **kw: object) -> None:
        raise AssertionError("a unit was proved although the cache has it")

    monkeypatch.setattr(pool, "prove_unit", no_proving)
    monkeypatch.setattr(importlib.import_module("relaxverify.api.verify"), "prove_unit",
                        no_proving)
    warm_text = run_cli("verify", *FAILING, *where)
    assert warm_text.code == cold_text.code == 1 and warm_text.err == ""
    assert warm_text.out == cold_text.out
    assert _json(*FAILING, *where, "--jobs", "1") == cold_json  # times too: stored


def test_the_cache_is_keyed_by_the_text_and_the_options(tmp_path: Path) -> None:
    src = (EXAMPLES / "dot_product.relax").read_text()
    a = tmp_path / "a.relax"
    a.write_text(src)
    run_cli("verify", a, "--cache-dir", tmp_path / "c")
    first = len(_entries(tmp_path / "c"))
    run_cli("verify", a, "--cache-dir", tmp_path / "c", "--timeout", "20")
    assert len(_entries(tmp_path / "c")) == 2 * first
    a.write_text(src.replace("0.99 * R(a, b)", "0.98 * R(a, b)"))
    run_cli("verify", a, "--cache-dir", tmp_path / "c")
    assert len(_entries(tmp_path / "c")) == 3 * first


def test_damaged_entries_are_ignored_and_rewritten(tmp_path: Path) -> None:
    where = ["--cache-dir", tmp_path / "c"]
    path = DATA / "extern_fail.relax"
    cold = _json(path, *where)
    entries = _entries(tmp_path / "c")
    assert entries
    for i, entry in enumerate(entries):
        entry.write_text(["{not json", "", json.dumps({"key": "x", "result": {}}),
                          json.dumps({"key": entry.stem, "result": {"obligations": [{}]}})
                          ][i % 4])
    assert _verdicts(_json(path, *where)) == _verdicts(cold)
    for entry in entries:  # computed again, and written whole
        assert json.loads(entry.read_text())["key"] == entry.stem


def test_no_cache_neither_reads_nor_writes(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(cache_module.ENV, str(tmp_path / "env"))
    path = EXAMPLES / "dot_product.relax"
    run_cli("verify", path, "--no-cache", "--cache-dir", tmp_path / "c")
    assert not (tmp_path / "c").exists() and not (tmp_path / "env").exists()
    run_cli("verify", path)  # the environment's directory by default
    entries = _entries(tmp_path / "env")
    assert entries
    for entry in entries:
        entry.write_text("{}")  # damaged: --no-cache must not read it (nor repair it)
    assert run_cli("verify", path, "--no-cache").code == 0
    assert all(entry.read_text() == "{}" for entry in entries)


def test_the_default_directory_is_in_the_current_one(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(cache_module.ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    assert run_cli("verify", EXAMPLES / "dot_product.relax").code == 0
    root = tmp_path / ".relaxverify_cache"
    assert _entries(root)
    assert (root / ".gitignore").read_text().splitlines()[-1] == "*"
    assert (root / "CACHEDIR.TAG").read_text().startswith("Signature: 8a477f597d28d172")


def test_the_python_api_caches_only_when_asked(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    path = EXAMPLES / "dot_product.relax"
    api.verify(path)
    assert not list(tmp_path.iterdir())
    api.verify(path, options=api.VerifyOptions(cache_dir=str(tmp_path / "c")))
    assert _entries(tmp_path / "c")


def test_concurrent_runs_share_one_cache(tmp_path: Path) -> None:
    """Two processes proving the same files into the same empty cache at once: both
    give the verdicts, and every entry reads back whole (no temporary file left)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    args = [sys.executable, "-m", "relaxverify", "verify", "--format", "json", "--jobs", "1",
            "--cache-dir", str(tmp_path / "c"), *map(str, FAILING)]
    procs = [subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              cwd=ROOT, env=env) for _ in range(2)]
    outs = [p.communicate(timeout=300) for p in procs]
    expected = _verdicts(_json(*FAILING, "--no-cache"))
    for (out, err), p in zip(outs, procs):
        assert p.returncode == 1 and err == "", err
        assert _verdicts(json.loads(out)) == expected
    files = [p for p in (tmp_path / "c").rglob("*") if p.is_file()]
    assert not [p for p in files if p.name.startswith(".tmp-")]
    for entry in _entries(tmp_path / "c"):
        decode_result(json.loads(entry.read_text())["result"])
    warm = _json(*FAILING, "--cache-dir", tmp_path / "c")
    assert _verdicts(warm) == expected


def _obligation(status: str) -> Obligation:
    span = Span("f.relax", 3, 5, 3, 9)
    return Obligation("f/assert@3:5", "f", "assert", "original", span, "x > 0 holds", "x > 0",
                      [Instance(None, None, 0, 0, {}, {}, (("x >= 1", False),))],
                      status=status, reason=None if status != "unknown" else "Z3 timed out")


def test_only_conclusive_results_are_stored(tmp_path: Path) -> None:
    store = cache_module.ResultCache(str(tmp_path))
    store.put("a" * 64, UnitResult([_obligation("verified"), _obligation("unknown")]))
    assert not _entries(tmp_path)
    store.put("b" * 64, UnitResult([_obligation("verified"), _obligation("failed")]))
    hit = store.get("b" * 64)
    assert hit is not None and [o.status for o in hit.obligations] == ["verified", "failed"]
    assert hit.obligations[0].instances[0].path == (("x >= 1", False),)
    assert store.get("a" * 64) is None


def test_records_round_trip_through_json() -> None:
    result = UnitResult([_obligation("verified")])
    again = decode_result(json.loads(json.dumps(encode_result(result))))
    assert [o.to_json() for o in again.obligations] == [o.to_json() for o in result.obligations]


def test_check_imports_no_multiprocessing() -> None:
    code = ("import sys\nfrom relaxverify.cli.main import main\n"
            f"main(['check', {str(EXAMPLES / 'dot_product.relax')!r}])\n"
            "print('multiprocessing' in sys.modules, 'relaxverify.verify.pool' in sys.modules)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)), timeout=120)
    assert proc.stdout.splitlines()[-1] == "False False", proc.stderr


def test_a_callers_z3_terms_survive_verify() -> None:
    """Each unit has a Z3 context of its own; the caller's default one comes back."""
    import z3
    before = z3.Int("before")
    api.verify(EXAMPLES / "perforation.relax", fn="nothing")  # no unit: an error report
    api.verify(DATA / "spec_functions.relax")
    s = z3.Solver()
    s.add(before + z3.Int("after") == 1, before == 2)
    assert s.check() == z3.sat


def test_repeated_runs_free_their_z3_contexts():
    """`run_units` freezes the heap while it proves; garbage must be collected
    before, or each run's last Z3 context (in reference cycles) is frozen by the next
    run and never freed: a long session (the soundness harness) ran out of memory."""
    import gc

    import z3

    from relaxverify import api
    options = api.VerifyOptions(jobs=1, cache_dir=None)
    source = "fn f(x: int) -> int {\n  return x;\n}\n"

    def contexts() -> int:
        return sum(isinstance(o, z3.Context) for o in gc.get_objects())

    api.verify(source=source, options=options)
    before = contexts()
    for _ in range(6):
        api.verify(source=source, options=options)
    assert contexts() <= before + 1, (before, contexts())
