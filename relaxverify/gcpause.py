"""Pausing Python's cyclic garbage collector around allocation-heavy stages."""
from __future__ import annotations

import gc
import threading
from contextlib import contextmanager
from typing import Iterator

_lock = threading.Lock()
_paused = 0  # stages inside gc_paused, in every thread
_was_enabled = False  # the collector's state before the first of them


@contextmanager
def gc_paused() -> Iterator[None]:
    """The parser, the checker and the reliability analysis allocate many small,
    long-lived objects and no cycles worth collecting; the collector would rescan
    them again and again, which made these stages superlinear in program size.
    Counted, so that overlapping stages in several threads (the language server,
    parallel parses) turn it back on only when the last one ends."""
    global _paused, _was_enabled
    with _lock:
        if _paused == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _paused += 1
    try:
        yield
    finally:
        with _lock:
            _paused -= 1
            if _paused == 0 and _was_enabled:
                gc.enable()
