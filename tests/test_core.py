"""Lowering to the core language: desugaring and typing decisions the consumers rely on."""
from __future__ import annotations

from fractions import Fraction
from typing import get_args

from relaxverify.core import nodes as C
from relaxverify.check import exprs, stmts
from relaxverify.check.checker import check
from relaxverify.syntax import ast as A
from relaxverify.syntax.parser import parse


def lower(src: str) -> C.Program:
    return check(parse(src, "t.relax"))


def test_for_becomes_counted_loop_with_constant_trips() -> None:
    fn = lower("fn f(a: int[]) { for i in 2 .. 5 { skip; } }").functions["f"]
    init, loop = fn.body
    assert isinstance(init, C.Assign) and init.var is loop.counter and init.value.value == 2
    assert isinstance(loop, C.Loop) and loop.kind == "for" and loop.trips == 3
    assert loop.counter.source == "i" and loop.counter.kind == "counter"
    step = loop.body[-1]
    assert isinstance(step, C.Assign) and step.var is loop.counter
    assert loop.auto_invariants and not loop.invariants


def test_for_with_variable_bounds_evaluates_them_once() -> None:
    fn = lower("fn f(a: int[]) { for i in 0 .. len(a) { skip; } }").functions["f"]
    hi, init, loop = fn.body
    assert isinstance(hi, C.Assign) and hi.var.kind == "ghost"
    assert loop.trips is None
    assert isinstance(loop.cond, C.BinOp) and loop.cond.right.var is hi.var


def test_repeat_runs_in_lockstep() -> None:
    fn = lower("const N: int = 4; fn f() { repeat (N - 1) { skip; } }").functions["f"]
    _init, loop = fn.body
    assert loop.kind == "repeat" and loop.trips == 3
    inv = loop.auto_invariants_r[0]
    assert isinstance(inv, C.BinOp) and (inv.left.side, inv.right.side) == ("o", "r")


def test_else_if_nests_and_chains_conjoin() -> None:
    fn = lower("""fn f(x: int) -> int {
      var y: int = 0;
      if (0 <= x < 10) { y = 1; } else if (x < 0) { y = 2; } else { y = 3; }
      return y;
    }""").functions["f"]
    branch = fn.body[1]
    assert isinstance(branch, C.If)
    assert branch.cond.op == "&&" and branch.cond.left.op == "<=" and branch.cond.right.op == "<"
    inner = branch.orelse[0]
    assert isinstance(inner, C.If) and inner.orelse[0].value.value == 3
    assert isinstance(fn.body[-1], C.Assign) and fn.body[-1].var is fn.result


def test_literals_constants_and_unreliable_operators() -> None:
    program = lower("""const K: real = 2; const M: int = 7 / -2;
    fn f(x: real in urel) -> real { return x +. 1 * K; }""")
    assert program.consts == {"K": Fraction(2), "M": -4}
    ret = program.functions["f"].body[-1].value
    assert isinstance(ret, C.BinOp) and ret.op == "+" and ret.unreliable
    assert ret.left.var.urel
    prod = ret.right
    assert isinstance(prod.left, C.Const) and prod.left.value == Fraction(1) and prod.left.ty == C.REAL
    assert prod.right.value == Fraction(2)


def test_default_relational_precondition_is_eq_of_parameters() -> None:
    fn = lower("fn f(x: int, a: real[]) { skip; }").functions["f"]
    assert fn.requires_r_default
    sides = [(e.left.var.source, e.left.side, e.right.side) for e in fn.requires_r]
    assert sides == [("x", "o", "r"), ("a", "o", "r")]


def test_adornments_are_pushed_to_variables_and_eq_expands() -> None:
    fn = lower("""fn f(x: int, y: int) { accept (x + y)<r> == x<o> && eq(y); }""").functions["f"]
    cond = fn.body[0].cond
    lhs = cond.left.left
    assert (lhs.left.side, lhs.right.side) == ("r", "r")
    assert (cond.right.left.side, cond.right.right.side) == ("o", "r")


def test_names_are_unique_per_function_but_keep_source_names() -> None:
    fn = lower("""fn f(b: bool) {
      if (b) { var t: int = 1; } else { var t: real = 2.0; }
    }""").functions["f"]
    names = [(v.name, v.source, str(v.type)) for v in fn.locals]
    assert names == [("t", "t", "int"), ("t#1", "t", "real")]


def test_old_reads_prior_value_in_relax() -> None:
    fn = lower("fn f() { var x: int = 1; relax (x) st (x >= old(x)); }").functions["f"]
    choose = fn.body[1]
    assert choose.kind == "relax" and [v.source for v in choose.vars] == ["x"]
    refs = [e for e in C.subexprs(choose.pred) if isinstance(e, C.VarRef)]
    assert [r.old for r in refs] == [False, True]


def test_hardware_models_are_evaluated() -> None:
    program = lower("""hardware h { operator *. = 1 - 1/4 error 0.5; memory urel write = 0.5; }""")
    model = program.hardware["h"]
    assert model.op("*").prob == 0.75 and model.op("*.").error == 0.5
    assert model.op("+").prob == 1.0 and model.read == 1.0 and model.write == 0.5


def test_every_node_kind_has_a_checker() -> None:
    # The checkers dispatch on the node's type: a kind added to the syntax without a
    # handler would fail only when a program first uses it.
    assert set(exprs._HANDLERS) == set(get_args(A.Expr))
    assert set(stmts._HANDLERS) == set(get_args(A.Stmt))
