"""The command line: exit codes, the three output formats, and bad input of every kind."""
from __future__ import annotations

import json
import subprocess
import sys

from conftest import EXAMPLES, ROOT, run_cli

BAD = """fn f(x: int) -> int {
  var y: int = x + true;
  return y;
}
"""


def test_check_examples_succeeds() -> None:
    result = run_cli("check", EXAMPLES)
    assert result.code == 0, result.out
    assert "0 with errors" not in result.out and "ok" in result.out.splitlines()[-1]


def test_text_diagnostic_has_location_code_frame_and_caret(tmp_path) -> None:
    path = tmp_path / "bad.relax"
    path.write_text(BAD)
    result = run_cli("check", path)
    assert result.code == 2
    lines = result.out.splitlines()
    assert lines[0] == (f"{path}:2:20: error: `+` needs numbers, but this is `bool`")
    assert lines[1] == " 2 |   var y: int = x + true;"
    assert lines[2] == "   |                    ^^^^"
    assert lines[-1] == "checked 1 file(s): 0 ok, 1 with errors"


def test_json_output(tmp_path) -> None:
    path = tmp_path / "bad.relax"
    path.write_text(BAD)
    result = run_cli("check", path, EXAMPLES / "swish.relax", "--format", "json")
    doc = json.loads(result.out)
    assert result.code == 2
    assert doc["version"] == 1 and doc["command"] == "check" and doc["status"] == "error"
    bad, good = doc["files"]
    assert bad["status"] == "error" and good["status"] == "verified"
    diag = bad["diagnostics"][0]
    assert (diag["severity"], diag["line"], diag["column"], diag["code"]) == ("error", 2, 20, "type")


def test_sarif_output(tmp_path) -> None:
    path = tmp_path / "bad.relax"
    path.write_text(BAD)
    doc = json.loads(run_cli("check", path, "--format", "sarif").out)
    assert doc["version"] == "2.1.0"
    run = doc["runs"][0]
    assert run["tool"]["driver"]["name"] == "relaxverify"
    rule_ids = {r["id"] for r in run["tool"]["driver"]["rules"]}
    assert {"syntax", "type", "verify/accept", "verify/alignment"} <= rule_ids
    res = run["results"][0]
    assert res["ruleId"] == "type" and res["level"] == "error"
    region = res["locations"][0]["physicalLocation"]["region"]
    assert (region["startLine"], region["startColumn"], region["endColumn"]) == (2, 20, 24)


def test_sarif_uris_are_uri_references(tmp_path, monkeypatch) -> None:
    folder = tmp_path / "my files"
    folder.mkdir()
    (folder / "a#1.relax").write_text(BAD)
    monkeypatch.chdir(tmp_path)
    for arg, uri in (("my files/a#1.relax", "my%20files/a%231.relax"),
                     (str(folder / "a#1.relax"), (folder / "a#1.relax").as_uri())):
        doc = json.loads(run_cli("check", arg, "--format", "sarif").out)
        location = doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
        assert location["artifactLocation"]["uri"] == uri


def test_hints_say_how_to_write_it(tmp_path) -> None:
    path = tmp_path / "hints.relax"
    path.write_text("fn f(x: int) -> int {\n  var y: int = (x + 1)<r>;\n  return y;\n}\n")
    doc = json.loads(run_cli("check", path, "--format", "json").out)
    notes = doc["files"][0]["diagnostics"][0]["notes"]
    assert notes == ["an initial value is about one execution at a time: remove the `<r>`"]


def test_missing_file_and_empty_directory(tmp_path) -> None:
    result = run_cli("check", tmp_path / "nope.relax", tmp_path)
    assert result.code == 2
    assert f"no such file `{tmp_path / 'nope.relax'}`" in result.out
    assert f"no .relax files in directory `{tmp_path}`" in result.out


def test_non_utf8_file_is_located(tmp_path) -> None:
    path = tmp_path / "latin1.relax"
    path.write_bytes(b"fn f() {\n  skip; // caf\xe9\n}\n")
    result = run_cli("check", path)
    assert result.code == 2
    assert f"{path}:2:15: error: the file is not UTF-8 text (byte 0xe9" in result.out
    path.write_bytes("fn f() {\n  // café \u2192 ".encode() + b"\xff\n}\n")
    result = run_cli("check", path)  # the column counts characters, not bytes
    assert f"{path}:2:13: error: the file is not UTF-8 text (byte 0xff" in result.out


