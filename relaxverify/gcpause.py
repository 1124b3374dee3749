"""Pausing Python's cyclic garbage collector around allocation-heavy stages."""
from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import Iterator


@contextmanager
def gc_paused() -> Iterator[None]:
    """The parser, the checker and the reliability analysis allocate many small,
    long-lived objects and no cycles worth collecting; the collector would rescan
    them again and again, which made these stages superlinear in program size."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
