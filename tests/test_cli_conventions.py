"""Command-line conventions (docs/cli.md): colour, standard input, repeated --fn,
`--format github` and its choices, the configuration file, SARIF invocations, the
pre-commit hooks and the GitHub Action."""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Optional

import pytest
import yaml

from conftest import EXAMPLES, ROOT, run_cli
from relaxverify.cli.config import Config, apply_config, load_config
from relaxverify.cli.main import COMMANDS
from relaxverify.pipeline import excluded
from relaxverify.report.colour import wants_colour
from relaxverify.report.github import escape_data, escape_property
from relaxverify.report.sarif import DOCS_URL

if sys.version_info >= (3, 11):
    import tomllib
else:  # a dependency of relaxverify on 3.10
    import tomli as tomllib

BAD = "fn f(x: int) -> int {\n  var y: int = x + true;\n  return y;\n}\n"
GOOD = "fn g(x: int) -> int ensures result == x { return x; }\n"
KNOB = ROOT / "docs" / "snippets" / "swish_knob.relax"  # one failed accept at 15:3
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _cli(*args: str, stdin: Optional[str] = None, cwd: Path = ROOT,
         **env: Optional[str]) -> subprocess.CompletedProcess:
    """The command line in a fresh process, its output a pipe (never a terminal)."""
    environ = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    environ["PYTHONPATH"] = os.pathsep.join(filter(None, (str(ROOT), environ.get("PYTHONPATH"))))
    environ.update({k: v for k, v in env.items() if v is not None})
    return subprocess.run([sys.executable, "-m", "relaxverify", *args], input=stdin,
                          capture_output=True, text=True, cwd=cwd, env=environ, timeout=300)


# ---------------------------------------------------------------- colour

class _Stream:
    def __init__(self, tty: bool):
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


@pytest.mark.parametrize("tty, env, expected", [
    (True, {}, True),
    (False, {}, False),
    (False, {"FORCE_COLOR": "1"}, True),
    (False, {"FORCE_COLOR": "0"}, True),  # any non-empty value (force-color.org)
    (False, {"FORCE_COLOR": ""}, False),
    (True, {"NO_COLOR": "1"}, False),
    (True, {"NO_COLOR": ""}, True),  # empty: not set (no-color.org)
    (False, {"NO_COLOR": "1", "FORCE_COLOR": "1"}, False),  # the refusal wins
    (True, {"TERM": "dumb"}, False),
    (False, {"TERM": "dumb", "FORCE_COLOR": "1"}, True),
])
def test_when_to_colour(tty: bool, env: dict[str, str], expected: bool) -> None:
    assert wants_colour(_Stream(tty), env) is expected  # type: ignore[arg-type]


@pytest.mark.parametrize("args", [
    ["verify", str(KNOB), str(EXAMPLES / "swish.relax")],
    ["check", str(EXAMPLES)],
    ["reliability", str(EXAMPLES / "dot_product.relax")],
], ids=["verify", "check", "reliability"])
def test_force_color_colours_and_adds_nothing_else(args: list[str]) -> None:
    plain = _cli(*args)
    coloured = _cli(*args, FORCE_COLOR="1")
    assert "\x1b[" not in plain.stdout
    assert ANSI.search(coloured.stdout), coloured.stdout
    assert ANSI.sub("", coloured.stdout) == plain.stdout
    assert coloured.returncode == plain.returncode
    refused = _cli(*args, FORCE_COLOR="1", NO_COLOR="1")
    assert refused.stdout == plain.stdout


