"""A tiny FPCore reader and evaluator, for measuring observed round-off error.

benchmarks/fpbench.py needs, for each FPBench benchmark, the largest error that
some binary64 execution really makes: it evaluates the formula exactly (every
value a fractions.Fraction) and in IEEE binary64 (numpy float64, each operation
correctly rounded) at the same double inputs. This module is deliberately
independent of relaxverify (and of the FPCore translator), so that the measured
error is an outside check on the verifier's bound.

Only the straight-line, rational subset of FPCore is evaluated: numbers,
variables, + - * / (binary; - also unary), fabs, fmin, fmax, let and let*. The
:pre is read as a box: a conjunction of interval comparisons on single
variables.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Callable, Union

import numpy as np

Sexp = Union[str, list["Sexp"]]

_TOKEN = re.compile(r'\s+|;[^\n]*|"(?:[^"\\]|\\.)*"|[()\[\]]|[^\s()\[\];"]+')
_NUMBER = re.compile(r"[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$|[-+]?\d+/\d+$")


class FPCoreError(ValueError):
    """Input this reader cannot handle, with the position it was found at."""


def tokenize(text: str, path: str = "<fpcore>") -> list[tuple[str, int, int]]:
    """Tokens with their 1-based line and column; comments and space dropped."""
    out: list[tuple[str, int, int]] = []
    pos, line, col = 0, 1, 1
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            raise FPCoreError(f"{path}:{line}:{col}: error: cannot read {text[pos]!r}")
        tok = m.group(0)
        if not tok.isspace() and not tok.startswith(";"):
            out.append((tok, line, col))
        nl = tok.count("\n")
        line, col = (line + nl, len(tok) - tok.rfind("\n")) if nl else (line, col + len(tok))
        pos = m.end()
    return out


def read_all(text: str, path: str = "<fpcore>") -> list[Sexp]:
    """Every top-level S-expression of `text` (brackets [] read as parentheses)."""
    toks = tokenize(text, path)
    stack: list[list[Sexp]] = [[]]
    opened: list[tuple[int, int]] = []
    for tok, line, col in toks:
        if tok in "([":
            stack.append([])
            opened.append((line, col))
        elif tok in ")]":
            if len(stack) == 1:
                raise FPCoreError(f"{path}:{line}:{col}: error: unmatched {tok!r}; "
                                  "remove it or add the opening parenthesis")
            done = stack.pop()
            opened.pop()
            stack[-1].append(done)
        else:
            stack[-1].append(tok)
    if opened:
        line, col = opened[-1]
        raise FPCoreError(f"{path}:{line}:{col}: error: this parenthesis is never closed")
    return stack[0]


@dataclass
class Benchmark:
    """One FPCore: its arguments, properties (:name, :pre, ...) and body."""

    args: list[str]
    props: dict[str, Sexp]
    body: Sexp
    path: str = "<fpcore>"
    name: str = field(default="")


def parse_fpcore(text: str, path: str = "<fpcore>") -> Benchmark:
    """The single (FPCore (args) :prop value ... body) form of `text`."""
    forms = [f for f in read_all(text, path) if isinstance(f, list)]
    if len(forms) != 1 or not forms[0] or forms[0][0] != "FPCore":
        raise FPCoreError(f"{path}:1:1: error: expected exactly one (FPCore ...) form")
    form = forms[0]
    rest = form[1:]
    if rest and isinstance(rest[0], str):  # FPCore 2.0 allows a symbol before the args
        rest = rest[1:]
    if not rest or not isinstance(rest[0], list):
        raise FPCoreError(f"{path}:1:1: error: FPCore needs an argument list")
    args = [a for a in rest[0] if isinstance(a, str)]
    props: dict[str, Sexp] = {}
    i = 1
    while i + 1 < len(rest) and isinstance(rest[i], str) and str(rest[i]).startswith(":"):
        props[str(rest[i])] = rest[i + 1]
        i += 2
    if i != len(rest) - 1:
        raise FPCoreError(f"{path}:1:1: error: expected one body expression after the properties")
    name = props.get(":name", "")
    label = name[1:-1] if isinstance(name, str) and name.startswith('"') else str(name)
    return Benchmark(args, props, rest[i], path, label)


def number(tok: str) -> Fraction | None:
    """The exact rational a numeric token denotes, or None if it is not a number."""
    return Fraction(tok) if _NUMBER.match(tok) else None


def box(bench: Benchmark) -> dict[str, tuple[Fraction, Fraction, bool, bool]]:
    """Each bounded variable's (low, high, low strict?, high strict?) from :pre."""
    pre = bench.props.get(":pre")
    if pre is None:
        raise FPCoreError(f"{bench.path}: error: no :pre, so there is no input box to sample")
    conjuncts = pre[1:] if isinstance(pre, list) and pre and pre[0] == "and" else [pre]
    lo: dict[str, tuple[Fraction, bool]] = {}
    hi: dict[str, tuple[Fraction, bool]] = {}
    for c in conjuncts:
        if not (isinstance(c, list) and c and c[0] in ("<", "<=", ">", ">=")):
            raise FPCoreError(f"{bench.path}: error: :pre conjunct {c!r} is not an interval")
        op, terms = str(c[0]), list(c[1:])
        if op in (">", ">="):
            terms.reverse()
        strict = op in ("<", ">")
        for a, b in zip(terms, terms[1:]):
            if isinstance(a, str) and a in bench.args and isinstance(b, str) and number(b) is not None:
                hi[a] = (number(b), strict)  # type: ignore[assignment]
            elif isinstance(b, str) and b in bench.args and isinstance(a, str) and number(a) is not None:
                lo[b] = (number(a), strict)  # type: ignore[assignment]
            else:
                raise FPCoreError(f"{bench.path}: error: :pre compares {a!r} with {b!r}; "
                                  "only a variable against a number is supported")
    out = {}
    for v in bench.args:
        if v in lo and v in hi:
            out[v] = (lo[v][0], hi[v][0], lo[v][1], hi[v][1])
        elif v in lo or v in hi:
            raise FPCoreError(f"{bench.path}: error: {v} is bounded on one side only")
    return out


