"""`relaxverify lsp [--tcp HOST:PORT]`: the language server (relaxverify/lsp/,
docs/editor.md). It speaks over standard input and output unless `--tcp` asks for a
socket, bound to 127.0.0.1 unless a host is given. It prints no report, so main.py
calls `run`; pygls is imported only here (`check` never loads it)."""
from __future__ import annotations

import argparse
import math
import sys
from typing import Optional

from relaxverify.lsp.verifier import DEFAULT_LIMIT, VerifySettings  # no pygls: always there

PROG = "relaxverify lsp"
LOCALHOST = "127.0.0.1"
MISSING = ("the language server needs pygls, an optional dependency",
           "install it with `pip install 'relaxverify[lsp]'`")


def add_positionals(parser: argparse.ArgumentParser) -> None:
    """The server reads documents from the editor: no files."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    for action in parser._actions:  # the server verifies whole documents, without a report
        if {"--fn", "--format"} & set(action.option_strings):
            action.help = argparse.SUPPRESS
    parser.add_argument("--tcp", metavar="HOST:PORT", help="listen on a TCP socket instead "
                        "of standard input and output (HOST defaults to 127.0.0.1)")
    parser.add_argument("--verify-timeout", type=float, default=DEFAULT_LIMIT,
                        metavar="SECONDS", help="wall-clock limit of one verification "
                        f"started by a save (default {DEFAULT_LIMIT:g})")
    parser.set_defaults(formats=("text",))


def tcp_address(text: str) -> Optional[tuple[str, int]]:
    """`HOST:PORT`, `:PORT` or `PORT` as (host, port); None if it is none of them."""
    host, _, port = text.rpartition(":")
    if not port.isdigit() or not 0 < int(port) < 65536:
        return None
    return host or LOCALHOST, int(port)


def _error(message: str, note: str) -> int:
    print(f"{PROG}: error: {message}\n  note: {note}", file=sys.stderr)
    return 2


def run(args: argparse.Namespace) -> int:
    address = None
    if args.tcp is not None:
        address = tcp_address(args.tcp)
        if address is None:
            return _error(f"`--tcp {args.tcp}` is not HOST:PORT",
                          "give a port from 1 to 65535, e.g. `--tcp 127.0.0.1:2087`")
    if not (math.isfinite(args.verify_timeout) and args.verify_timeout > 0):
        return _error("--verify-timeout must be a positive number of seconds",
                      "e.g. `--verify-timeout 60`")
    try:
        from relaxverify.lsp.server import create_server
    except ImportError as exc:
        if (exc.name or "").split(".")[0] not in ("pygls", "lsprotocol"):
            raise
        return _error(*MISSING)
    server = create_server(VerifySettings(args.hardware, args.timeout, args.verify_timeout))
    try:
        if address is None:
            server.start_io()
        else:
            server.start_tcp(*address)
    finally:
        server.stop_all()
    return 0
