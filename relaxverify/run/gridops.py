"""Reads, writes and allocation of arrays of several dimensions in the interpreter
(LANGUAGE.md section 10): every index is checked against its own dimension, in
order, after all the indices were evaluated (as core/checks.py lists the checks)."""
from __future__ import annotations

from typing import Any, NoReturn

from relaxverify.core import arrays
from relaxverify.run.outcome import RuntimeFailure, Site

ORDINAL = ("first", "second", "third", "fourth", "fifth", "sixth")


def dimension_word(d: int) -> str:
    return f"the {ORDINAL[d]} index (dimension {d})" if d < len(ORDINAL) else f"index {d}"


class GridOps:
    """The helpers the generated code calls: `_get`, `_put`, `_newnd`, `_lennd`."""

    def __init__(self, sites: list[Site]):
        self.sites = sites

    def handlers(self) -> dict[str, Any]:
        return {"_get": self.get, "_put": self.put, "_newnd": self.new,
                "_lennd": arrays.length, "_copynd": arrays.copy,
                "_mapnd": arrays.mapped}

    def oob(self, k: int, d: int, i: int, n: int, idx: tuple) -> NoReturn:
        site = self.sites[k]
        where = ", ".join(str(x) for x in idx)
        raise RuntimeFailure(
            "bounds", site.span,
            f"{dimension_word(d)} of `{site.what}[{where}]` is {i}, outside dimension {d} "
            f"of length {n}" + (f" (valid: 0 .. {n - 1})" if n else " (it is empty)"))

    def get(self, k: int, a: Any, *idx: int) -> Any:
        x = a
        for d, i in enumerate(idx):
            n = arrays.length(a, d)
            if not 0 <= i < n:
                self.oob(k, d, i, n, idx)
            x = x[i]
        return x

    def put(self, k: int, a: Any, v: Any, *idx: int) -> None:
        x = a
        for d, i in enumerate(idx):
            n = arrays.length(a, d)
            if not 0 <= i < n:
                self.oob(k, d, i, n, idx)
            if d < len(idx) - 1:
                x = x[i]
        x[idx[-1]] = v

    def new(self, k: int, zero: Any, limit: int, *ns: int) -> Any:
        site = self.sites[k]
        for d, n in enumerate(ns):
            if n < 0:
                raise RuntimeFailure("length", site.span,
                                     f"the array `{site.what}` would have negative length {n} "
                                     f"in dimension {d}")
        rows = 1  # lists that hold the rows: `T[n, 0]` has no element, but n rows
        for n in ns[:-1]:
            rows *= n
        total = rows * ns[-1]
        if total > limit:
            raise RuntimeFailure("limit", site.span,
                                 f"the array `{site.what}` would have {total} elements, more "
                                 f"than the interpreter allows ({limit})")
        if rows > limit:
            raise RuntimeFailure("limit", site.span,
                                 f"the array `{site.what}` would have {rows} rows, more than "
                                 f"the interpreter allows ({limit})")
        return arrays.new(ns, zero)
