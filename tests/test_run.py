"""`relaxverify run`: arguments, exit codes, JSON, seeded reproducibility, and Monte
Carlo estimates whose 95% interval contains the exact reliability (by enumeration)."""
from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from conftest import ROOT
from relaxverify.cli.main import main
from relaxverify.run.montecarlo import monte_carlo, wilson
from relaxverify.pipeline import load_source

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

SRC = """
hardware h {
  operator <. = 0.7;
  operator +. = 0.6 error 1;
  operator *. = 0.9;
  memory urel read = 0.95 write = 0.8;
}

fn branch(x: int) -> int {
  var r: int = 0;
  if (x <. 5) { r = 1; } else { r = 1 +. 0; }
  return r;
}

fn mem(x: int in urel) -> int {
  var y: int in urel = x;
  return y *. 3;
}

fn div(a: int[], i: int) -> int {
  var q: int = 100 / a[i];
  assert q < 50;
  return q;
}

fn flag(b: bool, xs: real[]) -> bool { return b && len(xs) > 1; }

fn shortcut(x: int) -> int {
  var b: bool = x <. 0 && x +. 1 > 5;
  var y: int = x +. 2;
  var z: int = y *. 1;
  return z;
}
"""


@pytest.fixture
def relax_file(tmp_path: Path) -> Path:
    p = tmp_path / "t.relax"
    p.write_text(SRC)
    return p


def run_json(capsys, *argv: str) -> tuple[int, dict]:
    code = main(["run", *argv, "--format", "json"])
    return code, json.loads(capsys.readouterr().out)


def test_result_and_json(relax_file, capsys):
    code, doc = run_json(capsys, str(relax_file), "--fn", "div", "--arg", "a=[3, 4]",
                         "--arg", "i=1")
    assert code == 0 and doc["result"] == 25 and doc["error"] is None
    code, doc = run_json(capsys, str(relax_file), "--fn", "flag", "--arg", "b=true",
                         "--arg", "xs=[0.5, 1e-3]")
    assert code == 0 and doc["result"] is True


@pytest.mark.parametrize("args,kind,line", [
    (["a=[3]", "i=1"], "bounds", 21), (["a=[0]", "i=0"], "division", 21),
    (["a=[1]", "i=0"], "assert", 22)])
def test_runtime_failure_exit_1(relax_file, capsys, args, kind, line):
    code, doc = run_json(capsys, str(relax_file), "--fn", "div",
                         *itertools.chain.from_iterable(("--arg", a) for a in args))
    assert code == 1 and doc["error"]["kind"] == kind and doc["error"]["line"] == line
    assert doc["result"] is None


def test_text_failure_has_location_and_code_frame(relax_file, capsys):
    code = main(["run", str(relax_file), "--fn", "div", "--arg", "a=[3]", "--arg", "i=1"])
    out = capsys.readouterr().out
    assert code == 1
    assert f"{relax_file}:21:" in out and "error: index 1 is outside the array `a`" in out
    assert "^" in out


@pytest.mark.parametrize("argv,needle", [
    (["--fn", "div", "--arg", "a=[1]"], "add --arg i="),
    (["--fn", "div", "--arg", "a=[1]", "--arg", "i=x"], "not a whole number"),
    (["--fn", "div", "--arg", "a=1", "--arg", "i=0"], "in brackets"),
    (["--fn", "div", "--arg", "a=[1,", "--arg", "i=0"], "in brackets"),
    (["--fn", "div", "--arg", "a=[1]", "--arg", "i=0", "--arg", "j=2"], "no parameter `j`"),
    (["--fn", "div", "--arg", "a=[1]", "--arg", "i"], "NAME=VALUE"),
    (["--fn", "flag", "--arg", "b=yes", "--arg", "xs=[]"], "`true` or `false`"),
    (["--fn", "nope"], "no function `nope`"),
    ([], "--fn NAME"),
    (["--fn", "div", "--arg", "a=[1]", "--arg", "i=0", "--hardware", "warp"], "unknown hardware"),
    (["--fn", "div", "--arg", "a=[1]", "--arg", "i=0", "--trials", "0"], "--trials"),
])
def test_bad_arguments_exit_2(relax_file, capsys, argv, needle):
    code = main(["run", str(relax_file), *argv])
    captured = capsys.readouterr()
    assert code == 2
    assert needle in captured.out + captured.err
    assert "Traceback" not in captured.out + captured.err