@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")
def test_a_terminal_gets_colour_unless_no_color() -> None:
    import pty
    outputs = {}
    for name, extra in (("tty", {}), ("refused", {"NO_COLOR": "1"})):
        leader, follower = pty.openpty()
        env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
        env.update(PYTHONPATH=str(ROOT), TERM="xterm", **extra)
        proc = subprocess.Popen([sys.executable, "-m", "relaxverify", "check", "-"],
                                stdin=subprocess.PIPE, stdout=follower, stderr=follower,
                                cwd=ROOT, env=env)
        os.close(follower)
        proc.communicate(BAD.encode(), timeout=120)
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the terminal closed (EIO on Linux)
                break
            if not chunk:
                break
            chunks.append(chunk)
        os.close(leader)
        outputs[name] = b"".join(chunks).decode()
    assert "\x1b[1;31merror\x1b[0m" in outputs["tty"], outputs["tty"]
    assert "\x1b[" not in outputs["refused"] and "<stdin>:2:20: error:" in outputs["refused"]


def test_colours_say_what_they_mark() -> None:
    out = _cli("verify", str(KNOB), FORCE_COLOR="1").stdout
    bold_red = "\x1b[1;31m"
    assert f"{bold_red}error\x1b[0m: cannot prove" in out
    assert "\x1b[31m1 failed\x1b[0m" in out and "\x1b[32m6 verified\x1b[0m" in out
    assert f"\x1b[1m{KNOB}:15:3\x1b[0m: " in out
    assert f" {bold_red}^^^" in out  # the carets take the diagnostic's colour
    clean = _cli("verify", str(EXAMPLES / "swish.relax"), FORCE_COLOR="1").stdout
    assert clean.endswith("\x1b[32m16 verified\x1b[0m, 0 failed\n")  # nothing red


def test_json_and_sarif_are_never_coloured() -> None:
    for fmt in ("json", "sarif", "github"):
        out = _cli("verify", str(KNOB), "--format", fmt, FORCE_COLOR="1").stdout
        assert "\x1b[" not in out, fmt


# ---------------------------------------------------------------- standard input

def test_dash_reads_standard_input_named_stdin() -> None:
    text = _cli("check", "-", stdin=BAD)
    assert text.returncode == 2
    assert text.stdout.splitlines()[0] == "<stdin>:2:20: error: `+` needs numbers, but this is `bool`"
    doc = json.loads(_cli("check", "-", "--format", "json", stdin=BAD).stdout)
    assert doc["files"][0]["path"] == "<stdin>"
    sarif = json.loads(_cli("check", "-", "--format", "sarif", stdin=BAD).stdout)
    location = sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "%3Cstdin%3E"  # a URI reference of `<stdin>`
    github = _cli("check", "-", "--format", "github", stdin=BAD).stdout
    assert github.startswith("::error file=<stdin>,line=2,col=20,")


def test_stdin_beside_files_and_in_verify_and_run() -> None:
    both = _cli("verify", "-", str(EXAMPLES / "newton.relax"), stdin=GOOD)
    assert both.returncode == 0, both.stdout + both.stderr
    assert "<stdin>: 2 obligations: 2 verified, 0 failed" in both.stdout
    ran = _cli("run", "-", "--arg", "x=7", stdin=GOOD)
    assert ran.returncode == 0 and "result: 7" in ran.stdout, ran.stdout + ran.stderr


def test_stdin_twice_and_not_utf8() -> None:
    twice = _cli("check", "-", "-", stdin=GOOD)
    assert twice.returncode == 2
    assert "<stdin>: error: `-` (standard input) is named twice" in twice.stdout
    latin = subprocess.run([sys.executable, "-m", "relaxverify", "check", "-"],
                           input=b"fn f() {\n  skip; // caf\xe9\n}\n", capture_output=True,
                           cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)
    assert latin.returncode == 2
    assert b"<stdin>:2:15: error: the file is not UTF-8 text (byte 0xe9" in latin.stdout


# ---------------------------------------------------------------- --fn, repeated

def _functions(doc: dict) -> set[str]:
    return {o["function"] for f in doc["files"] for o in f.get("obligations", [])}


