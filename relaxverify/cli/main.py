"""Command-line entry point: `relaxverify check|verify|...|report|lab ...` (docs/cli.md).

Each command module turns its arguments into options of relaxverify.api and returns
the API's result, which report/render.py prints. Only the module of the command
that runs is imported (`build_parser`): `check` loads neither z3 nor the interpreter. Runs the command in a thread with a large stack, so that deeply nested programs
are handled by the recursive stages instead of crashing the interpreter, and
turns any unexpected exception into a message (never a traceback).
"""
from __future__ import annotations

import argparse
import importlib
import math
import os
import signal
import sys
import threading
from types import ModuleType
from typing import TYPE_CHECKING, Callable, NoReturn, Optional

from relaxverify import __version__
from relaxverify.defaults import DEFAULT_TIMEOUT
from relaxverify.report.colour import wants_colour
from relaxverify.report.render import render

if TYPE_CHECKING:
    from relaxverify.cli.config import Config, ConfigError

COMMANDS = {
    "check": ("check", "parse and type-check .relax files"),
    "verify": ("verify", "prove acceptability: integrity and accuracy (Z3)"),
    "reliability": ("reliability", "analyse reliability on unreliable hardware"),
    "run": ("run", "execute a function, original or relaxed, with fault injection"),
    "grade": ("grade", "grade a student's .relax file against a course lab (Gradescope "
              "results.json)"),
    "fpcore": ("fpcore", "import an FPCore (FPBench) file as Relax"),
    "report": ("report", "write an HTML page of pictures: reliability, Monte Carlo, "
               "verify results, counterexamples"),
    "lsp": ("lsp", "the language server for editors (stdio; needs the `lsp` extra)"),
    "lab": ("lab", "hand out a course lab: the student handout, or a Gradescope autograder "
            "zip"),
}


class _Parser(argparse.ArgumentParser):
    """argparse that says how to get help after a usage error (exit 2)."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}\n"
                     f"  note: run `{self.prog} --help` for the options\n")


def build_parser(argv: Optional[list[str]] = None,
                 optional_files: bool = False) -> argparse.ArgumentParser:
    """The parser; given `argv`, only the command it names gets its options (and its
    module imported): the others' subparsers exist for `--help` and the choice list.
    Importing every command module would load z3 and the interpreter for any command.
    `optional_files`: FILE may be left out (a configuration names the paths)."""
    parser = _Parser(prog="relaxverify", description="A static verifier for approximate "
                     "programs written in Relax.")
    parser.add_argument("--version", action="version", version=f"relaxverify {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    wanted = None if argv is None else _command_named(argv)
    for name, (module, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        if argv is None or name == wanted:
            _add_options(p, _command_module(module), optional_files)
    return parser


def _command_named(argv: list[str]) -> Optional[str]:
    """The command of a command line: its first word that is no option (the top-level
    options, --help and --version, take no value)."""
    return next((a for a in argv if not a.startswith("-")), None)


def _add_options(p: argparse.ArgumentParser, command: ModuleType,
                 optional_files: bool = False) -> None:
    if hasattr(command, "add_positionals"):  # a command with its own positionals
        command.add_positionals(p)
    else:
        p.add_argument("files", nargs="*" if optional_files else "+", metavar="FILE",
                       help="a .relax file, or a directory: every .relax file below it; "
                       "`-`: standard input")
    formats = getattr(command, "FORMATS", ("text", "json"))
    p.add_argument("--format", default="text", choices=formats, type=_format(formats),
                   help="output format (default text)")
    p.add_argument("--hardware", metavar="H", help="hardware model: one declared in the "
                   "file, or mild, medium, aggressive")
    p.add_argument("--timeout", type=float, metavar="SECONDS",
                   help="solver time limit per obligation (default 10)")
    p.add_argument("--fn", metavar="NAME", action="append",
                   help="only this function (repeat for several)")
    command.add_arguments(p)


def _format(formats: tuple[str, ...]) -> Callable[[str], str]:
    """The `type` of --format: an unknown one is a usage error naming the choices."""
    def parse(text: str) -> str:
        if text not in formats:
            raise argparse.ArgumentTypeError(f"unknown format `{text}`; choose one of "
                                             + ", ".join(formats))
        return text
    return parse


def _command_module(name: str) -> ModuleType:
    return importlib.import_module(f"relaxverify.cli.{name}")


def _run(argv: Optional[list[str]]) -> int:
    argv = sys.argv[1:] if argv is None else argv
    config, problem = _configuration(_command_named(argv), argv)
    parser = build_parser(argv, bool(problem or (config and config.paths)))
    args, extra = parser.parse_known_args(argv)
    if extra:  # a command's positionals split by options: only it can place them
        complete = getattr(_command_module(COMMANDS[args.command][0]), "complete", None)
        if complete is None or not complete(args, extra):
            parser.error(f"unrecognized arguments: {' '.join(extra)}")
    if problem is not None:
        print(problem.render(), file=sys.stderr)
        return 2
    command = _command_module(COMMANDS[args.command][0])
    prints_itself = hasattr(command, "run")  # its own output (fpcore, report, lsp)
    if config is not None and not prints_itself:
        from relaxverify.cli.config import apply_config
        apply_config(args, config)
    if args.timeout is None:
        args.timeout = DEFAULT_TIMEOUT
    if not (math.isfinite(args.timeout) and args.timeout > 0):  # nan and inf too
        print(f"relaxverify {args.command}: error: --timeout must be a positive number of "
              "seconds", file=sys.stderr)
        return 2
    if prints_itself:
        return int(command.run(args))
    result = command.execute(args)
    render(result, args.format, sys.stdout, colour=args.format == "text" and
           wants_colour(sys.stdout), command_line=_command_line(argv, args.format))
    return result.exit_code


def _configuration(name: Optional[str],
                   argv: list[str]) -> tuple[Optional["Config"], Optional["ConfigError"]]:
    """The settings in force for command `name` (read only for the commands that take
    them, and not for --help: a broken file must not hide the help), or the problem."""
    if name not in COMMANDS or {"-h", "--help"} & set(argv) or not getattr(
            _command_module(COMMANDS[name][0]), "CONFIGURED", False):
        return None, None
    from relaxverify.cli.config import ConfigError, load_config
    try:
        return load_config(os.getcwd()), None
    except ConfigError as exc:
        return None, exc


def _command_line(argv: list[str], fmt: str) -> Optional[str]:
    """The command as typed, for SARIF's `invocations`."""
    if fmt != "sarif":
        return None
    import shlex
    return shlex.join(["relaxverify", *argv])


