"""Start-up: a command imports only what it runs, and Lark's tables come from the
user's cache when they can (relaxverify/syntax/tables.py, docs/architecture.md,
"Start-up"). Each case runs the command line in a fresh process."""
from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Optional

import pytest

from relaxverify.syntax import parser, tables

ROOT = Path(__file__).resolve().parent.parent
SMALL = ROOT / "examples" / "dot_product.relax"
CHECKED = "checked 1 file(s): 1 ok\n"

# Runs the command line in the process, then prints the modules it imported.
PROBE = ("import json, sys\n"
         "from relaxverify.cli.main import main\n"
         "code = main(sys.argv[1:])\n"
         "print(json.dumps({'code': code, 'modules': sorted(sys.modules)}))\n")


def _env(**changes: Optional[str]) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    for name, value in changes.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def _cli(*args: str, **env: Optional[str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "relaxverify", *args], capture_output=True,
                          text=True, cwd=ROOT, env=_env(**env), timeout=120)


def _imports(*args: str, **env: Optional[str]) -> tuple[int, set[str], str]:
    proc = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True,
                          cwd=ROOT, env=_env(**env), timeout=120)
    *out, last = proc.stdout.splitlines()
    seen = json.loads(last)
    return seen["code"], set(seen["modules"]), "\n".join(out) + "\n" + proc.stderr


def _heavy(modules: set[str]) -> list[str]:
    """The modules that `check` has no use for: z3, numpy, pygls, rich (it only colours
    a terminal's output), the other stages."""
    stages = ("relaxverify.verify", "relaxverify.reliability", "relaxverify.run.session",
              "relaxverify.run.interpreter", "relaxverify.grading", "relaxverify.fpcore",
              "relaxverify.lsp")
    heavy = ("z3", "numpy", "pygls", "lsprotocol", "rich")
    return sorted(m for m in modules if m.split(".")[0] in heavy
                  or m.startswith(stages))


def test_check_imports_neither_z3_nor_numpy_nor_the_other_stages(tmp_path: Path) -> None:
    code, modules, out = _imports("check", str(SMALL), XDG_CACHE_HOME=str(tmp_path))
    assert code == 0 and out.startswith(CHECKED), out
    assert _heavy(modules) == []
    assert "relaxverify.cli.check" in modules and "relaxverify.cli.verify" not in modules


def test_check_with_errors_imports_no_z3_either(tmp_path: Path) -> None:
    bad = tmp_path / "bad.relax"
    bad.write_text("fn f(x: int) -> int { return y; }\n")
    code, modules, out = _imports("check", str(bad), XDG_CACHE_HOME=str(tmp_path))
    assert code == 2 and "error:" in out, out
    assert _heavy(modules) == []


@pytest.mark.parametrize("args", [["--version"], ["--help"], ["verify", "--help"]],
                         ids=["version", "help", "verify-help"])
def test_version_and_help_load_no_stage(args: list[str]) -> None:
    code, modules, out = _imports(*args)
    assert code == 0 and "relaxverify" in out, out
    assert _heavy(modules) == []
    loaded = sorted(m for m in modules if m.startswith("relaxverify.cli."))
    assert loaded == (["relaxverify.cli.common", "relaxverify.cli.main", "relaxverify.cli.verify"]
                      if "verify" in args else ["relaxverify.cli.main"])


def test_fpcore_loads_neither_the_api_nor_the_front_end() -> None:
    code, modules, out = _imports("fpcore", str(ROOT / "benchmarks" / "fpbench" / "bspline3.fpcore"))
    assert code == 0 and "fn " in out, out
    assert not any(m.startswith(("relaxverify.api", "relaxverify.check", "rich"))
                   for m in modules), sorted(m for m in modules if m.startswith("relaxverify"))


def test_verify_loads_z3_and_gives_its_verdicts() -> None:
    code, modules, out = _imports("verify", str(SMALL))
    assert code == 0 and "4 obligations in 1 file(s): 4 verified, 0 failed" in out, out
    assert "z3" in modules and "relaxverify.cli.check" not in modules


