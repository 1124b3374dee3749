"""Monte Carlo per-trial time: the interpreter against the vectorised backend.

For Newton-like and motion-estimation-like programs that the vectorised backend
takes (float ports of examples/newton.relax, which computes in exact `real`, and
examples/motion_estimation.relax itself, which is all ints), runs the same number
of trials on each backend in this process, with seed 0, and prints the time per
trial of each (the CPU time of the whole `monte_carlo` call: the fault-free run and
set-up included, after one warm-up call that imports numpy; the best of RUNS,
the two backends alternated so that a slow spell of the shared machine falls on
both), the ratio (issue 14's target: at least 5x), and both reliabilities with
their 95% intervals (they must overlap: tests/test_vector_backend.py checks it).

Run: python benchmarks/montecarlo.py [TRIALS [RUNS]]   (default 20,000 and 3)
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from relaxverify.check.hardware import find_model  # noqa: E402
from relaxverify.pipeline import load  # noqa: E402
from relaxverify.run.arguments import parse_args  # noqa: E402
from relaxverify.run.montecarlo import monte_carlo  # noqa: E402

MOTION = ["pblocks=[" + ",".join(str((7 * i) % 13) for i in range(64)) + "]",
          "cblock=[0,5,10,4,9,3,8,2,7,1,6,0,5,10,4,9]"]
CASES = [  # (label, file, function, arguments, hardware)
    ("newton float64", "tests/data/vector/newton_f64.relax", "newton_sqrt", ["v=2.0"],
     "aggressive"),
    ("newton float64", "tests/data/vector/newton_f64.relax", "newton_sqrt", ["v=2.0"],
     "medium"),
    ("newton float32", "tests/data/vector/newton_f32.relax", "newton32", ["v=10.0"],
     "medium"),
    ("dot bfloat16", "tests/data/vector/dot_bf16.relax", "dot",
     ["a=[0.1,0.25,-1.5,3.0]", "b=[2.0,-0.3,0.7,1.1]"], "aggressive"),
    ("motion estimation", "examples/motion_estimation.relax", "search_ref", MOTION,
     "aggressive"),
    ("motion estimation", "examples/motion_estimation.relax", "search_ref", MOTION,
     "medium"),
    ("search (for loops)", "tests/data/vector/search_i64.relax", "search",
     ["p=[3,1,4,1,5,9,2,6,5,3,5,8,9,7,9,3]", "c=[5,9,2,6]"], "aggressive"),
]


def timed(program, fn: str, values: list, model, trials: int, backend: str):
    start = time.process_time()
    mc = monte_carlo(program, fn, values, model, trials, 0, precision=True, backend=backend)
    return mc, (time.process_time() - start) / trials


def best_of(runs: int, program, fn: str, values: list, model, trials: int):
    """(interpreter, its time, vectorised, its time): each the best of runs, alternated
    (the statistics are the same in every run: seed 0)."""
    t_i = t_v = float("inf")
    for _ in range(runs):
        interp, t = timed(program, fn, values, model, trials, "interpreter")
        t_i = min(t_i, t)
        vec, t = timed(program, fn, values, model, trials, "vectorised")
        t_v = min(t_v, t)
    return interp, t_i, vec, t_v


def main() -> None:
    trials = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    print(f"Monte Carlo, {trials:,} trials per backend, seed 0: CPU time per trial, "
          f"best of {runs}")
    print(f"{'program':19} {'hardware':10} {'interpreter':>12} {'vectorised':>12} "
          f"{'ratio':>7}   reliability: interpreter / vectorised")
    ratios = []
    warm = False
    for label, path, fn, args, hw in CASES:
        item = load(str(ROOT / path))
        assert item.program is not None, [d.message for d in item.diagnostics]
        function = item.program.functions[fn]
        values = parse_args(function, args)
        model = find_model(item.program, hw)
        if not warm:  # imports numpy and the vectorised modules
            timed(item.program, fn, values, model, 100, "vectorised")
            warm = True
        interp, t_i, vec, t_v = best_of(runs, item.program, fn, values, model, trials)
        assert vec.backend == "vectorised", vec.backend_note
        ratios.append(t_i / t_v)
        lo_i, hi_i = interp.interval
        lo_v, hi_v = vec.interval
        print(f"{label:19} {hw:10} {t_i * 1e6:9.2f} us {t_v * 1e6:9.2f} us {t_i / t_v:6.1f}x"
              f"   {interp.fraction:.4f} [{lo_i:.4f}, {hi_i:.4f}] / "
              f"{vec.fraction:.4f} [{lo_v:.4f}, {hi_v:.4f}]")
    geo = 1.0
    for r in ratios:
        geo *= r
    geo **= 1 / len(ratios)
    print(f"geometric mean ratio {geo:.1f}x, smallest {min(ratios):.1f}x (issue 14 target: 5x)")


if __name__ == "__main__":
    main()
