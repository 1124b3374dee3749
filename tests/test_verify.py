"""`relaxverify verify`: options, output formats, counterexamples and encodings.

The verdicts of whole programs live in tests/data/verify/ (see test_data.py);
these tests cover what the data files cannot: command-line options, the exact
counterexample values, text/SARIF rendering, --smt2 files, unknown verdicts,
warnings, and the linear size of verification conditions.
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import z3
from hypothesis import given, settings
from hypothesis import strategies as st

from relaxverify.cli.main import main
from relaxverify.pipeline import load_source
from relaxverify.verify.smt import floor_div, floor_mod
from relaxverify.verify.vcgen import Decider, Faults, VCGen


def run(capsys, tmp_path: Path, source: str, *options: str, fmt: str = "json"):
    path = tmp_path / "t.relax"
    path.write_text(source)
    code = main(["verify", str(path), "--format", fmt, *options])
    out = capsys.readouterr()
    if fmt in ("json", "sarif"):
        return code, json.loads(out.out), out.err
    return code, out.out, out.err


def obligations(doc: dict) -> list[dict]:
    return doc["files"][0]["obligations"]


def failed(doc: dict) -> list[dict]:
    return [o for o in obligations(doc) if o["status"] == "failed"]


# ---------------------------------------------------------------- counterexamples

def test_counterexample_names_inputs_and_final_values(capsys, tmp_path):
    code, doc, _ = run(capsys, tmp_path, """
fn f(x: int) -> int {
  var y: int = x + 1;
  assert y != 4;
  return y;
}
""")
    assert code == 1
    [ob] = failed(doc)
    assert (ob["kind"], ob["side"], ob["line"]) == ("assert", "original", 4)
    cex = ob["counterexample"]
    assert cex["original"] == {"x": 3, "y": 4}
    assert ob["concrete"] is True


def test_counterexample_shows_both_executions(capsys, tmp_path):
    code, doc, _ = run(capsys, tmp_path, """
fn f(x: int) -> int
  requires 0 <= x && x <= 10
{
  var y: int = x;
  relax (y) st (y == old(y) + 5);
  accept y<r> <= y<o> + 4;
  return y;
}
""")
    assert code == 1
    [ob] = failed(doc)
    assert ob["kind"] == "accept" and ob["side"] == "relational"
    o, r = ob["counterexample"]["original"], ob["counterexample"]["relaxed"]
    assert o["x"] == r["x"] and 0 <= o["x"] <= 10
    assert r["y"] == o["y"] + 5


def test_counterexample_records_choices_and_faults():
    item = load_source("t.relax", """
fn f(x: int) -> int {
  var y: int = x +. 1;
  var z: int = y;
  relax (z) st (z >= old(z));
  accept z<o> == z<r>;
  return z;
}
""")
    fn = item.program.functions["f"]
    gen = VCGen(item.program, fn, Faults(None), Decider(10, 10 ** 7))
    gen.run()
    from relaxverify.verify.prover import ProverStats, prove
    [ob] = [o for o in gen.obligations.values() if o.kind == "accept"]
    prove(gen, ob, 10, ProverStats())
    assert ob.status == "failed"
    cex = ob.counterexample
    assert len(cex.choices_r) == 1 and "z" in cex.choices_r[0]
    assert cex.choices_o == []
    assert len(cex.faults) == 1
    assert cex.concrete


def test_trace_through_loop_is_not_concrete(capsys, tmp_path):
    code, doc, _ = run(capsys, tmp_path, """
