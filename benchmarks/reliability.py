"""Reliability analysis time on generated programs of 1,000 to 20,000 statements
(target: linear growth, 20,000 statements under 2 s).

Each program is one long function (the worst case for the statement walk) over
eight scalars (half of them in urel memory) and a urel array, mixing assignments
with unreliable operators, array reads and writes, `if`s with unreliable
conditions, nested `repeat`s, bounded `while`s and calls to a helper without a spec.
Only the analysis is timed (parse and check are shown apart).

Run: python benchmarks/reliability.py [SIZES...]
"""
from __future__ import annotations

import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from relaxverify.core import nodes as C  # noqa: E402
from relaxverify.check.checker import check  # noqa: E402
from relaxverify.check.hardware import BUILTIN_MODELS  # noqa: E402
from relaxverify.syntax.parser import parse  # noqa: E402
from relaxverify.reliability.analysis import analyse_program  # noqa: E402

VARS = [f"v{k}" for k in range(8)]
HEADER = """\
fn helper(p: real, q: real) -> real {
  var t: real = p *. q;
  return t +. 1.0;
}

fn big(x: real, y: real in urel, a: real[] in urel) -> real
  requires len(a) == 16
  reliability R(result) >= 0.0 * R(x, y, a)
{
  var b: real[] in urel = a;
"""


def generate(statements: int, seed: int = 1) -> str:
    rnd = random.Random(seed)
    lines = [HEADER]
    for k, v in enumerate(VARS):
        urel = " in urel" if k % 2 else ""
        lines.append(f"  var {v}: real{urel} = {'x' if k % 3 else 'y'} +. {k}.0;\n")
    n = len(VARS) + 5  # core statements so far, with the helper, b and the return
    while n < statements:
        x, y, z = rnd.sample(VARS, 3)
        kind = rnd.randrange(10)
        if kind < 3:
            lines.append(f"  {x} = {y} +. {z};\n")
            n += 1
        elif kind == 3:
            lines.append(f"  {x} = {y} *. 0.5 -. {z};\n")
            n += 1
        elif kind == 4:
            lines.append(f"  b[{rnd.randrange(16)}] = {x} +. {y};\n")
            n += 1
        elif kind == 5:
            lines.append(f"  {x} = b[{rnd.randrange(16)}] +. {y};\n")
            n += 1
        elif kind == 6:
            lines.append(f"  if ({x} <. {y}) {{\n    {z} = {x} +. 1.0;\n  }} else {{\n"
                         f"    {z} = {y};\n  }}\n")
            n += 3
        elif kind == 7:
            lines.append(f"  repeat (3) {{\n    repeat (4) {{\n      {x} = {x} +. {y};\n"
                         f"    }}\n  }}\n")
            n += 7  # core: 2 counter inits, 2 loops, 2 increments, the body
        elif kind == 8:
            lines.append(f"  var w{n}: int = 0;\n  while (w{n} < 5) bound 5 {{\n"
                         f"    {x} = {x} *. 0.99;\n    w{n} = w{n} + 1;\n  }}\n")
            n += 4
        else:
            lines.append(f"  {x} = helper({y}, {z});\n")
            n += 1
    lines.append("  return " + " + ".join(VARS) + " + b[0];\n}\n")
    return "".join(lines)


def count_statements(program: C.Program) -> int:
    return sum(1 for fn in program.functions.values() for _ in C.walk(fn.body))


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or [1_000, 2_000, 5_000, 10_000, 20_000]
    sys.setrecursionlimit(100_000)
    model = BUILTIN_MODELS["medium"]
    print(f"{'statements':>10}  {'parse+check':>11}  {'analysis':>9}  {'us/stmt':>8}  terms")
    last = None
    for size in sizes:
        source = generate(size)
        t0 = time.perf_counter()
        program = check(parse(source, "bench.relax"))
        t1 = time.perf_counter()
        best = float("inf")
        for _ in range(3):
            t2 = time.perf_counter()
            results, errors = analyse_program(program, model)
            best = min(best, time.perf_counter() - t2)
        assert not errors
        n = count_statements(program)
        terms = len(results[-1].terms)
        print(f"{n:>10,}  {t1 - t0:>10.3f}s  {best:>8.3f}s  {best / n * 1e6:>8.1f}  {terms}")
        last = (n, best)
    if last:
        n, best = last
        verdict = "met" if best < 2.0 or n < 20_000 else "MISSED"
        print(f"target: 20,000 statements under 2 s -> {verdict}")


if __name__ == "__main__":
    main()