def test_monte_carlo_loads_dask_only_when_asked() -> None:
    newton = str(ROOT / "examples" / "newton.relax")
    code, modules, out = _imports("run", newton, "--arg", "v=2.0", "--trials", "20",
                                  "--chunk-trials", "10")
    assert code == 0 and "trials             20" in out, out
    assert "relaxverify.run.chunks" in modules
    assert not {"dask", "distributed", "relaxverify.run.cluster"} & modules


def test_every_command_still_parses_its_own_options() -> None:
    for command, option in [("check", "--format"), ("verify", "--explain"),
                            ("reliability", "--hardware"), ("run", "--semantics"),
                            ("grade", "SUBMISSION"), ("fpcore", "--force"), ("lsp", "--tcp")]:
        proc = _cli(command, "--help")
        assert proc.returncode == 0 and option in proc.stdout, (command, proc.stdout)
    listed = _cli("--help")
    assert all(c in listed.stdout for c in ("check", "verify", "reliability", "run", "grade",
                                            "fpcore", "lsp"))
    wrong = _cli("chek", str(SMALL))
    assert wrong.returncode == 2 and "invalid choice: 'chek'" in wrong.stderr


def test_the_api_loads_a_command_on_first_use() -> None:
    code = ("import sys\n"
            "from relaxverify import api\n"
            "before = 'z3' in sys.modules\n"
            "import relaxverify.api.verify\n"  # the submodule first: `api.verify` stays the function
            "r = api.verify(source='fn f(x: int) -> int ensures result > x { return x + 1; }')\n"
            "from relaxverify.api import obligations, RunFailure\n"
            "print(before, r.status, callable(api.verify), len(obligations(r.files[0])) > 0,\n"
            "      RunFailure.__module__, api.run.__module__)\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, env=_env(), timeout=120)
    assert proc.stdout.split() == ["False", "verified", "True", "True", "relaxverify.api.run",
                                   "relaxverify.api"], proc.stdout + proc.stderr


def test_the_tables_are_stored_then_loaded(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    grammar = parser.grammar_text()
    built = tables.cached_lark(grammar, **parser.LARK_OPTIONS)
    files = list((tmp_path / "relaxverify").iterdir())
    assert [f.name for f in files] == [tables.table_file(
        tables.table_key(grammar, parser.LARK_OPTIONS)).name]  # type: ignore[union-attr]
    assert built.source_path != "<deserialized>"
    loaded = tables.cached_lark(grammar, **parser.LARK_OPTIONS)
    assert loaded.source_path == "<deserialized>"  # what Lark.load sets
    assert (loaded.parser.parser.parser.parse_table.states
            == built.parser.parser.parser.parse_table.states)


def test_the_key_changes_with_the_grammar_and_with_lark(monkeypatch) -> None:
    grammar, options = parser.grammar_text(), parser.LARK_OPTIONS
    key = tables.table_key(grammar, options)
    assert tables.table_key(grammar, dict(options)) == key  # stable
    assert tables.table_key(grammar + "\n// edited\n", options) != key
    assert tables.table_key(grammar, {**options, "keep_all_tokens": False}) != key
    monkeypatch.setattr(tables.lark, "__version__", "0.0.1")
    assert tables.table_key(grammar, options) != key


def test_an_edited_grammar_never_reads_the_old_tables(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    grammar = parser.grammar_text()
    tables.cached_lark(grammar, **parser.LARK_OPTIONS)
    edited = grammar.replace('"while"', '"loop"')
    assert edited != grammar
    fresh = tables.cached_lark(edited, **parser.LARK_OPTIONS)
    assert fresh.source_path != "<deserialized>"
    assert "loop" in {str(t.pattern.value) for t in fresh.terminals}
    assert len(list((tmp_path / "relaxverify").iterdir())) == 2


def test_a_damaged_or_foreign_file_is_rebuilt(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    grammar, options = parser.grammar_text(), parser.LARK_OPTIONS
    path = tables.table_file(tables.table_key(grammar, options))
    assert path is not None
    path.parent.mkdir(parents=True)
    key = tables.table_key(grammar, options)
    for junk in (b"", b"garbage", f"{key}\n".encode() + b"\x80\x05truncated", b"0" * 64 + b"\n"):
        path.write_bytes(junk)
        lk = tables.cached_lark(grammar, **options)
        assert lk.source_path != "<deserialized>" and lk.parser is not None
        assert path.read_bytes().startswith(f"{key}\n".encode())  # replaced by a whole file
    assert tables.cached_lark(grammar, **options).source_path == "<deserialized>"


def _unwritable(tmp_path: Path) -> list[dict[str, Optional[str]]]:
    """Environments whose cache directory cannot be made (also when run as root)."""
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    cases: list[dict[str, Optional[str]]] = [
        {"XDG_CACHE_HOME": str(blocker / "cache")},
        {"XDG_CACHE_HOME": None, "HOME": str(blocker)},
        {"XDG_CACHE_HOME": "relative/dir", "HOME": str(blocker)},
    ]
    if os.geteuid() != 0:  # root writes anywhere
        locked = tmp_path / "locked"
        locked.mkdir()
        locked.chmod(stat.S_IRUSR | stat.S_IXUSR)
        cases.append({"XDG_CACHE_HOME": str(locked)})
    return cases


def test_an_unwritable_cache_directory_is_silent(tmp_path: Path) -> None:
    wrong = tmp_path / "wrong.relax"
    wrong.write_text("fn f( { }\n")
    for env in _unwritable(tmp_path):
        proc = _cli("check", str(SMALL), **env)
        assert (proc.returncode, proc.stdout, proc.stderr) == (0, CHECKED, ""), env
        bad = _cli("check", str(wrong), "--format", "json", **env)
        assert bad.returncode == 2 and bad.stderr == "", env
        assert json.loads(bad.stdout)["files"][0]["diagnostics"], env


def test_a_read_only_cache_with_the_tables_is_still_read(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    grammar = parser.grammar_text()
    tables.cached_lark(grammar, **parser.LARK_OPTIONS)
    directory = tmp_path / "relaxverify"
    directory.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        assert tables.cached_lark(grammar, **parser.LARK_OPTIONS).source_path == "<deserialized>"
        proc = _cli("check", str(SMALL), XDG_CACHE_HOME=str(tmp_path))
        assert (proc.returncode, proc.stdout, proc.stderr) == (0, CHECKED, "")
    finally:
        directory.chmod(stat.S_IRWXU)


def test_concurrent_first_runs_all_succeed_and_leave_one_whole_file(tmp_path: Path) -> None:
    procs = [subprocess.Popen([sys.executable, "-m", "relaxverify", "check", str(SMALL)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              cwd=ROOT, env=_env(XDG_CACHE_HOME=str(tmp_path)))
             for _ in range(4)]
    outcomes = [(p.wait(timeout=120), p.stdout.read(), p.stderr.read())  # type: ignore[union-attr]
                for p in procs]
    assert outcomes == [(0, CHECKED, "")] * 4
    files = sorted(f.name for f in (tmp_path / "relaxverify").iterdir())
    assert len(files) == 1 and files[0].endswith(".pickle"), files  # no temporary left
    again = _imports("check", str(SMALL), XDG_CACHE_HOME=str(tmp_path))
    assert again[0] == 0


def test_the_cached_tables_parse_as_the_built_ones(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    from relaxverify.syntax.lalr import Driver
    from relaxverify.syntax.lexer import lex
    grammar = parser.grammar_text()
    built = Driver(tables.cached_lark(grammar, **parser.LARK_OPTIONS), parser.BUILDER)
    loaded = Driver(tables.cached_lark(grammar, **parser.LARK_OPTIONS), parser.BUILDER)
    for path in sorted((ROOT / "examples").glob("*.relax")):
        text = path.read_text()
        assert repr(loaded.parse(lex(text, str(path)), str(path))) == \
            repr(built.parse(lex(text, str(path)), str(path))), path