fn f(n: int) -> int {
  var i: int = 0;
  while (i < n) invariant 0 <= i { i = i + 1; }
  assert i == n;
  return i;
}
""")
    assert code == 1
    [ob] = failed(doc)
    assert ob["concrete"] is False


# ---------------------------------------------------------------- hardware

ERROR_PROGRAM = """
hardware loose { operator *. = 1 - 1e-4 error 0.5; }
hardware exact_mul { operator +. = 1 - 1e-4; }
fn scale(x: real) -> real {
  var y: real = x *. 2.0;
  accept y<r> - y<o> <= 0.5 && y<o> - y<r> <= 0.5;
  return y;
}
"""


def test_error_bound_of_hardware_model(capsys, tmp_path):
    code, doc, _ = run(capsys, tmp_path, ERROR_PROGRAM, "--hardware", "loose")
    assert code == 0, failed(doc)


def test_faults_are_arbitrary_without_model(capsys, tmp_path):
    code, doc, _ = run(capsys, tmp_path, ERROR_PROGRAM)
    assert code == 1
    assert [o["line"] for o in failed(doc)] == [6]


def test_operator_omitted_by_model_is_reliable(capsys, tmp_path):
    code, doc, _ = run(capsys, tmp_path, ERROR_PROGRAM, "--hardware", "exact_mul")
    assert code == 0


def test_builtin_model_faults_are_arbitrary(capsys, tmp_path):
    code, doc, _ = run(capsys, tmp_path, ERROR_PROGRAM, "--hardware", "medium")
    assert code == 1


def test_mild_urel_reads_may_fault(capsys, tmp_path):
    """mild's read probability 1 - 10^-16.7 is 1.0 as a float; a read may still fault."""
    source = "fn f(x: int in urel) -> int { var y: int = x; accept y<o> == y<r>; return y; }\n"
    code, doc, _ = run(capsys, tmp_path, source, "--hardware", "mild")
    assert code == 1


def test_tiny_error_bound_is_not_rounded_to_zero(capsys, tmp_path):
    """A fault within 1e-13 is not the exact value (`run` breaks the assert); the
    bound used to be rounded to a fraction with denominator <= 1e12, i.e. to 0."""
    source = """
hardware tiny { operator +. = 0.5 error 1e-13; }
fn f(x: real, y: real) -> real {
  var z: real = x +. y;
  assert z == x + y;
  return z;
}
"""
    code, doc, _ = run(capsys, tmp_path, source, "--hardware", "tiny")
    assert code == 1
    assert [(o["line"], o["kind"], o["side"]) for o in failed(doc)] == \
        [(5, "assert", "relaxed")]


def test_unknown_hardware_is_bad_input(capsys, tmp_path):
    code, doc, _ = run(capsys, tmp_path, ERROR_PROGRAM, "--hardware", "nosuch")
    assert code == 2
    msg = doc["files"][0]["diagnostics"][0]["message"]
    assert "nosuch" in msg


# ---------------------------------------------------------------- unknown, warnings

HARD = """
fn hard(x: int, y: int, z: int) -> int
  requires x > 0 && y > 0 && z > 0
{
  assert x * x * x + y * y * y != z * z * z;
  return 0;
}
"""


def test_unknown_is_never_verified(capsys, tmp_path):
    code, doc, _ = run(capsys, tmp_path, HARD, "--timeout", "0.2")
    assert code == 3
    [ob] = [o for o in obligations(doc) if o["line"] == 5 and o["side"] == "original"]
    assert ob["status"] == "unknown"
    assert "limit" in ob["reason"] or "time" in ob["reason"]
    assert doc["status"] == "unknown"


def test_tiny_timeout_keeps_a_limit():
    """Z3 reads a 0 ms timeout as no limit: 1e-300 s must still be a limit."""
    from relaxverify.verify.decider import z3_timeout_ms
    assert z3_timeout_ms(1e-300) == 1 and z3_timeout_ms(2.5) == 2500


def test_contradictory_preconditions_warn(capsys, tmp_path):
    code, doc, _ = run(capsys, tmp_path, """
fn f(x: int) -> int
  requires x > 0 && x < 0
{
  assert false;
  return x;
}
""")
    assert code == 0
    [w] = doc["files"][0]["diagnostics"]
    assert w["severity"] == "warning" and "contradictory" in w["message"]


def test_unsatisfiable_relax_warns(capsys, tmp_path):
    code, doc, _ = run(capsys, tmp_path, """
fn f(x: int) -> int {
  var y: int = x;
  relax (y) st (y > 0 && y < 0);
  return y;
}
""")
    assert code == 0
    [w] = doc["files"][0]["diagnostics"]
    assert w["line"] == 4 and "never be satisfied" in w["message"]


