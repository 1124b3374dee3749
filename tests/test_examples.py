"""The examples: each parses and checks, and together they use every construct."""
from __future__ import annotations

import dataclasses
import json
import re
import shlex

import pytest

from conftest import EXAMPLES, run_cli
from relaxverify.syntax import ast as A
from relaxverify.syntax.parser import parse
from relaxverify.pipeline import load

FILES = sorted(EXAMPLES.glob("*.relax"))
CASE_STUDIES = {"swish.relax", "lu_pivot.relax", "water.relax", "newton.relax",
                "motion_estimation.relax", "chisel_sor.relax"}


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_example_checks(path) -> None:
    loaded = load(str(path))
    assert loaded.ok, [d.message for d in loaded.diagnostics]


def features(node, out: set[str]) -> None:
    """Names of the constructs used below `node`: node types, operators, built-ins."""
    if isinstance(node, list):
        for x in node:
            features(x, out)
        return
    if not dataclasses.is_dataclass(node) or isinstance(node, (A.Span, A.TypeRef)):
        return
    out.add(type(node).__name__)
    if isinstance(node, (A.Binary,)):
        out.add(node.op)
    elif isinstance(node, A.Chain):
        out.update(node.ops)
        if len(node.ops) > 1:
            out.add("chain")
    elif isinstance(node, (A.Unary, A.Builtin, A.Quant, A.Check, A.Relax)):
        out.add(getattr(node, "op", None) or getattr(node, "name", None) or node.kind)
    elif isinstance(node, A.Adorned):
        out.add("<" + node.side + ">")
        if not isinstance(node.operand, (A.Name, A.ResultRef)):
            out.add("adorned expression")  # `(x + y)<r>`
    elif isinstance(node, A.Index) and isinstance(node.array, A.Adorned):
        out.add("adorned array")  # `a<o>[i]`
    elif isinstance(node, (A.VarDecl, A.ArrayDecl, A.Param)) and node.urel:
        out.add("urel")
    elif isinstance(node, A.If) and len(node.orelse) == 1 and isinstance(node.orelse[0], A.If):
        out.add("else if")
    elif isinstance(node, A.While) and node.clauses.bounds:
        out.add("bound")
    for f in dataclasses.fields(node):
        features(getattr(node, f.name), out)
    if isinstance(node, A.Function):
        if node.extern:
            out.add("extern")
        for clause in ("requires", "ensures", "requires_r", "ensures_r", "reliability"):
            if getattr(node, clause):
                out.add(clause)
    if isinstance(node, (A.While, A.For, A.Repeat)):
        if node.clauses.invariants:
            out.add("invariant")
        if node.clauses.invariants_r:
            out.add("invariant_r")


def test_examples_cover_every_construct() -> None:
    assert CASE_STUDIES <= {p.name for p in FILES}
    assert len(FILES) >= 8
    used: set[str] = set()
    for path in FILES:
        features(parse(path.read_text(), str(path)).decls, used)
    wanted = {
        "Const", "Hardware", "HwOperator", "extern", "HwMemory", "Function", "requires", "ensures",
        "requires_r", "ensures_r", "reliability", "VarDecl", "ArrayDecl", "Assign",
        "ArrayAssign", "relax", "havoc", "assert", "assume", "accept", "If", "else if",
        "While", "bound", "For", "Repeat", "invariant", "invariant_r", "Return", "Skip",
        "urel", "forall", "exists", "old", "eq", "len", "abs", "min", "max", "real", "<o>",
        "<r>", "ResultRef", "Index", "chain", "==>", "<==>", "||", "&&", "!", "-", "+", "*",
        "/", "%", "==", "!=", "<", "<=", ">", ">=", "+.", "-.", "*.", "/.",
        "==.", "!=.", "<.", "<=.", ">.", ">=.", "RealLit", "BoolLit", "adorned expression", "adorned array",
        "SpecFunction", "Cond",  # v2 section 10 (examples/perforation.relax)
    }
    assert wanted <= used, f"constructs no example uses: {sorted(wanted - used)}"


def test_chisel_sor_verifies_measures_and_runs() -> None:
    """Chisel's SOR (examples/chisel_sor.relax): every obligation verifies (integrity, the
    border `ensures` and the relational border `accept`), the reliability spec holds at the
    value the operation count gives (162 unreliable operations on `medium`: 0.9999^162),
    and `run --trials` on the study's arguments agrees with it."""
    path = EXAMPLES / "chisel_sor.relax"
    verified = run_cli("verify", path, "--format", "json")
    assert verified.code == 0
    obs = [o for f in json.loads(verified.out)["files"] for o in f["obligations"]]
    assert obs and all(o["status"] == "verified" for o in obs)
    assert {"accept", "ensures"} <= {o["kind"] for o in obs}
    rel = run_cli("reliability", path, "--hardware", "medium", "--format", "json")
    assert rel.code == 0
    fn = json.loads(rel.out)["files"][0]["functions"][0]
    assert fn["name"] == "sor" and abs(fn["value"] - (1 - 1e-4) ** 162) < 1e-6
    study = re.search(r"^// Study: (.*)$", path.read_text(), re.M)
    assert study is not None
    ran = run_cli("run", path, *shlex.split(study.group(1)), "--trials", "400", "--seed", "1",
                  "--format", "json")
    doc = json.loads(ran.out)
    assert ran.code == 0 and doc["trials"] == 400 and doc["failed_runs"] == 0
    assert doc["static_value"] == fn["value"] and doc["interval"][0] <= doc["reliability"]