def test_run_takes_one_file(relax_file, capsys):
    assert main(["run", str(relax_file), str(relax_file), "--fn", "div"]) == 2
    assert "exactly one file" in capsys.readouterr().out


def test_bad_semantics_is_usage_error(relax_file, capsys):
    assert main(["run", str(relax_file), "--semantics", "fuzzy"]) == 2
    assert "invalid choice" in capsys.readouterr().err


def test_seeded_runs_are_reproducible(relax_file, capsys):
    argv = [str(relax_file), "--fn", "mem", "--arg", "x=7", "--trials", "2000", "--hardware", "h"]
    _, a = run_json(capsys, *argv, "--seed", "5")
    _, b = run_json(capsys, *argv, "--seed", "5")
    _, c = run_json(capsys, *argv, "--seed", "6")
    assert a == b and a["correct"] != c["correct"]
    singles = set()
    for seed in range(8):
        _, d = run_json(capsys, str(relax_file), "--fn", "mem", "--arg", "x=7",
                        "--hardware", "h", "--seed", str(seed))
        _, e = run_json(capsys, str(relax_file), "--fn", "mem", "--arg", "x=7",
                        "--hardware", "h", "--seed", str(seed))
        assert d == e
        singles.add(d["result"])
    assert 21 in singles and len(singles) > 1


# ---------------------------------------------------------------- exact reliability


def enumerate_reliability(sites: list[float], correct) -> float:
    """Sum, over every pattern of site outcomes (True = fault), of its probability
    times the probability that the result is then correct."""
    total = 0.0
    for pattern in itertools.product((False, True), repeat=len(sites)):
        p = 1.0
        for prob, fault in zip(sites, pattern):
            p *= (1 - prob) if fault else prob
        total += p * correct(*pattern)
    return total


def test_wilson_interval():
    lo, hi = wilson(50, 100)
    assert lo == pytest.approx(0.4038, abs=1e-4) and hi == pytest.approx(0.5962, abs=1e-4)
    assert wilson(100, 100)[1] == 1.0 and wilson(0, 100)[0] == 0.0


@pytest.mark.parametrize("fn,x,exact", [
    # `x <. 5` (0.7) picks the branch; the else branch computes 1 +. 0 (0.6, error 1:
    # a faulty int sum is uniform in {0, 1, 2}, so right with probability 1/3).
    ("branch", 3, enumerate_reliability([0.7, 0.6], lambda cmp, add:
                                        1.0 if not cmp else (1.0 if not add else 1 / 3))),
    ("branch", 9, enumerate_reliability([0.7, 0.6], lambda cmp, add:
                                        1.0 if cmp else (1.0 if not add else 1 / 3))),
    # write y, read x, read y, *. : every fault (a bit flip) changes the result.
    ("mem", 7, enumerate_reliability([0.8, 0.95, 0.95, 0.9],
                                     lambda *faults: 0.0 if any(faults) else 1.0)),
    # a straight-line run whose first site may skip the second (short-circuit): only
    # `x +. 2` (0.6, error 1: right with probability 1/3 when faulty) and `*.` matter
    ("shortcut", 3, enumerate_reliability([0.6, 0.9], lambda add, mul:
                                          0.0 if mul else (1 / 3 if add else 1.0))),
])
def test_monte_carlo_interval_contains_exact_reliability(fn, x, exact):
    item = load_source("t.relax", SRC)
    model = item.program.hardware["h"]
    mc = monte_carlo(item.program, fn, [x], model, 20000, seed=11)
    lo, hi = mc.interval
    assert lo <= exact <= hi, (mc.fraction, exact)


def test_trials_json_and_static_value(relax_file, capsys):
    code, doc = run_json(capsys, str(relax_file), "--fn", "mem", "--arg", "x=7",
                         "--hardware", "h", "--trials", "5000")
    assert code == 0 and doc["trials"] == 5000 and 0 <= doc["correct"] <= 5000
    assert doc["reliability"] == doc["correct"] / 5000
    lo, hi = doc["interval"]
    assert lo <= doc["reliability"] <= hi
    assert doc["static_value"] == pytest.approx(0.8 * 0.95 * 0.95 * 0.9)
    assert doc["result"] == 21


