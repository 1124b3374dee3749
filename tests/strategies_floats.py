"""Hypothesis strategies for float programs (LANGUAGE.md §9), for the soundness harness.

A float program has parameters and locals of the four float formats (and a few
`int` and `real` ones), finite inputs within a box that `requires` gives,
arithmetic `+ - * /` with literals (which the checker rounds), dotted operators,
conversions (`float32(e)`, `real(e)`, `floor`, `ceil`), comparisons, `sqrt` of
non-negative values, `abs`/`min`/`max`, memory regions with `in NAME`, a hardware
model with `precision F` on operators and regions, and `accept` clauses: bound
queries `accept abs(y<o> - y<r>) <= ?;` and fixed bounds.

Which harness checks use them is decided by the switches of strategies.py
(`FLOAT_DIFFERENTIAL`): the generator is always tested to make programs that
`relaxverify check` accepts.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional

from hypothesis import strategies as st

from strategies import Draws, FnMeta, GenProgram, Param

FLOATS = ("float64", "float32", "float16", "bfloat16")
LITERALS = ("0.5", "1.5", "2.0", "3.0", "0.25", "1.0", "0.75", "4.0")
DOTTED = ("+.", "-.", "*.", "/.")
CMP = ("<", "<=", ">", ">=", "==", "!=")


@dataclass
class FloatOptions:
    """What the float generator may use."""

    formats: tuple[str, ...] = FLOATS
    dotted: bool = True  # `+.` and friends on floats and reals
    hardware: bool = True  # a model with `precision F` and memory regions
    regions: bool = True  # `in NAME` on parameters and locals
    queries: bool = True  # `accept abs(y<o> - y<r>) <= ?;` and fixed bounds
    division: bool = True  # `/` and `/.` (a divisor may be zero: a division check)
    reals: bool = True  # `real` locals and parameters, `real(e)`
    max_stmts: int = 6
    box: int = 4  # float inputs lie in [-box, box]


class FloatBuilder(Draws):
    """Draws one float program; `draw` is hypothesis's draw function."""

    def __init__(self, draw: Callable, opts: FloatOptions):
        super().__init__(draw)
        self.opts = opts
        self.vars: dict[str, str] = {}  # readable name -> type
        self.locals: list[str] = []  # assignable
        self.regions: list[str] = []
        self.dotted_used = False

    def of(self, ty: str) -> list[str]:
        return [v for v, t in self.vars.items() if t == ty]

    # ------------------------------------------------------------ expressions

    def expr(self, ty: str, depth: int = 0) -> str:
        """An expression of type ty (a float format, "real" or "int")."""
        if ty == "int":
            return self.int_expr(depth)
        kinds = ["lit", "var", "var"]
        if depth < 2:
            kinds += ["arith", "arith", "arith", "convert", "builtin"]
            if ty != "real":
                kinds += ["sqrt"]
                if self.opts.reals:
                    kinds += ["via_real"]
        kind = self.pick(kinds)
        names = self.of(ty)
        if kind == "var" and names:
            return self.pick(names)
        if kind == "arith":
            ops = ["+", "-", "*"] + (["/"] if self.opts.division else [])
            op = self.pick(ops)
            if self.opts.dotted and self.chance(0.4):
                op += "."
                self.dotted_used = True
            a = self.expr(ty, depth + 1)
            b = self.pick(LITERALS) if self.chance(0.4) else self.expr(ty, depth + 1)
            return f"({a} {op} {b})"
        if kind == "via_real":  # a real formula (dotted: rounds under a precision)
            op = self.pick(("+", "-", "*"))
            if self.opts.dotted and self.chance(0.6):
                op += "."
                self.dotted_used = True
            return f"{ty}(real({self.expr(ty, depth + 1)}) {op} {self.pick(LITERALS)})"
        if kind == "convert":
            return self.convert(ty, depth)
        if kind == "builtin":
            fn = self.pick(("abs", "min", "max"))
            if fn == "abs":
                return f"abs({self.expr(ty, depth + 1)})"
            return f"{fn}({self.expr(ty, depth + 1)}, {self.expr(ty, depth + 1)})"
        if kind == "sqrt":  # of a non-negative value
            inner = self.expr(ty, depth + 1)
            arg = self.pick((f"abs({inner})", f"({inner} * {inner})"))
            return f"sqrt({arg})"
        lit = self.pick(LITERALS)
        lit = f"(-{lit})" if self.chance(0.2) else lit
        # A bare literal is `real` unless it is assigned or next to a float operand:
        # inside an expression it is converted (`(1.0 + 1.5)` would be real).
        return lit if depth == 0 or ty == "real" else f"{ty}({lit})"

    def convert(self, ty: str, depth: int) -> str:
        """ty from another type: `float32(e)` from a float, an int or a real; `real(e)`."""
        sources = [t for t in self.opts.formats if t != ty] + ["int"]
        if self.opts.reals and ty != "real":
            sources.append("real")
        src = self.pick(sources)
        return f"{ty}({self.expr(src, depth + 1)})"

    def int_expr(self, depth: int) -> str:
        kinds = ["lit", "var"]
        if depth < 2:
            kinds += ["round", "round", "round", "arith"]
        kind = self.pick(kinds)
        names = self.of("int")
        if kind == "var" and names:
            return self.pick(names)
        if kind == "round":
            src = self.pick(list(self.opts.formats) + (["real"] if self.opts.reals else []))
            return f"{self.pick(('floor', 'ceil'))}({self.expr(src, depth + 1)})"
        if kind == "arith":
            return f"({self.int_expr(depth + 1)} {self.pick(('+', '-'))} {self.int_expr(depth + 1)})"
        return str(self.draw(st.integers(-2, 4)))

    def cond(self) -> str:
        ty = self.pick(sorted({t for t in self.vars.values() if t != "int"})
                       or [self.opts.formats[0]])
        op = self.pick(CMP)
        if self.opts.dotted and self.chance(0.3):
            op += "."
            self.dotted_used = True
        return f"{self.expr(ty, 1)} {op} {self.expr(ty, 1)}"

    # ------------------------------------------------------------ statements

    def region(self) -> str:
        if self.opts.regions and self.regions and self.chance(0.3):
            return f" in {self.pick(self.regions)}"
        return ""

    def statement(self, out: list[str], ind: int, depth: int) -> None:
        pad = "  " * ind
        kinds = ["decl", "decl", "decl", "assign", "assign"] + (["if"] if depth < 1 else [])
        if self.opts.queries:
            kinds += ["accept"]
        kind = self.pick(kinds)
        if kind == "assign" and not self.locals:
            kind = "decl"
        if kind == "decl":
            ty = self.pick(list(self.opts.formats) * 2 + ["int"]
                           + (["real"] if self.opts.reals else []))
            name = self.fresh("v")
            out.append(f"{pad}var {name}: {ty}{self.region() if ty != 'int' else ''} = "
                       f"{self.expr(ty)};")
            if depth == 0:  # (one declared in a branch is not visible after it)
                self.vars[name] = ty
                self.locals.append(name)
        elif kind == "assign":
            x = self.pick(self.locals)
            out.append(f"{pad}{x} = {self.expr(self.vars[x])};")
        elif kind == "if":
            out.append(f"{pad}if ({self.cond()}) {{")
            self.branch(out, ind + 1)
            if self.chance(0.5):
                out.append(f"{pad}}} else {{")
                self.branch(out, ind + 1)
            out.append(f"{pad}}}")
        else:
            out.append(f"{pad}{self.accept()}")

    def branch(self, out: list[str], ind: int) -> None:
        for _ in range(self.draw(st.integers(1, 2))):
            if self.locals:
                x = self.pick(self.locals)
                out.append(f"{'  ' * ind}{x} = {self.expr(self.vars[x])};")
            else:
                self.statement(out, ind, 1)

    def accept(self) -> str:
        floats = [v for v, t in self.vars.items() if t != "int"]
        if not floats:
            return "accept true;"
        y = self.pick(floats)
        diff = f"{y}<o> - {y}<r>"
        form = self.pick(("query", "query", "bound", "relative", "eq"))
        if form == "query":
            return f"accept abs({diff}) <= ?;"
        if form == "bound":
            return f"accept abs({diff}) <= {self.pick(('0.001', '0.1', '1.0', '0.0'))};"
        if form == "relative":
            return f"accept abs({diff}) <= 0.01 * abs({y}<o>);"
        return f"accept eq({y});"

    # ------------------------------------------------------------ functions

    def hardware(self) -> str:
        """A model lowering precision: dotted operators with `precision F` (some
        also faulty), regions with a precision and/or read/write probabilities."""
        lines = ["hardware lowp {"]
        for op in DOTTED + ("<.",):
            if self.chance(0.7):
                prob = self.pick(("1", "0.999", "0.99"))
                prec = f" precision {self.pick(self.opts.formats)}" if self.chance(0.7) else ""
                lines.append(f"  operator {op} = {prob}{prec};")
        for k in range(self.draw(st.integers(1, 2)) if self.opts.regions else 0):
            name = f"mem{k}"
            parts = []
            if self.chance(0.5):
                parts.append(f"read = {self.pick(('0.999', '0.9999'))}")
            if self.chance(0.5):
                parts.append(f"write = {self.pick(('0.999', '0.9999'))}")
            if self.chance(0.8) or not parts:
                parts.append(f"precision {self.pick(self.opts.formats)}")
            lines.append(f"  memory {name} {' '.join(parts)};")
            self.regions.append(name)
        if self.chance(0.5):
            lines.append("  memory urel read = 0.9999 write = 0.9999;")
            if self.opts.regions:
                self.regions.append("urel")
        lines.append("}")
        return "\n".join(lines)

    def function(self) -> tuple[FnMeta, str]:
        box = self.opts.box
        params: list[Param] = []
        header, reqs = [], []
        for _ in range(self.draw(st.integers(1, 3))):
            ty = self.pick(list(self.opts.formats) * 3 + ["int"]
                           + (["real"] if self.opts.reals else []))
            name = self.fresh("x" if ty != "int" else "n")
            region = self.region()[4:] if ty != "int" else ""
            lo = -self.draw(st.integers(0, box))
            hi = lo + self.draw(st.integers(0, 2 * box))
            params.append(Param(name, lo=lo, hi=hi, urel=bool(region), base=ty,
                                region=region or None))
            header.append(f"{name}: {ty}{' in ' + region if region else ''}")
            num = (lambda v: str(v)) if ty == "int" else (lambda v: f"{v}.0")
            reqs.append(f"{num(lo)} <= {name} && {name} <= {num(hi)}")
            self.vars[name] = ty
        result = self.pick([p.base for p in params if p.base in self.opts.formats]
                           or [self.opts.formats[0]])
        lines = [f"fn main({', '.join(header)}) -> {result}",
                 "  requires " + " && ".join(reqs)]
        if self.chance(0.3):
            lines.append(f"  ensures abs(result) <= {self.pick(('10.0', '100.0', '1000.0'))}")
        lines.append("{")
        for _ in range(self.draw(st.integers(1, self.opts.max_stmts))):
            self.statement(lines, 1, 0)
        ret = self.expr(result)
        if self.opts.queries and self.chance(0.5):
            r = self.fresh("y")
            lines.append(f"  var {r}: {result} = {ret};")
            self.vars[r] = result
            lines.append(f"  accept abs({r}<o> - {r}<r>) <= "
                         f"{self.pick(('?', '?', '0.001', '0.5'))};")
            ret = r
        lines += [f"  return {ret};", "}"]
        return FnMeta("main", params, True), "\n".join(lines)


@st.composite
def float_programs(draw, opts: Optional[FloatOptions] = None) -> GenProgram:
    """A Relax file of one function `main` on floats, with a hardware model `lowp`
    (precisions and regions) most of the time."""
    opts = opts or FloatOptions()
    b = FloatBuilder(draw, opts)
    hw = b.hardware() if opts.hardware and b.chance(0.8) else None
    meta, text = b.function()
    source = (hw + "\n\n" if hw else "") + text + "\n"
    return GenProgram(source, [meta], "lowp" if hw else None,
                      unreliable=b.dotted_used or bool(b.regions))
