"""`relaxverify lab gradescope LAB ZIP`: the autograder zip of one lab for Gradescope.

Gradescope unpacks the zip into /autograder/source, runs `setup.sh` once to build
the image, then `run_autograder` for every submission (the student's files are in
/autograder/submission; it reads /autograder/results/results.json). The zip holds:

- `setup.sh`: installs relaxverify into a virtual environment, /opt/relaxverify-venv.
  Ubuntu 22.04 and 24.04 images mark their Python "externally managed" (PEP 668), so
  `pip install` outside a venv is refused on 24.04;
- `run_autograder`: grades the submission against the lab with the venv's Python;
- `relaxverify-src/`: the source of the relaxverify that builds the zip (pyproject.toml,
  the package, the grammar), so the autograder grades exactly as this version does
  (from a checkout, or from an installed copy: `source_tree`);
- `labs/LAB/`: the lab, without its reference solution.

The scripts read two environment variables, so that a test can run them outside
Gradescope: RELAXVERIFY_AUTOGRADER_ROOT (default /autograder) and RELAXVERIFY_PYTHON
(default the venv's python).
"""
from __future__ import annotations

import json
import os
import tempfile
import zipfile
from pathlib import Path

from relaxverify.grading.results import GradeInputError

VENV = "/opt/relaxverify-venv"
SOURCE_DIR = "relaxverify-src"
PACKAGE = Path(__file__).resolve().parents[1]  # relaxverify/, in a checkout or installed
EPOCH = (1980, 1, 1, 0, 0, 0)  # fixed timestamps: the same inputs give the same zip

SETUP_SH = f"""#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image (made by
# `relaxverify lab gradescope`). The base images' Python is externally managed
# (PEP 668: Ubuntu 22.04 and 24.04), so relaxverify goes into a virtual environment.
set -euo pipefail
SOURCE="$(cd "$(dirname "${{BASH_SOURCE[0]}}")" && pwd)"
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y python3 python3-venv python3-pip
python3 -m venv {VENV}
{VENV}/bin/python -m pip install --upgrade pip
{VENV}/bin/python -m pip install "$SOURCE/{SOURCE_DIR}"
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this for every submission (made by `relaxverify lab gradescope`):
# it grades the student's files in $ROOT/submission against the lab {lab} and writes
# $ROOT/results/results.json. Exit 0: graded, whatever the score; exit 2: the
# grader's input is wrong, and results.json says why.
set -uo pipefail
ROOT="${{RELAXVERIFY_AUTOGRADER_ROOT:-/autograder}}"
PYTHON="${{RELAXVERIFY_PYTHON:-{venv}/bin/python}}"
mkdir -p "$ROOT/results"
cd "$ROOT/source"
"$PYTHON" -m relaxverify grade "labs/{lab}" "$ROOT/submission" \\
    --output "$ROOT/results/results.json"
"""


def run_autograder(lab: str) -> str:
    return RUN_AUTOGRADER.format(lab=lab, venv=VENV)


def source_tree(package: Path = PACKAGE) -> list[tuple[str, bytes]]:
    """What `pip install` needs to build relaxverify, as (path, content): a checkout's
    pyproject.toml, README.md, package and grammar; or, for a copy installed in
    site-packages (`pip install .`), its package with a pyproject.toml made from its
    metadata."""
    root = package.parent
    project = root / "pyproject.toml"
    if project.is_file() and 'name = "relaxverify"' in project.read_text("utf-8"):
        files = [project, root / "README.md"] + _files(package) + _files(root / "grammar")
        return [(f.relative_to(root).as_posix(), f.read_bytes()) for f in files]
    return [("pyproject.toml", installed_pyproject().encode())] + \
        [(f.relative_to(root).as_posix(), f.read_bytes()) for f in _files(package)]


def _files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.rglob("*") if p.is_file()
                  and "__pycache__" not in p.parts and p.suffix != ".pyc")


def installed_pyproject() -> str:
    """A pyproject.toml for the installed package: its version, its dependencies
    (without the extras), its script and its grammar."""
    from importlib import metadata

    from relaxverify import __version__
    try:
        needs = [r for r in metadata.requires("relaxverify") or [] if "extra ==" not in r]
    except metadata.PackageNotFoundError:
        raise GradeInputError("relaxverify runs neither from a checkout nor from an "
                              "installed copy with metadata: run `lab gradescope` from a "
                              "clone of the repository") from None
    listed = "".join(f"    {json.dumps(r)},\n" for r in needs)
    return (f"""[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "relaxverify"
version = "{__version__}"
requires-python = ">=3.10"
dependencies = [
{listed}]

[project.scripts]
relaxverify = "relaxverify.cli.main:main_exit"

[tool.setuptools.packages.find]
include = ["relaxverify*"]

[tool.setuptools.package-data]
"*" = ["*.lark"]
""")


def lab_files(lab_dir: Path) -> list[Path]:
    """The lab as the autograder needs it: everything but the reference solution."""
    files = [p.relative_to(lab_dir) for p in lab_dir.rglob("*") if p.is_file()]
    return sorted(f for f in files if f != Path("solution.relax")
                  and "__pycache__" not in f.parts)


def build_zip(lab_dir: Path, dest: Path) -> list[str]:
    """Write the autograder zip (refusing to replace a file); its entries' names."""
    if dest.exists():
        raise GradeInputError(f"`{dest}` exists; not overwriting it (remove it, or give "
                              "another name)")
    entries: list[tuple[str, bytes, int]] = [
        ("setup.sh", SETUP_SH.encode(), 0o755),
        ("run_autograder", run_autograder(lab_dir.name).encode(), 0o755)]
    entries += [(f"{SOURCE_DIR}/{name}", data, 0o644) for name, data in source_tree()]
    entries += [(f"labs/{lab_dir.name}/{f.as_posix()}", (lab_dir / f).read_bytes(), 0o644)
                for f in lab_files(lab_dir)]
    _write_zip(dest, entries)
    return [name for name, _, _ in entries]


def _write_zip(dest: Path, entries: list[tuple[str, bytes, int]]) -> None:
    """Written beside `dest` and renamed: no half-written zip is left behind."""
    try:
        fd, tmp = tempfile.mkstemp(prefix=".autograder-", suffix=".zip",
                                   dir=dest.parent)
    except OSError as exc:
        raise GradeInputError(f"cannot write `{dest}`: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as out, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
            for name, data, mode in entries:
                info = zipfile.ZipInfo(name, EPOCH)
                info.external_attr = (0o100000 | mode) << 16  # a regular file, its mode
                info.compress_type = zipfile.ZIP_DEFLATED
                z.writestr(info, data)
        os.replace(tmp, dest)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise GradeInputError(f"cannot write `{dest}`: {exc.strerror}") from None
