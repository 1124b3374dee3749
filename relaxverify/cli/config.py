"""The project's settings: `relaxverify.toml`, or `[tool.relaxverify]` in pyproject.toml
(docs/cli.md, "Configuration").

Looked for from the current directory upwards; the first directory holding either
file decides (relaxverify.toml first). Its keys are defaults that the command line
overrides. A bad file is bad input: a located message, exit 2 (main.py).
"""
from __future__ import annotations

import argparse
import math
import os
import re
import sys
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Optional

from relaxverify.report.diagnostics import Diagnostic
from relaxverify.report.text import render_text
from relaxverify.source import Span

CONFIG_FILE = "relaxverify.toml"
PYPROJECT = "pyproject.toml"
PYPROJECT_TABLE = "tool.relaxverify"
# A pyproject.toml is parsed only when it may hold the table (most do not: parsing
# one costs `check` several milliseconds).
_MAY_HOLD_TABLE = re.compile(r"""\btool["']?\s*\.\s*["']?relaxverify\b""")
_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")
_HEADER = re.compile(r"^\s*\[\[?([^\]]+)\]")


def _positive_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) and v > 0


def _name(v: Any) -> bool:
    return isinstance(v, str) and v.strip() != ""


def _positive_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and v >= 1


def _strings(v: Any) -> bool:
    return isinstance(v, list) and all(_name(s) for s in v)


# key: (its check, what it must be, an example)
KEYS: dict[str, tuple[Callable[[Any], bool], str, str]] = {
    "timeout": (_positive_number, "a positive number of seconds", "timeout = 30"),
    "hardware": (_name, "the name of a hardware model", 'hardware = "medium"'),
    "jobs": (_positive_int, "a positive whole number of processes", "jobs = 4"),
    "paths": (_strings, "a list of files and directories", 'paths = ["src", "labs/lab1"]'),
    "exclude": (_strings, "a list of glob patterns", 'exclude = ["build", "*_draft.relax"]'),
}


@dataclass
class Config:
    """The settings of one file; `paths` and `exclude` as written there."""

    path: str  # the file, as messages name it (relative to the current directory)
    directory: str  # its directory, absolute: paths and patterns are relative to it
    timeout: Optional[float] = None
    hardware: Optional[str] = None
    jobs: Optional[int] = None
    paths: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()

    def default_files(self) -> list[str]:
        """`paths`, relative to the current directory (as the user would name them)."""
        if self.directory == os.getcwd():
            return list(self.paths)
        return [_shown(os.path.join(self.directory, p)) for p in self.paths]

    def exclude_patterns(self) -> tuple[str, ...]:
        """`exclude` for pipeline.excluded: a pattern with a `/` made absolute (it is
        relative to this file's directory), a name pattern as it is."""
        import glob
        return tuple(p if "/" not in p.rstrip("/") or os.path.isabs(p)
                     else os.path.join(glob.escape(self.directory), p) for p in self.exclude)


class ConfigError(Exception):
    """A configuration file that cannot be used, with the located message."""

    def __init__(self, diagnostic: Diagnostic, source: Optional[str] = None):
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic
        self.source = source

    def render(self) -> str:
        path = self.diagnostic.file
        return render_text(self.diagnostic, {path: self.source} if self.source else {})


def load_config(start: str) -> Optional[Config]:
    """The settings that apply in directory `start`, or None; raises ConfigError."""
    for path, text in candidates(start):
        data = _parse(path, text)
        if os.path.basename(path) == PYPROJECT:
            tool = data.get("tool")
            section = tool.get("relaxverify") if isinstance(tool, dict) else None
            if section is None:  # it only mentions relaxverify: look further up
                continue
            table = PYPROJECT_TABLE
        else:
            section, table = data, ""
        if not isinstance(section, dict):
            raise _error(path, text, "tool", "relaxverify", f"`{PYPROJECT_TABLE}` must be a "
                         "table", "write it as a table: `[tool.relaxverify]` and `key = value` "
                         "lines")
        return _validated(path, text, table, section)
    return None


