"""FPCore cores -> Relax text (docs/fpcore.md): each core becomes a function whose
original execution computes the formula in exact reals and whose relaxed execution,
on the emitted hardware model, evaluates each operation in the core's precision; its
accept is a bound query. A construct Relax lacks is reported, located, never guessed."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import PurePath
from typing import Optional

from relaxverify.fpcore.sexpr import Atom, Datum, FPCoreError, Problem, SList, read

# The spelling of Relax's identifiers and its keywords (LANGUAGE.md section 1, and v2's).
IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
KEYWORDS = frozenset("""
fn var const if else while repeat for in return skip relax havoc st assert assume
accept requires ensures requires_r ensures_r invariant invariant_r bound reliability
hardware operator memory urel read write error true false forall exists int real
bool result old eq len abs min max extern spec decreases then float64 float32 float16
bfloat16 sqrt exp log sin cos floor ceil precision faults at most
""".split())
DECNUM = re.compile(r"([+-]?)([0-9]+(?:\.[0-9]*)?|\.[0-9]+)((?:[eE][+-]?[0-9]+)?)\Z")
RATIONAL = re.compile(r"([+-]?)([0-9]+)/([0-9]*[1-9][0-9]*)\Z")
HEXNUM = re.compile(r"[+-]?0[xX]", re.I)

PRECISIONS = {"binary64": "float64", "binary32": "float32"}

# Expression precedence, loosest first (LANGUAGE.md section 5).
OR, AND, NOT, CMP, ADD, MUL, UNARY, ATOM = range(8)
ARITH = {"+": ADD, "-": ADD, "*": MUL, "/": MUL}
COMPARISONS = ("<", ">", "<=", ">=", "==", "!=")

_FLOAT_ONLY = "Relax has {op} only on float types, not on the exact reals the original " \
              "execution uses"
_NO_CONDITIONAL = "Relax expressions have no conditional; the body must be one " \
                  "straight-line real formula"
_NO_LOOPS = "the body must be one straight-line real formula; Relax's loops are " \
            "statements, and this importer does not translate FPCore loops"
REASONS: dict[str, str] = {
    **{op: _FLOAT_ONLY.format(op=op) for op in ("sqrt", "exp", "log", "sin", "cos")},
    "if": _NO_CONDITIONAL,
    **{op: _NO_LOOPS for op in ("while", "while*", "for", "for*")},
    **{op: "Relax has no tensors" for op in ("tensor", "tensor*", "array", "ref", "dim",
                                             "size")},
    "!": "Relax has no per-expression properties; only a whole core's `:precision` is "
         "translated",
    "cast": "Relax has no rounding operation on reals",
    "digits": "this importer does not translate `digits` numbers; write the number as "
              "a decimal",
    "fma": "Relax has no fused multiply-add, and `*.` then `+.` would round twice",
}
# forms whose operands are not plain expressions
SPECIAL_FORMS = frozenset("if while while* for for* tensor tensor* ! cast digits".split())
CONSTANTS = frozenset("E LOG2E LOG10E LN2 LN10 PI PI_2 PI_4 M_1_PI M_2_PI M_2_SQRTPI "
                      "SQRT2 SQRT1_2 INFINITY NAN".split())
BOOLEAN_OPS = frozenset(COMPARISONS) | {"and", "or", "not", "isfinite", "isinf", "isnan",
                                        "isnormal", "signbit"}


class Names:
    """Relax names for FPCore symbols: identifiers, no keyword, and none used twice
    (Relax forbids shadowing)."""

    def __init__(self, taken: Optional[set[str]] = None):
        self.taken: set[str] = set(taken or ())

    def fresh(self, wanted: str) -> str:
        name = re.sub(r"[^A-Za-z0-9_]", "_", wanted)
        if not name or name[0].isdigit():
            name = "v_" + name
        if name in KEYWORDS:
            name += "_"
        candidate, n = name, 1
        while candidate in self.taken:
            n += 1
            candidate = f"{name}_{n}"
        self.taken.add(candidate)
        return candidate


@dataclass
class Core:
    """One FPCore, read: its arguments, properties and body."""

    datum: SList
    args: list[Atom]
    props: dict[str, Datum]
    body: Optional[Datum]
    ident: Optional[str] = None

    def title(self) -> Optional[str]:
        name = self.props.get(":name")
        if isinstance(name, Atom) and name.string:
            return " ".join(name.text.split())
        return self.ident


@dataclass
class FileState:
    """What the cores of one file share: global names and the exact constants."""

    names: Names = field(default_factory=Names)
    consts: dict[Fraction, str] = field(default_factory=dict)
    const_lines: list[str] = field(default_factory=list)

    def rational(self, value: Fraction) -> str:
        """A `const` holding the exact rational `value`; one per value."""
        if value not in self.consts:
            name = self.names.fresh(f"C{len(self.consts) + 1}")
            self.consts[value] = name
            self.const_lines.append(f"const {name}: real = {value.numerator}.0 / "
                                    f"{value.denominator}.0;")
        return self.consts[value]


def translate_text(text: str, path: str) -> str:
    """The Relax translation of FPCore `text` (from `path`, named in messages and in
    the output's header). Raises FPCoreError, listing every unsupported construct of
    every core, if any core cannot be translated: then nothing is emitted."""
    try:
        data = read(text)
    except FPCoreError as exc:
        raise FPCoreError(path, exc.problems) from None
    try:
        return _translate(data, path)
    except RecursionError:
        raise FPCoreError(path, [Problem(1, 1, "the expressions are nested too deeply for "
                                         "this importer")]) from None


def _translate(data: list[Datum], path: str) -> str:
    problems: list[Problem] = []
    cores = [c for c in (_read_core(d, problems) for d in data) if c is not None]
    if not data:
        problems.append(Problem(1, 1, "the file holds no FPCore", "an FPCore file holds "
                                "forms like `(FPCore (x) :pre (<= 0 x 1) (* x x))`"))
    state = FileState()
    fn_names = [state.names.fresh(c.title() or f"fpcore{i}") for i, c in
                enumerate(cores, 1)]
    for r in _rationals(data):  # before the bodies, so no local name takes a const's
        state.rational(r)
    precisions = [_precision(c, problems) for c in cores]
    known = {p for p in precisions if p is not None}
    if len(known) > 1 and not problems:
        other = next(c for c, p in zip(cores, precisions) if p != precisions[0])
        problems.append(Problem(other.datum.line, other.datum.column, "the cores of this file use different precisions "
                                f"({', '.join(sorted(known))}); this importer emits one "
                                "hardware model per file", "split the file by precision"))
    functions = []
    for core, name, prec in zip(cores, fn_names, precisions):
        core_problems: list[Problem] = []
        fn = _Function(core, name, prec or "float64", state, core_problems).emit()
        problems.extend(core_problems)
        functions.append((core, fn))
    if problems:
        raise FPCoreError(path, sorted(problems, key=lambda p: (p.line, p.column)))
    return _assemble(functions, next(iter(known), "float64"), state, PurePath(path).name)


def _rationals(data: list[Datum]) -> list[Fraction]:
    """The values of the file's rational literals (`1/3`), in order."""
    out: list[Fraction] = []
    todo = list(reversed(data))
    while todo:
        d = todo.pop()
        if isinstance(d, SList):
            todo.extend(reversed(d.items))
        elif not d.string and (m := RATIONAL.match(d.text)):
            out.append(Fraction(int(m.group(2)), int(m.group(3))))
    return out


def _assemble(functions: list[tuple[Core, list[str]]], prec: str, state: FileState,
              file: str) -> str:
    one = len(functions) == 1
    title = functions[0][0].title() or "fpcore1" if one else None
    head = (f"// {title}: imported from {file} by `relaxverify fpcore`." if one else
            f"// {file}: {len(functions)} FPCores imported by `relaxverify fpcore`.")
    the = "the" if one else "each"
    out = [head,
           f"// The original execution computes {'the' if one else 'each'} formula in exact "
           "reals; the relaxed one",
           f"// evaluates each operation in {prec} (hardware model `{model_name(prec)}`); "
           f"{the} accept asks",
           "// for the largest difference.",
           f"hardware {model_name(prec)} {{"]
    out += [f"  operator {op}. = 1 precision {prec};" for op in "+-*/"]
    out.append("}")
    if state.const_lines:
        out += [""] + state.const_lines
    for core, fn in functions:
        out.append("")
        if not one:
            out.append(f"// {core.title() or 'FPCore'} (line {core.datum.line} of {file})")
        out += fn
    return "\n".join(out) + "\n"


def _read_core(d: Datum, problems: list[Problem]) -> Optional[Core]:
    """The core a top-level datum spells, or None (reported)."""
    if not (isinstance(d, SList) and d.items and isinstance(d.items[0], Atom)
            and d.items[0].text == "FPCore" and not d.items[0].string):
        problems.append(Problem(d.line, d.column, "expected `(FPCore (ARGS...) "
                                ":PROPERTY VALUE ... BODY)` here",
                                "an FPCore file holds only FPCore forms"))
        return None
    items = d.items[1:]
    ident = None
    if items and isinstance(items[0], Atom) and not items[0].string:
        ident = items[0].text
        items = items[1:]
    if not items or not isinstance(items[0], SList):
        problems.append(Problem(d.line, d.column, "this FPCore has no argument list",
                                "write the inputs after `FPCore`, e.g. `(FPCore (x y) ...)`"))
        return None
    args: list[Atom] = []
    for a in items[0].items:
        if isinstance(a, Atom) and not a.string:
            args.append(a)
        else:
            what = "`!`" if isinstance(a, SList) and a.items and isinstance(
                a.items[0], Atom) and a.items[0].text == "!" else "tensor argument"
            reason = REASONS["!"] if what == "`!`" else REASONS["tensor"]
            problems.append(Problem(a.line, a.column, f"FPCore {what} is not supported: "
                                    f"{reason}"))
            named = [i for i in (a.items if isinstance(a, SList) else ())
                     if isinstance(i, Atom) and not i.string]
            if named:  # still an argument, so its uses are not reported again
                args.append(named[-1] if what == "`!`" else named[0])
    props: dict[str, Datum] = {}
    rest = items[1:]
    while len(rest) >= 2 and isinstance(rest[0], Atom) and rest[0].text.startswith(":") \
            and not rest[0].string:
        props[rest[0].text] = rest[1]
        rest = rest[2:]
    if len(rest) != 1:
        at = rest[1] if len(rest) > 1 else d
        problems.append(Problem(at.line, at.column, "expected one body expression after the "
                                "properties" if rest else "this FPCore has no body",
                                "an FPCore is `(FPCore (ARGS...) :PROP VALUE ... BODY)`"))
        return None
    return Core(d, args, props, rest[0], ident)


def _precision(core: Core, problems: list[Problem]) -> Optional[str]:
    """The Relax float type of the core's `:precision` (binary64 when absent)."""
    rnd = core.props.get(":round")
    if rnd is not None and not (isinstance(rnd, Atom) and rnd.text == "nearestEven"):
        problems.append(Problem(rnd.line, rnd.column, "FPCore `:round` other than "
                                "`nearestEven` is not supported: Relax's float operations "
                                "round to nearest, ties to even"))
    p = core.props.get(":precision")
    if p is None:
        return "float64"
    if isinstance(p, Atom) and p.text in PRECISIONS:
        return PRECISIONS[p.text]
    text = p.text if isinstance(p, Atom) else "(...)"
    problems.append(Problem(p.line, p.column, f"FPCore `:precision {text}` is not "
                            "supported: Relax's formats here are binary64 (float64) and "
                            "binary32 (float32)"))
    return None


@dataclass
class Expr:
    """Relax text and its precedence (how tightly it binds)."""

    text: str
    prec: int


class _Function:
    """The Relax function of one core."""

    def __init__(self, core: Core, name: str, prec: str, state: FileState,
                 problems: list[Problem]):
        self.core, self.name, self.prec, self.state = core, name, prec, state
        self.problems = problems
        self.names = Names(state.names.taken)
        self.params: dict[str, str] = {}  # FPCore argument -> Relax parameter
        self.stmts: list[str] = []

    def unsupported(self, at: Datum, message: str, note: Optional[str] = None) -> Expr:
        self.problems.append(Problem(at.line, at.column, message, note))
        return Expr("0.0", ATOM)

    def emit(self) -> list[str]:
        for a in self.core.args:
            self.params[a.text] = self.names.fresh(a.text)
        requires = self.requires()
        env = {fp: Expr(f"real({rx})", ATOM) for fp, rx in self.params.items()}
        assert self.core.body is not None
        result = self.body(self.core.body, env)
        out = self.names.fresh("out")
        sig = ", ".join(f"{rx}: {self.prec}" for rx in self.params.values())
        lines = [f"fn {self.name}({sig}) -> real"]
        lines += [f"  requires {r}" for r in requires]
        lines.append("{")
        lines += [f"  {s}" for s in self.stmts]
        lines.append(f"  var {out}: real = {result.text};")
        lines.append(f"  accept abs({out}<o> - {out}<r>) <= ?;")
        lines.append(f"  return {out};")
        lines.append("}")
        return lines

    # ------------------------------------------------------------------ the body

    def body(self, d: Datum, env: dict[str, Expr]) -> Expr:
        """The real-valued expression `d`, with dotted (relaxable) operators."""
        if isinstance(d, Atom):
            return self.atom(d, env, real=True)
        if not d.items:
            return self.unsupported(d, "an empty list `()` is not an FPCore expression")
        head = d.items[0]
        if not isinstance(head, Atom) or head.string:
            return self.unsupported(d, "expected an operator after `(`")
        op, args = head.text, d.items[1:]
        if op in ("let", "let*"):
            return self.let(d, op == "let*", env)
        if op in ARITH:
            return self.arith(d, op, [self.body(a, env) for a in args], dotted=True)
        if op in ("fabs", "fmin", "fmax", "floor", "ceil"):
            return self.builtin(d, op, [self.body(a, env) for a in args])
        if op not in SPECIAL_FORMS:  # its arguments' problems are reported too
            for a in args:
                self.body(a, env)
        return self.unknown(head, op)

    def unknown(self, head: Atom, op: str, in_pre: bool = False) -> Expr:
        if op in REASONS:
            return self.unsupported(head, f"FPCore `{op}` is not supported: {REASONS[op]}")
        if in_pre and op in BOOLEAN_OPS:
            return self.unsupported(head, f"FPCore `{op}` with these arguments is not "
                                    "supported in `:pre`", "the supported conditions are "
                                    "comparisons (2 or more arguments), and, or, not")
        if op in BOOLEAN_OPS:
            return self.unsupported(head, f"FPCore `{op}` is not supported in the body: "
                                    "the body must be a real-valued formula (comparisons "
                                    "and logic belong in `:pre`)")
        return self.unsupported(head, f"FPCore `{op}` is not supported: Relax has no `{op}` "
                                "on reals", "the supported operations are + - * / fabs "
                                "fmin fmax floor ceil and let/let*")

    def atom(self, a: Atom, env: dict[str, Expr], real: bool) -> Expr:
        """A number (as a real literal if `real`, else as written) or a variable."""
        if a.string:
            return self.unsupported(a, f'a string "{a.text}" is not an FPCore expression')
        number = self.number(a, real)
        if number is not None:
            return number
        if a.text in env:
            return env[a.text]
        if a.text in CONSTANTS or a.text in ("TRUE", "FALSE"):
            return self.unsupported(a, f"FPCore constant `{a.text}` is not supported: Relax "
                                    "has only rational literals (and booleans only in `:pre`)")
        return self.unsupported(a, f"`{a.text}` is not an argument or a `let` variable of "
                                "this FPCore")

    def number(self, a: Atom, real: bool) -> Optional[Expr]:
        m = DECNUM.match(a.text)
        if m:
            sign, mant, exp = m.groups()
            if mant.startswith("."):
                mant = "0" + mant
            if mant.endswith("."):
                mant += "0"
            if real and "." not in mant and not exp:
                mant += ".0"
            return Expr(f"-{mant}{exp}", UNARY) if sign == "-" else Expr(mant + exp, ATOM)
        m = RATIONAL.match(a.text)
        if m:
            sign, num, den = m.groups()
            value = Fraction(int(num), int(den))
            name = self.state.rational(value)
            self.names.taken.add(name)
            return Expr(f"-{name}", UNARY) if sign == "-" else Expr(name, ATOM)
        if HEXNUM.match(a.text):
            return self.unsupported(a, f"FPCore hexadecimal number `{a.text}` is not "
                                    "supported", "write it as a decimal")
        return None

    def let(self, d: SList, sequential: bool, env: dict[str, Expr]) -> Expr:
        form = "let*" if sequential else "let"
        if len(d.items) != 3 or not isinstance(d.items[1], SList):
            return self.unsupported(d, f"expected `({form} ([NAME EXPR] ...) BODY)`")
        inner = dict(env)
        for b in d.items[1].items:
            if not (isinstance(b, SList) and len(b.items) == 2 and isinstance(b.items[0], Atom)
                    and not b.items[0].string):
                self.unsupported(b, f"expected a `{form}` binding `[NAME EXPR]`")
                continue
            value = self.body(b.items[1], inner if sequential else env)
            name = self.names.fresh(b.items[0].text)
            self.stmts.append(f"var {name}: real = {value.text};")
            inner[b.items[0].text] = Expr(name, ATOM)
        return self.body(d.items[2], inner)

    def arith(self, d: SList, op: str, args: list[Expr], dotted: bool) -> Expr:
        if op == "-" and len(args) == 1:
            return Expr(f"-{wrap(args[0], UNARY + 1)}", UNARY)
        if len(args) != 2:
            return self.unsupported(d, f"FPCore `{op}` takes 2 arguments, here it has "
                                    f"{len(args)}")
        prec = ARITH[op]
        left, right = args
        # a quotient's operands are parenthesised unless atoms, for readability
        left_min = ATOM if op == "/" and left.prec < UNARY else prec
        right_min = prec + 1 if right.prec != UNARY else ATOM
        sym = op + "." if dotted else op
        return Expr(f"{wrap(left, left_min)} {sym} {wrap(right, right_min)}", prec)

    def builtin(self, d: SList, op: str, args: list[Expr]) -> Expr:
        want = 1 if op in ("fabs", "floor", "ceil") else 2
        if len(args) != want:
            return self.unsupported(d, f"FPCore `{op}` takes {want} argument(s), here it "
                                    f"has {len(args)}")
        inner = ", ".join(a.text for a in args)
        if op in ("floor", "ceil"):
            return Expr(f"real({op}({inner}))", ATOM)
        return Expr(f"{ {'fabs': 'abs', 'fmin': 'min', 'fmax': 'max'}[op]}({inner})", ATOM)

    # ------------------------------------------------------------------ the precondition

    def requires(self) -> list[str]:
        pre = self.core.props.get(":pre")
        if pre is None:
            return []
        out: list[str] = []
        todo = [pre]
        while todo:  # the conjuncts of nested `and`s, one `requires` each
            d = todo.pop(0)
            if (isinstance(d, SList) and d.items and isinstance(d.items[0], Atom)
                    and d.items[0].text == "and"):
                todo = d.items[1:] + todo
            else:
                out.append(self.condition(d).text)
        return out

    def condition(self, d: Datum) -> Expr:
        """A boolean `:pre` expression; exact arithmetic on the inputs read as reals."""
        if isinstance(d, Atom):
            if d.text in ("TRUE", "FALSE") and not d.string:
                return Expr(d.text.lower(), ATOM)
            return self.unsupported(d, "expected a condition (a comparison, `and`, `or`, "
                                    "`not`) in `:pre`")
        head = d.items[0] if d.items else None
        if not isinstance(head, Atom) or head.string:
            return self.unsupported(d, "expected a condition in `:pre`")
        op, args = head.text, d.items[1:]
        if op in ("and", "or"):
            if not args:
                return Expr("true" if op == "and" else "false", ATOM)
            level = AND if op == "and" else OR
            # `&&` inside `||` parenthesised, for the reader
            conds = [self.condition(a) for a in args]
            parts = [wrap(c, ATOM if op == "or" and c.prec == AND else level + 1)
                     for c in conds]
            return Expr(f" {'&&' if op == 'and' else '||'} ".join(parts), level)
        if op == "not" and len(args) == 1:
            return Expr(f"!{wrap(self.condition(args[0]), ATOM)}", NOT)
        if op in COMPARISONS and len(args) >= 2:
            return self.comparison(op, args)
        if op in ("let", "let*"):
            return self.unsupported(head, f"FPCore `{op}` in `:pre` is not supported",
                                    "write the bound values into the conditions")
        if op in ARITH or op in ("fabs", "fmin", "fmax", "floor", "ceil"):
            return self.unsupported(head, f"`{op}` in `:pre` must be inside a comparison, "
                                    "e.g. `(<= 0 x 1)`")
        return self.unknown(head, op, in_pre=True)

    def comparison(self, op: str, args: list[Datum]) -> Expr:
        # atoms as written (`-100 <= u <= 100`: a literal beside a float denotes its
        # rounding, as FPBench evaluates `:pre` in the core's precision); anything else
        # in exact real arithmetic
        simple = all(isinstance(a, Atom) for a in args)
        bare = {fp: Expr(rx, ATOM) for fp, rx in self.params.items()}
        exact = {fp: Expr(f"real({rx})", ATOM) for fp, rx in self.params.items()}
        parts = [self.atom(a, bare, real=False) if simple and isinstance(a, Atom)
                 else self.exact(a, exact) for a in args]
        texts = [wrap(p, ADD) for p in parts]
        if op == "!=" and len(texts) > 2:  # FPCore: pairwise distinct
            pairs = [f"{a} != {b}" for i, a in enumerate(texts) for b in texts[i + 1:]]
            return Expr(" && ".join(pairs), AND)
        return Expr(f" {op} ".join(texts), CMP)

    def exact(self, d: Datum, env: dict[str, Expr]) -> Expr:
        """An arithmetic `:pre` operand, exact (specifications are)."""
        if isinstance(d, Atom):
            return self.atom(d, env, real=True)
        head = d.items[0] if d.items else None
        if not isinstance(head, Atom) or head.string:
            return self.unsupported(d, "expected an arithmetic expression")
        op, args = head.text, d.items[1:]
        if op in ARITH:
            return self.arith(d, op, [self.exact(a, env) for a in args], dotted=False)
        if op in ("fabs", "fmin", "fmax", "floor", "ceil"):
            return self.builtin(d, op, [self.exact(a, env) for a in args])
        if op in ("let", "let*"):
            return self.unsupported(head, f"FPCore `{op}` in `:pre` is not supported",
                                    "write the bound values into the conditions")
        return self.unknown(head, op)


def wrap(e: Expr, at_least: int) -> str:
    """`e`'s text, parenthesised unless it binds at least as tightly as `at_least`."""
    return e.text if e.prec >= at_least else f"({e.text})"


def model_name(prec: str) -> str:
    """The hardware model of a format: `fp64` for float64 (a format's own name is a
    keyword, so it cannot name a model)."""
    return "fp" + prec.removeprefix("float")
