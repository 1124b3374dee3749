"""Verification time: every example, generated programs with many sequential `if`s,
and nests of `for` loops.

    python benchmarks/verify.py [--sizes 25 50 100 200] [--depths 4 8 16] [--repeat 3]

For each generated program it prints the time, the number of background facts
and the size of the largest SMT-LIB query (both should grow linearly with the
number of `if`s), and the share of time spent outside Z3 (parsing, checking,
VC generation, model reading). For loop nests it prints the generation time and
the facts per depth, which must grow polynomially (it used to be 4^depth).
"""
from __future__ import annotations

import argparse
import glob
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from relaxverify.pipeline import load, load_source  # noqa: E402
from relaxverify.verify.prover import ProverStats, make_solver, prove, rlimit_for  # noqa: E402
from relaxverify.verify.vcgen import Decider, Faults, VCGen  # noqa: E402

TIMEOUT = 10.0


def generated(n: int) -> str:
    """n sequential ifs: odd ones on a relaxed value (the executions part),
    even ones on an exact value (lockstep), each updating an accumulator."""
    lines = ["fn many_ifs(x: int, a: int[]) -> int",
             "  requires len(a) == 8",
             "  ensures -3 * 1000 <= result",
             "{",
             "  var y: int = x;",
             "  relax (y) st (old(y) - 1 <= y && y <= old(y) + 1);",
             "  var s: int = 0;",
             "  var t: int = 0;"]
    for k in range(n):
        if k % 2:
            lines.append(f"  if (y > {k}) {{ s = s + 1; }} else {{ s = s - 1; }}")
        else:
            lines.append(f"  if (x > {k}) {{ t = t + 2; }} else {{ t = t + 1; }}")
    lines += ["  assert t >= 0;",
              "  accept eq(t);",
              "  var i: int = 0;",
              "  if (s > 0) { i = 7; }",
              "  return a[i] * 0 + t + s - t;",
              "}"]
    return "\n".join(lines) + "\n"


def nested_loops(depth: int) -> str:
    """`depth` nested counted loops around an accept (aligned at every level)."""
    lines = ["fn nest(n: int) -> int", "  requires n >= 0", "{", "  var s: int = 0;"]
    lines += ["  " * (k + 1) + f"for i{k} in 0 .. n {{" for k in range(depth)]
    lines.append("  " * (depth + 1) + f"s = s + 1; accept eq(i{depth - 1});")
    lines += ["  " * (k + 1) + "}" for k in reversed(range(depth))]
    lines += ["  return s;", "}"]
    return "\n".join(lines) + "\n"


def verify_program(program) -> dict:
    """Verify every function; returns timings and sizes."""
    stats = ProverStats()
    t0 = time.perf_counter()
    facts = 0
    biggest = 0
    statuses = []
    for fn in program.functions.values():
        gen = VCGen(program, fn, Faults(None), Decider(TIMEOUT, rlimit_for(TIMEOUT)))
        gen.run()
        stats.solver_seconds += gen.decider.seconds
        facts += len(gen.facts)
        for ob in gen.obligations.values():
            prove(gen, ob, TIMEOUT, stats)
            statuses.append(ob.status)
            biggest = max(biggest, ob.nfacts)
    total = time.perf_counter() - t0
    return {"total": total, "solver": stats.solver_seconds, "facts": facts,
            "biggest": biggest, "statuses": statuses}


def query_size(program) -> int:
    """Characters of the largest SMT-LIB query of the program."""
    size = 0
    for fn in program.functions.values():
        gen = VCGen(program, fn, Faults(None), Decider(TIMEOUT, rlimit_for(TIMEOUT)))
        gen.run()
        for ob in gen.obligations.values():
            size = max(size, len(make_solver(gen, ob, TIMEOUT).to_smt2()))
    return size


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="*", default=[25, 50, 100, 200])
    ap.add_argument("--depths", type=int, nargs="*", default=[4, 8, 16])
    ap.add_argument("--repeat", type=int, default=3, help="best of N runs")
    args = ap.parse_args()
    root = os.path.join(os.path.dirname(__file__), "..")

    print("examples (best of %d)" % args.repeat)
    print(f"  {'file':34} {'obligations':>11} {'time':>9} {'outside Z3':>11}")
    for path in sorted(glob.glob(os.path.join(root, "examples", "*.relax"))):
        item = load(path)
        if not item.ok:
            print(f"  {os.path.basename(path):34} does not check")
            continue
        runs = [verify_program(item.program) for _ in range(args.repeat)]
        best = min(runs, key=lambda r: r["total"])
        share = 1 - best["solver"] / best["total"] if best["total"] else 0.0
        failed = best["statuses"].count("failed")
        note = f"  ({failed} failed)" if failed else ""
        print(f"  {os.path.basename(path):34} {len(best['statuses']):>11} "
              f"{best['total'] * 1000:>7.0f}ms {share:>10.0%}{note}")

    print("\nnested for loops (best of %d)" % args.repeat)
    print(f"  {'depth':>5} {'generation':>11} {'total':>9} {'facts':>7} {'side queries':>13}")
    for d in args.depths:
        program = load_source(f"nest{d}.relax", nested_loops(d)).program
        fn = program.functions["nest"]
        best = None
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            gen = VCGen(program, fn, Faults(None), Decider(TIMEOUT, rlimit_for(TIMEOUT)))
            gen.run()
            t1 = time.perf_counter()
            for ob in gen.obligations.values():
                prove(gen, ob, TIMEOUT, ProverStats())
            run = (t1 - t0, time.perf_counter() - t0, len(gen.facts), gen.decider.queries)
            assert all(o.status == "verified" for o in gen.obligations.values())
            best = run if best is None or run[1] < best[1] else best
        assert best is not None
        print(f"  {d:>5} {best[0] * 1000:>9.0f}ms {best[1] * 1000:>7.0f}ms {best[2]:>7} "
              f"{best[3]:>13}")

    print("\nsequential ifs (best of %d)" % args.repeat)
    print(f"  {'ifs':>5} {'time':>9} {'per if':>9} {'facts':>7} {'query chars':>12} "
          f"{'outside Z3':>11}")
    for n in args.sizes:
        t0 = time.perf_counter()
        item = load_source(f"ifs{n}.relax", generated(n))
        front = time.perf_counter() - t0
        runs = [verify_program(item.program) for _ in range(args.repeat)]
        best = min(runs, key=lambda r: r["total"])
        total = best["total"] + front
        share = 1 - best["solver"] / total
        assert all(s == "verified" for s in best["statuses"]), best["statuses"]
        print(f"  {n:>5} {total * 1000:>7.0f}ms {total / n * 1000:>7.2f}ms {best['facts']:>7} "
              f"{query_size(item.program):>12} {share:>10.0%}")


if __name__ == "__main__":
    main()