def test_contradictory_assume_warns_once(capsys, tmp_path):
    """An `assume` no original run can pass is an assumption that makes the rest
    vacuous; in a loop whose executions may part it is generated for several steps."""
    code, doc, _ = run(capsys, tmp_path, """
fn f(n: int) -> int
  requires n >= 0
{
  var m: int = n;
  relax (m) st (m >= 0);
  var i: int = 0;
  while (i < m) invariant 0 <= i {
    assume i < 0;
    i = i + 1;
  }
  if (n < 0) { assume n == 1; }
  return i;
}
""")
    assert code == 1  # R alone in the loop must still satisfy the assume
    [w] = doc["files"][0]["diagnostics"]
    assert w["line"] == 9 and "vacuously" in w["message"]


# ---------------------------------------------------------------- output

def test_text_output_has_frame_notes_and_summary(capsys, tmp_path):
    code, out, _ = run(capsys, tmp_path, """
fn f(a: int[], i: int) -> int {
  return a[i];
}
""", fmt="text")
    assert code == 1
    lines = out.splitlines()
    assert lines[0].endswith(":3:10: error: cannot prove that the index `i` is within "
                             "`0 <= i < len(a)` in the original execution")
    assert lines[1] == " 3 |   return a[i];"
    assert lines[2].strip() == "|          ^^^^".strip()
    assert any(line.startswith("  note: original: a = ") for line in lines)
    assert any("t.relax: " in line and "obligations:" in line and "1 failed" in line
               for line in lines)


def test_explain_prints_conditions_in_source_syntax(capsys, tmp_path):
    code, out, _ = run(capsys, tmp_path, """
fn f(x: int) -> int
  requires x > 0
{
  var y: int = x;
  relax (y) st (y >= old(y));
  if (y > 3) { y = 3; }
  accept y<r> >= y<o> || y<r> == 3;
  return y;
}
""", "--explain", fmt="text")
    assert code == 0
    assert "verified: accept (relational)" in out
    assert "prove: y<r> >= y<o> || y<r> == 3" in out
    assert "requires x<o> > 0" in out
    assert "relax y<r> := any value such that y<r> >= old(y<r>)" in out


def test_explain_lists_the_relational_precondition_the_proof_uses(capsys, tmp_path):
    """The accept holds only because x<o> == x<r>: `eq(x)` (written or the default) must
    be among the listed assumptions, though the verifier encodes it by sharing x."""
    src = """
fn f(x: int) -> int
  requires x >= 0
{
  var h: int = x / 2;
  relax (h) st (0 <= h && h <= old(h));
  accept h<r> <= h<o>;
  return h;
}
"""
    code, out, _ = run(capsys, tmp_path, src, "--explain", fmt="text")
    assert code == 0
    assert "line 2: requires_r x<o> == x<r> (the default)" in out
    code, out, _ = run(capsys, tmp_path, src.replace("requires x >= 0",
                                                     "requires x >= 0\n  requires_r eq(x)"),
                       "--explain", fmt="text")
    assert code == 0
    assert "line 4: requires_r x<o> == x<r>\n" in out


def test_explain_lists_earlier_checks_and_only_what_the_side_may_use(capsys, tmp_path):
    """The relaxed index check is proved from the original's check at the same
    statement (relative integrity) and the later assertion from the earlier one:
    both are listed. An original-side proof uses no fact of R: none is listed."""
    code, out, _ = run(capsys, tmp_path, """
fn f(x: int, a: int[]) -> int
  requires x > 0
{
  var y: int = a[x - 1];
  relax (y) st (y >= 0);
  assert x >= 1;
  return y;
}
""", "--explain", fmt="text")
    assert code == 1
    entries = {m[1]: m[0] for m in re.finditer(
        r"^\S+:\d+:\d+: (?:verified|failed|unknown): (\w+ \(\w+\)): .*\n(?:    .*\n)*", out, re.M)}
    relaxed_bounds = entries["bounds (relaxed)"]
    assert "line 5: passed the check 0 <= x<o> - 1 < len(a<o>)" in relaxed_bounds
    assert "prove: 0 <= x<r> - 1 < len(a<r>)" in relaxed_bounds
    original_assert = entries["assert (original)"]
    assert "line 5: passed the check 0 <= x<o> - 1 < len(a<o>)" in original_assert
    assert "<r>" not in original_assert and "line 6:" not in original_assert
    assert "line 6: relax y<r> := any value such that y<r> >= 0" in entries["assert (relaxed)"]