def test_static_value_above_interval_is_a_soundness_failure(relax_file, capsys, monkeypatch):
    import relaxverify.reliability.analysis as rel
    monkeypatch.setattr(rel, "function_value", lambda program, fn, model: 0.99)
    code, doc = run_json(capsys, str(relax_file), "--fn", "mem", "--arg", "x=7",
                         "--hardware", "h", "--trials", "2000")
    assert code == 1 and doc["status"] == "failed"
    assert "soundness" in doc["files"][0]["diagnostics"][0]["message"]


def test_skipping_is_the_same_sample_as_running(relax_file):
    """A skipped trial consumes the budget a fault-free run would: same seed, same count."""
    item = load_source("newton.relax", (EXAMPLES / "newton.relax").read_text())
    from relaxverify.check.hardware import find_model
    model = find_model(item.program, "aggressive")
    runs = [monte_carlo(item.program, "newton_sqrt", [2.0], model, 3000, seed=4, skip=skip)
            for skip in (True, False)]
    assert runs[0].correct == runs[1].correct


def test_skipping_fault_free_trials_does_not_bias(relax_file):
    item = load_source("t.relax", SRC)
    model = item.program.hardware["h"]
    exact = 0.8 * 0.95 * 0.95 * 0.9
    for skip in (True, False):
        mc = monte_carlo(item.program, "mem", [7], model, 20000, seed=3, skip=skip)
        assert mc.interval[0] <= exact <= mc.interval[1]


def test_examples_newton_and_motion(capsys):
    code, doc = run_json(capsys, str(EXAMPLES / "newton.relax"), "--arg", "v=2.0")
    assert code == 0 and doc["result"] == pytest.approx(2 ** 0.5)
    code, doc = run_json(capsys, str(EXAMPLES / "newton.relax"), "--arg", "v=2.0",
                         "--trials", "3000", "--hardware", "aggressive")
    assert code == 0 and doc["static_value"] <= doc["interval"][1]
    pblocks = [(7 * i) % 23 for i in range(64)]
    cblock = [(5 * i) % 17 for i in range(16)]
    code, doc = run_json(capsys, str(EXAMPLES / "motion_estimation.relax"),
                         "--arg", f"pblocks={pblocks}", "--arg", f"cblock={cblock}",
                         "--trials", "1000", "--hardware", "aggressive")
    assert code == 0 and doc["static_value"] <= doc["interval"][1]
    best = min(range(4), key=lambda b: sum((pblocks[b * 16 + j] - cblock[j]) ** 2
                                           for j in range(16)))
    assert doc["result"] == best


def test_progress_bar_only_on_a_terminal(monkeypatch, capsys):
    from relaxverify.cli.run import _Progress
    quiet = _Progress(100)  # pytest's stderr is not a terminal
    quiet.start -= 10
    quiet.update(50)
    assert quiet.bar is None
    monkeypatch.setattr("sys.stderr.isatty", lambda: True, raising=False)
    bar = _Progress(100)
    bar.update(10)  # the first half second: nothing yet
    assert bar.bar is None
    bar.start -= 10
    bar.update(60)
    assert bar.bar is not None
    bar.close()
    assert capsys.readouterr().out == ""


BEYOND = """
const BIG: real = 1e400;
fn id(x: real) -> real { return x; }
fn third(x: real) -> real { return x / 3.0; }
fn lit() -> real { return 0.0 - BIG; }
fn square(n: int) -> int { return n * n; }
"""


def test_reals_beyond_the_float_range_stay_exact(tmp_path, capsys):
    """`real` is exact (LANGUAGE.md section 2): a real beyond the largest double is
    kept and printed exactly (JSON: an int when whole, else the fraction's text);
    with --float-reals it rounds to inf as IEEE-754 does."""
    p = tmp_path / "big.relax"
    p.write_text(BEYOND)
    code, doc = run_json(capsys, str(p), "--fn", "id", "--arg", "x=1e400")
    assert code == 0 and doc["result"] == 10 ** 400
    code, doc = run_json(capsys, str(p), "--fn", "third", "--arg", "x=1e400", "--exact")
    assert code == 0 and doc["result"] == f"{10 ** 400}/3"
    code, doc = run_json(capsys, str(p), "--fn", "lit")
    assert code == 0 and doc["result"] == -10 ** 400
    code, doc = run_json(capsys, str(p), "--fn", "id", "--arg", "x=1e400", "--float-reals")
    assert code == 0 and doc["result"] == "inf" and doc["arithmetic"]["reals"] == "float64"
    code, doc = run_json(capsys, str(p), "--fn", "lit", "--float-reals")
    assert code == 0 and doc["result"] == "-inf"


