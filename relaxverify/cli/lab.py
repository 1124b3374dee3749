"""`relaxverify lab export LAB DIR` and `relaxverify lab gradescope LAB ZIP`: what an
instructor hands out from a lab (grading/handout.py, grading/gradescope.py).

It prints its own output (what it wrote), so main.py calls `run`. Exit 0 when the
files are written, 2 on bad input (unknown lab, DIR not empty, ZIP exists)."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from relaxverify.grading.results import GradeInputError


def add_positionals(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", metavar="ACTION",
                                    parser_class=type(parser))
    actions.required = True
    lab_help = "a lab directory, or a lab's name or number (looked up in $RELAXVERIFY_LABS " \
        "and ./labs)"
    export = actions.add_parser("export", help="write the student handout (the lab without "
                                "solution.relax and hidden/) into DIR, a new or empty "
                                "directory", description="write the student handout")
    export.add_argument("lab", metavar="LAB", help=lab_help)
    export.add_argument("dest", metavar="DIR", help="a new or empty directory")
    zip_ = actions.add_parser("gradescope", help="build the lab's Gradescope autograder zip "
                              "(setup.sh, run_autograder, relaxverify's source, the lab)",
                              description="build the lab's Gradescope autograder zip")
    zip_.add_argument("lab", metavar="LAB", help=lab_help)
    zip_.add_argument("dest", metavar="ZIP", help="the zip to write (it must not exist)")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    for action in parser._actions:  # the common options mean nothing here
        if {"--hardware", "--fn", "--timeout", "--format"} & set(action.option_strings):
            action.help = argparse.SUPPRESS
    parser.set_defaults(formats=("text",))


def run(args: argparse.Namespace) -> int:
    from relaxverify.grading.gradescope import build_zip
    from relaxverify.grading.handout import export_handout
    from relaxverify.grading.labs import find_lab_named, load_lab

    dest = Path(args.dest)
    try:
        lab_dir = find_lab_named(args.lab)
        config = load_lab(lab_dir)
        if args.action == "export":
            files = export_handout(lab_dir, dest)
            print(f"wrote the handout of {lab_dir.name} into {dest}: "
                  + ", ".join(f.as_posix() for f in files))
            print(f"students hand in `{config.get('submission', 'their .relax file')}`; "
                  "inside the handout, `relaxverify grade FILE` runs the visible tests")
        else:
            entries = build_zip(lab_dir, dest)
            print(f"wrote {dest} ({len(entries)} files): the autograder of {lab_dir.name}; "
                  "upload it in the assignment's Configure Autograder page (Ubuntu 22.04 "
                  "or 24.04 base image)")
    except GradeInputError as exc:
        print(f"relaxverify lab {args.action}: error: {exc}", file=sys.stderr)
        return 2
    return 0