Env = dict[str, object]
Ops = dict[str, Callable[..., object]]


def _exact_ops() -> Ops:
    return {"+": lambda a, b: a + b, "-": lambda a, b=None: -a if b is None else a - b,
            "*": lambda a, b: a * b, "/": lambda a, b: a / b, "fabs": abs,
            "fmin": min, "fmax": max}


def _float_ops() -> Ops:
    return {"+": np.add, "-": lambda a, b=None: np.negative(a) if b is None else np.subtract(a, b),
            "*": np.multiply, "/": np.divide, "fabs": np.abs,
            "fmin": np.fmin, "fmax": np.fmax}


def evaluate(e: Sexp, env: Env, ops: Ops, const: Callable[[Fraction], object], path: str) -> object:
    """Value of expression `e`: `const` maps a literal's exact value to the domain."""
    if isinstance(e, str):
        if e in env:
            return env[e]
        n = number(e)
        if n is None:
            raise FPCoreError(f"{path}: error: unknown variable or constant {e!r}")
        return const(n)
    if not e:
        raise FPCoreError(f"{path}: error: empty expression ()")
    head = e[0]
    if head in ("let", "let*") and len(e) == 3 and isinstance(e[1], list):
        inner = dict(env)
        for binding in e[1]:
            if not (isinstance(binding, list) and len(binding) == 2 and isinstance(binding[0], str)):
                raise FPCoreError(f"{path}: error: bad let binding {binding!r}")
            scope = inner if head == "let*" else env
            inner[binding[0]] = evaluate(binding[1], scope, ops, const, path)
        return evaluate(e[2], inner, ops, const, path)
    if not isinstance(head, str) or head not in ops:
        raise FPCoreError(f"{path}: error: operation {head!r} is not supported by the sampler "
                          "(only + - * / fabs fmin fmax let let*)")
    args = [evaluate(a, env, ops, const, path) for a in e[1:]]
    return ops[head](*args)


def eval_exact(bench: Benchmark, inputs: dict[str, Fraction]) -> Fraction:
    """The real value of the body at `inputs`, computed exactly."""
    v = evaluate(bench.body, dict(inputs), _exact_ops(), lambda q: q, bench.path)
    assert isinstance(v, Fraction)
    return v


def eval_float(bench: Benchmark, inputs: dict[str, np.ndarray]) -> np.ndarray:
    """The binary64 value of the body, elementwise over arrays of inputs.

    Each operation is numpy's correctly rounded float64 operation, and each
    literal is the double nearest its exact value (float(Fraction) rounds correctly)."""
    with np.errstate(all="ignore"):
        v = evaluate(bench.body, dict(inputs), _float_ops(),
                     lambda q: np.float64(float(q)), bench.path)
    return np.asarray(v, dtype=np.float64)


def eval_extended(bench: Benchmark, inputs: dict[str, np.ndarray]) -> np.ndarray:
    """The body in numpy's long double: a cheap, approximate reference used only
    to pick which samples to evaluate exactly."""
    ld: Env = {k: v.astype(np.longdouble) for k, v in inputs.items()}
    with np.errstate(all="ignore"):
        v = evaluate(bench.body, ld, _float_ops(),
                     lambda q: np.longdouble(q.numerator) / np.longdouble(q.denominator),
                     bench.path)
    return np.asarray(v, dtype=np.longdouble)