def test_ints_of_any_size_are_printed(tmp_path, capsys):
    """ints are unbounded: Python 3.11+ refuses str() of more than 4300 digits."""
    p = tmp_path / "big.relax"
    p.write_text(BEYOND)
    n = "7" * 5000
    assert main(["run", str(p), "--fn", "square", "--arg", f"n={n}"]) == 0
    out = capsys.readouterr().out.strip()  # 9999 or 10000 digits
    assert out.startswith("result: 6049") and len(out) > len("result: ") + 9990


def test_an_int_squared_in_a_loop_stops_at_a_limit(tmp_path, capsys):
    """ints are unbounded, but 3^(2^40) would fill the memory (a faulty value squared
    in a loop does it under --trials): a `limit` failure at the product, exit 1."""
    p = tmp_path / "square.relax"
    p.write_text("fn square(x: int, n: int) -> int\n{\n  var y: int = x;\n"
                 "  var i: int = 0;\n  while (i < n) {\n    y = y * y;\n    i = i + 1;\n"
                 "  }\n  return y;\n}\n")
    assert main(["run", str(p), "--fn", "square", "--arg", "x=3", "--arg", "n=40"]) == 1
    out = capsys.readouterr().out
    assert f"{p}:6:9: error: this product has" in out and "more than the interpreter allows" in out
    assert main(["run", str(p), "--fn", "square", "--arg", "x=3", "--arg", "n=4"]) == 0
    assert capsys.readouterr().out.strip() == f"result: {3 ** 16}"


def test_a_grid_of_empty_rows_is_limited_by_its_rows(tmp_path, capsys):
    """`T[n, 0]` has no element but n rows: a huge n (a faulty read of n does it
    under --trials) stops at a `limit` failure instead of filling the memory."""
    p = tmp_path / "rows.relax"
    p.write_text("fn rows(n: int) -> int\n  requires n >= 0\n{\n  var g: int[n, 0];\n"
                 "  return len(g, 0);\n}\n")
    assert main(["run", str(p), "--arg", "n=100000000"]) == 1
    out = capsys.readouterr().out
    assert f"{p}:4:3: error: the array `g` would have 100000000 rows, more than the " \
           "interpreter allows (10000000)" in out
    assert main(["run", str(p), "--arg", "n=5"]) == 0
    assert capsys.readouterr().out.strip() == "result: 5"


@pytest.mark.parametrize("inherited", ["default", "ignored"])
def test_ctrl_c_stops_a_run_without_a_traceback(tmp_path, inherited):
    """Ctrl-C stops a run with exit 130 and no traceback, also when the tool was
    started with SIGINT ignored (as a background job starts its children): it
    restores the default handler itself."""
    import signal
    import subprocess
    import sys
    import time
    p = tmp_path / "loop.relax"
    p.write_text("fn f() -> int { var i: int = 0; while (true) { i = i + 1; } return i; }\n")
    ignore = (lambda: signal.signal(signal.SIGINT, signal.SIG_IGN)) if inherited == "ignored" \
        else None
    proc = subprocess.Popen([sys.executable, "-m", "relaxverify", "run", str(p),
                             "--max-steps", "1000000000000"], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=ignore)
    time.sleep(2)
    proc.send_signal(signal.SIGINT)
    try:
        _, err = proc.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        pytest.fail("the run did not stop on Ctrl-C")
    assert proc.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err, err


UNIT = """
hardware h { operator +. = 0.5; }
fn u(x: int) { var y: int = x +. 1; assert y > 0; }
"""


def test_function_without_result_counts_failed_runs_in_the_static_value(tmp_path, capsys):
    """A faulty run that fails the assert counts as incorrect, so the static value
    of a function without a result is its crash summary, not 1.0 (which was
    reported as a soundness failure)."""
    p = tmp_path / "u.relax"
    p.write_text(UNIT)
    code, doc = run_json(capsys, str(p), "--fn", "u", "--arg", "x=1", "--hardware", "h",
                         "--trials", "20000", "--seed", "1")
    assert doc["failed_runs"] > 0 and doc["static_value"] == pytest.approx(0.5)
    assert code == 0 and doc["static_value"] <= doc["interval"][1]
    main(["run", str(p), "--fn", "u", "--arg", "x=1", "--hardware", "h", "--trials", "10"])
    assert "None" not in capsys.readouterr().out


