"""Ctrl-C during Monte Carlo: stop the trials and report the ones done so far.

The command runs in a worker thread (cli/main.py), and Python delivers Ctrl-C to the
main thread only; so the main thread `request()`s a stop, and the trial loops, while
they are `listening()`, poll `requested()` between trials and return what they have.
"""
from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import Iterator

_REQUESTED = threading.Event()
_LISTENERS = [0]
_LOCK = threading.Lock()


def request() -> None:
    _REQUESTED.set()


def requested() -> bool:
    return _REQUESTED.is_set()


def listening() -> bool:
    """Whether a trial loop is running that will stop when asked."""
    return _LISTENERS[0] > 0


@contextmanager
def listen() -> Iterator[None]:
    """Around a trial loop: a stop requested before it starts is forgotten."""
    with _LOCK:
        if _LISTENERS[0] == 0:
            _REQUESTED.clear()
        _LISTENERS[0] += 1
    try:
        yield
    finally:
        with _LOCK:
            _LISTENERS[0] -= 1
