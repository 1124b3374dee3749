"""Reliability analysis (LANGUAGE.md §7): hand-computed values under every built-in
model, the explanation of failing specs, the command's exit codes and JSON, and
the public `function_value` API. (Per-file cases under the default model live in
tests/data/reliability/ and run from test_data.py.)
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from relaxverify.cli.main import main
from relaxverify.check.hardware import BUILTIN_MODELS, UNRELIABLE_OPERATORS
from relaxverify.core import checks as K
from relaxverify.core import nodes as C
from relaxverify.pipeline import load_source
from relaxverify.run.montecarlo import monte_carlo, wilson
from relaxverify.syntax.parser import parse
from relaxverify.check.checker import check
from relaxverify.reliability.analysis import ReliabilityError, analyse_program, function_value

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"

# The table of §7, written out independently of relaxverify.hardware.
TABLE = {
    "mild": (1 - 1e-6, 1 - 10 ** -16.7, 1 - 10 ** -5.59),
    "medium": (1 - 1e-4, 1 - 10 ** -7.4, 1 - 10 ** -4.94),
    "aggressive": (1 - 1e-2, 1 - 1e-3, 1 - 1e-3),
}
MODELS = sorted(TABLE)


def program(source: str, path: str = "t.relax"):
    return check(parse(source, path))


@pytest.mark.parametrize("name", MODELS)
def test_builtin_models_have_the_numbers_of_the_table(name: str) -> None:
    op, rd, w = TABLE[name]
    model = BUILTIN_MODELS[name]
    for o in ("+.", "-.", "*.", "/.", "==.", "!=.", "<.", "<=.", ">.", ">=."):
        assert model.op(o).prob == op and model.op(o).error is None
    # mild's read, 1 - 10^-16.7, is 1.0 as a float: the model keeps it below 1.
    assert model.read == pytest.approx(rd, rel=1e-15) and model.read < 1
    assert model.write == w


def test_probabilities_below_float_precision_stay_unreliable() -> None:
    """A urel read under `mild` (1 - 10^-16.7) or a declared `1 - 1e-20` rounds to 1.0;
    the loop rule must still see an unreliable computation (r = 0), not a reliable one."""
    source = """