def test_byte_order_mark_and_form_feed(tmp_path) -> None:
    """A UTF-8 byte-order mark is not part of the program; the code frame shows the line
    the lexer counted even after a form feed or U+2028 (which splitlines breaks at)."""
    bom = tmp_path / "bom.relax"
    bom.write_bytes(b"\xef\xbb\xbffn f() { skip; }\n")
    assert run_cli("check", bom).code == 0
    path = tmp_path / "ff.relax"
    path.write_text("fn f() {\n  // page\f break \u2028 here\n  var x: int = true;\n}\n")
    lines = run_cli("check", path).out.splitlines()
    assert lines[0].startswith(f"{path}:3:16: error:")
    assert lines[1] == " 3 |   var x: int = true;"
    # The reliability report quotes the statement that lost most, counted the same way.
    path.write_text("fn g(x: real) -> real\n  reliability R(result) >= 0.9999 * R(x)\n{\n"
                    "  // page\f break\n  var y: real = x *. x;\n  return y;\n}\n")
    out = run_cli("reliability", path, "--hardware", "aggressive").out
    assert "the statement at line 5 (`var y: real = x *. x;`)" in out, out


def test_usage_errors_exit_2() -> None:
    assert run_cli().code == 2
    bad_format = run_cli("check", EXAMPLES, "--format", "xml")
    assert bad_format.code == 2 and "unknown format `xml`" in bad_format.err
    assert run_cli("check", EXAMPLES, "--timeout", "0").code == 2
    for value in ("nan", "inf"):  # float() accepts them; they used to crash the solver setup
        bad_timeout = run_cli("verify", EXAMPLES / "swish.relax", "--timeout", value)
        assert bad_timeout.code == 2 and "--timeout must be" in bad_timeout.err, bad_timeout.err
    assert run_cli("frobnicate", EXAMPLES).code == 2
    swish = EXAMPLES / "swish.relax"
    assert run_cli("check", swish, "--fn", "present").code == 0
    assert run_cli("check", swish, "--hardware", "mild").code == 0
    no_fn = run_cli("check", swish, "--fn", "nosuch")  # as for verify: not silently ignored
    assert no_fn.code == 2 and "there is no function `nosuch`" in no_fn.out
    assert run_cli("check", swish, "--hardware", "nosuch").code == 2


def test_deep_nesting_is_handled(tmp_path) -> None:
    deep = tmp_path / "deep.relax"
    deep.write_text("fn f() -> int { return " + "(" * 3000 + "1" + ")" * 3000 + "; }")
    assert run_cli("check", deep).code == 0
    long = tmp_path / "long.relax"
    long.write_text("fn f() -> int { return " + " + ".join(["1"] * 20000) + "; }")
    assert run_cli("check", long).code == 0
    blocks = tmp_path / "blocks.relax"
    blocks.write_text("fn f(b: bool) { " + "if (b) { " * 1000 + "skip;" + " }" * 1000 + " }")
    assert run_cli("check", blocks).code == 0


def test_integer_literals_are_unbounded(tmp_path) -> None:
    """Longer than Python's default 4300-digit limit on converting text to int."""
    big = "9" * 5000
    path = tmp_path / "big.relax"
    path.write_text(f"fn f() -> int {{ var x: int = {big}; assert x == {big}; return x; }}")
    checked = run_cli("check", path)
    assert checked.code == 0 and "internal error" not in checked.err, checked.err
    verified = run_cli("verify", path)
    assert verified.code == 0, verified.out + verified.err


def test_console_entry_point_runs_as_a_module() -> None:
    proc = subprocess.run([sys.executable, "-m", "relaxverify", "check", str(EXAMPLES)],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr


def test_verify_and_check_exit_at_once_with_all_their_output() -> None:
    """`verify` and `check` end their process without freeing its objects
    (main._exit_at_once): the output is flushed first, the exit code kept."""
    path = ROOT / "tests" / "data" / "verify" / "extern_fail.relax"
    for argv, code in ((["verify", str(path), "--no-cache"], 1), (["check", str(EXAMPLES)], 0)):
        proc = subprocess.run([sys.executable, "-m", "relaxverify", *argv], capture_output=True,
                              text=True, cwd=ROOT, timeout=120)
        assert proc.returncode == code, proc.stderr
        assert proc.stdout == run_cli(*argv).out and proc.stderr == ""
    # a reader that stops early (`| head -1`) gets its line; the rest is not an error
    head = subprocess.run(f"{sys.executable} -m relaxverify check {EXAMPLES} | head -1",
                          shell=True, capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert head.stdout.count("\n") == 1 and "Traceback" not in head.stderr, head.stderr


def test_a_target_listed_twice_is_one_error(tmp_path) -> None:
    path = tmp_path / "twice.relax"
    path.write_text("fn f(n: int) {\n  havoc (n, n) st (n > 0);\n}\n")
    result = run_cli("check", path)
    assert result.code == 2
    assert result.out.count("error:") == 2, result.out  # read-only once, then the repeat
    assert f"{path}:2:10: error: cannot havoc parameter `n`: it is read-only" in result.out
    assert f"{path}:2:13: error: `n` is listed twice" in result.out
