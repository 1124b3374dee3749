"""The persistent result cache of `verify` (docs/verifier.md, "Jobs and cache").

Like mypy's cache, keyed by what determines the answer: one entry per function
(or spec function) of a file, its key the SHA-256 of the file's text and path, the
function, the hardware model, the time-out (hence the resource limit) and
`--explain`, Z3's version, and a fingerprint of relaxverify's own code (its version
number does not change while it is being developed). The file's text is a complete
and cheap stand-in for the obligations' queries: it determines every fact asserted
(callees, spec functions and hardware models are in the same file; the built-in
models are in the tool's code), and hashing it costs microseconds, where generating
the queries to hash them is most of the work the cache is there to save.

Only conclusive results are stored (every obligation verified or failed, with its
counterexample values), never an unknown or a time-out. A write goes to a temporary
file renamed into place (`os.replace`), so that concurrent runs never see half an
entry; an entry that does not read back (damaged, another format) is ignored and
overwritten. Failing to write (a read-only directory) costs the cache, not the run.
"""
from __future__ import annotations

import functools
import hashlib
import json
import os
import tempfile
from typing import Optional

import z3

from relaxverify.verify.records import UnitResult, decode_result, encode_result

FORMAT = 1  # the layout of an entry: raise it when records.py changes
DIR_NAME = ".relaxverify_cache"
ENV = "RELAXVERIFY_CACHE_DIR"
GITIGNORE = "# Automatically created by relaxverify (its result cache).\n*\n"
CACHEDIR_TAG = ("Signature: 8a477f597d28d172789f06886806bc55\n"
                "# This file is a cache directory tag created by relaxverify.\n"
                "# For information about cache directory tags see https://bford.info/cachedir/\n")


def default_dir() -> str:
    """`$RELAXVERIFY_CACHE_DIR`, else `.relaxverify_cache` in the current directory."""
    return os.environ.get(ENV) or DIR_NAME


@functools.lru_cache(maxsize=1)
def tool_fingerprint() -> str:
    """A hash of relaxverify's source files: any change to the tool starts a new cache."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    h = hashlib.sha256()
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(files):
            if name.endswith((".py", ".lark", ".json")):
                path = os.path.join(folder, name)
                h.update(os.path.relpath(path, root).encode() + b"\0")
                with open(path, "rb") as f:
                    h.update(f.read() + b"\0")
    return h.hexdigest()


def unit_key(path: str, source_digest: str, function: str, spec: bool,
             hardware: Optional[str], timeout: float, explain: bool) -> str:
    """The key of one unit; `source_digest` is the SHA-256 of the file's text (made once
    per file: hashing the text again for each of its functions made the keys of a
    file of 100 functions cost 150 ms)."""
    parts = [FORMAT, tool_fingerprint(), z3.get_full_version(), path, source_digest, function,
             spec, hardware, repr(float(timeout)), explain]
    return hashlib.sha256(json.dumps(parts).encode("utf-8", "surrogatepass")).hexdigest()


class ResultCache:
    """Entries under `root/v<FORMAT>/<2 hex digits>/<key>.json`."""

    def __init__(self, root: str) -> None:
        self.root = root
        self.hits = 0
        self.misses = 0

    def _file(self, key: str) -> str:
        return os.path.join(self.root, f"v{FORMAT}", key[:2], key + ".json")

    def get(self, key: str) -> Optional[UnitResult]:
        try:
            with open(self._file(key), encoding="utf-8") as f:
                entry = json.load(f)
            if entry.get("key") != key:
                raise ValueError("an entry of another key")
            result = decode_result(entry["result"])
        except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError):
            self.misses += 1
            return None  # absent or damaged: computed again (and rewritten)
        self.hits += 1
        return result

    def put(self, key: str, result: UnitResult) -> None:
        if not result.conclusive:
            return
        try:
            text = json.dumps({"key": key, "result": encode_result(result)})
        except (TypeError, ValueError):  # a value records.py cannot write: not cached
            return
        target = self._file(key)
        try:
            self._prepare(os.path.dirname(target))
            fd, tmp = tempfile.mkstemp(dir=os.path.dirname(target), prefix=".tmp-",
                                       suffix=".json")
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as f:
                    f.write(text)
                os.replace(tmp, target)
            except BaseException:
                _remove(tmp)
                raise
        except OSError:
            pass  # a read-only or full disk: the run goes on without the cache

    def _prepare(self, folder: str) -> None:
        """The entry's folder; a new cache root gets a .gitignore and a CACHEDIR.TAG."""
        if not os.path.isdir(self.root):
            os.makedirs(self.root, exist_ok=True)
            for name, text in ((".gitignore", GITIGNORE), ("CACHEDIR.TAG", CACHEDIR_TAG)):
                _write_new(os.path.join(self.root, name), text)
        os.makedirs(folder, exist_ok=True)


def _write_new(path: str, text: str) -> None:
    try:
        with open(path, "x", encoding="utf-8") as f:
            f.write(text)
    except OSError:  # already there (another run made it), or not writable
        pass


def _remove(path: str) -> None:
    try:
        os.remove(path)
    except OSError:
        pass

