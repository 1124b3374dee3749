"""Constants: the values of `const` declarations and of the constant expressions that
`repeat` counts, hardware probabilities and reliability factors need
(docs/language-decisions.md, "Names and scopes" and "Types").

Reals are exact rationals, so a literal's exponent is bounded: `1e999999999` would take
hours to expand."""
from __future__ import annotations

from fractions import Fraction
from typing import Optional

from relaxverify.check.context import Sink
from relaxverify.check.typerules import Value, const_type, conversion_hint, is_int_literal, tstr
from relaxverify.core.nodes import INT, REAL, Type
from relaxverify.syntax import ast as A

MAX_EXPONENT = 10_000  # of a real literal, either way; far beyond any float (1e308)


def real_literal(e: A.RealLit, sink: Sink) -> Optional[Fraction]:
    """The literal's exact value, or None (reported) if its exponent is too large."""
    _mantissa, _, exponent = e.text.lower().partition("e")
    digits = exponent.lstrip("+-").lstrip("0")
    if len(digits) > len(str(MAX_EXPONENT)) or (digits and int(digits) > MAX_EXPONENT):
        sink.err(f"the exponent of `{e.text[:40]}` is too large for this tool "
                 f"(at most {MAX_EXPONENT} either way)", e.span, "limit")
        return None
    return Fraction(e.text)


class Constants:
    """The file's constants, each evaluated on first use, so they may be declared in
    any order; a value that could not be computed (reported) is None."""

    def __init__(self, sink: Sink):
        self.sink = sink
        self.decls: dict[str, A.Const] = {}
        self.values: dict[str, Optional[Value]] = {}
        self._evaluating: list[str] = []

    def __contains__(self, name: str) -> bool:
        return name in self.decls

    def names(self) -> list[str]:
        return list(self.decls)

    def line(self, name: str) -> int:
        """The line `name` is declared on."""
        return self.decls[name].span.line

    def known(self) -> dict[str, Value]:
        """The values computed so far (all of them once the file has been checked)."""
        return {name: v for name, v in self.values.items() if v is not None}

    def value(self, name: str, span: A.Span) -> Optional[Value]:
        """The value of constant `name`, used at `span`."""
        if name in self.values:
            return self.values[name]
        decl = self.decls[name]
        if name in self._evaluating:
            self.sink.err(f"constant `{name}` is defined in terms of itself", span, "constant",
                          "constants may refer to other constants, but not in a cycle")
            return None
        self._evaluating.append(name)
        value = self.evaluate(decl.value, f"the value of constant `{name}`")
        self._evaluating.pop()
        if value is not None:
            value = self._as_declared(decl, value)
        self.values[name] = value
        return value

    def _as_declared(self, decl: A.Const, value: Value) -> Optional[Value]:
        want = Type(decl.type.base, decl.type.array, decl.type.dims)
        if want.array:
            self.sink.err("constants cannot be arrays", decl.span, "constant")
            return None
        if want == REAL and const_type(value) == INT and is_int_literal(decl.value):
            return Fraction(value)
        if const_type(value) != want:
            self.sink.err(f"constant `{decl.name}` is declared {tstr(want)} but its value is "
                          f"{tstr(const_type(value))}", decl.value.span, "type",
                          conversion_hint(want, const_type(value)))
            return None
        return value

    def evaluate(self, e: A.Expr, what: str, allow_names: bool = True,
                 reals: bool = False) -> Optional[Value]:
        """Evaluate a constant expression: literals, constants, + - * / % and unary -.
        With `reals`, every number is a real (probabilities: `1/4` is 0.25, not 0).
        Returns None (after reporting) if `e` is not a constant expression."""
        if isinstance(e, A.IntLit):
            return Fraction(e.value) if reals else e.value
        if isinstance(e, A.RealLit):
            return real_literal(e, self.sink)
        if isinstance(e, A.BoolLit):
            return e.value
        if isinstance(e, A.Name) and allow_names and e.ident in self.decls:
            value = self.value(e.ident, e.span)
            if value is not None and reals and const_type(value) == INT:
                return Fraction(value)
            return value
        if isinstance(e, A.Unary):
            return self._unary(e, self.evaluate(e.operand, what, allow_names, reals))
        if isinstance(e, A.Binary) and e.op in ("+", "-", "*", "/", "%"):
            a = self.evaluate(e.left, what, allow_names, reals)
            b = self.evaluate(e.right, what, allow_names, reals)
            if a is None or b is None:
                return None
            return self._arith(e, a, b)
        if allow_names:
            self.sink.err(f"{what} must be a constant expression (literals, constants and "
                          "+ - * /)", e.span, "constant",
                          "a variable, call or unreliable operator cannot appear here")
        else:  # a probability: the language allows real literals only (no names)
            self.sink.err(f"{what} must be a constant expression (literals and + - * /)",
                          e.span, "constant", "names, even of constants, calls and unreliable "
                          "operators cannot appear here")
        return None

    def _unary(self, e: A.Unary, v: Optional[Value]) -> Optional[Value]:
        if v is None:
            return None
        if e.op == "-" and not isinstance(v, bool):
            return -v
        if e.op == "!" and isinstance(v, bool):
            return not v
        self.sink.err(f"`{e.op}` cannot be applied to {tstr(const_type(v))}", e.span)
        return None

    def _arith(self, e: A.Binary, a: Value, b: Value) -> Optional[Value]:
        if isinstance(a, bool) or isinstance(b, bool):
            self.sink.err(f"`{e.op}` needs numbers", e.span)
            return None
        if e.op in ("/", "%") and b == 0:
            self.sink.err("division by zero in a constant expression", e.span, "constant")
            return None
        both_int = isinstance(a, int) and isinstance(b, int)
        if e.op == "%" and not both_int:
            self.sink.err("`%` needs two ints", e.span)
            return None
        if e.op == "/":
            return a // b if both_int else Fraction(a) / Fraction(b)
        if e.op == "%":
            return a % b
        return a + b if e.op == "+" else a - b if e.op == "-" else a * b
