"""The layout of docs/architecture.md holds: one folder per pipeline stage, small
modules and classes, and imports only in the directions the page allows."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "relaxverify"
MAX_MODULE_LINES = 600
MAX_CLASS_LINES = 300

# What each folder may import (besides itself and the top-level helper modules), as
# the table of docs/architecture.md says. Listed by stage, lowest first.
ALLOWED: dict[str, set[str]] = {
    "report": set(),
    "syntax": {"report"},
    "core": {"syntax", "report"},
    "check": {"syntax", "core", "report"},
    "reliability": {"core", "report", "syntax"},
    "run": {"core", "report", "syntax", "check", "reliability"},  # --trials: the static value
    "verify": {"core", "report", "syntax", "check", "run"},
    "api": {"syntax", "check", "core", "verify", "reliability", "run", "report"},
    "grading": {"api", "report", "syntax", "check", "core", "verify", "reliability", "run"},
    "fpcore": set(),  # FPCore import: relaxverify.source (top level) and itself only
    # `relaxverify report`: calls `api`, reads the stages' result types
    "htmlreport": {"api", "report", "verify", "run"},
    # The language server: the API's results; the syntax tree for definitions; the
    # verifier's value printer for counterexamples (lsp/worker.py).
    "lsp": {"api", "report", "syntax", "verify"},
    "cli": {"api", "grading", "report", "syntax", "check", "core", "run", "verify",
            "reliability", "fpcore", "htmlreport", "lsp"},
}
TOP_LEVEL = {"source", "gcpause", "pipeline", "defaults", "__init__", "__main__"}
PIPELINE_IMPORTS = {"syntax", "check", "core", "report"}  # relaxverify/pipeline.py


def modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def folder(path: Path) -> str:
    rel = path.relative_to(PACKAGE)
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


def imported_folders(path: Path) -> set[str]:
    """The relaxverify folders (or top-level modules) that a module imports, also in
    functions (a lazy import is still a dependency)."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = []
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        for name in names:
            parts = name.split(".")
            if parts[0] == "relaxverify" and len(parts) > 1 and (
                    (PACKAGE / parts[1]).is_dir() or (PACKAGE / f"{parts[1]}.py").exists()):
                out.add(parts[1])
        assert not (isinstance(node, ast.ImportFrom) and node.level), \
            f"{path}: relative import; the package uses absolute imports"
    return out


def test_at_least_five_stage_folders() -> None:
    stages = {p.parent.name for p in PACKAGE.glob("*/__init__.py")}
    assert {"syntax", "check", "core", "verify", "reliability", "run", "report"} <= stages


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_module_and_class_sizes(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= MAX_MODULE_LINES, f"{path.name} is over {MAX_MODULE_LINES}"
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.ClassDef):
            size = (node.end_lineno or node.lineno) - node.lineno + 1
            assert size <= MAX_CLASS_LINES, f"class {node.name} has {size} lines"


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_follow_the_layers(path: Path) -> None:
    here = folder(path)
    used = imported_folders(path) - {here} - TOP_LEVEL
    if here in ALLOWED:
        allowed = ALLOWED[here]
    elif here == "pipeline":
        allowed = PIPELINE_IMPORTS
    elif here == "__main__":
        allowed = {"cli"}
    else:
        allowed = set()
    assert used <= allowed, f"{path.relative_to(PACKAGE)} imports {sorted(used - allowed)}"


def test_folder_graph_has_no_cycle() -> None:
    graph: dict[str, set[str]] = {}
    for path in modules():
        graph.setdefault(folder(path), set()).update(imported_folders(path) - {folder(path)})
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        if state.get(node) == 1:
            raise AssertionError("import cycle: " + " -> ".join(trail + [node]))
        if state.get(node) == 2:
            return
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            visit(nxt, trail + [node])
        state[node] = 2

    for node in sorted(graph):
        visit(node, [])


def test_every_package_is_installed() -> None:
    """pyproject.toml lists the packages by name: a new folder missing there works in a
    checkout but not from `pip install .`."""
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+

    listed = set(tomllib.loads((PACKAGE.parent / "pyproject.toml").read_text())
                 ["tool"]["setuptools"]["packages"])
    found = {".".join(("relaxverify",) + p.parent.relative_to(PACKAGE).parts).rstrip(".")
             for p in PACKAGE.rglob("__init__.py")}
    assert found <= listed, f"not in pyproject.toml's packages: {sorted(found - listed)}"
