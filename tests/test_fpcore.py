"""FPCore import (docs/fpcore.md): FPBench benchmarks translate to the expected Relax
text; every construct Relax lacks, and any garbage, is a located error with exit 2."""
from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import run_cli
from relaxverify.fpcore import FPCoreError, translate_text

DATA = Path(__file__).resolve().parent / "data" / "fpcore"
CASES = sorted(DATA.glob("*.fpcore"))
FPBENCH = ["doppler1", "rigidBody1", "jetEngine", "verhulst", "predatorPrey", "carbonGas",
           "turbine1", "sineOrder3", "sqroot"]


def translate(text: str, path: str = "t.fpcore") -> str:
    return translate_text(text, path)


def problems(text: str) -> list[tuple[int, int, str]]:
    with pytest.raises(FPCoreError) as info:
        translate(text)
    return [(p.line, p.column, p.message) for p in info.value.problems]


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_translation_equals_the_expected_relax(path: Path) -> None:
    expected = path.with_suffix(".relax").read_text(encoding="utf-8")
    assert translate(path.read_text(encoding="utf-8"), path.name) == expected


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_the_translation_type_checks(path: Path) -> None:
    result = run_cli("check", path.with_suffix(".relax"))
    assert result.code == 0, result.out


def test_the_fpbench_benchmarks_are_there_in_their_own_text() -> None:
    for name in FPBENCH:
        text = (DATA / f"{name}.fpcore").read_text(encoding="utf-8")
        assert f':name "{name}"' in text and ":cite (darulova-kuncak-2014" in text


def test_doppler1_is_the_documented_shape() -> None:
    out = translate((DATA / "doppler1.fpcore").read_text(), "doppler1.fpcore")
    assert out.startswith("// doppler1: imported from doppler1.fpcore by `relaxverify "
                          "fpcore`.\n")
    assert "fn doppler1(u: float64, v: float64, T: float64) -> real\n" \
           "  requires -100 <= u <= 100\n" in out
    assert "  var t1: real = 331.4 +. 0.6 *. real(T);\n" in out
    assert "  var out: real = (-t1 *. real(v)) /. ((t1 +. real(u)) *. (t1 +. real(u)));\n" \
           "  accept abs(out<o> - out<r>) <= ?;\n  return out;\n}\n" in out


def test_names_that_are_keywords_or_not_identifiers_are_renamed() -> None:
    out = translate("(FPCore (real x.1 out) (let ([real (* real x.1)]) (+ real out)))")
    assert "fn fpcore1(real_: float64, x_1: float64, out: float64) -> real" in out
    assert "  var real__2: real = real(real_) *. real(x_1);" in out
    assert "  var out_2: real = real__2 +. real(out);" in out
    assert "accept abs(out_2<o> - out_2<r>) <= ?;" in out


def test_let_is_parallel_and_let_star_sequential() -> None:
    par = translate("(FPCore (x) (let ([x 2] [y x]) (+ x y)))")
    assert "var x_2: real = 2.0;\n  var y: real = real(x);" in par
    seq = translate("(FPCore (x) (let* ([x 2] [y x]) (+ x y)))")
    assert "var x_2: real = 2.0;\n  var y: real = x_2;" in seq


def test_numbers_rationals_and_exact_builtins() -> None:
    out = translate("(FPCore (x) :pre (<= 1/3 x 2) (fmin (fabs (* -2 x)) (+ .5 -1/3)))")
    assert "const C1: real = 1.0 / 3.0;" in out
    assert "requires C1 <= x <= 2" in out
    assert "var out: real = min(abs(-2.0 *. real(x)), 0.5 +. (-C1));" in out


def test_preconditions_of_other_shapes() -> None:
    out = translate("(FPCore (a b) :pre (and (or (> a 0) (and (< b 1) (not (== a b)))) "
                    "(<= (* a b) 1/2)) (- a b))")
    assert "  requires a > 0 || (b < 1 && !(a == b))\n" in out
    assert "  requires real(a) * real(b) <= C1\n" in out


