"""Start-up cost of the command line, against `python -c "import lark"` (issue 14).

    python benchmarks/startup.py [--runs 5] [--file examples/dot_product.relax]

Each figure is the median wall time of --runs fresh processes (the process start
included, as a user sees it), and their median CPU time (user + system: steadier
than wall time on a shared machine):
  python            `python -c pass`: the interpreter alone
  import lark       `python -c "import lark"`: the floor for any parse
  --version         `relaxverify --version`: the command line, no command
  check             `relaxverify check FILE`, Lark's tables read from the cache
  check, cold       the same with an empty cache directory (tables built, then stored)
  verify            `relaxverify verify FILE` (z3 loaded, obligations proved)
then the ratio check / import lark (target: at most 2) and, for check and verify,
how many modules the process imported and whether z3, numpy and rich (only for
colour on a terminal) were among them.
It reports figures; it is not a test (tests/test_startup.py is).
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Optional

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable

# Runs the command line in this process, then prints what it imported (one JSON line).
IMPORTS = ("import json, sys\n"
           "from relaxverify.cli.main import main\n"
           "code = main(sys.argv[1:])\n"
           "mods = sorted(sys.modules)\n"
           "print(json.dumps({'code': code, 'modules': len(mods),\n"
           "  'z3': 'z3' in sys.modules, 'numpy': 'numpy' in sys.modules,\n"
           "  'rich': 'rich' in sys.modules}))\n")


# Compiled bytecode, kept apart from the checkout (PYTHONPYCACHEPREFIX), as an
# installed package has it: without it every module compiles at each start.
BYTECODE = tempfile.mkdtemp(prefix="relaxverify-pyc-")
NO_BYTECODE = tempfile.mkdtemp(prefix="relaxverify-nopyc-")  # stays empty


def _env(cache: Optional[str] = None, bytecode: bool = True) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    if bytecode:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = BYTECODE
    else:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        env["PYTHONPYCACHEPREFIX"] = NO_BYTECODE
    if cache is not None:
        env["XDG_CACHE_HOME"] = cache
    return env


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(argv: list[str], cache: Optional[str] = None,
          bytecode: bool = True) -> tuple[float, float]:
    """Wall and CPU seconds of one process; fails loudly if the command does (a
    figure of a crashing command would mean nothing)."""
    t0, c0 = time.perf_counter(), _cpu()
    proc = subprocess.run(argv, capture_output=True, text=True, cwd=ROOT, env=_env(cache, bytecode))
    seconds, cpu = time.perf_counter() - t0, _cpu() - c0
    if proc.returncode not in (0, 1):
        raise SystemExit(f"startup.py: error: {' '.join(argv)} exited {proc.returncode}:\n"
                         f"{proc.stderr[-2000:]}")
    return seconds, cpu


def median(argv: list[str], runs: int, cold: bool = False,
           bytecode: bool = True) -> tuple[float, float]:
    """Median wall and median CPU seconds of `runs` processes; `cold`: each with an
    empty cache directory."""
    walls, cpus = [], []
    for _ in range(runs):
        if cold:
            with tempfile.TemporaryDirectory(prefix="relaxverify-cold-") as empty:
                w, c = timed(argv, empty, bytecode)
        else:
            w, c = timed(argv, bytecode=bytecode)
        walls.append(w)
        cpus.append(c)
    return statistics.median(walls), statistics.median(cpus)


def imports(command: str, file: str) -> dict:
    proc = subprocess.run([PYTHON, "-c", IMPORTS, command, file], capture_output=True,
                          text=True, cwd=ROOT, env=_env())
    lines = proc.stdout.strip().splitlines()
    if not lines:
        raise SystemExit(f"startup.py: error: {command} {file} printed nothing:\n{proc.stderr}")
    return json.loads(lines[-1])


def main(argv: Optional[list[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("--runs", type=int, default=5, help="processes per figure (default 5)")
    ap.add_argument("--file", default="examples/dot_product.relax",
                    help="the small program checked and verified")
    args = ap.parse_args(argv)
    if args.runs < 1:
        ap.error("--runs must be at least 1")
    if not (ROOT / args.file).is_file():
        ap.error(f"{args.file}: no such file (relative to {ROOT})")
    try:
        report(args)
    finally:
        for directory in (BYTECODE, NO_BYTECODE):
            shutil.rmtree(directory, ignore_errors=True)
    return 0


def report(args: argparse.Namespace) -> None:
    cli = [PYTHON, "-m", "relaxverify"]
    for warm in ([PYTHON, "-c", "import lark"], cli + ["check", args.file],
                 cli + ["verify", args.file]):
        timed(warm)  # fills the cache of Lark's tables and the bytecode
    rows = [
        ("python", median([PYTHON, "-c", "pass"], args.runs)),
        ("import lark", median([PYTHON, "-c", "import lark"], args.runs)),
        ("--version", median(cli + ["--version"], args.runs)),
        ("check", median(cli + ["check", args.file], args.runs)),
        ("check, cold", median(cli + ["check", args.file], args.runs, cold=True)),
        ("check, no .pyc", median(cli + ["check", args.file], args.runs, bytecode=False)),
        ("verify", median(cli + ["verify", args.file], args.runs)),
    ]
    figures = dict(rows)
    print(f"median of {args.runs} processes each ({args.file}):")
    print(f"  {'':<14} {'wall':>7}    {'CPU':>7}")
    for name, (seconds, cpu) in rows:
        print(f"  {name:<14} {seconds * 1000:7.0f} ms {cpu * 1000:7.0f} ms")
    lark_wall, lark_cpu = figures["import lark"]
    check_wall, check_cpu = figures["check"]
    print(f"check / import lark: {check_wall / lark_wall:.2f} wall, {check_cpu / lark_cpu:.2f} CPU "
          "(target <= 2)")
    for command in ("check", "verify"):
        seen = imports(command, args.file)
        print(f"{command}: {seen['modules']} modules imported; z3 {'yes' if seen['z3'] else 'no'}, "
              f"numpy {'yes' if seen['numpy'] else 'no'}, rich {'yes' if seen['rich'] else 'no'}")


if __name__ == "__main__":
    sys.exit(main())
