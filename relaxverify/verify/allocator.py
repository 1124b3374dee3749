"""glibc's allocator set up for `verify` on the command line (docs/verifier.md, "Jobs
and cache").

Each unit builds a Z3 context of some megabytes and frees it (pool.fresh_context).
By default glibc hands freed memory at the top of its heaps back to the kernel, and
serves larger blocks with fresh mappings, so the next unit takes page faults to get
the same memory back: a third of `verify`'s system time, and two thirds in forked
workers, whose every first touch of a page is a fault. A short-lived command keeps
what it freed instead (its peak use is the same). Only the command line does this:
a long-lived caller (the language server, a test run) keeps glibc's defaults.
"""
from __future__ import annotations

import ctypes
import sys

M_TRIM_THRESHOLD = -1  # from glibc's malloc.h
M_MMAP_THRESHOLD = -3
KEEP_BELOW = 32 << 20  # blocks below this come from the heap (glibc's largest setting)
TRIM_ABOVE = 256 << 20  # free memory at a heap's top is returned only beyond this


def keep_freed_memory() -> bool:
    """Tune glibc's malloc (and so that of the workers forked after it); False where
    there is no glibc (macOS, Windows, musl's mallopt does nothing)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return bool(mallopt(M_MMAP_THRESHOLD, KEEP_BELOW)) and bool(
        mallopt(M_TRIM_THRESHOLD, TRIM_ABOVE))