def test_fn_repeated_selects_several_functions() -> None:
    swish = EXAMPLES / "swish.relax"
    one = json.loads(run_cli("verify", swish, "--fn", "present", "--format", "json").out)
    both = json.loads(run_cli("verify", swish, "--fn", "present", "--fn", "present_all",
                              "--format", "json").out)
    every = json.loads(run_cli("verify", swish, "--format", "json").out)
    assert _functions(one) == {"present"}
    assert _functions(both) == {"present", "present_all"} == _functions(every)
    dot = EXAMPLES / "dot_product.relax"
    rel = json.loads(run_cli("reliability", dot, "--fn", "dot", "--fn", "eighth",
                             "--format", "json").out)
    assert [f["name"] for f in rel["files"][0]["functions"]] == ["dot", "eighth"]


def test_fn_repeated_with_an_unknown_name_or_for_run() -> None:
    swish = EXAMPLES / "swish.relax"
    wrong = run_cli("check", swish, "--fn", "present", "--fn", "nosuch")
    assert wrong.code == 2 and "there is no function `nosuch` in this file" in wrong.out
    rel = run_cli("reliability", EXAMPLES / "dot_product.relax", "--fn", "dot", "--fn", "x")
    assert rel.code == 2 and "no function named `x`" in rel.out
    assert "no function named `dot`" not in rel.out
    ran = run_cli("run", swish, "--fn", "present", "--fn", "present_all")
    assert ran.code == 2
    assert "`run` runs one function, but 2 are given (`present`, `present_all`)" in ran.out


# ---------------------------------------------------------------- --format

@pytest.mark.parametrize("text, data, prop", [
    ("plain", "plain", "plain"),
    ("50% a,b: c", "50%25 a,b: c", "50%25 a%2Cb%3A c"),
    ("line\r\nnext", "line%0D%0Anext", "line%0D%0Anext"),
    ("%0A", "%250A", "%250A"),  # a literal escape stays text
])
def test_github_escaping(text: str, data: str, prop: str) -> None:
    assert (escape_data(text), escape_property(text)) == (data, prop)


def test_github_annotations_of_a_failing_file(tmp_path: Path) -> None:
    path = tmp_path / "a,b:c.relax"  # property characters in the file name
    path.write_text(KNOB.read_text())
    result = run_cli("verify", path, "--format", "github")
    assert result.code == 1
    *annotations, summary = result.out.splitlines()
    assert summary == "7 obligations in 1 file(s): 6 verified, 1 failed"
    [line] = annotations
    file = str(path).replace(":", "%3A").replace(",", "%2C")
    head = (f"::error file={file},line=15,col=3,endLine=15,endColumn=49,"
            "title=relaxverify verify/accept::cannot prove that the accepted relation ")
    assert line.startswith(head), line
    assert "%0Aaccept obligation (relates the two executions)%0Aoriginal: " in line
    assert "\r" not in line and line.count("::") == 2
    checked = run_cli("check", tmp_path, "--format", "github", "--fn", "nosuch")
    assert checked.out.startswith(f"::error file={file},title=relaxverify name::there is no "
                                  "function `nosuch` in this file%0Afunctions here: present")


@pytest.mark.parametrize("command, formats", [
    ("check", "text,json,sarif,github"), ("verify", "text,json,sarif,github"),
    ("reliability", "text,json"), ("run", "text,json"), ("grade", "text,json"),
])
def test_format_choices_per_command(command: str, formats: str) -> None:
    helped = run_cli(command, "--help")
    assert helped.code == 0 and f"--format {{{formats}}}" in helped.out
    wrong = run_cli(command, str(EXAMPLES / "swish.relax"), *(["x"] if command == "grade" else []),
                    "--format", "xml")
    assert wrong.code == 2
    assert (f"argument --format: unknown format `xml`; choose one of "
            f"{formats.replace(',', ', ')}") in wrong.err
    assert f"run `relaxverify {command} --help`" in wrong.err


# ---------------------------------------------------------------- configuration