def test_exact_choice_beyond_the_float_range(tmp_path, capsys):
    p = tmp_path / "huge.relax"
    p.write_text("fn h() -> real { var x: real = 0.0; havoc (x) st (x >= 1e400); return x; }\n")
    code, doc = run_json(capsys, str(p), "--exact")
    assert code == 0 and doc["error"] is None  # it was "cannot convert NaN to integer ratio"
    assert doc["result"] == "inf" or doc["result"] >= 10 ** 400


def test_irrational_choice_is_a_clear_failure(tmp_path, capsys):
    """Z3 answers x = sqrt(2); neither a float nor a rational satisfies the predicate,
    so the run stops at the havoc instead of failing the verified assert after it."""
    p = tmp_path / "alg.relax"
    p.write_text("fn h() -> real {\n  var x: real = 0.0;\n"
                 "  havoc (x) st (x * x == 2.0 && x > 0.0);\n"
                 "  assert x * x == 2.0;\n  return x;\n}\n")
    for extra in ([], ["--exact"]):
        code, doc = run_json(capsys, str(p), *extra)
        assert code == 1 and doc["error"]["kind"] == "havoc" and doc["error"]["line"] == 3


# ---------------------------------------------------------------- data-driven runs

DATA = Path(__file__).resolve().parent / "data" / "run"


def run_cases() -> list:
    """`// RUN: ARGS => CODE KIND `SPAN`` or `=> CODE result VALUE` before a function."""
    cases = []
    for path in sorted(DATA.glob("*.relax")):
        pending = None
        for line in path.read_text().splitlines():
            if line.startswith("// RUN:"):
                pending = line[len("// RUN:"):].strip()
            elif line.startswith("fn ") and pending is not None:
                name = line[3:].split("(")[0].strip()
                cases.append(pytest.param(path, name, pending, id=f"{path.stem}:{name}"))
                pending = None
    return cases


@pytest.mark.parametrize("path,name,spec", run_cases())
def test_data_runs(path, name, spec, capsys):
    argv, expect = spec.split("=>")
    code, doc = run_json(capsys, str(path), "--fn", name, *argv.split())
    want = expect.split(None, 2)
    assert code == int(want[0]), doc
    if want[1] == "result":
        assert doc["result"] == json.loads(want[2]) and doc["error"] is None
        return
    err = doc["error"]
    assert err["kind"] == want[1], err
    lines = path.read_text().splitlines()
    text = want[2].strip().strip("`")
    assert lines[err["line"] - 1][err["column"] - 1:].startswith(text), err
    if "predicate" in path.stem:
        assert "predicate is undefined here" in err["message"]


# ---------------------------------------------------------------- one semantics (holes)


def test_choices_are_replayed_per_statement_occurrence(capsys):
    """hole 3: a havoc that runs only in a faulty branch must not shift the choice of
    the later havoc: the interval contains the exact reliability 0.95 (= static)."""
    path = DATA / "havoc_in_faulty_branch.relax"
    code, doc = run_json(capsys, str(path), "--arg", "x=3", "--hardware", "h",
                         "--trials", "20000")
    lo, hi = doc["interval"]
    assert code == 0 and lo <= 0.95 <= hi, doc
    assert doc["static_value"] == pytest.approx(0.95)


def straight_line(n: int) -> str:
    return ("fn f(x: int) -> int {\n  var y: int = x;\n"
            + "".join("  y = y + 1;\n" for _ in range(n)) + "  return y;\n}\n")


def test_straight_line_code_runs_in_linear_time(tmp_path, capsys):
    """hole 8: every statement rescanned the rest of its straight-line run."""
    import time
    from relaxverify.run.runtime import Interpreter
    from relaxverify.run.options import Options
    times = []
    for n in (1000, 8000):
        item = load_source("s.relax", straight_line(n))
        best = float("inf")
        for _ in range(3):  # the best of three: the machine may be shared
            t = time.perf_counter()
            out = Interpreter(item.program, "f", Options()).run([1])
            best = min(best, time.perf_counter() - t)
        times.append(best / n)
        assert out.result == n + 1
    assert times[1] < 3 * times[0], times  # quadratic would be about 8
    p = tmp_path / "s.relax"
    p.write_text(straight_line(3000))
    code, doc = run_json(capsys, str(p), "--arg", "x=1", "--hardware", "aggressive")
    assert code == 0 and doc["error"] is None


