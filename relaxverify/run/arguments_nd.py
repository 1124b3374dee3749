"""`--arg m=[[1,2],[3,4]]`: the value of an array of several dimensions
(LANGUAGE.md section 10). Nested brackets, one level per dimension; the rows of
each level must have one length (a ragged value is an error, exit 2)."""
from __future__ import annotations

from typing import Any

from relaxverify.core import arrays
from relaxverify.core import nodes as C


def example(ty: C.Type) -> str:
    """A value to show in messages, e.g. `[[1,2],[3,4]]` for an `int[,]`."""
    x = {"int": ["1", "2", "3", "4"], "bool": ["true", "false", "false", "true"]}.get(
        ty.base, ["0.5", "2.25", "1", "0"])
    out = "[[" + ",".join(x[:2]) + "],[" + ",".join(x[2:]) + "]]"
    for _ in range(ty.dims - 2):
        out = "[" + out + "," + out + "]"
    return out


def nested_text(text: str, name: str, ty: C.Type, error: type[Exception]) -> Any:
    """The nested lists of element texts written in `text` (brackets and commas)."""
    pos = 0
    t = text.strip()

    def fail(why: str) -> Exception:
        return error(f"`{name}` is an array of {ty.dims} dimensions ({ty}), but `{text}` "
                     f"{why}; write its rows in brackets, e.g. `--arg {name}={example(ty)}`")

    def item() -> Any:
        nonlocal pos
        while pos < len(t) and t[pos] == " ":
            pos += 1
        if pos < len(t) and t[pos] == "[":
            pos += 1
            out: list = []
            while pos < len(t) and t[pos] == " ":
                pos += 1
            if pos < len(t) and t[pos] == "]":
                pos += 1
                return out
            while True:
                out.append(item())
                while pos < len(t) and t[pos] == " ":
                    pos += 1
                if pos < len(t) and t[pos] == ",":
                    pos += 1
                    continue
                if pos < len(t) and t[pos] == "]":
                    pos += 1
                    return out
                raise fail("has unbalanced brackets")
        start = pos
        while pos < len(t) and t[pos] not in ",[]":
            pos += 1
        word = t[start:pos].strip()
        if not word:
            raise fail("has an empty element")
        return word

    if not t.startswith("["):
        raise fail("is not in brackets")
    value = item()
    if pos != len(t):
        raise fail("has text after its closing bracket")
    return value


def parse_nd(text: str, ty: C.Type, name: str, error: type[Exception], scalar: Any) -> Any:
    """The value of `--arg name=text` for the array type `ty` of several dimensions;
    `scalar(text, elem_type, name)` parses one element."""
    value = nested_text(text, name, ty, error)
    shape = arrays.shape_of(value, ty.dims)
    if isinstance(shape, str):
        if "nested lists" in shape or "not a list" in shape:
            shape = (f"it does not have {ty.dims} levels of brackets ({shape}); each row "
                     "is a bracketed list")
        raise error(f"`{name}` ({ty}) must be rectangular, but {shape}; write e.g. "
                    f"`--arg {name}={example(ty)}`")
    parsed = arrays.mapped(arrays.rows(value, shape), lambda w: _element(w, ty, name, error,
                                                                          scalar), ty.dims)
    return parsed


def _element(word: str, ty: C.Type, name: str, error: type[Exception], scalar: Any) -> Any:
    try:
        return scalar(word, ty.elem, name)
    except error as exc:
        if "range" in str(exc):  # a float beyond its format: that message says it all
            raise error(f"an element of `{name}` ({ty}): {exc}") from None
        article = "an" if ty.base == "int" else "a"
        raise error(f"the element `{word}` of `{name}` ({ty}) is not {article} {ty.base}; "
                    f"write e.g. `--arg {name}={example(ty)}`") from None
