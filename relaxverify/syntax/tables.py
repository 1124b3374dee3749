"""Lark's LALR(1) tables for the grammar, kept on disk between runs.

Lark's analysis of grammar/relax.lark costs 60-80 ms at every start, more than
parsing a typical file; loading the tables back (`Lark.load`) costs a few ms. The
file is in $XDG_CACHE_HOME/relaxverify (else ~/.cache/relaxverify) and is named
after a SHA-256 of all the tables depend on: the grammar text, the Lark options,
Lark's version and Python's. An edited grammar or another Lark never reads stale
tables; the key is repeated inside the file, so a foreign file is not read.

The file is written to a temporary file in the same directory and renamed into
place (`os.replace`, atomic), so a concurrent run sees no file or a whole one, and
two runs that both build just both rename. Lark's own `cache=` option is not used
(docs/architecture.md, "Start-up"): it writes the file in place, where a concurrent
run can read half of it, and its key includes the file's name, so a file written
under a temporary name is not read under the final one.

Any failure (no home directory, a read-only cache directory, a damaged file)
means building the tables as before, silently: the cache only saves time.
"""
from __future__ import annotations

import contextlib
import hashlib
import os
import sys
import tempfile
from pathlib import Path
from typing import Any, Optional

import lark
from lark import Lark

SUBDIRECTORY = "relaxverify"
FORMAT = "relaxverify-lark-tables 1"  # change when the file layout below changes


def cache_dir() -> Optional[Path]:
    """$XDG_CACHE_HOME/relaxverify, else ~/.cache/relaxverify (a relative
    XDG_CACHE_HOME is ignored, as the XDG rules say); None without a home."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    if os.path.isabs(base):
        return Path(base) / SUBDIRECTORY
    try:
        return Path.home() / ".cache" / SUBDIRECTORY
    except (RuntimeError, KeyError, OSError):  # no HOME and no password entry
        return None


def table_key(grammar: str, options: dict[str, Any]) -> str:
    """What the tables depend on, hashed: grammar, options, Lark and Python versions."""
    parts = [FORMAT, grammar, lark.__version__, "%d.%d" % sys.version_info[:2]]
    parts += [f"{name}={_stable(value)}" for name, value in sorted(options.items())]
    return hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()


def _stable(value: Any) -> str:
    """An option's value as text that does not change between runs (a class by name)."""
    if isinstance(value, type):
        return f"{value.__module__}.{value.__qualname__}"
    return repr(value)


def table_file(key: str) -> Optional[Path]:
    directory = cache_dir()
    return None if directory is None else directory / f"lark-tables-{key[:40]}.pickle"


def cached_lark(grammar: str, **options: Any) -> Lark:
    """`Lark(grammar, **options)`, loaded from the cache when there, else built and
    stored. The options must not include a transformer (Lark.save drops it)."""
    key = table_key(grammar, options)
    path = table_file(key)
    if path is not None:
        loaded = _load(path, key)
        if loaded is not None:
            return loaded
    built = Lark(grammar, **options)
    if path is not None:
        _store(built, path, key)
    return built


def _load(path: Path, key: str) -> Optional[Lark]:
    try:
        with open(path, "rb") as fh:
            if fh.readline() != f"{key}\n".encode("ascii"):
                return None
            return Lark.load(fh)
    except Exception:  # missing, unreadable or damaged (pickle raises many kinds): build
        return None


def _store(built: Lark, path: Path, key: str) -> None:
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    except OSError:  # not writable: run without the cache
        return
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(f"{key}\n".encode("ascii"))
            built.save(fh)
        os.replace(temporary, path)
    except Exception:  # disk full, an unpicklable option, a rename refused: no cache
        pass
    finally:
        with contextlib.suppress(OSError):
            os.unlink(temporary)  # gone after the rename