def test_deeply_nested_expression_runs(tmp_path, capsys):
    """hole 9: 5,000 nested unary minus (which `check` accepts) was rejected as a
    chain of unreliable operations; it is written flat, with temporaries."""
    p = tmp_path / "neg.relax"
    p.write_text("fn f(x: int) -> int {\n  var y: int = " + "-" * 5001 + "x;\n"
                 "  var b: bool = " + "!" * 3000 + "(x > 0 && y < 0 || x / 0 > 1);\n"
                 "  assert b;\n  return y;\n}\n")
    code, doc = run_json(capsys, str(p), "--arg", "x=3")
    assert code == 0 and doc["result"] == -3  # `||` still short-circuits: no division


def test_deeply_nested_ifs_run(tmp_path, capsys):
    """hole 9: `if`s nested beyond Python's 100 levels of indentation are written
    with guard variables, so 3,000 nested `if`/`else` run as `check` accepts them."""
    depth = 3000
    p = tmp_path / "ifs.relax"
    p.write_text("fn f(x: int) -> int {\n  var y: int = 0;\n"
                 + "".join(f"if (x > {i}) {{\n y = y + 1;\n" for i in range(depth))
                 + "y = y * 2;\n" + "} else { y = y - 1; }\n" * depth + "  return y;\n}\n")
    for x, want in ((3, 2), (-1, -1), (depth + 5, 2 * depth)):
        code, doc = run_json(capsys, str(p), "--arg", f"x={x}")
        assert code == 0 and doc["result"] == want, doc


def test_deeply_nested_loops_name_the_cause(tmp_path, capsys):
    depth = 25
    p = tmp_path / "loops.relax"
    p.write_text("fn f(x: int) -> int {\n  var y: int = 0;\n"
                 + "".join(f"for i{i} in 0 .. 1 {{\n" for i in range(depth)) + "y = y + 1;\n"
                 + "}\n" * depth + "  return y;\n}\n")
    code, doc = run_json(capsys, str(p), "--arg", "x=3")
    (d,) = doc["files"][0]["diagnostics"]
    assert code == 2 and "loops are nested 25 deep" in d["message"], d
    assert "unreliable" not in d["message"] and d["line"] == depth + 2


@pytest.mark.parametrize("arg,words", [
    ("a=[1,[2]]", ["element 2 of `a`", "is an array, not an int"]),
    ("a=[1,x]", ["element 2 of `a`", "not an int"]),
    ("n=\u0661", ["ASCII digits 0-9"]),
    ("a=[\u0661]", ["ASCII digits 0-9"]),
])
def test_bad_arguments_say_what_is_wrong(tmp_path, capsys, arg, words):
    p = tmp_path / "args.relax"
    p.write_text("fn f(a: int[], n: int) -> int { return n; }\n")
    other = "n=1" if arg.startswith("a=") else "a=[1]"
    code, doc = run_json(capsys, str(p), "--arg", arg, "--arg", other)
    message = doc["files"][0]["diagnostics"][0]["message"]
    assert code == 2 and all(w in message for w in words), message
    assert "is an int, but `[" not in message


def test_deep_recursion_fails_at_the_call(tmp_path, capsys):
    """hole 9: the call depth is a `limit` check of the call (core/checks.py), reported
    at the recursive call, not at the function's header."""
    p = tmp_path / "rec.relax"
    p.write_text("fn down(n: int) -> int {\n  var r: int = 0;\n  if (n > 0) {\n"
                 "    r = down(n - 1);\n  }\n  return r;\n}\n")
    code, doc = run_json(capsys, str(p), "--arg", "n=20000")
    assert code == 1 and doc["error"]["kind"] == "limit" and doc["error"]["line"] == 4
    assert "10,000 calls deep" in doc["error"]["message"]
    code, doc = run_json(capsys, str(p), "--arg", "n=9000")
    assert code == 0 and doc["result"] == 0


