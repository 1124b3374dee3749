"""The parser: precedence, chains, quantifier extent, adornment tokens, spans, errors."""
from __future__ import annotations

import pytest

from relaxverify.syntax import ast as A
from relaxverify.report.diagnostics import RelaxError
from relaxverify.syntax.parser import parse


def sexpr(e) -> str:
    """A compact, fully parenthesised rendering of an expression."""
    if isinstance(e, A.Name):
        return e.ident
    if isinstance(e, A.IntLit):
        return str(e.value)
    if isinstance(e, A.RealLit):
        return e.text
    if isinstance(e, A.BoolLit):
        return str(e.value).lower()
    if isinstance(e, A.ResultRef):
        return "result"
    if isinstance(e, A.Unary):
        return f"({e.op} {sexpr(e.operand)})"
    if isinstance(e, A.Binary):
        return f"({e.op} {sexpr(e.left)} {sexpr(e.right)})"
    if isinstance(e, A.Chain):
        parts = [sexpr(e.operands[0])]
        for op, x in zip(e.ops, e.operands[1:]):
            parts += [op, sexpr(x)]
        return "(chain " + " ".join(parts) + ")"
    if isinstance(e, A.Index):
        return f"{sexpr(e.array)}[{sexpr(e.index)}]"
    if isinstance(e, A.Adorned):
        return f"{sexpr(e.operand)}<{e.side}>"
    if isinstance(e, A.Builtin):
        return f"{e.name}(" + ", ".join(sexpr(a) for a in e.args) + ")"
    if isinstance(e, A.CallExpr):
        return f"call {e.callee}(" + ", ".join(sexpr(a) for a in e.args) + ")"
    if isinstance(e, A.Quant):
        return f"({e.kind} {e.var} {sexpr(e.body)})"
    raise AssertionError(e)


def expr(text: str):
    program = parse(f"fn f() {{ assert {text}; }}", "t.relax")
    return program.decls[0].body[0].cond


@pytest.mark.parametrize("text, tree", [
    ("a + b * c", "(+ a (* b c))"),
    ("a - b - c", "(- (- a b) c)"),
    ("a * b / c % d", "(% (/ (* a b) c) d)"),
    ("a ==> b ==> c", "(==> a (==> b c))"),
    ("a <==> b <==> c", "(<==> (<==> a b) c)"),
    ("a || b && c", "(|| a (&& b c))"),
    ("a ==> b || c <==> d", "(<==> (==> a (|| b c)) d)"),
    ("!a && b", "(&& (! a) b)"),
    ("!a < b", "(! (chain a < b))"),
    ("!a + 1 < b || c", "(|| (! (chain (+ a 1) < b)) c)"),
    ("!!a", "(! (! a))"),
    ("-a * b", "(* (- a) b)"),
    ("- -a", "(- (- a))"),
    ("a - -b", "(- a (- b))"),
    ("-a[i]", "(- a[i])"),
    ("0 <= i < n", "(chain 0 <= i < n)"),
    ("0 <= i < n && b", "(&& (chain 0 <= i < n) b)"),
    ("a + 1 == b * 2", "(chain (+ a 1) == (* b 2))"),
    ("(a < b) == c", "(chain (chain a < b) == c)"),
    ("forall i: int :: P && Q", "(forall i (&& P Q))"),
    ("a && forall i: int :: P ==> Q", "(&& a (forall i (==> P Q)))"),
    ("(forall i: int :: P) && Q", "(&& (forall i P) Q)"),
    ("forall i: int :: !P && Q", "(forall i (&& (! P) Q))"),
    ("exists j: real :: forall i: int :: i < j", "(exists j (forall i (chain i < j)))"),
    ("x<o> < y<r>", "(chain x<o> < y<r>)"),
    ("x < o", "(chain x < o)"),
    ("x<o>y", None),
    ("a<o>[i] == a<r>[i]", "(chain a<o>[i] == a<r>[i])"),
    ("(x + y)<r> == 1", "(chain (+ x y)<r> == 1)"),
    ("result<o> == result<r>", "(chain result<o> == result<r>)"),
    ("a +. b *. c -. d", "(-. (+. a (*. b c)) d)"),
    ("a <. b", "(chain a <. b)"),
    ("x<.y", "(chain x <. y)"),
    ("a ==. b", "(chain a ==. b)"),
    ("len(a) + abs(-x) + min(1, 2) + max(x, y) + real(n)",
     "(+ (+ (+ (+ len(a) abs((- x))) min(1, 2)) max(x, y)) real(n))"),
    ("eq(x, y)", "eq(x, y)"),
    ("old(x) + 1", "(+ old(x) 1)"),
    ("3.0 + 0.5 + 1e-7 + 2.5E3", "(+ (+ (+ 3.0 0.5) 1e-7) 2.5E3)"),
    ("f(1, x)", "call f(1, x)"),
    ("true != false", "(chain true != false)"),
])
def test_expression_trees(text: str, tree) -> None:
    if tree is None:
        with pytest.raises(RelaxError):
            expr(text)
    else:
        assert sexpr(expr(text)) == tree


