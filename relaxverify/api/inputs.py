"""What a command reads: files and directories named by path, or one source string.

Loading never raises: a file that cannot be used becomes an `error` report.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Iterator, Optional, Sequence, Union

from relaxverify.check.hardware import model_names
from relaxverify.core import nodes as C
from relaxverify.pipeline import Loaded, expand_paths, load, load_source
from relaxverify.report.diagnostics import Diagnostic
from relaxverify.report.render import FileReport

PathLike = Union[str, "os.PathLike[str]"]
Paths = Union[PathLike, Sequence[PathLike]]
SOURCE_NAME = "<string>"


@dataclass
class Inputs:
    """Paths (a file or directory, or a list of them; `-`: standard input), or `source`
    named `name`; `exclude`: the patterns skipped when walking a directory."""

    paths: Sequence[str] = ()
    source: Optional[str] = None
    name: str = SOURCE_NAME
    exclude: Sequence[str] = ()

    @classmethod
    def of(cls, paths: Paths = (), source: Optional[str] = None,
           name: str = SOURCE_NAME, exclude: Sequence[str] = ()) -> "Inputs":
        if source is not None:
            return cls((), source, name)
        if isinstance(paths, (str, os.PathLike)):
            paths = [paths]
        return cls([os.fspath(p) for p in paths], exclude=tuple(exclude))

    def load(self) -> tuple[list[Loaded], list[FileReport]]:
        """The files that load, and `error` reports for the others."""
        if self.source is not None:
            item = load_source(self.name, self.source)
            if item.ok:
                return [item], []
            return [], [FileReport(self.name, "error", self.source, list(item.diagnostics))]
        return loaded_files(list(self.paths), self.exclude)


def loaded_files(paths: list[str], exclude: Sequence[str] = ()) -> tuple[list[Loaded],
                                                                         list[FileReport]]:
    """Load every file named; files that cannot be used become `error` reports."""
    files, problems = expand_paths(paths, exclude)
    reports = [FileReport(d.file, "error", None, [d]) for d in problems]
    good = []
    for path in files:
        item = load(path)
        if item.ok:
            good.append(item)
        else:
            reports.append(FileReport(item.path, "error", item.source, list(item.diagnostics)))
    return good, reports


def program_of(item: Loaded) -> C.Program:
    """The core program of a file that loaded."""
    assert item.program is not None, "only files that load are analysed"
    return item.program


def selected_functions(item: Loaded, names: Sequence[str]) -> Iterator[C.Function]:
    """The functions of a loaded file, or only those `names` names when there are some."""
    for fn in program_of(item).functions.values():
        if not names or fn.name in names:
            yield fn


def missing_function(item: Loaded, names: Sequence[str]) -> Optional[FileReport]:
    """The error report of the first of `names` that the file does not define."""
    missing = [n for n in names if n not in program_of(item).functions]
    return unknown_function(item, missing[0]) if missing else None


def file_error(item: Loaded, message: str, code: str, note: str) -> FileReport:
    """An `error` report for a file that loaded but cannot be used as asked."""
    diag = Diagnostic("error", message, None, code, [note], path=item.path)
    return FileReport(item.path, "error", item.source, [diag])


def unknown_model(item: Loaded, name: str) -> FileReport:
    """The hardware option names no model of this file nor a built-in one."""
    return file_error(item, f"unknown hardware model `{name}`", "hardware",
                      "the models available for this file are: "
                      + ", ".join(model_names(program_of(item))))


def unknown_function(item: Loaded, name: str) -> FileReport:
    """The function option names no function of this file."""
    functions = program_of(item).functions
    return file_error(item, f"there is no function `{name}` in this file", "name",
                      "functions here: " + ", ".join(functions) if functions
                      else "this file defines no functions")
