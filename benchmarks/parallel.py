"""`verify --jobs` and the result cache, measured (issue 14; docs/verifier.md, "Jobs and
cache").

    python benchmarks/parallel.py [--functions 100] [--jobs 2] [--runs 5]

Two ratios, each of wall times measured in this one run (fresh processes of the
command line, start-up included, as a user sees it; the best of --runs, the two
sides of a ratio alternated):
  jobs    `verify --jobs 1` / `verify --jobs N` on a generated file of --functions small
          functions (a loop with a relaxed stride and an `accept` each), without the
          cache; target: at least 1.7 for N = 2 (needs 2 free cores)
  cache   `verify` with an empty cache directory / `verify` again with it filled, on
          examples/ (--jobs 1 both); target: at least 5
Each pair's outputs must be the same text, else it says so and exits 1. It reports
figures; it is not a test (tests/test_jobs_cache.py is).
"""
from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

FUNCTION = """fn hop_sum{k}(a: int[], cap: int) -> int
  requires cap >= 0 && forall j: int :: 0 <= j < len(a) ==> 0 <= a[j]
  ensures 0 <= result
{{
  var hop: int = 0;
  relax (hop) st (0 <= hop && hop <= {h});
  var i: int = 0;
  var s: int = 0;
  while (i < len(a))
    invariant 0 <= i && 0 <= s
    invariant 0 <= hop && hop <= {h}
    invariant_r hop<o> == 0 && eq(a)
  {{
    s = s + a[i] * {m};
    i = i + 1 + hop;
  }}
  if (s > cap) {{ s = cap; }}
  accept s<r> <= cap<r> + 0 * s<o>;
  return s;
}}
"""


def generated(n: int) -> str:
    """n small functions, alike but not equal (their constants differ)."""
    return "\n".join(FUNCTION.format(k=k, h=k % 3 + 1, m=k + 1) for k in range(n))


def timed(args: list[str], runs: int) -> tuple[float, str, float]:
    """The best wall time of `runs` runs of the command line, its output, and the
    cores it kept busy on average then (CPU time of it and its workers / wall time:
    below 2 with --jobs 2, the machine had no second core to give)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    best, out, cores = float("inf"), "", 0.0
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "relaxverify", "verify", *args],
                              capture_output=True, text=True, cwd=ROOT, env=env)
        wall = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if wall < best:
            cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
            best, cores = wall, cpu / wall
        if proc.returncode not in (0, 1):
            sys.exit(f"verify {' '.join(args)} exited {proc.returncode}: {proc.stderr}")
        out = proc.stdout
    return best, out, cores


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--functions", type=int, default=100)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="relaxverify-parallel-")
    same = True
    try:
        path = os.path.join(work, "functions.relax")
        with open(path, "w") as f:
            f.write(generated(args.functions))
        one, many, out1, outn, busy = float("inf"), float("inf"), "", "", 0.0
        for _ in range(args.runs):  # alternated, so that a slow spell of a shared
            # machine falls on both sides rather than on one
            t1, out1, _ = timed([path, "--jobs", "1", "--no-cache"], 1)
            tn, outn, cores = timed([path, "--jobs", str(args.jobs), "--no-cache"], 1)
            one = min(one, t1)
            if tn < many:
                many, busy = tn, cores
        same &= out1 == outn
        print(f"jobs:  {args.functions} functions, --jobs 1 {one:.2f} s, --jobs {args.jobs} "
              f"{many:.2f} s: {one / many:.2f}x (target >= 1.7 for 2 jobs; {os.cpu_count()} "
              f"cores here, {busy:.2f} kept busy){'' if out1 == outn else ' OUTPUTS DIFFER'}")
        cache = os.path.join(work, "cache")
        cold, outc, _ = timed(["examples", "--jobs", "1", "--cache-dir", cache], 1)
        warm, outw, _ = timed(["examples", "--jobs", "1", "--cache-dir", cache], args.runs)
        same &= outc == outw
        print(f"cache: examples/, cold {cold:.2f} s, warm {warm:.2f} s: {cold / warm:.2f}x "
              f"(target >= 5){'' if outc == outw else ' OUTPUTS DIFFER'}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
