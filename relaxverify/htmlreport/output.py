"""Writing the page without losing what a user wrote.

The report goes to the path of `-o`, replacing a report this tool wrote before (its
`<meta name="generator">` says so): rerunning the same command is the common case.
Anything else is refused: a directory or a `.relax` file always (that is where
programs live), an input file always, and any other existing file unless `--force`.
The page is written to a temporary file beside the target and renamed over it, so
an interrupted write leaves the previous report whole."""
from __future__ import annotations

import os
from pathlib import Path

from relaxverify.htmlreport.build import ReportError
from relaxverify.htmlreport.page import GENERATOR

HEAD = 4096  # the bytes of an existing file read to recognise a report


def write_page(target: str, text: str, force: bool, inputs: list[str]) -> None:
    """Write `text` to `target`; ReportError when that would lose a user's file."""
    check_target(target, force, inputs)
    path = Path(target)
    temp = path.parent / f".{path.name}.{os.getpid()}.tmp"
    try:
        with temp.open("x", encoding="utf-8") as out:  # a new file: the umask's mode
            out.write(text)
        if path.exists():  # a replaced report keeps its permissions
            os.chmod(temp, path.stat().st_mode & 0o777)
        os.replace(temp, path)
    except OSError as exc:
        temp.unlink(missing_ok=True)
        raise ReportError(f"cannot write {path}: {exc.strerror or exc}") from None


def check_target(target: str, force: bool, inputs: list[str]) -> None:
    """ReportError if the page must not be written to `target` (checked before the
    work too, so that a refusal does not come after minutes of trials)."""
    refuse = _refusal(Path(target), force, inputs)
    if refuse:
        raise ReportError(refuse)
    folder = Path(target).parent
    if not folder.is_dir():
        raise ReportError(f"cannot write {target}: the folder {folder} does not exist")


def _refusal(path: Path, force: bool, inputs: list[str]) -> str:
    """Why `path` must not be written, or ""."""
    if path.is_dir():
        return (f"{path} is a directory; name the report's file, e.g. "
                f"`-o {path / 'report.html'}`")
    if path.suffix.lower() == ".relax":
        return (f"{path} is a .relax file name: the report is HTML and would replace a "
                "program; write it to a .html file, e.g. `-o report.html`")
    if path.exists() and any(_same(path, Path(i)) for i in inputs):
        return f"{path} is one of the input files; write the report to another file"
    if path.exists() and not force and not _is_report(path):
        return (f"{path} exists and is not a report relaxverify wrote; not overwriting it "
                "(pass --force to replace it, or choose another -o path)")
    return ""


def _same(a: Path, b: Path) -> bool:
    try:
        return b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def _is_report(path: Path) -> bool:
    try:
        with path.open("rb") as f:
            head = f.read(HEAD)
    except OSError:
        return False
    return f'<meta name="generator" content="{GENERATOR}'.encode() in head
