"""Monte Carlo speed of `relaxverify run --trials` against hand-written Python.

For Newton's square root and motion estimation (examples/), prints trials per
second of the interpreter's faulty runs beside a hand-written Python version of
the same function run in the same process, with the same fault model (every
unreliable operator and urel access fails independently; one bit of the 64-bit
value flips), and beside the hand-written function without fault injection.
Target (issue 5): the interpreter within 3x of the hand-written faulty version.

Then the time `run` takes per statement of straight-line code (parse, check,
compile, one run) at 5,000 and 20,000 statements: the ratio is near 1 when the
cost is linear (issue hole 8: it was quadratic, 20,000 statements took 27 s).

Run: python benchmarks/run.py [TRIALS]
"""
from __future__ import annotations

import random
import struct
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from relaxverify.check.hardware import find_model  # noqa: E402
from relaxverify.run.montecarlo import monte_carlo  # noqa: E402
from relaxverify.pipeline import load, load_source  # noqa: E402
from relaxverify.run.runtime import Interpreter  # noqa: E402
from relaxverify.run.options import Options  # noqa: E402

MODEL = "aggressive"


# ---------------------------------------------------------------- hand-written versions

def _flip_float(x: float, rnd: random.Random) -> float:
    (n,) = struct.unpack("<Q", struct.pack("<d", x))
    return struct.unpack("<d", struct.pack("<Q", n ^ (1 << rnd.randrange(64))))[0]


def _flip_int(x: int, rnd: random.Random) -> int:
    y = (x & (2 ** 64 - 1)) ^ (1 << rnd.randrange(64))
    return y - 2 ** 64 if y >= 2 ** 63 else y


def newton_plain(v: float) -> float:
    x = v
    fx = x * x - v
    k = 0
    while k < 8 and abs(fx) > 1e-9:
        k += 1
        dfx = 2.0 * x
        if dfx > 1.0:
            x = x - fx / dfx
        fx = x * x - v
    return x


def make_newton_faulty(p: float, rnd: random.Random):
    r = rnd.random

    def op(v: float) -> float:
        return v if r() < p else _flip_float(v, rnd)

    def cmp(b: bool) -> bool:
        return b if r() < p else not b

    def newton(v: float) -> float:
        x = v
        fx = op(op(x * x) - v)
        k = 0
        while k < 8 and cmp(abs(fx) > 1e-9):
            k += 1
            dfx = op(2.0 * x)
            if dfx > 1.0:
                x = op(x - op(fx / dfx))
            fx = op(op(x * x) - v)
        return x
    return newton


NB, BH, BW = 4, 4, 4


def motion_plain(pblocks: list, cblock: list) -> int:
    minssd, minblock = 1000000000, -1
    for b in range(NB):
        ssd = 0
        for row in range(BH):
            for col in range(BW):
                t = pblocks[(b * BH + row) * BW + col] - cblock[row * BW + col]
                ssd = ssd + t * t
        if ssd < minssd:
            minssd, minblock = ssd, b
    return minblock


def make_motion_faulty(p: float, rd: float, wr: float, rnd: random.Random):
    r = rnd.random

    def op(v: int) -> int:
        return v if r() < p else _flip_int(v, rnd)

    def rdv(v: int) -> int:
        return v if r() < rd else _flip_int(v, rnd)

    def wrv(v: int) -> int:
        return v if r() < wr else _flip_int(v, rnd)

    def motion(pblocks: list, cblock: list) -> int:
        minssd = wrv(1000000000)
        minblock = wrv(-1)
        for b in range(NB):
            ssd = wrv(0)
            for row in range(BH):
                for col in range(BW):
                    t1 = wrv(rdv(pblocks[(b * BH + row) * BW + col]))
                    t2 = wrv(rdv(cblock[row * BW + col]))
                    t = wrv(op(rdv(t1) - rdv(t2)))
                    ssd = wrv(op(rdv(ssd) + op(rdv(t) * rdv(t))))
            lt = rdv(ssd) < rdv(minssd)
            if lt if r() < p else not lt:
                minssd = wrv(rdv(ssd))
                minblock = wrv(b)
        return rdv(minblock)
    return motion


