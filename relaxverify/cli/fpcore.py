"""`relaxverify fpcore FILE.fpcore [-o OUT.relax] [--force]`: import an FPBench
benchmark as Relax (relaxverify/fpcore/, docs/fpcore.md).

It prints its own output (Relax text, not a report), so main.py calls `run`."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

PROG = "relaxverify fpcore"
FORMATS = ("text",)


def add_positionals(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE", help="an FPCore file (.fpcore)")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    for action in parser._actions:  # the common options mean nothing to an import
        if {"--hardware", "--fn", "--timeout", "--format"} & set(action.option_strings):
            action.help = argparse.SUPPRESS
    parser.add_argument("-o", "--output", metavar="OUT", help="write the Relax to OUT "
                        "instead of standard output")
    parser.add_argument("--force", action="store_true", help="overwrite OUT if it exists")


def _error(message: str, note: str = "") -> int:
    print(f"{PROG}: error: {message}" + (f"\n  note: {note}" if note else ""),
          file=sys.stderr)
    return 2


def run(args: argparse.Namespace) -> int:
    """Translate, print or write; 0 on success, 2 on any bad input (with a message)."""
    from relaxverify.fpcore import FPCoreError, translate_text  # only this command needs it

    path = Path(args.file)
    if args.output and Path(args.output).exists() and not args.force:
        return _error(f"{args.output} exists; not overwriting it",
                      "pass --force to replace it, or choose another -o path")
    try:
        data = path.read_bytes()
    except OSError as exc:
        return _error(f"cannot read {path}: {exc.strerror or exc}")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return _error(f"{path} is not a UTF-8 text file (byte {exc.start} is "
                      f"0x{data[exc.start]:02x}); an FPCore file is text")
    try:
        relax = translate_text(text, str(path))
    except FPCoreError as exc:
        print(exc.render(), file=sys.stderr)
        cores = text.count("(FPCore")
        return _error(f"no Relax written ({len(exc.problems)} problem(s) above)",
                      "a file is imported whole: remove or rewrite the cores named above "
                      "to import the others" if cores > 1 else "")
    if not args.output:
        sys.stdout.write(relax)
        return 0
    try:
        Path(args.output).write_text(relax, encoding="utf-8")
    except OSError as exc:
        return _error(f"cannot write {args.output}: {exc.strerror or exc}")
    count = relax.count("\nfn ")
    print(f"wrote {args.output}: {count} function(s)")
    return 0
