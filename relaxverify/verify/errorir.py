"""A small expression IR for round-off error bounds: exact formulas with explicit
rounding points, so the analysis need not know about the Relax language.

Sharing: a node object used twice is one computation (one set of error variables);
two equal but distinct objects are two computations.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Optional, Union

OPS = frozenset({"+", "-", "*", "/", "neg", "abs", "min", "max", "sqrt"})
ARITY = {"+": 2, "-": 2, "*": 2, "/": 2, "min": 2, "max": 2, "neg": 1, "abs": 1, "sqrt": 1}


@dataclass(frozen=True)
class Rounding:
    """z becomes z*(1+d)+e with |d| <= u and |e| <= eta, fresh d, e per operation."""
    u: Fraction
    eta: Fraction


BINARY64 = Rounding(Fraction(1, 2**53), Fraction(1, 2**1075))
BINARY32 = Rounding(Fraction(1, 2**24), Fraction(1, 2**150))
FLOAT16 = Rounding(Fraction(1, 2**11), Fraction(1, 2**25))
BFLOAT16 = Rounding(Fraction(1, 2**8), Fraction(1, 2**134))


@dataclass(frozen=True)
class Var:
    name: str


@dataclass(frozen=True)
class Const:
    value: Fraction


@dataclass(frozen=True)
class Op:
    op: str
    args: tuple["Expr", ...]
    rounding: Optional[Rounding] = None

    def __post_init__(self) -> None:
        if self.op not in OPS:
            raise ValueError(f"unknown operation {self.op!r}; use one of {sorted(OPS)}")
        if len(self.args) != ARITY[self.op]:
            raise ValueError(f"{self.op!r} takes {ARITY[self.op]} arguments, "
                             f"got {len(self.args)}")


@dataclass(frozen=True)
class Round:
    """Rounding of a value (e.g. a conversion to a narrower format)."""
    arg: "Expr"
    rounding: Rounding


Expr = Union[Var, Const, Op, Round]


def const(value: Union[int, str, Fraction]) -> Const:
    """An exact constant (a decimal string is read exactly)."""
    return Const(Fraction(value))


def float_const(value: Union[int, str, Fraction]) -> Const:
    """The constant as binary64 rounds it (what a float literal means in code)."""
    return Const(Fraction(float(Fraction(value))))
