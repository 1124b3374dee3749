"""Scaling of verification time with the size of the program (relaxverify issue 14):
N sequential loops, N sequential calls, loop nests of depth D, and the share of
time spent outside Z3 on the examples.

    python benchmarks/verify_scaling.py [--repeat 5] [--loops 10 40] [--calls 20 80]
                                        [--depths 4 8]

Times are CPU seconds of this process (time.process_time, the best of --repeat
runs, the programs of a comparison run in turn), so that other jobs on the machine
skew them less. The last lines print
the ratios the issue sets targets for: 40 loops <= 4.5x of 10, 80 calls <= 4.5x
of 20, depth 8 <= 3x of depth 4, and time outside Z3 below 30% on the examples.
"""
from __future__ import annotations

import argparse
import glob
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from relaxverify.pipeline import load, load_source  # noqa: E402
from relaxverify.verify.pool import frozen_heap  # noqa: E402
from relaxverify.verify.prover import ProverStats, prove, rlimit_for  # noqa: E402
from relaxverify.verify.specfns import as_function  # noqa: E402
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
    """Verify every function: CPU seconds in all, in Z3's checks, in all of Z3's
    solver calls, and the verdicts. The heap is frozen meanwhile, as `verify`
    freezes it while it proves units (verify/pool.py run_units)."""
    stats = ProverStats()
    verdicts = []
    facts = 0
    units = [(fn, None) for fn in program.functions.values()]
    units += [(as_function(sf), sf) for sf in program.spec_functions.values()]
    with frozen_heap():
        t0 = time.process_time()
        for fn, sf in units:  # as `verify` does (verify/pool.py prove_unit)
            gen = VCGen(program, fn, Faults(None), Decider(TIMEOUT, rlimit_for(TIMEOUT)))
            gen.exprs.defining = sf
            gen.run()
            facts += len(gen.facts)
            for ob in gen.obligations.values():
                if sf is not None and ob.side == "relaxed":
                    continue
                prove(gen, ob, TIMEOUT, stats)
                verdicts.append((ob.id, ob.status))
        total = time.process_time() - t0
    checks, calls = z3_time["check"], z3_time["solver"]
    z3_time["check"] = z3_time["solver"] = 0.0
    return {"total": total, "checks": checks, "solver": calls, "verdicts": verdicts,
            "facts": facts}


# Z3's own time, in CPU seconds, measured by wrappers of the C API's functions
# (below): "check" its satisfiability checks, "solver" every call on a solver
# (checks, assertions, which Z3 simplifies and internalises, push/pop, solvers made
# and freed): what is left is relaxverify's Python and z3py's wrappers.
z3_time = {"check": 0.0, "solver": 0.0}


def _instrument() -> None:
    import z3
    from z3 import z3core
    for name in dir(z3core):
        if name.startswith(("Z3_solver_", "Z3_mk_solver", "Z3_mk_simple_solver")):
            timed = _timed(getattr(z3core, name), name.startswith("Z3_solver_check"))
            setattr(z3core, name, timed)
            if hasattr(z3.z3, name):
                setattr(z3.z3, name, timed)


def _timed(api, is_check: bool):
    def call(*args):
        t0 = time.process_time()
        try:
            return api(*args)
        finally:
            spent = time.process_time() - t0
            z3_time["solver"] += spent
            if is_check:
                z3_time["check"] += spent
    return call


def measure(programs: list, repeat: int) -> list[dict]:
    """Each program's best run of `repeat`, the programs run in turn (a slow spell
    of a shared machine then falls on all of them, not on one)."""
    best: list = [None] * len(programs)
    for _ in range(repeat):
        for k, program in enumerate(programs):
            r = verify_program(program)
            if best[k] is not None:
                assert r["verdicts"] == best[k]["verdicts"]
            if best[k] is None or r["total"] < best[k]["total"]:
                best[k] = r
    return best


def generated(kind: str, sizes: list[int], repeat: int) -> list[dict]:
    make = {"loops": seq_loops, "calls": seq_calls, "depth": nested_loops}[kind]
    programs = []
    for n in sizes:
        item = load_source(f"{kind}{n}.relax", make(n))
        assert item.ok, (kind, n)
        programs.append(item.program)
    results = measure(programs, repeat)
    for n, r in zip(sizes, results):
        bad = [v for v in r["verdicts"] if v[1] != "verified"]
        print(f"  {kind:>6} {n:>4} {r['total']:>8.3f}s {r['facts']:>7} {len(r['verdicts']):>5}"
              f"  {1 - r['checks'] / r['total']:>5.0%}  {1 - r['solver'] / r['total']:>5.0%}"
              + (f"  not verified: {bad}" if bad else ""))
    return results


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5, help="best of N runs")
    ap.add_argument("--loops", type=int, nargs=2, default=[10, 40])
    ap.add_argument("--calls", type=int, nargs=2, default=[20, 80])
    ap.add_argument("--depths", type=int, nargs=2, default=[4, 8])
    ap.add_argument("--no-examples", action="store_true")
    args = ap.parse_args()
    _instrument()
    print(f"generated programs (CPU seconds, best of {args.repeat}; outside Z3's checks, "
          "outside all its solver calls)")
    print(f"  {'kind':>6} {'N':>4} {'time':>9} {'facts':>7} {'obls':>5}  checks  calls")
    t = {}
    for kind, sizes in (("loops", args.loops), ("calls", args.calls), ("depth", args.depths)):
        for n, r in zip(sizes, generated(kind, sizes, args.repeat)):
            t[kind, n] = r["total"]
    shares = None
    if not args.no_examples:
        print(f"\nexamples (CPU seconds, best of {args.repeat}; outside Z3's checks, "
              "outside all its solver calls)")
        root = os.path.join(os.path.dirname(__file__), "..")
        paths = [p for p in sorted(glob.glob(os.path.join(root, "examples", "*.relax")))
                 if load(p).ok]
        results = measure([load(p).program for p in paths], args.repeat)
        for path, r in zip(paths, results):
            print(f"  {os.path.basename(path):30} {r['total']:>7.3f}s  "
                  f"{_outside(r, 'checks'):>4.0%}  {_outside(r, 'solver'):>4.0%}")
        total = sum(r["total"] for r in results)
        shares = [1 - sum(r[k] for r in results) / total for k in ("checks", "solver")]
        shares.append(total)
    (l0, l1), (c0, c1), (d0, d1) = args.loops, args.calls, args.depths
    print("\ntargets")
    print(f"  {l1} loops / {l0} loops: {t['loops', l1] / t['loops', l0]:.2f}x (<= 4.5x)")
    print(f"  {c1} calls / {c0} calls: {t['calls', c1] / t['calls', c0]:.2f}x (<= 4.5x)")
    print(f"  depth {d1} / depth {d0}: {t['depth', d1] / t['depth', d0]:.2f}x (<= 3x)")
    if shares:
        print(f"  outside Z3 on the examples: {shares[0]:.0%} outside its checks, "
              f"{shares[1]:.0%} outside all its solver calls (< 30%): "
              f"{shares[1] * shares[2]:.2f} s of {shares[2]:.2f} s")


def _outside(r: dict, key: str) -> float:
    return 1 - r[key] / r["total"] if r["total"] else 0.0

if __name__ == "__main__":
    main()