def test_statement_spans_and_kinds() -> None:
    src = """fn f(a: int[], n: int) -> int
  requires 0 <= n
{
  var x: int = 0;   // a comment after a statement
  /* a comment
     over two lines */ x = x + 1;
  for i in 0..n invariant 0 <= i { a2(i); }
  return x;
}"""
    program = parse(src, "s.relax")
    fn = program.decls[0]
    decl, assign, loop, ret = fn.body
    assert isinstance(decl, A.VarDecl) and (decl.span.line, decl.span.column) == (4, 3)
    assert (decl.span.end_line, decl.span.end_column) == (4, 18)
    assert isinstance(assign, A.Assign) and (assign.span.line, assign.span.column) == (6, 24)
    assert isinstance(loop, A.For) and sexpr(loop.lo) == "0" and sexpr(loop.hi) == "n"
    assert isinstance(loop.body[0], A.CallStmt) and loop.body[0].call.callee == "a2"
    assert isinstance(ret, A.Return) and ret.span.line == 8
    assert fn.name_span.column == 4 and fn.span.end_line == 9


def test_division_after_operand_is_not_a_comment() -> None:
    assert sexpr(expr("a / b // then a comment\n > 0")) == "(chain (/ a b) > 0)"


def test_hardware_and_reliability_syntax() -> None:
    program = parse("""
hardware h {
  operator +. = 1 - 1e-4;
  operator *. = 0.999 error 0.5;
  memory urel read = 1 - 1e-7 write = 1 - 1e-5;
}
fn f(x: real in urel) -> real
  reliability R(result) >= 0.99 * 0.5 * R(x)
{ return x +. 1.0; }""", "h.relax")
    hw, fn = program.decls
    assert [e.op for e in hw.entries[:2]] == ["+.", "*."]
    assert sexpr(hw.entries[1].error) == "0.5"
    assert [a[0] for a in hw.entries[2].access] == ["read", "write"]
    spec = fn.reliability[0]
    assert spec.target == ["result"] and spec.inputs == ["x"]
    assert [sexpr(f) for f in spec.factors] == ["0.99", "0.5"]
    assert fn.params[0].urel


def test_several_syntax_errors_reported_in_one_run() -> None:
    src = "fn a() { x = ; }\nfn b() { skip; }\nfn c() { y = 1 }\n"
    with pytest.raises(RelaxError) as info:
        parse(src, "e.relax")
    lines = [(d.span.line, d.message) for d in info.value.diagnostics]
    assert lines == [(1, "unexpected `;`; expected one of `!`, `(`, `-`, `abs`, `bfloat16`, "
                         "`ceil`, `cos`, `eq`, ..."), (3, "missing `;` at the end of the statement")]


def test_recovery_does_not_resume_inside_a_block_comment() -> None:
    src = "fn a() { x = ; }\n/*\nfn old() { skip; }\n*/\nfn c() { y = 1 }\n"
    with pytest.raises(RelaxError) as info:
        parse(src, "e.relax")
    assert [d.span.line for d in info.value.diagnostics] == [1, 5]


def test_a_reliability_factor_with_arithmetic_says_how_to_write_it() -> None:
    src = "fn f(x: real) -> real\n  reliability R(result) >= 1 - 1e-4 * R(x)\n{ return x; }"
    with pytest.raises(RelaxError) as info:
        parse(src, "e.relax")
    [d] = info.value.diagnostics
    assert (d.span.line, d.span.column, d.message) == (2, 30, "unexpected `-`")
    assert "write `0.9999`, not `1 - 1e-4`" in d.notes[0]


@pytest.mark.parametrize("src, line, col, message", [
    ("fn f() { var x: int = 1 @ 2; }", 1, 25, "unexpected character `@`"),
    ("fn f() {\n  skip;\n", 3, 1, "unexpected end of file"),
    ("fn f() { /* never closed", 1, 10, "this comment is never closed"),
    ("fn f() { var while: int; }", 1, 14, "unexpected `while`; expected a name"),
    ("fn f() { x = 1 }", 1, 15, "missing `;`"),
    ("fn f() { skip; }}", 1, 17, "unexpected `}`"),
    ("fn f() { \x00 }", 1, 10, "unexpected character `U+0000`"),
])
def test_syntax_error_locations(src: str, line: int, col: int, message: str) -> None:
    with pytest.raises(RelaxError) as info:
        parse(src, "e.relax")
    d = info.value.diagnostics[0]
    assert (d.span.line, d.span.column) == (line, col)
    assert d.message.startswith(message), d.message