@pytest.mark.parametrize("static,code,words", [
    (0.665, 0, ["may be chance", "rerun with more trials"]),
    (0.69, 1, ["soundness failure", "99.9% one-sided upper confidence bound"]),
])
def test_static_value_above_the_interval_by_chance_or_not(relax_file, capsys, monkeypatch,
                                                          static, code, words):
    """hole 10: above the 95% interval is a soundness failure only above the 99.9%
    one-sided bound; between the two it may be chance and the exit code is 0."""
    import relaxverify.reliability.analysis as rel
    monkeypatch.setattr(rel, "function_value", lambda program, fn, model: static)
    got, doc = run_json(capsys, str(relax_file), "--fn", "mem", "--arg", "x=7",
                        "--hardware", "h", "--trials", "2000")
    lo, hi = doc["interval"]
    from relaxverify.run.montecarlo import upper_bound
    strict = upper_bound(doc["correct"], doc["trials"], 0.999)
    assert hi < static and (static > strict) == (code == 1), (hi, strict)
    assert got == code
    main(["run", str(relax_file), "--fn", "mem", "--arg", "x=7", "--hardware", "h",
          "--trials", "2000"])
    out = capsys.readouterr().out
    assert all(word in out for word in words), out


def test_seed_sweep_on_exact_bounds_has_no_false_soundness_failure():
    """hole 10: rel_example's bounds are exact, so the static value is above the 95%
    interval for about 1 seed in 40; none of 80 seeds is a soundness failure."""
    from relaxverify.pipeline import load
    from relaxverify.run.session import RunOptions, run_function
    item = load(str(Path(__file__).resolve().parent.parent / "docs/snippets/rel_example.relax"))
    chance = 0
    for seed in range(80):
        result = run_function(item, "smooth", RunOptions(args=["a=[1,2,3,4]"], trials=300,
                                                         seed=seed, hardware="medium"))
        report = result.files[0]
        assert report.status != "failed", (seed, report.diagnostics)
        chance += any("may be chance" in line for line in report.lines)
    assert chance < 20


def test_monte_carlo_trials_recurse_as_deep_as_the_fault_free_run():
    """The fault-free run may nest 10,000 calls; the trials must be allowed as much
    (a Python recursion limit below it made every trial a failed run)."""
    from relaxverify.check.hardware import find_model
    item = load_source("r.relax", "fn down(n: int) -> int {\n  var r: int = 0;\n"
                       "  if (n > 0) {\n    r = down(n - 1);\n  }\n  return r +. 0;\n}\n")
    mc = monte_carlo(item.program, "down", [3000], find_model(item.program, "medium"), 50,
                     skip=False)
    assert mc.reference.failure is None and mc.failures == 0 and mc.correct > 0


@pytest.mark.parametrize("pred", ["b ==> x >= 100", "x < 100 ==> !b", "!b || x >= 100"])
def test_a_chosen_boolean_takes_both_values_over_seeds(pred):
    """Predicates that go to Z3 (implications) get a random pivot for a boolean target,
    as the simple ones (disjunctions of ranges) get a random value."""
    from relaxverify import api
    source = ("fn f(x: int) -> bool {\n  var b: bool = false;\n"
              f"  relax (b) st ({pred});\n  return b;\n}}\n")
    seen = {api.result_value(api.run(source=source, options=api.RunOptions(
        fn="f", args={"x": "100"}, semantics="relaxed", seed=seed))) for seed in range(16)}
    assert seen == {True, False}
    small = {api.result_value(api.run(source=source, options=api.RunOptions(
        fn="f", args={"x": "5"}, semantics="relaxed", seed=seed))) for seed in range(16)}
    assert small == {False}


def test_interleaved_runs_put_the_recursion_limit_back() -> None:
    """Two runs in threads whose raised limits overlap (A in, B in, A out, B out):
    the limit is the caller's again afterwards, not A's raised one."""
    import sys
    import threading
    from relaxverify.run.recursion import deep_recursion
    before = sys.getrecursionlimit()
    a_in, a_out, b_in = threading.Event(), threading.Event(), threading.Event()

    def a() -> None:
        with deep_recursion(before + 5000):
            a_in.set()
            b_in.wait(10)
        a_out.set()

    def b() -> None:
        a_in.wait(10)
        with deep_recursion(before + 7000):
            b_in.set()
            a_out.wait(10)
            assert sys.getrecursionlimit() >= before + 7000

    threads = [threading.Thread(target=a), threading.Thread(target=b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert sys.getrecursionlimit() == before
