"""`relaxverify verify FILE...`: acceptability proofs (relaxverify/api/verify.py)."""
from __future__ import annotations

import argparse

from relaxverify import api
from relaxverify.cli.common import common_options
from relaxverify.report.render import CommandResult

FORMATS = ("text", "json", "sarif", "github")
CONFIGURED = True  # reads relaxverify.toml (cli/config.py)
EXITS_AT_ONCE = True  # leaves nothing to clean up (main._exit_at_once)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--explain", action="store_true",
                        help="print every obligation with its condition in source syntax")
    parser.add_argument("--smt2", metavar="DIR",
                        help="write each solver query as an SMT-LIB 2 file into DIR")
    parser.add_argument("--jobs", "-j", type=_jobs, metavar="N",
                        help="prove functions in N processes (default: the machine's cores)")
    parser.add_argument("--cache-dir", metavar="DIR",
                        help="the result cache's directory (default: $RELAXVERIFY_CACHE_DIR, "
                        "else .relaxverify_cache in the current directory)")
    parser.add_argument("--no-cache", action="store_true",
                        help="neither read nor write the result cache")


def _jobs(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"expected a positive whole number of processes, "
                                         f"not `{text}`")
    return n


def execute(args: argparse.Namespace) -> CommandResult:
    from relaxverify.verify.allocator import keep_freed_memory
    from relaxverify.verify.cache import default_dir
    from relaxverify.verify.pool import default_jobs
    keep_freed_memory()
    cache_dir = None if args.no_cache else (args.cache_dir or default_dir())
    options = api.VerifyOptions(**common_options(args), explain=args.explain, smt2=args.smt2,
                                jobs=args.jobs or default_jobs(), cache_dir=cache_dir)
    return api.verify(args.files, options=options)
