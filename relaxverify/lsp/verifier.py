"""Background verification: one worker process (worker.py) per run, which the
server ends when a newer change or save makes the run pointless (the task is
cancelled) or when it runs past its time limit. Nothing here raises for a run
that fails: the caller gets a `Stopped` that says why."""
from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Union

from relaxverify.lsp.results import VerifyOutcome

DEFAULT_LIMIT = 120.0  # seconds a run started by a save may take
_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])  # the directory holding relaxverify/
_RUNNING: set[asyncio.subprocess.Process] = set()  # the workers this server started


@dataclass
class VerifySettings:
    hardware: Optional[str] = None  # `--hardware`, as for `relaxverify verify`
    timeout: float = 10.0  # per obligation, as `--timeout`
    limit: float = DEFAULT_LIMIT  # the whole run


@dataclass
class Stopped:
    """A run without verdicts: it timed out, or the worker failed."""

    reason: str


async def verify_text(path: str, source: str,
                      settings: VerifySettings) -> Union[VerifyOutcome, Stopped]:
    """Verify in a worker process; a cancelled task ends the worker too."""
    request = json.dumps({"path": path, "source": source, "hardware": settings.hardware,
                          "timeout": settings.timeout}).encode()
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "relaxverify.lsp.worker", stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=_worker_env())
    _RUNNING.add(proc)
    try:
        out, err = await asyncio.wait_for(proc.communicate(request), settings.limit)
    except asyncio.TimeoutError:
        return Stopped(f"verification stopped after {settings.limit:g} s (the time limit "
                       "of one run, `relaxverify lsp --verify-timeout`)")
    finally:  # also when cancelled
        await _end(proc)
    return _answer(proc.returncode, out, err)


def _answer(code: Optional[int], out: bytes, err: bytes) -> Union[VerifyOutcome, Stopped]:
    try:
        answer = json.loads(out)
    except ValueError:
        tail = err.decode(errors="replace").strip().splitlines()[-1:] or [f"exit code {code}"]
        return Stopped(f"the verifier process failed: {tail[0]}")
    if "error" in answer:
        return Stopped(f"the verifier failed: {answer['error']} (a bug in relaxverify; "
                       "please report it with the file)")
    return VerifyOutcome.from_json(answer["outcome"])


async def _end(proc: asyncio.subprocess.Process) -> None:
    if proc.returncode is None:
        _kill(proc.pid)
        await proc.wait()
    _RUNNING.discard(proc)


def end_all() -> None:
    """Kill the workers still running (the server is exiting; its loop may be gone)."""
    for proc in list(_RUNNING):
        if proc.returncode is None:
            _kill(proc.pid)
    _RUNNING.clear()


def _kill(pid: int) -> None:
    """End a worker this server started (by its id: it is not reaped before `wait`)."""
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _worker_env() -> dict[str, str]:
    """The worker imports this copy of relaxverify, whatever the current directory."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (_PACKAGE_ROOT, env.get("PYTHONPATH"))
                                        if p)
    return env