def main(argv: Optional[list[str]] = None) -> int:
    outcome: dict[str, int] = {}
    done = threading.Event()  # the worker has finished (its output is printed)

    def target() -> None:
        try:
            outcome["code"] = _run(argv)
        except SystemExit as exc:  # argparse
            outcome["code"] = exc.code if isinstance(exc.code, int) else 2
        except RecursionError:
            print("relaxverify: error: the program is nested too deeply for this tool "
                  "(more than several thousand levels)", file=sys.stderr)
            outcome["code"] = 2
        except KeyboardInterrupt:
            outcome["code"] = 130
        except BrokenPipeError:  # output piped into `head` and the like
            outcome["code"] = 0
        except Exception as exc:  # a bug: say so plainly, without a traceback
            print(f"relaxverify: internal error: {type(exc).__name__}: {exc}\n"
                  "  note: this is a bug in relaxverify; please report it with the input file",
                  file=sys.stderr)
            outcome["code"] = 70
        finally:
            done.set()

    old_limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old_limit, 60000))
    # Relax ints are unbounded (docs/language.md section 2): lift Python's limit on converting
    # long integer literals (and Z3's numerals, which go through str) to and from text.
    old_digits = getattr(sys, "get_int_max_str_digits", lambda: None)()
    if old_digits is not None:
        sys.set_int_max_str_digits(0)
    threading.stack_size(512 * 1024 * 1024)
    try:
        # A daemon: on Ctrl-C (delivered to this thread, not the worker) the process
        # exits without waiting for a run that may never end (`while (true)`).
        worker = threading.Thread(target=target, name="relaxverify", daemon=True)
        worker.start()
        worker.join()
    except KeyboardInterrupt:
        from relaxverify.run import interrupt
        if interrupt.listening():  # Monte Carlo trials: they stop and print what they have
            interrupt.request()
            try:  # (not worker.join: an interrupted join may not wait again)
                done.wait(timeout=30)
            except KeyboardInterrupt:
                pass
            if done.is_set():
                return outcome.get("code", 130)
        print("relaxverify: interrupted", file=sys.stderr)
        return 130
    finally:
        threading.stack_size(0)
        sys.setrecursionlimit(old_limit)
        if old_digits is not None:
            sys.set_int_max_str_digits(old_digits)
    return outcome.get("code", 70)


def main_exit() -> None:
    """Console-script entry point (and `python -m relaxverify`)."""
    # A process started with SIGINT ignored (a background job, `nohup`) passes that on
    # to its children: restore Python's handler so that Ctrl-C stops the tool the same
    # way however it was started (exit 130, "interrupted", no traceback).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    code = main()
    name = _command_named(sys.argv[1:])
    if name in COMMANDS and getattr(_command_module(COMMANDS[name][0]), "EXITS_AT_ONCE", False):
        _exit_at_once(code)
    sys.exit(code)


def _exit_at_once(code: int) -> NoReturn:
    """End the process without freeing its objects, as mypy does: for `verify` of 100
    functions that took 50 ms, a twentieth of the run. Only for the commands that say
    they may (`EXITS_AT_ONCE`): their files are closed and their worker processes
    joined when they return, so nothing is left for the interpreter's exit to do
    but flush the output."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (`| head`): what it took is out
            pass
    os._exit(code)
