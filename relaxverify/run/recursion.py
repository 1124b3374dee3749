"""A raised recursion limit for the interpreter's generated code, safe across threads.

Python's limit is one number for the whole process. Saving and restoring it around
each run lets two runs in threads (an in-process Dask cluster, the API called from
several threads) interleave so that the last to restore puts back the other's
raised value for good; here the first run in raises it and the last one out lowers
it again.
"""
from __future__ import annotations

import sys
import threading
from contextlib import contextmanager
from typing import Iterator

_lock = threading.Lock()
_inside = 0  # runs inside a `deep_recursion` now
_saved = 0  # the limit before the first of them


@contextmanager
def deep_recursion(limit: int) -> Iterator[None]:
    """At least `limit` frames while inside."""
    global _inside, _saved
    with _lock:
        if _inside == 0:
            _saved = sys.getrecursionlimit()
        _inside += 1
        if sys.getrecursionlimit() < limit:
            sys.setrecursionlimit(limit)
    try:
        yield
    finally:
        with _lock:
            _inside -= 1
            if _inside == 0:
                sys.setrecursionlimit(_saved)
