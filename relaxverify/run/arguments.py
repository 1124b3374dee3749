"""Values from outside (`--arg NAME=VALUE`) and values shown back (text and JSON).

Numbers are written as the language's literals are: ASCII digits only (the lexer
rejects `١`, so `--arg` does too), ints as `3`/`-7`, reals also as `2.5`, `1e-3`
or `1/3` (parsed exactly), bools as `true`/`false`, arrays (one dimension) as
`[1,2,3]` or `[]`.
"""
from __future__ import annotations

import math
import re
from fractions import Fraction
from typing import Any, Optional

from relaxverify.core import nodes as C
from relaxverify.run.arguments_nd import parse_nd
from relaxverify.run.choose import to_float
from relaxverify.run.floatops import round_argument
from relaxverify.source import Span

_INT = re.compile(r"[+-]?[0-9]+")


class ArgError(Exception):
    """A bad --arg; `span` is the parameter's declaration when there is one."""

    def __init__(self, message: str, span: Optional[Span] = None):
        super().__init__(message)
        self.span = span


def _example(ty: C.Type) -> str:
    return {"int": "3", "bool": "true"}.get(ty.base, "2.5")


def _array_example(ty: C.Type) -> str:
    return {"int": "[1,2,3]", "bool": "[true,false]"}.get(ty.base, "[0.5,1,2.25]")


def _not_ascii(text: str, ty: C.Type, name: str) -> ArgError:
    return ArgError(f"`{name}` is {'an' if ty.base == 'int' else 'a'} {ty.base}, but `{text}` "
                    "has characters other than the ASCII digits 0-9 (the language's "
                    f"literals use only those); write e.g. `--arg {name}="
                    f"{_array_example(ty) if ty.array else _example(ty)}`")


def parse_scalar(text: str, ty: C.Type, name: str) -> Any:
    t = text.strip()
    if ty.base != "bool" and not t.isascii():
        raise _not_ascii(t, ty, name)
    if ty.is_float:
        try:
            exact = parse_scalar(t, C.REAL, name)
        except ArgError as exc:
            raise ArgError(str(exc).replace("is a real,", f"is a {ty.base},")) from None
        try:
            return round_argument(exact, ty)
        except ValueError as exc:
            raise ArgError(f"`{name}` is a {ty.base}, but `{text}` is {exc}; give a smaller "
                           f"value or declare `{name}` with a wider format") from None
    if ty.base == "int":
        if _INT.fullmatch(t):
            return int(t)
        raise ArgError(f"`{name}` is an int, but `{text}` is not a whole number; "
                       f"write e.g. `--arg {name}={_example(ty) if not ty.array else '[1,2,3]'}`")
    if ty.base == "real":
        try:
            if t and not t.lower().lstrip("+-").startswith(("inf", "nan")):
                return Fraction(t)
        except (ValueError, ZeroDivisionError):
            pass
        raise ArgError(f"`{name}` is a real, but `{text}` is not a number; write e.g. "
                       f"`--arg {name}={'2.5' if not ty.array else '[0.5,1,2.25]'}` "
                       "(a fraction such as 1/3 works too)")
    if t in ("true", "false"):
        return t == "true"
    raise ArgError(f"`{name}` is a bool, so its value is `true` or `false`, not `{text}`")


def parse_element(text: str, i: int, ty: C.Type, name: str) -> Any:
    """Element i (from 1) of the array `name` of type ty."""
    t = text.strip()
    elem = ty.elem
    article = "an" if elem.base == "int" else "a"
    if "[" in t or "]" in t:
        raise ArgError(f"element {i} of `{name}` ({ty}) is an array, not {article} {elem}: "
                       "arrays have one dimension; write e.g. "
                       f"`--arg {name}={_array_example(elem)}`")
    if elem.base != "bool" and not t.isascii():
        raise _not_ascii(t, ty, name)
    try:
        return parse_scalar(t, elem, name)
    except ArgError as exc:
        if elem.is_float and "beyond the range" in str(exc):
            raise ArgError(f"element {i} of `{name}` ({ty}): {exc}") from None
        raise ArgError(f"element {i} of `{name}` ({ty}) is `{t}`, which is not {article} "
                       f"{elem}; write e.g. `--arg {name}={_array_example(elem)}`") from None


