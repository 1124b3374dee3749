"""Helpers shared by the commands: loading files into reports."""
from __future__ import annotations

from typing import Iterator

from relaxverify.report.diagnostics import Diagnostic
from relaxverify.check.hardware import model_names
from relaxverify.pipeline import Loaded, expand_paths, load
from relaxverify.report.render import FileReport


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


def file_error(item: Loaded, message: str, code: str, note: str) -> FileReport:
    """An `error` report for a file that loaded but cannot be used as asked."""
    diag = Diagnostic("error", message, None, code, [note], path=item.path)
    return FileReport(item.path, "error", item.source, [diag])


def unknown_model(item: Loaded, name: str) -> FileReport:
    """`--hardware NAME` names no model of this file nor a built-in one."""
    return file_error(item, f"unknown hardware model `{name}`", "hardware",
                      "the models available for this file are: "
                      + ", ".join(model_names(item.program)))


def unknown_function(item: Loaded, name: str) -> FileReport:
    """`--fn NAME` names no function of this file."""
    functions = item.program.functions
    return file_error(item, f"there is no function `{name}` in this file", "name",
                      "functions here: " + ", ".join(functions) if functions
                      else "this file defines no functions")
