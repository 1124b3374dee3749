"""Scaling of verification time with the size of the program (relaxverify issue 14):
N sequential loops, N sequential calls, loop nests of depth D, and the share of
time spent outside Z3 on the examples.

    python benchmarks/verify_scaling.py [--repeat 3] [--loops 10 40] [--calls 20 80]
                                        [--depths 4 8]

Times are CPU seconds of this process (time.process_time, median of --repeat
runs), so that other jobs on the machine do not skew them. The last lines print
the ratios the issue sets targets for: 40 loops <= 4.5x of 10, 80 calls <= 4.5x
of 20, depth 8 <= 3x of depth 4, and time outside Z3 below 30% on the examples.
"""
from __future__ import annotations

import argparse
import glob
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from relaxverify.pipeline import load, load_source  # noqa: E402
from relaxverify.verify.prover import ProverStats, prove, rlimit_for  # noqa: E402
from relaxverify.verify.vcgen import Decider, Faults, VCGen  # noqa: E402

sys.path.insert(0, os.path.dirname(__file__))
from verify import nested_loops  # noqa: E402  (benchmarks/verify.py)

TIMEOUT = 10.0


def seq_loops(n: int) -> str:
    """n sequential counted loops, each summing into its own accumulator, with an
    invariant, a relaxed value read inside and an accept after it."""
    lines = ["fn loops(n: int, a: int[]) -> int", "  requires n >= 0 && len(a) == n", "{",
             "  var y: int = n;", "  relax (y) st (old(y) - 1 <= y && y <= old(y) + 1);",
             "  var t: int = 0;"]
    for k in range(n):
        lines += [f"  var s{k}: int = 0;",
                  f"  for i{k} in 0 .. n invariant s{k} >= 0 {{",
                  f"    if (y > {k}) {{ s{k} = s{k} + 1; }}",
                  f"    if (a[i{k}] > 0) {{ s{k} = s{k} + 1; }}",
                  "  }",
                  f"  assert s{k} >= 0;",
                  f"  t = t + s{k};"]
    lines += ["  accept eq(n);", "  return t;", "}"]
    return "\n".join(lines) + "\n"


def seq_calls(n: int) -> str:
    """n sequential calls of a function with a contract, each result checked."""
    lines = ["fn step(x: int) -> int", "  requires x >= 0", "  ensures result >= x",
             "  requires_r true", "  ensures_r result<o> - x<o> == result<r> - x<r>", "{", "  return x + 1;", "}",
             "", "fn calls(x: int) -> int", "  requires x >= 0", "{",
             "  var y: int = x;", "  relax (y) st (y >= old(y));", "  var z: int = x;"]
    for k in range(n):
        lines += [f"  y = step(y);", f"  z = step(z);", f"  assert y >= {0};"]
        if k % 4 == 3:
            lines.append(f"  if (x > {k}) {{ z = z + 1; }}")
    lines += ["  accept eq(z);", "  return y + z;", "}"]
    return "\n".join(lines) + "\n"


def verify_program(program) -> dict:
    """Verify every function: CPU seconds in all, in Z3's checks, and the verdicts."""
    stats = ProverStats()
    solver = 0.0
    t0 = time.process_time()
    verdicts = []
    facts = 0
    for fn in program.functions.values():
        gen = VCGen(program, fn, Faults(None), Decider(TIMEOUT, rlimit_for(TIMEOUT)))
        gen.run()
        facts += len(gen.facts)
        for ob in gen.obligations.values():
            prove(gen, ob, TIMEOUT, stats)
            verdicts.append((ob.id, ob.status))
    total = time.process_time() - t0
    solver = solver_time[0]
    solver_time[0] = 0.0
    return {"total": total, "solver": solver, "verdicts": verdicts, "facts": facts}


# Z3's own time: every Solver.check, measured in CPU time by a wrapper (below).
solver_time = [0.0]


def _instrument() -> None:
    import z3
    check = z3.Solver.check

    def timed(self, *args):
        t0 = time.process_time()
        try:
            return check(self, *args)
        finally:
            solver_time[0] += time.process_time() - t0
    z3.Solver.check = timed  # type: ignore[method-assign]


def measure(program, repeat: int) -> dict:
    runs = [verify_program(program) for _ in range(repeat)]
    assert all(r["verdicts"] == runs[0]["verdicts"] for r in runs)
    return {"total": statistics.median(r["total"] for r in runs),
            "solver": statistics.median(r["solver"] for r in runs),
            "verdicts": runs[0]["verdicts"], "facts": runs[0]["facts"]}


def generated(kind: str, n: int, repeat: int) -> dict:
    source = {"loops": seq_loops, "calls": seq_calls, "depth": nested_loops}[kind](n)
    item = load_source(f"{kind}{n}.relax", source)
    assert item.ok, (kind, n)
    r = measure(item.program, repeat)
    bad = [v for v in r["verdicts"] if v[1] != "verified"]
    print(f"  {kind:>6} {n:>4} {r['total']:>8.3f}s {r['facts']:>7} {len(r['verdicts']):>5}"
          f"  {1 - r['solver'] / r['total']:>5.0%}" + (f"  not verified: {bad}" if bad else ""))
    return r


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3, help="median of N runs")
    ap.add_argument("--loops", type=int, nargs=2, default=[10, 40])
    ap.add_argument("--calls", type=int, nargs=2, default=[20, 80])
    ap.add_argument("--depths", type=int, nargs=2, default=[4, 8])
    ap.add_argument("--no-examples", action="store_true")
    args = ap.parse_args()
    _instrument()
    print(f"generated programs (CPU seconds, median of {args.repeat})")
    print(f"  {'kind':>6} {'N':>4} {'time':>9} {'facts':>7} {'obls':>5}  outside Z3")
    t = {}
    for kind, sizes in (("loops", args.loops), ("calls", args.calls), ("depth", args.depths)):
        for n in sizes:
            t[kind, n] = generated(kind, n, args.repeat)["total"]
    outside = []
    if not args.no_examples:
        print(f"\nexamples (CPU seconds, median of {args.repeat})")
        root = os.path.join(os.path.dirname(__file__), "..")
        total = solver = 0.0
        for path in sorted(glob.glob(os.path.join(root, "examples", "*.relax"))):
            item = load(path)
            if not item.ok:
                continue
            r = measure(item.program, args.repeat)
            total += r["total"]
            solver += r["solver"]
            share = 1 - r["solver"] / r["total"] if r["total"] else 0.0
            outside.append(share)
            print(f"  {os.path.basename(path):30} {r['total']:>7.3f}s  outside Z3 {share:>4.0%}")
        outside.append(1 - solver / total)
    (l0, l1), (c0, c1), (d0, d1) = args.loops, args.calls, args.depths
    print("\ntargets")
    print(f"  {l1} loops / {l0} loops: {t['loops', l1] / t['loops', l0]:.2f}x (<= 4.5x)")
    print(f"  {c1} calls / {c0} calls: {t['calls', c1] / t['calls', c0]:.2f}x (<= 4.5x)")
    print(f"  depth {d1} / depth {d0}: {t['depth', d1] / t['depth', d0]:.2f}x (<= 3x)")
    if outside:
        print(f"  outside Z3 on the examples: {outside[-1]:.0%} of all their time "
              f"(median per example {statistics.median(outside[:-1]):.0%}) (< 30%)")


if __name__ == "__main__":
    main()