def test_binary32_uses_float32_parameters_and_model() -> None:
    out = translate("(FPCore (x) :precision binary32 (* x x))")
    assert "hardware fp32 {\n  operator +. = 1 precision float32;" in out
    assert "fn fpcore1(x: float32) -> real" in out


@pytest.mark.parametrize("text, line, col, message", [
    ("(FPCore (x)\n  (sqrt x))", 2, 4, "FPCore `sqrt` is not supported: Relax has sqrt only "
     "on float types, not on the exact reals the original execution uses"),
    ("(FPCore (x) (if (< x 0) 1 2))", 1, 14, "FPCore `if` is not supported: Relax "
     "expressions have no conditional; the body must be one straight-line real formula"),
    ("(FPCore (x) (* PI x))", 1, 16, "FPCore constant `PI` is not supported"),
    ("(FPCore (x) (pow x 2))", 1, 14, "FPCore `pow` is not supported: Relax has no `pow`"),
    ("(FPCore (x) (< x 2))", 1, 14, "FPCore `<` is not supported in the body"),
    ("(FPCore (x) (! :precision binary32 x))", 1, 14, "FPCore `!` is not supported"),
    ("(FPCore (x) (while (< x 1) ([x x (+ x 1)]) x))", 1, 14, "FPCore `while` is not "
     "supported"),
    ("(FPCore ((x 3)) x)", 1, 10, "FPCore tensor argument is not supported"),
    ("(FPCore (x) :precision binary16 x)", 1, 24, "FPCore `:precision binary16` is not "
     "supported"),
    ("(FPCore (x) :round toZero x)", 1, 20, "FPCore `:round` other than `nearestEven`"),
    ("(FPCore (x) :pre (< (sqrt x) 1) x)", 1, 22, "FPCore `sqrt` is not supported"),
    ("(FPCore (x) (+ x y))", 1, 18, "`y` is not an argument or a `let` variable"),
    ("(FPCore (x) (fma x x x))", 1, 14, "FPCore `fma` is not supported"),
    ("(FPCore (x) #x1p3)", 1, 13, "`#x1p3` is not an argument"),
    ("(FPCore (x) (+ x 0x1p3))", 1, 18, "FPCore hexadecimal number `0x1p3` is not supported"),
])
def test_unsupported_constructs_are_located_errors(text: str, line: int, col: int,
                                                   message: str) -> None:
    found = problems(text)
    assert found[0][:2] == (line, col), found
    assert found[0][2].startswith(message), found


def test_every_unsupported_core_is_reported_and_nothing_emitted() -> None:
    found = problems("(FPCore (x) (* x x))\n(FPCore (x) (exp x))\n(FPCore (y) (log (sin y)))")
    assert [(line, col) for line, col, _ in found] == [(2, 14), (3, 14), (3, 19)]


@pytest.mark.parametrize("text, line, col, message", [
    ("", 1, 1, "the file holds no FPCore"),
    ("; only a comment\n", 1, 1, "the file holds no FPCore"),
    ("(FPCore (x)\n  (+ x 1)", 1, 1, "the `(` here is never closed"),
    ("(FPCore (x) x))", 1, 15, "unexpected `)`: no list is open here"),
    ("(FPCore (x) [+ x 1))", 1, 19, "`)` closes the `[` at 1:13"),
    ('(FPCore (x) :name "a', 1, 19, "the string here is never closed"),
    ("(FPCore (x) x) 42", 1, 16, "expected `(FPCore (ARGS...)"),
    ("(FPCore x)", 1, 1, "this FPCore has no argument list"),
    ("(FPCore (x) :name \"n\")", 1, 1, "this FPCore has no body"),
    ("(FPCore (x) x x)", 1, 15, "expected one body expression"),
    ("(FPCore (x) \x00)", 1, 13, "unexpected character U+0000"),
    ("(" * 100 + ")" * 99, 1, 1, "the `(` here is never closed"),
])
def test_garbage_is_a_located_error(text: str, line: int, col: int, message: str) -> None:
    found = problems(text)
    assert found[0][:2] == (line, col) and found[0][2].startswith(message), found