# ---------------------------------------------------------------- timing


REPEAT = 3  # each figure is the best of three runs (the machine may be shared)


def rate(fn, args, trials: int) -> float:
    best = 0.0
    for _ in range(REPEAT):
        t = time.perf_counter()
        for _ in range(trials):
            fn(*args)
        best = max(best, trials / (time.perf_counter() - t))
    return best


def mc_rate(program, fn: str, args: list, model, trials: int, skip: bool):
    best, mc = 0.0, None
    for _ in range(REPEAT):
        t = time.perf_counter()
        mc = monte_carlo(program, fn, args, model, trials, seed=1, skip=skip)
        best = max(best, trials / (time.perf_counter() - t))
    return best, mc


def bench(name: str, path: str, fn: str, args: list, plain, faulty, trials: int) -> float:
    item = load(str(ROOT / path))
    if not item.ok:
        print(f"{path}: does not load: {[d.message for d in item.diagnostics]}")
        return float("nan")
    model = find_model(item.program, MODEL)
    ours, mc = mc_rate(item.program, fn, args, model, trials, True)
    every, _ = mc_rate(item.program, fn, args, model, trials, False)
    conv = [[float(x) for x in a] if isinstance(a, list) and fn == "newton_sqrt" else a
            for a in args]
    if fn == "newton_sqrt":
        conv = [float(a) for a in args]
    hand_faulty = rate(faulty, conv, trials)
    hand_plain = rate(plain, conv, trials)
    print(f"{name}: {trials} trials on `{MODEL}` (reliability {mc.fraction:.4f})")
    print(f"  relaxverify run --trials     {ours:12,.0f} trials/s   (fault-free trials skipped)")
    print(f"  ... running every trial      {every:12,.0f} trials/s")
    print(f"  hand-written, with faults    {hand_faulty:12,.0f} trials/s   "
          f"(ratio {hand_faulty / ours:.2f}; every trial: {hand_faulty / every:.2f})")
    print(f"  hand-written, no faults      {hand_plain:12,.0f} trials/s   "
          f"(ratio {hand_plain / ours:.2f}; every trial: {hand_plain / every:.2f})")
    return hand_faulty / every


def straight_line(n: int) -> float:
    """Seconds per statement to load and run a function of n assignments."""
    src = ("fn f(x: int) -> int {\n  var y: int = x;\n"
           + "".join("  y = y + 1;\n" for _ in range(n)) + "  return y;\n}\n")
    best = float("inf")
    for _ in range(REPEAT):
        t = time.perf_counter()
        item = load_source("straight.relax", src)
        out = Interpreter(item.program, "f", Options()).run([1])
        best = min(best, time.perf_counter() - t)
        assert out.result == n + 1, out
    return best / n


def bench_straight() -> None:
    small, large = straight_line(5000), straight_line(20000)
    print("Straight-line code: load and run, time per statement")
    print(f"  5,000 statements            {small * 1e6:12.1f} us/statement")
    print(f"  20,000 statements           {large * 1e6:12.1f} us/statement   "
          f"(ratio {large / small:.2f}; 1 is linear, 4 quadratic)")


def main() -> int:
    trials = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
    model = find_model(load(str(ROOT / "examples/newton.relax")).program, MODEL)
    p = model.op("+.").prob
    rnd = random.Random(1)
    r1 = bench("Newton", "examples/newton.relax", "newton_sqrt", [2.0], newton_plain,
               make_newton_faulty(p, rnd), trials)
    pblocks = [(7 * i) % 23 for i in range(NB * BH * BW)]
    cblock = [(5 * i) % 17 for i in range(BH * BW)]
    r2 = bench("Motion estimation", "examples/motion_estimation.relax", "search_ref",
               [pblocks, cblock], motion_plain,
               make_motion_faulty(p, model.read, model.write, rnd), max(1, trials // 5))
    ok = max(r1, r2) <= 3.0
    print("ratio = hand-written trials/s divided by relaxverify trials/s (lower is better)")
    print(f"target (every trial within 3x of hand-written with faults): "
          f"{'met' if ok else 'NOT met'}")
    bench_straight()
    return 0


if __name__ == "__main__":
    sys.exit(main())