hardware tiny { memory urel read = 1 - 1e-20; }
fn g(n: int, x: real in urel) -> real {
  var s: real = 0.0;
  var i: int = 0;
  while (i < n) { s = s + x; i = i + 1; }
  return s;
}
"""
    prog = program(source)
    for model in (BUILTIN_MODELS["mild"], prog.hardware["tiny"]):
        assert function_value(prog, "g", model) == 0.0


# ---------------------------------------------------------------- values per model

STRAIGHT = """
fn f(x: real, y: real in urel) -> real {
  var z: real = x +. y;            // op * rd (y)
  var v: real in urel = z *. z;    // op * w
  return v -. 1.0;                 // op * rd (v)
}
"""

CONDITIONAL = """
fn f(x: int, c: int in urel) -> int {
  var r: int in urel = 0;
  if (c <. 0) {              // op * rd, both paths
    r = x +. 1;              // op * w
  } else if (x >. 5) {       // op
    r = x *. x -. 1;         // op^2 * w
  }                          // (else: r keeps the declaration's write w)
  return r;                  // rd
}
"""

BOUNDED = """
const N: int = 7;
fn f(x: real) -> real {
  var s: real = x;
  repeat (N) { s = s +. 1.0; }              // op^7
  for i in 0 .. 3 { s = s *. 2.0; }         // op^3
  var k: int = 0;
  while (k <. 4) bound 5 { s = s -. 1.0; k = k + 1; }  // (op * op)^5
  return s;
}
"""

CALLS = """
fn g(a: int) -> int reliability R(result) >= 0.99 * R(a) { return a +. 1; }
fn h(a: int, b: int) -> int { return a *. b; }   // no spec: op * R(a, b)
fn f(x: int) -> int {
  var u: int in urel = g(x +. 1);  // 0.99 * op (argument) * w
  var v: int = h(u, u);            // op, and u read twice: rd^2
  return v;
}
"""

ARRAYS = """
fn f(a: real[] in urel) -> real
  requires len(a) == 4
{
  var b: real[4] in urel;                               // allocation: free
  for i in 0 .. 4 invariant 0 <= i { b[i] = a[i] *. 2.0; }  // (rd * op * w)^4
  var s: real = 0.0;
  for j in 0 .. 4 invariant 0 <= j { s = s +. b[j]; }   // (op * rd)^4
  return s;
}
"""

MOTION = EXAMPLES / "motion_estimation.relax"
NEWTON = EXAMPLES / "newton.relax"


def motion_value(op: float, rd: float, w: float) -> float:
    """search_ref with 4 blocks of 4 x 4 pixels. Per pixel, backwards: ssd = ssd +.
    t *. t (op^2, reads ssd, t, t: rd^3, write w), t = t1 -. t2 (op, rd^2, w),
    t2 = cblock[..] and t1 = pblocks[..] (rd, w each): P = op^3 rd^7 w^4. A block's
    ssd is P^16 and its declaration's write w. The weakest path takes every `then`:
    the comparison (op, rd^2: ssd, minssd) in each of the 4 iterations, `minblock =
    b` once (w), `minssd = ssd` in the 3 earlier ones (rd, w each), the declaration of
    minssd (w), and the final read of minblock (rd)."""
    p = op ** 3 * rd ** 7 * w ** 4
    return rd * w * (w * rd) ** 3 * w * (op * rd ** 2 * w * p ** 16) ** 4


def newton_value(op: float, rd: float, w: float) -> float:
    """newton_sqrt with ITERS = 8: each copy of `if (abs(fx) >. TOL) { body }` costs
    the condition (op) and, backwards, fx = x *. x -. v (op^2), x = x -. fx /. dfx
    (op^2), dfx = 2.0 *. x (op): op^6, except the last copy where fx is not needed
    yet (op^4); the initial fx costs op^2. Nothing is urel."""
    return op ** 4 * op ** (6 * 7) * op ** 2


CASES = {
    "straight": (STRAIGHT, "f", lambda op, rd, w: op * rd * op * w * op * rd),
    "conditional": (CONDITIONAL, "f",
                    lambda op, rd, w: rd * (op * rd) * op * (op * op * w)),
    "bounded": (BOUNDED, "f", lambda op, rd, w: op ** 7 * op ** 3 * (op * op) ** 5),
    "calls": (CALLS, "f", lambda op, rd, w: 0.99 * op * w * op * rd ** 2),
    "arrays": (ARRAYS, "f", lambda op, rd, w: (rd * op * w) ** 4 * (op * rd) ** 4),
    "motion_estimation": (MOTION, "search_ref", motion_value),
    "newton": (NEWTON, "newton_sqrt", newton_value),
}


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("case", sorted(CASES))
def test_value_matches_hand_computation(case: str, model: str) -> None:
    source, fn, formula = CASES[case]
    if isinstance(source, Path):
        source = source.read_text()
    value = function_value(program(source), fn, BUILTIN_MODELS[model])
    assert value == pytest.approx(formula(*TABLE[model]), rel=1e-12)


def test_conditional_keeps_the_weakest_path() -> None:
    """The else-if path (op * op * op^2 * w) is weaker than the then path, and the
    empty else (the declaration's w alone) is weaker in nothing."""
    results, errors = analyse_program(program(CONDITIONAL), BUILTIN_MODELS["aggressive"])
    assert not errors
    [term] = results[0].terms
    assert sorted(v.name for v in term.vars) == ["c", "x"]


@pytest.mark.parametrize("example, spec_holds", [(MOTION, ["mild", "medium"]),
                                                 (NEWTON, ["mild", "medium"])])
def test_example_specs_hold_under_mild_and_medium_only(example: Path, spec_holds) -> None:
    prog = program(example.read_text(), str(example))
    for model in MODELS:
        results, errors = analyse_program(prog, BUILTIN_MODELS[model])
        assert not errors
        assert [r.status for r in results] == (["verified"] if model in spec_holds
                                               else ["failed"]), model


# ---------------------------------------------------------------- explanations

FAILING = """
fn f(x: real, n: int) -> real
  reliability R(result) >= 0.99 * R(x)
{
  var y: real = x +. 1.0;
  repeat (50) {
    y = y *. 1.01;
  }
  return y;
}
"""


def test_failing_spec_names_the_term_and_the_statement_that_lost_most() -> None:
    results, _ = analyse_program(program(FAILING), BUILTIN_MODELS["aggressive"])
    [check_] = results[0].checks
    assert not check_.holds
    assert check_.breaking.r == pytest.approx(0.99 ** 51, rel=1e-12)
    assert check_.breaking.text().endswith("* R(x)")
    assert check_.culprit.span.line == 7  # y = y *. 1.01, 50 times
    assert check_.culprit.factor == pytest.approx(0.99 ** 50, rel=1e-12)


def run_json(capsys, *argv: str) -> tuple[int, dict]:
    code = main(["reliability", *argv, "--format", "json"])
    return code, json.loads(capsys.readouterr().out)


def test_json_of_a_failing_spec(tmp_path: Path, capsys) -> None:
    path = tmp_path / "f.relax"
    path.write_text(FAILING)
    code, doc = run_json(capsys, str(path), "--hardware", "aggressive")
    assert code == 1 and doc["status"] == "failed" and doc["command"] == "reliability"
    [entry] = doc["files"][0]["functions"]
    assert entry["name"] == "f" and entry["line"] == 2 and entry["status"] == "failed"
    assert entry["spec"] == "R(result) >= 0.99 * R(x)"
    assert entry["value"] == pytest.approx(0.99 ** 51, rel=1e-12)
    [term] = entry["terms"]
    assert term["vars"] == ["x"] and term["factor"] == entry["value"]
    [c] = entry["checks"]
    assert c["status"] == "failed" and c["breaking_term"]["vars"] == ["x"]
    assert c["culprit"]["line"] == 7 and c["culprit"]["text"] == "y = y *. 1.01;"


def test_text_of_a_failing_spec(tmp_path: Path, capsys) -> None:
    path = tmp_path / "f.relax"
    path.write_text(FAILING)
    code = main(["reliability", str(path), "--hardware", "aggressive"])
    out = capsys.readouterr().out
    assert code == 1
    assert f"{path}:3:3: error: the reliability spec of `f` does not hold" in out
    assert "line 7 (`y = y *. 1.01;`)" in out
    assert "FAILS" in out


def test_missing_input_is_named(tmp_path: Path, capsys) -> None:
    path = tmp_path / "g.relax"
    path.write_text("fn g(x: int, n: int) -> int reliability R(result) >= 0.9 * R(x) {\n"
                    "  var s: int = x; var k: int = 0;\n"
                    "  while (k < n) { s = s + 1; k = k + 1; }\n  return s;\n}\n")
    code, doc = run_json(capsys, str(path))
    [c] = doc["files"][0]["functions"][0]["checks"]
    assert code == 1 and c["breaking_term"]["vars"] == ["n", "x"]
    assert "`n`" in c["reason"]


def test_holding_specs_exit_0(capsys) -> None:
    code, doc = run_json(capsys, str(MOTION), str(NEWTON))
    assert code == 0 and doc["status"] == "verified"
    assert [f["functions"][0]["status"] for f in doc["files"]] == ["verified", "verified"]
    assert doc["files"][0]["hardware"] == "medium"


# ---------------------------------------------------------------- bad input

RECURSIVE = """
fn down(n: int) -> int {
  var r: int = 0;
  if (n > 0) {
    r = up(n - 1);
  }
  return r;
}
fn up(n: int) -> int {
  var r: int = down(n);
  return r;
}
fn fine(x: int) -> int { return x +. 1; }
"""


def test_recursion_without_spec_is_a_located_error(tmp_path: Path, capsys) -> None:
    path = tmp_path / "rec.relax"
    path.write_text(RECURSIVE)
    code, doc = run_json(capsys, str(path))
    assert code == 2 and doc["files"][0]["status"] == "error"
    [d] = doc["files"][0]["diagnostics"]
    assert d["line"] in (5, 10) and "recursive" in d["message"]
    assert "fine" in [f["name"] for f in doc["files"][0]["functions"]]
    with pytest.raises(ReliabilityError):
        function_value(program(RECURSIVE), "down", BUILTIN_MODELS["medium"])


def test_unknown_hardware_lists_the_models(tmp_path: Path, capsys) -> None:
    path = tmp_path / "h.relax"
    path.write_text("hardware mine { operator +. = 0.5; }\nfn f(x: int) -> int { return x; }\n")
    code = main(["reliability", str(path), "--hardware", "nope"])
    captured = capsys.readouterr()
    assert code == 2
    assert "unknown hardware model `nope`" in captured.out + captured.err
    assert "aggressive, medium, mild, mine" in captured.out + captured.err


def test_file_hardware_model_and_omitted_entries(tmp_path: Path, capsys) -> None:
    path = tmp_path / "h.relax"
    path.write_text("hardware mine { operator +. = 1.0 - 0.125; memory urel write = 0.5; }\n"
                    "fn f(x: int in urel) -> int { var y: int in urel = x +. x *. 2;\n"
                    "  return y; }\n")
    code, doc = run_json(capsys, str(path), "--hardware", "mine")
    # +. is 7/8, *. and reads are omitted (reliable), the write of y is 0.5.
    assert code == 0 and doc["files"][0]["functions"][0]["value"] == 7 / 8 * 0.5


def test_fn_option_selects_and_unknown_fn_is_an_error(capsys) -> None:
    code, doc = run_json(capsys, str(EXAMPLES / "dot_product.relax"), "--fn", "eighth")
    assert code == 0 and [f["name"] for f in doc["files"][0]["functions"]] == ["eighth"]
    code, doc = run_json(capsys, str(EXAMPLES / "dot_product.relax"), "--fn", "nope")
    assert code == 2


def test_syntax_error_is_exit_2(tmp_path: Path, capsys) -> None:
    path = tmp_path / "bad.relax"
    path.write_text("fn f( {")
    code, doc = run_json(capsys, str(path))
    assert code == 2 and doc["files"][0]["status"] == "error"


# ---------------------------------------------------------------- speed and API


def test_huge_trip_counts_are_fast() -> None:
    source = ("fn f(x: real) -> real { var y: real = x;\n"
              "  repeat (1000000) { repeat (1000) { y = y +. 1.0; } }\n  return y; }\n")
    t0 = time.perf_counter()
    value = function_value(program(source), "f", BUILTIN_MODELS["mild"])
    assert time.perf_counter() - t0 < 2.0
    # (1 - 1e-6)^(10^9) = e^-1000 underflows; 1 - 1e-9 keeps it representable
    assert value == 0.0
    hw = "hardware tiny { operator +. = 1.0 - 1e-9; }\n"
    value = function_value(program(hw + source), "f", program(hw + source).hardware["tiny"])
    assert value == pytest.approx((1 - 1e-9) ** 1e9, rel=1e-6)


def test_function_value_of_a_procedure_is_one() -> None:
    prog = program("fn p(a: int[]) { skip; }")
    assert function_value(prog, "p", BUILTIN_MODELS["medium"]) == 1.0


def test_many_paths_are_merged_soundly_with_a_warning(tmp_path: Path, capsys) -> None:
    """12 `if`s whose branches read different inputs give 4096 exact terms; the
    analysis merges them (beyond 64) and says so; the value stays a lower bound."""
    n = 12
    params = ", ".join(f"p{k}: int, q{k}: int, c{k}: bool" for k in range(n))
    body = "".join(f"  if (c{k}) {{ r = r +. p{k}; }} else {{ r = r +. q{k} +. 1; }}\n"
                   for k in range(n))
    path = tmp_path / "paths.relax"
    path.write_text(f"fn f({params}) -> int {{\n  var r: int = 0;\n{body}  return r;\n}}\n")
    t0 = time.perf_counter()
    code, doc = run_json(capsys, str(path))
    assert time.perf_counter() - t0 < 5.0
    [warning] = doc["files"][0]["diagnostics"]
    assert code == 0 and warning["severity"] == "warning" and "merged" in warning["message"]
    op = TABLE["medium"][0]
    exact = op ** (2 * n)  # every `else`: two `+.`; conditions are reliable
    assert doc["files"][0]["functions"][0]["value"] <= exact * (1 + 1e-12)


# ---------------------------------------------------------------- repeat == unrolled

from hypothesis import given, settings, strategies as st  # noqa: E402

VARS4 = ["v0", "v1", "v2", "v3"]
_stmt = st.one_of(
    st.tuples(st.just("op"), st.sampled_from(VARS4), st.sampled_from(VARS4),
              st.sampled_from(["+.", "*.", "+"])),
    st.tuples(st.just("if"), st.sampled_from(VARS4), st.sampled_from(VARS4),
              st.sampled_from(["<.", "<"])),
    st.tuples(st.just("store"), st.sampled_from(VARS4), st.sampled_from(VARS4),
              st.just("+.")),
)


def _render(body) -> str:
    out = []
    for kind, x, y, op in body:
        if kind == "op":
            out.append(f"{x} = {x} {op} {y};")
        elif kind == "if":
            out.append(f"if ({x} {op} {y}) {{ {y} = {x} +. 1; }} else {{ {x} = {y}; }}")
        else:
            out.append(f"b[0] = b[1] {op} {x}; {y} = b[0];")
    return "\n    ".join(out)


def _terms(source: str) -> list[tuple[float, list[str]]]:
    results, errors = analyse_program(program(source), BUILTIN_MODELS["aggressive"])
    assert not errors
    return [(t.r, sorted(v.name for v in t.vars)) for t in results[0].terms]


@settings(max_examples=40, deadline=None)
@given(st.lists(_stmt, min_size=1, max_size=4), st.integers(0, 9))
def test_repeat_is_exactly_the_unrolled_body(body, n: int) -> None:
    """repeat (n) is computed by squaring the body's transfer; it must give the terms
    of the body written out n times."""
    head = ("fn f(v0: int, v1: int in urel, v2: int, v3: int in urel) -> int {\n"
            "  var b: int[2] in urel;\n")
    decls = "".join(f"  var {v}: int{' in urel' if k % 2 else ''} = p{v};\n"
                    for k, v in enumerate(VARS4))
    head = head.replace("v0: int, v1: int in urel, v2: int, v3: int in urel",
                        ", ".join(f"p{v}: int" for v in VARS4)) + decls
    tail = "  return v0 + v1 + v2 + v3 + b[0];\n}\n"
    looped = head + f"  repeat ({n}) {{\n    {_render(body)}\n  }}\n" + tail
    unrolled = head + "".join(f"    {_render(body)}\n" for _ in range(n)) + tail
    got, want = _terms(looped), _terms(unrolled)
    assert [names for _, names in got] == [names for _, names in want]
    for (r1, _), (r2, _) in zip(got, want):
        assert r1 == pytest.approx(r2, rel=1e-12)


# A faulty run that fails a runtime check has no result, so a statement whose check
# depends on an unreliable computation costs every term passing through it, even
# one that does not read what the statement assigns (docs/reliability.md).
CRASH_SITES = """
fn index(a: int[], i: int) -> int
  requires 0 <= i && i < len(a)
{
  var x: int = a[i +. 0];
  return i;
}

fn divisor(y: int) -> int
  requires y != 0
{
  var d: int in urel = y;
  var q: int = 100 / d;
  return y;
}

fn on_flow(a: int[], i: int) -> int
  requires 0 <= i && i < len(a)
{
  return a[i +. 0];
}
"""


@pytest.mark.parametrize("model", MODELS)
def test_unreliable_index_and_divisor_cost_terms_off_the_data_flow(model: str) -> None:
    op, rd, w = TABLE[model]
    results, errors = analyse_program(program(CRASH_SITES), BUILTIN_MODELS[model])
    assert not errors
    got = {r.function.name: [(t.r, sorted(v.name for v in t.vars)) for t in r.terms]
           for r in results}
    # index: `return i` gives 1 * R(i); `x = a[i +. 0]` does not assign i, but a faulty
    # `+.` may fail the bounds check: op, and the check's inputs a and i.
    [(r, names)] = got["index"]
    assert r == pytest.approx(op, rel=1e-12) and names == ["a", "i"]
    # divisor: `return y` gives 1 * R(y); `q = 100 / d` reads urel d in the divisor:
    # rd * R(d, y); `var d = y` writes urel d: rd * w * R(y).
    [(r, names)] = got["divisor"]
    assert r == pytest.approx(rd * w, rel=1e-12) and names == ["y"]
    # On the data flow the index's `+.` is counted once (by ρ(e)), not twice.
    [(r, names)] = got["on_flow"]
    assert r == pytest.approx(op, rel=1e-12) and names == ["a", "i"]


# ---------------------------------------------------------------- resource limits

LIMITS_FILE = ROOT / "tests" / "data" / "reliability" / "limits.relax"
HIGH = C.HardwareModel("high", {o: C.OperatorModel(0.9, None) for o in UNRELIABLE_OPERATORS},
                       0.95, 0.9)


@pytest.mark.parametrize("fn, args", [("square", [0]), ("spin", [0, 1]), ("top", [0])])
def test_a_limit_off_the_data_flow_costs_what_may_reach_it(fn: str, args: list) -> None:
    """Hole 4: a fault off the result's data flow that makes a run hit an interpreter
    limit (a product's size, a loop's steps, the call depth) made the analysis say
    1.0 while the runs fail. Now the static value is op (0.9) and within the runs'
    interval, whose upper end is below the old 1.0."""
    loaded = load_source(str(LIMITS_FILE), LIMITS_FILE.read_text())
    assert loaded.ok
    static = function_value(loaded.program, fn, HIGH)
    assert static == pytest.approx(0.9, rel=1e-12)
    mc = monte_carlo(loaded.program, fn, args, HIGH, 3000, seed=3)
    low, high = wilson(mc.correct, mc.trials, 5.0)
    assert static <= high < 1.0, (fn, static, mc.correct, mc.trials)


def test_the_analysis_reads_the_one_table_of_checks(monkeypatch) -> None:
    """Where a faulty run may stop comes from core/checks.py, not from a second list:
    a check the table adds (here, pretend a reliable int `+` may fail on its left
    operand) costs a term off the data flow at once."""
    prog = program("fn f(x: int, y: int) -> int {\n  var z: int = y +. 1 + 2;\n"
                   "  return x;\n}\n")
    medium = BUILTIN_MODELS["medium"]
    assert function_value(prog, "f", medium) == 1.0
    table = K.expr_checks

    def with_plus(x: C.Expr) -> tuple:
        if isinstance(x, C.BinOp) and x.op == "+" and not x.unreliable:
            return (K.RuntimeCheck(K.DIVISION, x, (x.left,), x.span),)
        return table(x)

    monkeypatch.setattr(K, "expr_checks", with_plus)
    assert function_value(prog, "f", medium) == pytest.approx(TABLE["medium"][0], rel=1e-12)


def test_a_recursive_cycle_is_named_once() -> None:
    """The crash summary of a recursive function is computed inside its own analysis:
    the error still names the cycle `fact -> fact`, not the analysis' stack."""
    source = ("fn fact(n: int) -> int requires 0 <= n {\n  var r: int = 1;\n"
              "  if (n > 0) {\n    var f: int = fact(n - 1);\n    r = n * f;\n  }\n"
              "  return r;\n}\n")
    _results, [error] = analyse_program(program(source), BUILTIN_MODELS["medium"])
    assert "`fact` is recursive (fact -> fact) and has no reliability spec" in error.message