def _tree(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


def test_config_found_from_a_nested_directory(tmp_path: Path, monkeypatch) -> None:
    _tree(tmp_path, {
        "relaxverify.toml": 'paths = ["src"]\nexclude = ["src/drafts", "*_wip.relax"]\n'
                            'hardware = "nosuch"\n',
        "src/good.relax": GOOD, "src/drafts/bad.relax": BAD, "src/lib/x_wip.relax": BAD,
        "src/lib/ok.relax": GOOD, "sub/deeper/.keep": ""})
    monkeypatch.chdir(tmp_path / "sub" / "deeper")
    found = run_cli("check")  # the config's paths, from two levels down
    assert found.code == 2 and "unknown hardware model `nosuch`" in found.out
    overridden = run_cli("check", "--hardware", "mild")  # the command line wins
    assert overridden.code == 0, overridden.out
    assert overridden.out == "checked 2 file(s): 2 ok\n"  # drafts/ and *_wip skipped
    listed = json.loads(run_cli("check", "--hardware", "mild", "--format", "json").out)
    assert [f["path"] for f in listed["files"]] == [
        os.path.join("..", "..", "src", "good.relax"),
        os.path.join("..", "..", "src", "lib", "ok.relax")]
    named = run_cli("check", str(tmp_path / "src" / "drafts" / "bad.relax"), "--hardware", "mild")
    assert named.code == 2  # a file named explicitly is never excluded


def test_pyproject_table_and_which_file_wins(tmp_path: Path, monkeypatch) -> None:
    _tree(tmp_path, {
        "relaxverify.toml": "this is not TOML",  # never read: the nearer directory decides
        "p/pyproject.toml": '[project]\nname = "x"\n\n[tool.relaxverify]\npaths = ["a.relax"]\n',
        "p/a.relax": GOOD, "p/b.relax": GOOD,
        "q/pyproject.toml": '# see tool.relaxverify\n[project]\nname = "q"\n',  # no table
        "r/pyproject.toml": '[tool.relaxverify]\npaths = ["a.relax"]\n',
        "r/relaxverify.toml": 'paths = ["b.relax"]\n',  # wins in the same directory
        "r/a.relax": GOOD, "r/b.relax": BAD})
    monkeypatch.chdir(tmp_path / "p")
    assert run_cli("check").out == "checked 1 file(s): 1 ok\n"
    monkeypatch.chdir(tmp_path / "r")
    assert "b.relax:2:20: error:" in run_cli("check").out
    monkeypatch.chdir(tmp_path / "q")
    bad = run_cli("check", str(tmp_path / "p" / "a.relax"))
    assert bad.code == 2 and bad.err.startswith(
        f"{os.path.join('..', 'relaxverify.toml')}:1:6: error: `{os.path.join('..', 'relaxverify.toml')}` "
        "is not valid TOML: expected '=' after a key in a key/value pair")


@pytest.mark.parametrize("name, text, message", [
    ("relaxverify.toml", 'timeout = 5\ntimout = 3\n',
     "relaxverify.toml:2:1: error: unknown key `timout` in `relaxverify.toml`\n"
     " 2 | timout = 3\n   | ^^^^^^\n  note: did you mean `timeout`?\n"),
    ("relaxverify.toml", 'timeout = "ten"\n',
     "relaxverify.toml:1:1: error: `timeout` in `relaxverify.toml` must be a positive number "
     "of seconds, not `\"ten\"`\n"),
    ("relaxverify.toml", 'jobs = 0\n', "relaxverify.toml:1:1: error: `jobs` in `relaxverify."
     "toml` must be a positive whole number of processes, not `0`\n"),
    ("relaxverify.toml", 'jobs = true\n', "must be a positive whole number of processes, not "
     "`true`"),
    ("relaxverify.toml", 'paths = "src"\n', "relaxverify.toml:1:1: error: `paths` in "
     "`relaxverify.toml` must be a list of files and directories, not `\"src\"`\n"),
    ("relaxverify.toml", 'exclude = [1]\n', "must be a list of glob patterns, not `[1]`"),
    ("relaxverify.toml", 'timeout = \n', "relaxverify.toml:1:11: error: `relaxverify.toml` is "
     "not valid TOML: invalid value"),
    ("pyproject.toml", '[project]\nname = "x"\n\n[tool.relaxverify]\n  hardware = 3\n',
     "pyproject.toml:5:3: error: `hardware` in [tool.relaxverify] of `pyproject.toml` must be "
     "the name of a hardware model, not `3`\n"),
    ("pyproject.toml", 'tool.relaxverify.colour = true\n',  # dotted: no position known
     "pyproject.toml: error: unknown key `colour` in [tool.relaxverify] of `pyproject.toml`\n"),
    ("pyproject.toml", 'tool.relaxverify = 3\n', "pyproject.toml: error: "
     "`tool.relaxverify` must be a table"),
    ("pyproject.toml", '[tool.relaxverify.timeout]\n', "pyproject.toml:1:19: error: "
     "`timeout` in [tool.relaxverify] of `pyproject.toml` must be a positive number of "
     "seconds, not `{}`"),
])
def test_bad_config_is_located_and_exits_2(tmp_path: Path, monkeypatch, name: str, text: str,
                                           message: str) -> None:
    (tmp_path / name).write_text(text)
    (tmp_path / "a.relax").write_text(GOOD)
    monkeypatch.chdir(tmp_path)
    for command in ("check", "verify", "reliability"):
        result = run_cli(command, "a.relax")
        assert result.code == 2 and result.out == "", (command, result.out)
        assert message in result.err, result.err
        assert "Traceback" not in result.err
    assert run_cli("run", "a.relax", "--arg", "x=1").code == 0  # run reads no configuration
    assert run_cli("verify", "--help").code == 0  # nor does --help


def test_config_values_fill_only_what_the_command_line_left(tmp_path: Path) -> None:
    config = Config(str(tmp_path / "relaxverify.toml"), str(tmp_path), timeout=30.0,
                    hardware="mild", jobs=3, paths=("src",), exclude=("build", "gen/*.relax"))
    args = argparse.Namespace(timeout=None, hardware="medium", jobs=None, files=[])
    apply_config(args, config)
    assert (args.timeout, args.hardware, args.jobs) == (30.0, "medium", 3)
    assert args.files == [os.path.relpath(tmp_path / "src")]
    assert args.exclude == ("build", os.path.join(str(tmp_path), "gen/*.relax"))
    given = argparse.Namespace(timeout=2.0, hardware=None, files=["x.relax"])
    apply_config(given, config)
    assert (given.timeout, given.hardware, given.files) == (2.0, "mild", ["x.relax"])
    assert not hasattr(given, "jobs")  # a command without --jobs gets none


@pytest.mark.parametrize("path, pattern, skipped", [
    ("src/drafts", "drafts", True),
    ("src/a_wip.relax", "*_wip.relax", True),
    ("src/a.relax", "*_wip.relax", False),
    ("src/gen/x.relax", "src/gen/*", True),
    ("other/gen/x.relax", "src/gen/*", False),
    ("src/gen/deep/x.relax", "src/gen/*", True),  # `*` crosses `/`
    ("src/build", "build/", True),  # a trailing `/` is dropped
])
def test_exclude_patterns(tmp_path: Path, monkeypatch, path: str, pattern: str,
                          skipped: bool) -> None:
    monkeypatch.chdir(tmp_path)
    assert excluded(path, [pattern]) is skipped
    absolute = os.path.join(str(tmp_path), pattern) if "/" in pattern.rstrip("/") else pattern
    assert excluded(os.path.join(".", path), [absolute]) is skipped


# ---------------------------------------------------------------- SARIF

def test_sarif_invocation_and_information_uri() -> None:
    args = ["verify", str(KNOB), "--format", "sarif", "--timeout", "30"]
    result = run_cli(*args)
    run = json.loads(result.out)["runs"][0]
    assert result.code == 1
    assert run["invocations"] == [{"executionSuccessful": True, "exitCode": 1,
                                   "commandLine": "relaxverify " + " ".join(args)}]
    missing = json.loads(run_cli("check", "nope.relax", "--format", "sarif").out)["runs"][0]
    assert missing["invocations"] == [{"executionSuccessful": False, "exitCode": 2,
                                       "commandLine": "relaxverify check nope.relax "
                                       "--format sarif"}]
    urls = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["urls"]
    assert run["tool"]["driver"]["informationUri"] == DOCS_URL == urls["Documentation"]
    assert DOCS_URL.startswith(urls["Repository"] + "/")


# ---------------------------------------------------------------- pre-commit, Action

def test_pre_commit_hooks() -> None:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert [h["id"] for h in hooks] == ["relaxverify-check", "relaxverify-verify"]
    for hook in hooks:
        program, command = hook["entry"].split()
        assert program == "relaxverify" and command in COMMANDS
        assert hook["id"] == f"relaxverify-{command}" and hook["language"] == "python"
        assert re.search(hook["files"], "labs/lab1/solution.relax")
        assert not re.search(hook["files"], "notes.relax.txt")


def _action_step(action: dict, name: str) -> dict:
    return next(s for s in action["runs"]["steps"] if s.get("name") == name)


def test_action_runs_verify_and_uploads_sarif(tmp_path: Path) -> None:
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    assert set(action["inputs"]) == {"paths", "hardware", "timeout", "python-version"}
    assert action["runs"]["using"] == "composite"
    upload = _action_step(action, "Upload SARIF")
    assert upload["uses"].startswith("github/codeql-action/upload-sarif@")
    assert upload["with"]["sarif_file"] == "${{ steps.verify.outputs.sarif-file }}"
    # The verify step's script, run as the runner would (its `python` is this one).
    shim = tmp_path / "bin"
    shim.mkdir()
    (shim / "python").symlink_to(sys.executable)
    output = tmp_path / "github-output"
    env = {**os.environ, "PATH": f"{shim}{os.pathsep}{os.environ['PATH']}",
           "PYTHONPATH": str(ROOT), "RUNNER_TEMP": str(tmp_path), "GITHUB_OUTPUT": str(output),
           "INPUT_PATHS": f"{KNOB} {EXAMPLES / 'newton.relax'}", "INPUT_HARDWARE": "",
           "INPUT_TIMEOUT": "20"}
    script = _action_step(action, "Verify")["run"]
    proc = subprocess.run(["bash", "-e", "-c", script], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    outputs = dict(line.split("=", 1) for line in output.read_text().splitlines())
    assert outputs == {"exit-code": "1", "sarif-file": str(tmp_path / "relaxverify.sarif")}
    run = json.loads(Path(outputs["sarif-file"]).read_text())["runs"][0]
    assert run["invocations"][0]["commandLine"] == (
        f"relaxverify verify --format sarif --timeout 20 {KNOB} {EXAMPLES / 'newton.relax'}")
    assert [r["ruleId"] for r in run["results"]] == ["verify/accept"]


def test_the_docs_example_configuration_loads(tmp_path: Path) -> None:
    example = ROOT / "docs" / "snippets" / "example-relaxverify.toml"
    (tmp_path / "relaxverify.toml").write_text(example.read_text())
    config = load_config(str(tmp_path))
    assert config is not None
    assert (config.paths, config.exclude) == (("src", "labs"),
                                              ("drafts", "labs/*/solution.relax"))
    assert (config.hardware, config.timeout, config.jobs) == ("medium", 30.0, 4)


def test_the_api_takes_several_functions_and_exclude(tmp_path: Path) -> None:
    from relaxverify import api
    swish = EXAMPLES / "swish.relax"
    result = api.verify(swish, fn=("present", "present_all"))
    assert {o.function for o in api.obligations(result.files[0])} == {"present", "present_all"}
    assert api.check(swish, fn="present").status == "verified"  # one name, as before
    with pytest.raises(ValueError, match="fn must be"):
        api.check(swish, fn=[1])
    _tree(tmp_path, {"a.relax": GOOD, "old/b.relax": BAD})
    assert api.check(tmp_path).status == "error"
    assert api.check(tmp_path, exclude=["old"]).status == "verified"
    with pytest.raises(ValueError, match="exclude must be"):
        api.check(tmp_path, exclude="old")
