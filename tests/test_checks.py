"""The one table of runtime checks (relaxverify/core/checks.py): which checks each
node performs, and the context (guards, binders) in which they run."""
from __future__ import annotations

from relaxverify.core import checks as K
from relaxverify.core import nodes as C
from relaxverify.pipeline import load_source


def function(src: str, name: str = "f") -> C.Function:
    loaded = load_source("t.relax", src)
    assert loaded.ok, loaded.diagnostics
    return loaded.program.functions[name]


def kinds(sites) -> list[str]:
    return [s.check.kind for s in sites]


def test_partial_operations_and_their_operands():
    fn = function("fn f(a: int[], i: int, n: int) -> int {\n"
                  "  var x: int = a[i] / n + a[0] % 2 + i * n;\n  return x;\n}\n")
    sites = list(K.checks_in(fn.body[0].value))
    assert kinds(sites) == ["bounds", "division", "bounds", "limit"]
    bounds = sites[0].check
    assert isinstance(bounds.operands[0], C.VarRef) and bounds.operands[0].var.source == "i"
    assert [s.check.obliged for s in sites] == [True, True, True, False]
    # `% 2` divides by a non-zero constant: nothing can fail there
    assert not any(isinstance(s.check.node, C.BinOp) and s.check.node.op == "%" for s in sites)


def test_short_circuit_guards_and_quantifier_binders():
    fn = function("fn f(a: int[]) {\n"
                  "  assert forall j: int :: 0 <= j && j <= len(a) ==> a[j] > 0;\n}\n")
    (site,) = list(K.checks_in(fn.body[0].cond))
    assert site.check.kind == "bounds"
    assert [v.source for v in site.binders] == ["j"]
    assert [g.value for g in site.guards] == [True]  # under `0 <= j && j <= len(a) ==>`


def test_or_guards_the_right_operand_on_false():
    fn = function("fn f(a: int[], i: int) -> bool {\n"
                  "  var b: bool = i < 0 || a[i] == 0;\n  return b;\n}\n")
    (site,) = list(K.checks_in(fn.body[0].value))
    assert [g.value for g in site.guards] == [False]


def test_statement_checks():
    fn = function("fn g(x: int) requires x > 0 { skip; }\n"
                  "fn f(n: int) {\n  var a: int[n];\n  a[0] = 1;\n  g(n);\n"
                  "  var i: int = 0;\n  while (i < 3) bound n { i = i + 1; }\n"
                  "  for k in 0 .. 3 { skip; }\n  havoc (i) st (i > 0);\n  assert i > 0;\n}\n")
    got = [[c.kind for c in K.stmt_checks(s)] for s in fn.body if K.stmt_checks(s)]
    assert got == [["length", "limit"], ["bounds"], ["requires", "limit"],
                   ["bound", "limit"], ["choice"], ["assert"]]
    # `for k in 0 .. 3` has a constant trip count within the limits: no check at all
    loops = [s for s in fn.body if isinstance(s, C.Loop)]
    assert K.stmt_checks(loops[1]) == ()


def test_a_constant_loop_bound_within_the_step_limit_has_no_limit_check():
    fn = function("fn f(x: int) {\n  var i: int = x;\n"
                  "  while (i > 0) bound 10 { i = i - 1; }\n"
                  "  while (i < 0) bound 20000000 { i = i + 1; }\n}\n")
    small, large = [s for s in fn.body if isinstance(s, C.Loop)]
    assert [c.kind for c in K.stmt_checks(small)] == ["bound"]
    assert [c.kind for c in K.stmt_checks(large)] == ["bound", "limit"]


# ---------------------------------------------------------------- the visitor base

def test_visitor_is_exhaustive_and_dispatches_on_subclasses():
    import pytest

    from relaxverify.core.visitor import ExprVisitor, StmtVisitor

    with pytest.raises(TypeError, match="must define e_Apply, e_Quant"):
        class Partial(ExprVisitor):  # noqa: F841 - defining it is the test
            def e_Const(self, e): ...
            def e_VarRef(self, e): ...
            def e_Unary(self, e): ...
            def e_BinOp(self, e): ...
            def e_Select(self, e): ...

    class Names(StmtVisitor, abstract=True):
        def s_If(self, s, tag):
            return f"if {tag}"

    class Guard(C.If):
        pass

    fn = function("fn f(x: int) { if (x > 0) { skip; } }\n")
    (node,) = fn.body
    node.__class__ = Guard
    assert Names().stmt(node, "t") == "if t"  # a subclass of If goes to s_If