def parse_value(text: str, ty: C.Type, name: str) -> Any:
    if not ty.array:
        return parse_scalar(text, ty, name)
    if ty.dims > 1:
        return parse_nd(text, ty, name, ArgError, parse_scalar)
    t = text.strip()
    if not (t.startswith("[") and t.endswith("]")):
        raise ArgError(f"`{name}` is an array ({ty}), so write its elements in brackets, e.g. "
                       f"`--arg {name}=[{_example(ty)},{_example(ty)}]` (or `[]` for none)")
    inner = t[1:-1].strip()
    if not inner:
        return []
    return [parse_element(x, i + 1, ty, name) for i, x in enumerate(inner.split(","))]


def parse_args(fn: C.Function, given: list[str]) -> list:
    """The --arg values in parameter order; ArgError says what to write instead."""
    params = {p.source: p for p in fn.params}
    values: dict[str, Any] = {}
    listing = ", ".join(f"{p.source}: {p.type}" for p in fn.params) or "none"
    for item in given:
        if "=" not in item:
            raise ArgError(f"`--arg {item}` needs a value: write `--arg NAME=VALUE`, "
                           f"e.g. `--arg x=3`")
        name, text = item.split("=", 1)
        name = name.strip()
        if name not in params:
            raise ArgError(f"`{fn.name}` has no parameter `{name}` (its parameters: {listing})")
        if name in values:
            raise ArgError(f"`--arg {name}=...` is given twice; give each parameter once")
        try:
            values[name] = parse_value(text, params[name].type, name)
        except ArgError as exc:
            raise ArgError(str(exc), params[name].span) from None
    missing = [p for p in fn.params if p.source not in values]
    if missing:
        adds = " ".join(f"--arg {p.source}={_example(p.type) if not p.type.array else '[...]'}"
                        for p in missing)
        raise ArgError(f"no value for parameter{'s' if len(missing) > 1 else ''} "
                       + ", ".join(f"`{p.source}: {p.type}`" for p in missing)
                       + f" of `{fn.name}`; add {adds}", missing[0].span)
    return [values[p.source] for p in fn.params]


# ---------------------------------------------------------------- values as text and JSON


def decimal(q: Fraction) -> Optional[str]:
    """q's exact decimal expansion when it terminates (the denominator has only the
    factors 2 and 5) and is short, else None."""
    d, twos, fives = q.denominator, 0, 0
    while d % 2 == 0:
        d, twos = d // 2, twos + 1
    while d % 5 == 0:
        d, fives = d // 5, fives + 1
    digits = max(twos, fives)
    if d != 1 or digits > 30:
        return None
    n = abs(q.numerator) * 10 ** digits // q.denominator
    whole, frac = divmod(n, 10 ** digits)
    text = f"{whole}.{str(frac).rjust(digits, '0')}".rstrip("0").rstrip(".")
    return ("-" if q < 0 else "") + text


def show(v: Any) -> str:
    """A value as text: an exact real as its decimal (`0.3`) when that terminates,
    else as a fraction with an approximation (`1/3 (about 0.3333333333333333)`);
    a float as the shortest decimal that reads back as it (Python's repr)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, Fraction):
        if v.denominator == 1:
            n = v.numerator
            return str(n) if abs(n) < 10 ** 16 else f"{n} (about {to_float(v)!r})"
        text = decimal(v)
        return text if text is not None else f"{v} (about {to_float(v)!r})"
    if isinstance(v, list):
        return "[" + ", ".join(show(x) for x in v) + "]"
    return repr(v)


def to_json(v: Any) -> Any:
    if isinstance(v, list):
        return [to_json(x) for x in v]
    if isinstance(v, Fraction):  # an exact real: an int when whole, else the nearest
        if v.denominator == 1:  # double, or its exact text beyond the doubles' range
            return v.numerator
        f = to_float(v)
        return f if math.isfinite(f) else str(v)
    if isinstance(v, float) and not math.isfinite(v):
        return str(v)  # JSON has no inf/NaN: "inf", "-inf", "nan"
    return v
