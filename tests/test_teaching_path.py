"""The instructor's and the student's path through the labs: `grade` from inside a lab
folder, where results.json goes, `lab export` (the handout) and `lab gradescope` (the
autograder zip, whose run_autograder is run here in a simulated /autograder)."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import ROOT, run_cli

LAB1 = ROOT / "labs" / "01-hoare"
HIDDEN_POINTS1 = sum(t["max_score"] for t in json.loads((LAB1 / "grading.json").read_text())
                     ["tests"] if "program" in t)


@pytest.fixture(autouse=True)
def no_autograder(tmp_path, monkeypatch) -> Path:
    """No test may depend on whether this machine has a /autograder directory."""
    root = tmp_path / "no-autograder"
    monkeypatch.setenv("RELAXVERIFY_AUTOGRADER_ROOT", str(root))
    return root


def cli(*args: object, cwd: Path) -> subprocess.CompletedProcess:
    """The command line as a user runs it, in `cwd` (this checkout's package)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "relaxverify", *map(str, args)], cwd=cwd,
                          env=env, capture_output=True, text=True, timeout=300)


def lab_copy(tmp_path: Path) -> Path:
    lab = tmp_path / "01-hoare"
    shutil.copytree(LAB1, lab)
    shutil.copy(lab / "solution.relax", lab / "lab1.relax")
    return lab


def test_grade_from_inside_the_lab_folder(tmp_path) -> None:
    lab = lab_copy(tmp_path)
    before = sorted(p.name for p in lab.iterdir())
    result = cli("grade", "lab1.relax", cwd=lab)
    assert result.returncode == 0, result.stderr
    assert "score: 16/16 (results.json not written: give --output PATH" in result.stdout
    assert sorted(p.name for p in lab.iterdir()) == before  # nothing written there
    # the lab is also found from the submission's directory, and named as before
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    assert "score: 16/16" in cli("grade", lab / "lab1.relax", cwd=elsewhere).stdout
    assert "score: 16/16" in cli("grade", LAB1, lab / "lab1.relax", cwd=elsewhere).stdout
    assert list(elsewhere.iterdir()) == []