def _explained(out: str) -> dict:
    """The `--explain` entries of `out`, by "kind (side): words"."""
    return {m[1]: m[0] for m in re.finditer(
        r"^\S+:\d+:\d+: (?:verified|failed|unknown): (\w+ \(\w+\): .*)\n(?:    .*\n)*",
        out, re.M)}


def test_explain_shows_the_assignments_of_the_path_in_order(capsys):
    """The path of an obligation lists its assignments where they happen: the value
    returned, the loop's entry values, the update in the body, and the loop head as
    a step that gives the changed variables any values the invariant allows."""
    swish = Path(__file__).resolve().parent.parent / "examples" / "swish.relax"
    code = main(["verify", "--explain", "--fn", "present", "--format", "text", str(swish)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "after a step `x<o> := e`, the lines below it mean the new value" in out
    entries = _explained(out)
    [ensures] = [v for k, v in entries.items() if k.startswith("ensures (original)")]
    lines = [line.strip() for line in ensures.splitlines()]
    order = ["line 15: max_r<o> := max_results<o>", "line 18: num_r<o> := 0",
             "line 19: loop head (any iteration), num_r<o> := any value such that the "
             "invariant 0 <= num_r<o> && num_r<o> <= n<o> && num_r<o> <= max_r<o> holds",
             "line 19: loop exit !(num_r<o> < max_r<o> && num_r<o> < n<o>)",
             "line 25: result<o> := num_r<o>", "prove: 0 <= result<o> && result<o> <= n<o>"]
    assert [lines.index(x) for x in order] == sorted(lines.index(x) for x in order)
    [entry] = [v for k, v in entries.items() if k.startswith("invariant (original)")
               and "holds when the loop is entered" in k]
    assert "line 18: num_r<o> := 0" in entry and "line 15: max_r<o> := max_results<o>" in entry
    [step] = [v for k, v in entries.items() if k.startswith("invariant (relaxed)")
              and "preserved" in k]
    lines = [line.strip() for line in step.splitlines()]
    update = lines.index("line 22: num_r<r> := num_r<r> + 1")
    assert lines.index("line 19: loop condition num_r<r> < max_r<r> && num_r<r> < n<r>") < update
    assert "line 16: relax max_r<r> := any value such that" in step
    assert "only the relaxed execution is still in the loop" in step


def test_explain_shows_faults_branches_and_calls(capsys, tmp_path):
    """Relaxed values read sensibly where they may be faulty; an `if` ends with the
    variables it changed; a call's contract is shown on its arguments."""
    code, out, _ = run(capsys, tmp_path, """
fn g(x: int) -> int
  requires x >= 0
  ensures result >= x
{
  return x;
}

fn f(x: int) -> int
  requires x > 0
{
  var y: int = x +. 1;
  var z: int in urel = g(x + 1);
  if (y > 3) { y = 3; }
  var b: int[x];
  b[0] = y;
  accept y<r> >= y<o> || y<r> == 3;
  return y;
}
""", "--explain", fmt="text")
    entry = _explained(out)["accept (relational): the accepted relation "
                            "`y<r> >= y<o> || y<r> == 3` holds between the two executions"]
    assert "line 12: y<r> := x<r> +. 1 (unreliable: `+.` may return any value)" in entry
    assert "line 13: z<o> := g(x<o> + 1), a value `g`'s contract allows" in entry
    assert "line 13: g ensures z<o> >= x<o> + 1" in entry
    assert ("line 13: z<r> := any value (unreliable: the write to urel `z` may store any "
            "value)") in entry
    assert ("line 14: after the if (y<o> > 3), y<o> as set by the branch taken "
            "(then: line 14: y<o> := 3; else: no change)") in entry
    assert "line 15: b<o> := a new array of length x<o>, filled with 0" in entry
    assert "line 16: b<o>[0] := y<o>" in entry


def test_sarif_has_rule_ids(capsys, tmp_path):
    code, doc, _ = run(capsys, tmp_path, "fn f(x: int) { assert x > 0; }\n", fmt="sarif")
    assert code == 1
    [result] = doc["runs"][0]["results"]
    assert result["ruleId"] == "verify/assert"
    assert result["locations"][0]["physicalLocation"]["region"]["startLine"] == 1


def test_fn_selects_one_function(capsys, tmp_path):
    src = "fn good() { assert true; }\nfn bad(x: int) { assert x > 0; }\n"
    code, doc, _ = run(capsys, tmp_path, src, "--fn", "good")
    assert code == 0 and {o["function"] for o in obligations(doc)} == {"good"}
    code, doc, _ = run(capsys, tmp_path, src, "--fn", "nosuch")
    assert code == 2


def test_bad_input_exits_2(capsys, tmp_path):
    code, out, err = run(capsys, tmp_path, "fn f( { }\n", fmt="text")
    assert code == 2
    assert "Traceback" not in out + err


# ---------------------------------------------------------------- --smt2

@pytest.mark.skipif(shutil.which("z3") is None, reason="no z3 executable")
def test_smt2_files_give_the_same_answers(capsys, tmp_path):
    out_dir = tmp_path / "queries"
    code, doc, _ = run(capsys, tmp_path, """
fn f(x: int) -> int
  requires x >= 0
{
  var y: int = x / 2;
  assert y <= x;
  assert y < x;
  return y;
}
""", "--smt2", str(out_dir))
    assert code == 1
    files = sorted(out_dir.glob("*.smt2"))
    assert len(files) == len(obligations(doc))
    by_id = {o["id"]: o for o in obligations(doc)}
    for f in files:
        answer = subprocess.run(["z3", str(f)], capture_output=True, text=True,
                                timeout=60).stdout.split()[0]
        ob = next(o for oid, o in by_id.items()
                  if f.name == "t." + re.sub(r"[^A-Za-z0-9_.@#-]+", "_", oid) + ".smt2")
        assert answer == {"verified": "unsat", "failed": "sat"}[ob["status"]], f.name


# ---------------------------------------------------------------- encodings

@settings(max_examples=200, deadline=None)
@given(st.integers(-50, 50), st.integers(-9, 9).filter(lambda b: b != 0))
def test_floor_division_matches_python(a, b):
    q = z3.simplify(floor_div(z3.IntVal(a), z3.IntVal(b)))
    r = z3.simplify(floor_mod(z3.IntVal(a), z3.IntVal(b)))
    assert (q.as_long(), r.as_long()) == (a // b, a % b)


def _facts_for(n: int) -> int:
    body = "\n".join(f"  if (y > {k}) {{ s = s + 1; }} else {{ s = s - 1; }}" for k in range(n))
    item = load_source("t.relax", "fn f(x: int) -> int {\n  var y: int = x;\n"
                       "  relax (y) st (y >= old(y));\n  var s: int = 0;\n" + body +
                       "\n  assert s <= 1000;\n  return s;\n}\n")
    gen = VCGen(item.program, item.program.functions["f"], Faults(None), Decider(10, 10 ** 7))
    gen.run()
    return max(o.nfacts for o in gen.obligations.values())


def test_vc_size_grows_linearly_with_sequential_ifs():
    small, large = _facts_for(20), _facts_for(80)
    assert large <= 4.5 * small


# ---------------------------------------------------------------- examples

EXAMPLES = sorted((Path(__file__).parent.parent / "examples").glob("*.relax"))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_examples_verify_or_fail_where_annotated(path: Path, capsys) -> None:
    """Every example verifies, except on lines annotated `// V: kind side`; one whose
    header says `// Verify with --hardware NAME` verifies on that model."""
    from test_data import annotations
    expected = {line: text.split() for line, tag, text in annotations(path) if tag == "V"}
    model = re.search(r"^// Verify with --hardware (\w+)", path.read_text(), re.M)
    code = main(["verify", str(path), "--format", "json"]
                + (["--hardware", model.group(1)] if model else []))
    doc = json.loads(capsys.readouterr().out)
    bad = [(o["line"], o["kind"], o["side"], o["status"]) for o in obligations(doc)
           if o["status"] != "verified" and o["line"] not in expected]
    assert not bad, f"{path.name}: unexpected {bad}"
    for line, words in expected.items():
        assert any(o["line"] == line and o["kind"] == words[0] and o["status"] == "failed"
                   for o in obligations(doc)), f"{path.name}:{line}: expected {words}"
    assert code == (1 if expected else 0)


def test_trace_facts_with_quantifiers_are_evaluated(capsys, tmp_path):
    """Guards that contain quantifiers (from a quantified `requires`) are still
    decided in the model: the loop makes the trace abstract."""
    code, doc, _ = run(capsys, tmp_path, """
fn f(a: int[]) -> int
  requires forall j: int :: 0 <= j && j < len(a) ==> a[j] >= 0
{
  var s: int = 0;
  for i in 0 .. len(a) invariant s >= 0 { s = s + a[i]; }
  assert s > 0;
  return s;
}
""")
    assert code == 1
    obs = failed(doc)
    assert obs and all(o["concrete"] is False for o in obs)
    assert all(len(o["counterexample"]["original"]["a"]) <= 8 for o in obs)


# ---------------------------------------------------------------- loop nests


def nested_loops(depth: int) -> str:
    """`depth` nested counted loops around an accept: aligned at every level (the
    counters are the automatic candidates), so it verifies."""
    lines = ["fn f(n: int) -> int", "  requires n >= 0", "{", "  var s: int = 0;"]
    lines += ["  " * (k + 1) + f"for i{k} in 0 .. n {{" for k in range(depth)]
    lines.append("  " * (depth + 1) + f"s = s + 1; accept eq(i{depth - 1});")
    lines += ["  " * (k + 1) + "}" for k in reversed(range(depth))]
    lines += ["  return s;", "}"]
    return "\n".join(lines) + "\n"


def test_sixteen_nested_loops_verify_in_seconds(capsys, tmp_path):
    """The dry runs that decide loop candidates are cached per loop and skip the
    iterations: generation is polynomial in the nesting depth, not 4^depth."""
    import time
    t0 = time.process_time()  # CPU time (Z3 runs in-process): robust to a loaded machine
    code, doc, _ = run(capsys, tmp_path, nested_loops(16))
    assert time.process_time() - t0 < 10
    assert code == 0
    assert [o["status"] for o in obligations(doc)] == ["verified"]


WRONG_GUESS = """
fn f(n: int, m: int, d: int) -> int
  requires n >= 0 && m >= 0 && d >= 0
{
  var e: int = d;
  relax (e) st (e >= 0);
  var x: int = 0;
  while (x < n) {
    var j: int = 0;
    while (j < m) { j = j + 1 + e; }
    x = x + 1 + j;
  }
  accept eq(x);
  return x;
}
"""


class _AlwaysKept(dict):
    """Guesses that every candidate of every loop is kept (wrong for the inner loop
    of WRONG_GUESS, whose step `1 + e` differs between the executions)."""

    def get(self, key, default=None):
        return list(key[1])


def _verdicts(speculate: bool, guesses: bool = False) -> tuple[VCGen, list]:
    from relaxverify.verify.prover import ProverStats, prove
    item = load_source("t.relax", WRONG_GUESS)
    gen = VCGen(item.program, item.program.functions["f"], Faults(None), Decider(10, 10 ** 7))
    gen.wire(speculate)
    if guesses:
        gen.loops._kept = _AlwaysKept()
    gen.run()
    obs = list(gen.obligations.values())
    for ob in obs:
        prove(gen, ob, 10, ProverStats())
    return gen, [(o.kind, o.side, o.span.line, o.status) for o in obs]


def test_a_wrong_guess_for_an_inner_loop_is_caught_by_the_real_iteration(monkeypatch):
    """In a dry run an inner loop's candidates are trusted from its last run; the
    loop around must then prove its own candidates in the real iteration, and on a
    failure the function is generated again without guesses."""
    gen, verdicts = _verdicts(speculate=True, guesses=True)
    assert gen.loops.speculate is False  # the guess was caught, and generation redone
    assert verdicts == _verdicts(speculate=False)[1]
    assert ("accept", "relational", 13, "failed") in verdicts
    # without the real iteration's check the wrong guess would verify the accept
    from relaxverify.verify.loops import LoopRule
    plain = LoopRule.iteration
    monkeypatch.setattr(LoopRule, "iteration", lambda self, *a, keeps=(), **k:
                        plain(self, *a, **k))
    gen, unchecked = _verdicts(speculate=True, guesses=True)
    assert gen.loops.speculate is True
    assert ("accept", "relational", 13, "verified") in unchecked


def test_loop_nests_cost_linear_in_depth(monkeypatch):
    """Each loop of a nest decides its candidates with one dry run of its body, in
    which inner loops reuse their last decision: dry runs grow linearly in depth."""
    from relaxverify.verify.loops import LoopRule
    counts = []
    plain = LoopRule.preserved

    def counted(self, *args):
        counts[-1] += 1
        return plain(self, *args)

    monkeypatch.setattr(LoopRule, "preserved", counted)
    for depth in (8, 16):
        counts.append(0)
        item = load_source("t.relax", nested_loops(depth))
        gen = VCGen(item.program, item.program.functions["f"], Faults(None),
                    Decider(10, 10 ** 7))
        gen.run()
        assert gen.loops.speculate
    assert counts[1] <= 2 * counts[0] + 2, counts


def test_generation_time_limit_reports_unknown_never_verified():
    item = load_source("t.relax", nested_loops(3).replace("s = s + 1;",
                                                          "s = s + 1; assert s > 0;"))
    gen = VCGen(item.program, item.program.functions["f"], Faults(None), Decider(10, 10 ** 7))
    gen.time_limit = 0.0
    gen.run()
    from relaxverify.verify.prover import ProverStats, prove
    obs = list(gen.obligations.values())
    for ob in obs:
        prove(gen, ob, 10, ProverStats())
    assert gen.stopped and "time limit" in gen.stopped
    assert {(o.kind, o.side) for o in obs} == {("assert", "original"), ("assert", "relaxed"),
                                               ("accept", "relational")}
    assert len(obs) == 3
    assert all(o.status == "unknown" and "time limit" in o.message for o in obs)


def test_contradictory_callee_contract_warns_at_the_call(capsys, tmp_path):
    """LANGUAGE.md §6: a recursive function proves a contradictory `ensures` for
    itself, and every caller's obligation after the call then holds vacuously."""
    code, doc, _ = run(capsys, tmp_path, """
fn bad(x: int) -> int
  requires x >= 0
  ensures result == x + 1 && result == x
{
  var r: int = bad(x);
  return r;
}

fn user(x: int) -> int
  requires x >= 0
{
  var y: int = bad(x);
  assert y == 12345;
  return y;
}
""")
    assert code == 0  # vacuously: hence the warnings
    warnings = [d for d in doc["files"][0]["diagnostics"] if d["severity"] == "warning"]
    assert sorted(d["line"] for d in warnings) == [6, 13]
    assert all("contract of `bad` is contradictory" in d["message"]
               and "holds vacuously" in d["message"] for d in warnings)


def test_consistent_callee_contract_does_not_warn(capsys, tmp_path):
    code, doc, _ = run(capsys, tmp_path, """
fn inc(x: int) -> int
  ensures result == x + 1
{
  return x + 1;
}

fn user(x: int) -> int {
  var y: int = inc(x);
  assert y == x + 1;
  return y;
}
""")
    assert code == 0 and doc["files"][0]["diagnostics"] == []


def test_a_summary_failure_through_arbitrary_faults_points_at_an_error_bound(tmp_path):
    """A relational invariant that no invariant could keep (the faulty `+.` may return
    any value): the hint names the model's `error` bound, not only a stronger
    invariant (the ports of the literature's benchmarks were misled by it)."""
    from conftest import run_cli
    path = tmp_path / "h.relax"
    path.write_text("""hardware hw {
  operator +. = 0.999;
}
fn f(a: real[]) -> real
  requires len(a) == 4
{
  var s: real = 0.0;
  for i in 0 .. 4 invariant_r abs(s<o> - s<r>) <= 1.0 {
    s = s +. a[i];
  }
  return s;
}
""")
    out = run_cli("verify", path)
    assert out.code == 1 and "8:31: error: cannot prove that the relational invariant" in out.out
    assert "give the operator or memory an `error` bound in the hardware model" in out.out