def test_deep_nesting_is_an_error_not_a_crash() -> None:
    deep = "(FPCore (x) " + "(- " * 5000 + "x" + ")" * 5001
    assert problems(deep)[0][2] == "the expressions are nested too deeply for this importer"


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="()[] \n;\"xyz0123456789.+-*/:FPCorelet!ifpre<=", max_size=80))
def test_any_text_translates_or_raises_fpcoreerror(text: str) -> None:
    try:
        out = translate("(FPCore (x y) " + text)
    except FPCoreError as exc:
        assert exc.problems and all(p.line >= 1 and p.column >= 1 for p in exc.problems)
        assert str(exc).startswith("t.fpcore:")
    else:
        assert out.count("\nfn ") >= 1


# ---------------------------------------------------------------- the command line


def test_cli_prints_the_translation(tmp_path: Path) -> None:
    result = run_cli("fpcore", DATA / "doppler1.fpcore")
    assert result.code == 0, result.err
    assert result.out == (DATA / "doppler1.relax").read_text()


def test_cli_writes_and_refuses_to_overwrite(tmp_path: Path) -> None:
    out = tmp_path / "v.relax"
    first = run_cli("fpcore", DATA / "verhulst.fpcore", "-o", out)
    assert first.code == 0 and first.out == f"wrote {out}: 1 function(s)\n"
    assert out.read_text() == (DATA / "verhulst.relax").read_text()
    again = run_cli("fpcore", DATA / "sqroot.fpcore", "-o", out)
    assert again.code == 2
    assert again.err.startswith(f"relaxverify fpcore: error: {out} exists; not overwriting")
    assert "--force" in again.err and "verhulst" in out.read_text()
    forced = run_cli("fpcore", DATA / "sqroot.fpcore", "-o", out, "--force")
    assert forced.code == 0 and "fn sqroot(" in out.read_text()


def test_cli_unsupported_is_exit_2_with_the_message(tmp_path: Path) -> None:
    path = tmp_path / "s.fpcore"
    path.write_text("(FPCore (x) :pre (<= 0 x 1)\n  (sqrt x))\n(FPCore (x) x)\n")
    out = tmp_path / "s.relax"
    result = run_cli("fpcore", path, "-o", out)
    assert result.code == 2 and result.out == "" and not out.exists()
    lines = result.err.splitlines()
    assert lines[0] == (f"{path}:2:4: error: FPCore `sqrt` is not supported: Relax has sqrt "
                        "only on float types, not on the exact reals the original execution "
                        "uses")
    assert lines[1] == "relaxverify fpcore: error: no Relax written (1 problem(s) above)"
    assert "remove or rewrite the cores named above" in lines[2]


@pytest.mark.parametrize("content, message", [
    (b"\xff\xfe\x00garbage\x80", "is not a UTF-8 text file (byte 0 is 0xff)"),
    (b"", "error: the file holds no FPCore"),
    (b"(((", "error: the `(` here is never closed"),
])
def test_cli_bad_files(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "bad.fpcore"
    path.write_bytes(content)
    result = run_cli("fpcore", path)
    assert result.code == 2 and message in result.err and "Traceback" not in result.err


def test_cli_missing_file_and_unknown_format(tmp_path: Path) -> None:
    missing = run_cli("fpcore", tmp_path / "nope.fpcore")
    assert missing.code == 2 and "cannot read" in missing.err and "nope.fpcore" in missing.err
    json = run_cli("fpcore", DATA / "sqroot.fpcore", "--format", "json")
    assert json.code == 2 and "unknown format `json`" in json.err


def test_cli_lists_the_command() -> None:
    result = run_cli("--help")
    assert result.code == 0 and "fpcore" in result.out
