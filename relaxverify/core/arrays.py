"""Values of arrays of several dimensions (LANGUAGE.md section 10), shared by the
interpreter, counterexamples and `--arg`.

A `real[,]` value is a list of rows, each a list of elements (a `real[,,]` a list of
such lists). Nested lists lose the lengths of the inner dimensions when there are
no rows (`var m: real[0, 5]` has `len(m, 1) == 5`), so the outer list is a `Rows`
that carries them: `inner` holds the lengths of dimensions 1, 2, ... Equality
compares the lengths too, as the verifier's array equality does.
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

from relaxverify.core import nodes as C


class Rows(list):
    """A rectangular array of several dimensions: its rows, and `inner`, the lengths
    of dimensions 1, 2, ... (each row of a 3-D array is a `Rows` too)."""

    __slots__ = ("inner",)

    def __init__(self, rows: Sequence[Any], inner: tuple[int, ...]):
        super().__init__(rows)
        self.inner = tuple(inner)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Rows) and other.inner != self.inner:
            return False
        return list.__eq__(self, other)

    def __ne__(self, other: object) -> bool:
        return not self == other

    __hash__ = None

    def __repr__(self) -> str:
        return list.__repr__(self)


def new(lengths: Sequence[int], zero: Any) -> Any:
    """A zero-filled array of these lengths (a plain list for one dimension)."""
    if len(lengths) == 1:
        return [zero] * lengths[0]
    return Rows([new(lengths[1:], zero) for _ in range(lengths[0])], tuple(lengths[1:]))


def copy(a: Any) -> Any:
    """A copy that shares no row with `a` (value semantics)."""
    if isinstance(a, Rows):
        return Rows([copy(r) for r in a], a.inner)
    if a and isinstance(a[0], list):  # plain nested lists (a value from the API)
        return Rows([copy(r) for r in a], _inner(a))
    return list(a)


def _inner(a: list) -> tuple[int, ...]:
    """The inner lengths of plain nested lists (0 below an empty level)."""
    out = []
    x: Any = a
    while x and isinstance(x[0], list):
        x = x[0]
        out.append(len(x))
    return tuple(out)


def length(a: Any, d: int) -> int:
    """`len(a, d)`."""
    if d == 0:
        return len(a)
    inner: tuple[int, ...] = a.inner if isinstance(a, Rows) else _inner(a)
    return inner[d - 1] if d - 1 < len(inner) else 0


def mapped(a: Any, f: Callable[[Any], Any], dims: int) -> Any:
    """`a` with f applied to each element (the shape kept)."""
    if dims == 1:
        return [f(x) for x in a]
    if isinstance(a, Rows):
        inner = a.inner
    else:  # plain nested lists (from the API): rectangular, or an error
        shape = shape_of(a, dims)
        if isinstance(shape, str):
            raise ValueError(f"an array of {dims} dimensions must be rectangular: {shape}")
        inner = shape[1:]
    return Rows([mapped(r, f, dims - 1) for r in a], inner)


def nested(a: Any) -> Any:
    """Plain nested lists (for JSON)."""
    if isinstance(a, list):
        return [nested(x) for x in a]
    return a


def shape_of(value: Any, dims: int) -> tuple[int, ...] | str:
    """The lengths of a nested list that should be a rectangular array of `dims`
    dimensions, or a sentence saying why it is not."""
    if dims == 1:
        if not isinstance(value, list):
            return "it is not a list"
        if any(isinstance(x, list) for x in value):
            return "it has nested lists but the array has one dimension"
        return (len(value),)
    if not isinstance(value, list):
        return "it is not a list"
    shapes = [shape_of(r, dims - 1) for r in value]
    for k, s in enumerate(shapes):
        if isinstance(s, str):
            return f"row {k}: {s}"
    if not shapes:
        return (0,) + (0,) * (dims - 1)
    first = shapes[0]
    for k, s in enumerate(shapes):
        if s != first:
            assert isinstance(s, tuple) and isinstance(first, tuple)
            return (f"it is ragged: row 0 has {first[0]} element(s) but row {k} has {s[0]}"
                    if s[0] != first[0] else f"it is ragged: row {k} differs in shape from row 0")
    assert isinstance(first, tuple)
    return (len(value),) + first


def rows(value: Any, shape: tuple[int, ...]) -> Any:
    """A rectangular nested list of that shape as the array value (`Rows` outside)."""
    if len(shape) == 1:
        return list(value)
    return Rows([rows(r, shape[1:]) for r in value], shape[1:])


def len_dim(e: C.Apply) -> int:
    """The dimension `len(m, d)` asks for (0 for `len(a)`)."""
    if len(e.args) == 2 and isinstance(e.args[1], C.Const):
        return int(e.args[1].value)
    return 0
