"""Helpers shared by the commands: loading files into reports."""
from __future__ import annotations

from typing import Iterator

from ..pipeline import Loaded, expand_paths, load
from ..report import FileReport


def loaded_files(paths: list[str]) -> tuple[list[Loaded], list[FileReport]]:
    """Load every file named; files that cannot be used become `error` reports."""
    files, problems = expand_paths(paths)
    reports = [FileReport(d.file, "error", None, [d]) for d in problems]
    good = []
    for path in files:
        item = load(path)
        if item.ok:
            good.append(item)
        else:
            reports.append(FileReport(path, "error", item.source, item.diagnostics))
    return good, reports


def selected_functions(item: Loaded, name: str | None) -> Iterator:
    """The functions of a loaded file, or only `name` when --fn is given."""
    for fn in item.program.functions.values():
        if name is None or fn.name == name:
            yield fn