def candidates(start: str) -> Iterator[tuple[str, str]]:
    """The files that may hold the settings, from `start` upwards, with their text:
    a relaxverify.toml, else a pyproject.toml that mentions `tool.relaxverify`."""
    directory = os.path.abspath(start)
    while True:
        mine = os.path.join(directory, CONFIG_FILE)
        project = os.path.join(directory, PYPROJECT)
        if os.path.isfile(mine):
            yield _shown(mine), _read(mine)
        elif os.path.isfile(project):
            try:
                text = open(project, encoding="utf-8").read()
            except (OSError, UnicodeDecodeError):  # not ours to judge: look further up
                text = ""
            if _MAY_HOLD_TABLE.search(text):
                yield _shown(project), text
        parent = os.path.dirname(directory)
        if parent == directory:
            return
        directory = parent


def apply_config(args: argparse.Namespace, config: Config) -> None:
    """Fill in what the command line left unsaid: options that are None, no FILE."""
    for key in ("timeout", "hardware", "jobs"):
        if hasattr(args, key) and getattr(args, key) is None:
            setattr(args, key, getattr(config, key))
    if hasattr(args, "files") and not args.files:
        args.files = config.default_files()
    args.exclude = config.exclude_patterns()


def _shown(path: str) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive (Windows)
        return path


def _read(path: str) -> str:
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as exc:
        raise ConfigError(Diagnostic("error", f"cannot read `{path}`: {exc.strerror}", None,
                                     "usage", path=path)) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ConfigError(Diagnostic("error", f"`{path}` is not UTF-8 text (byte "
                                     f"0x{data[exc.start]:02x})", Span(path, line, 1, line, 1),
                                     "usage", ["save it as UTF-8"], path=path)) from None


def _parse(path: str, text: str) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        where = _TOML_POSITION.search(message)
        span = None
        if where:
            line, col = int(where[1]), int(where[2])
            span = Span(path, line, col, line, col + 1)
            message = message[:where.start()]
        raise ConfigError(Diagnostic(
            "error", f"`{path}` is not valid TOML: {message[:1].lower() + message[1:]}", span,
            "usage", ["TOML settings are `key = value` lines; strings in double quotes, "
                      'lists in brackets: `paths = ["src"]`'], path=path), text) from None


def _validated(path: str, text: str, table: str, section: dict[str, Any]) -> Config:
    where = f"[{table}] of `{path}`" if table else f"`{path}`"
    for key, value in section.items():
        if key not in KEYS:
            import difflib
            close = difflib.get_close_matches(key, list(KEYS), n=1)
            raise _error(path, text, table, key, f"unknown key `{key}` in {where}",
                         *([f"did you mean `{close[0]}`?"] if close else []),
                         f"the keys are: {', '.join(KEYS)} (docs/cli.md, \"Configuration\")")
        check, what, example = KEYS[key]
        if not check(value):
            raise _error(path, text, table, key, f"`{key}` in {where} must be {what}, not "
                         f"`{_toml(value)}`", f"for example: `{example}`")
    values: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v
                              for k, v in section.items()}
    if "timeout" in values:
        values["timeout"] = float(values["timeout"])
    return Config(path, os.path.dirname(os.path.abspath(path)), **values)


def _error(path: str, text: str, table: str, key: str, message: str,
           *notes: str) -> ConfigError:
    """The error about `key`, at its line when it can be found (tomllib gives no
    positions of keys), else at the file."""
    at = _locate(text, table, key)
    span = Span(path, at[0], at[1], at[0], at[1] + len(key)) if at else None
    return ConfigError(Diagnostic("error", message, span, "usage", list(notes), path=path),
                       text)


def _locate(text: str, table: str, key: str) -> Optional[tuple[int, int]]:
    """The line and column of `key = ...` in `table` ("" for the top level)."""
    current = ""
    assignment = re.compile(rf"^(\s*)([\"']?){re.escape(key)}\2\s*=")
    for number, line in enumerate(text.split("\n"), 1):
        header = _HEADER.match(line)
        if header:
            current = re.sub(r"[\s\"']", "", header[1])
            if current == (f"{table}.{key}" if table else key):
                return number, line.index(key) + 1  # the key is a table itself
            continue
        found = assignment.match(line) if current == table else None
        if found:
            return number, len(found[1]) + 1
    return None


def _toml(value: Any) -> str:
    """A value as TOML writes it (in messages)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + "}"
    return str(value)