def test_grade_without_a_lab_says_how_to_name_one(tmp_path) -> None:
    (tmp_path / "lab1.relax").write_text((LAB1 / "solution.relax").read_text())
    result = cli("grade", "lab1.relax", cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "no lab found" in result.stdout
    assert "`relaxverify grade 01-hoare lab1.relax`" in result.stdout


def test_results_json_goes_where_asked_or_under_the_autograder_root(
        tmp_path, monkeypatch, no_autograder) -> None:
    sub = lab_copy(tmp_path) / "lab1.relax"
    assert run_cli("grade", LAB1, sub).code == 0 and not no_autograder.exists()
    no_autograder.mkdir()  # Gradescope: the root exists, results/ may not yet
    result = run_cli("grade", LAB1, sub)
    written = no_autograder / "results" / "results.json"
    assert result.code == 0 and f"(written to {written})" in result.out
    assert json.loads(written.read_text())["score"] == 16
    written.unlink()
    out = tmp_path / "mine.json"  # --output wins over the autograder root
    assert run_cli("grade", LAB1, sub, "--output", out).code == 0
    assert out.is_file() and not written.exists()
    result = run_cli("grade", "no-such-lab", sub)  # bad input: the reason is still written
    assert result.code == 2 and json.loads(written.read_text())["score"] == 0


def test_json_status_is_verified_only_for_full_marks(tmp_path) -> None:
    for path, score, status in ((LAB1 / "solution.relax", 16, "verified"),
                                (LAB1 / "starter.relax", 6, "failed")):
        result = run_cli("grade", LAB1, path, "--format", "json")
        doc = json.loads(result.out)
        assert result.code == 0 and doc["status"] == status == doc["files"][0]["status"]
        assert doc["files"][0]["score"] == score


def test_lab_export_writes_the_handout_only(tmp_path) -> None:
    dest = tmp_path / "handout"
    result = run_cli("lab", "export", "01-hoare", dest)
    assert result.code == 0, result.err
    files = sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*"))
    assert files == ["README.md", "grading.json", "starter.relax"]
    assert (dest / "starter.relax").read_text() == (LAB1 / "starter.relax").read_text()
    # a student grades inside the handout: the hidden tests are not run there
    shutil.copy(LAB1 / "solution.relax", dest / "lab1.relax")
    graded = cli("grade", "lab1.relax", cwd=dest)
    assert graded.returncode == 0, graded.stdout
    assert f"score: {16 - HIDDEN_POINTS1}/16" in graded.stdout
    assert "not run here: this test uses a hidden program" in graded.stdout


def test_lab_export_never_writes_over_a_users_files(tmp_path) -> None:
    dest = tmp_path / "handout"
    dest.mkdir()
    (dest / "starter.relax").write_text("my work\n")
    result = run_cli("lab", "export", "1", dest)
    assert result.code == 2 and "is not empty" in result.err
    assert (dest / "starter.relax").read_text() == "my work\n"
    assert sorted(p.name for p in dest.iterdir()) == ["starter.relax"]
    result = run_cli("lab", "export", "1", dest / "starter.relax")
    assert result.code == 2 and "is not a directory" in result.err
    result = run_cli("lab", "export", "nope", tmp_path / "new")
    assert result.code == 2 and "unknown lab `nope`" in result.err
    assert not (tmp_path / "new").exists()


def test_gradescope_zip_runs_in_a_simulated_autograder(tmp_path) -> None:
    archive = tmp_path / "autograder.zip"
    result = run_cli("lab", "gradescope", "01-hoare", archive)
    assert result.code == 0, result.err
    with zipfile.ZipFile(archive) as z:
        names = set(z.namelist())
        modes = {i.filename: (i.external_attr >> 16) & 0o777 for i in z.infolist()}
        root = tmp_path / "autograder"
        z.extractall(root / "source")
    assert {"setup.sh", "run_autograder", "relaxverify-src/pyproject.toml",
            "relaxverify-src/README.md", "relaxverify-src/relaxverify/__init__.py",
            "relaxverify-src/relaxverify/cli/main.py", "relaxverify-src/grammar/relax.lark",
            "labs/01-hoare/grading.json", "labs/01-hoare/starter.relax",
            "labs/01-hoare/hidden/contracts.relax"} <= names
    assert not [n for n in names if n.endswith("solution.relax") or "__pycache__" in n]
    assert modes["setup.sh"] == modes["run_autograder"] == 0o755
    setup = (root / "source" / "setup.sh").read_text()
    for step in ("apt-get install -y python3 python3-venv python3-pip",
                 "python3 -m venv /opt/relaxverify-venv",
                 '/opt/relaxverify-venv/bin/python -m pip install "$SOURCE/relaxverify-src"'):
        assert step in setup
    assert "pip3 install" not in setup  # refused outside a venv on PEP 668 images
    for script in ("setup.sh", "run_autograder"):
        assert subprocess.run(["bash", "-n", root / "source" / script]).returncode == 0
    # Gradescope's layout, the venv's python replaced by this one and the zip's source
    (root / "submission").mkdir()
    shutil.copy(LAB1 / "solution.relax", root / "submission" / "lab1.relax")
    env = dict(os.environ, RELAXVERIFY_AUTOGRADER_ROOT=str(root),
               RELAXVERIFY_PYTHON=sys.executable,
               PYTHONPATH=str(root / "source" / "relaxverify-src"))
    run = subprocess.run(["bash", root / "source" / "run_autograder"], env=env, cwd=tmp_path,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    results = json.loads((root / "results" / "results.json").read_text())
    assert results["score"] == 16 and len(results["tests"]) == 9


def test_gradescope_zip_is_never_written_over_a_file(tmp_path) -> None:
    archive = tmp_path / "autograder.zip"
    archive.write_text("not mine to replace")
    result = run_cli("lab", "gradescope", "01-hoare", archive)
    assert result.code == 2 and "exists; not overwriting it" in result.err
    assert archive.read_text() == "not mine to replace"
    assert run_cli("lab", "gradescope", "01-hoare", tmp_path / "no" / "x.zip").code == 2


@pytest.mark.parametrize("argv, code", [
    (["1", "--output", "{out}", "{sub}"], 0),  # options between LAB and SUBMISSION
    (["--output", "{out}", "1", "{sub}"], 0),
    (["1", "--output", "{out}", "--", "{sub}"], 0),
    (["1", "{sub}", "extra"], 2),
    (["1", "--bogus", "{sub}"], 2),
    ([], 2),
])
def test_grade_positionals_around_options(tmp_path, argv, code) -> None:
    sub, out = lab_copy(tmp_path) / "lab1.relax", tmp_path / "r.json"
    result = run_cli("grade", *[a.format(sub=sub, out=out) for a in argv])
    assert result.code == code, result.out + result.err
    assert out.is_file() == (code == 0)
    if code:
        assert "error:" in result.err and "Traceback" not in result.err


def test_the_teachers_guide_shows_the_scripts_the_zip_holds() -> None:
    from relaxverify.grading.gradescope import SETUP_SH, run_autograder
    guide = (ROOT / "docs" / "teaching.md").read_text()
    assert f"```sh\n{SETUP_SH}```" in guide
    assert f"```sh\n{run_autograder('01-hoare')}```" in guide


def test_an_installed_copy_ships_its_package_with_a_made_pyproject(tmp_path) -> None:
    """`pip install .` puts the package (with its grammar) in site-packages: no
    pyproject.toml beside it, so the zip gets one made from the metadata."""
    tomllib = pytest.importorskip("tomllib")
    from relaxverify.grading.gradescope import source_tree
    site = tmp_path / "site-packages"
    shutil.copytree(ROOT / "relaxverify", site / "relaxverify")
    shutil.copytree(ROOT / "grammar", site / "relaxverify" / "grammar")
    tree = dict(source_tree(site / "relaxverify"))
    assert {"relaxverify/cli/main.py", "relaxverify/grammar/relax.lark"} <= set(tree)
    assert not [n for n in tree if "__pycache__" in n or n.startswith("grammar/")]
    project = tomllib.loads(tree["pyproject.toml"].decode())["project"]
    assert project["name"] == "relaxverify"
    assert {d.split("<")[0].split(">")[0] for d in project["dependencies"]} >= \
        {"lark", "z3-solver", "rich"}
    assert project["scripts"]["relaxverify"] == "relaxverify.cli.main:main_exit"
    checkout = dict(source_tree())  # this checkout: its own files
    assert checkout["pyproject.toml"] == (ROOT / "pyproject.toml").read_bytes()
    assert "grammar/relax.lark" in checkout
