"""Our float64 error bounds on FPBench, measured against FPTaylor, Daisy and sampling.

    python benchmarks/fpbench.py [--samples 20000] [--exact 2000] [--seed 0]
                                 [--only NAME ...] [--timeout 60] [--root DIR] [--json]

For each benchmarks/fpbench/*.fpcore (FPBench's own text) this prints:
  ours      the bound `relaxverify verify` proves for the FPCore's translation
            (`relaxverify fpcore FILE`, LANGUAGE.md §8-§9: the accept's "bound"),
            or n/a with the reason when the translator or the bound query is missing;
  FPTaylor, Daisy   the published bounds (benchmarks/fpbench/published.json, cited there);
  observed  the largest |exact - binary64| found: --samples uniform double inputs in the
            :pre box plus its corners, evaluated in binary64 (numpy) and, at the --exact
            points with the largest long-double error estimate (and all corners),
            exactly with fractions.Fraction. It is a true error of some execution,
            so a sound bound is never below it;
  time      wall time of the verify call, `verify --no-cache` (translation timed
            separately), and its work: that time less the fixed cost of every verify
            call (the median of three on a one-line function, printed in the summary;
            verifying many files in one call pays it once).
See benchmarks/fpbench/README.md. This script reports figures; it is not a test.
"""
from __future__ import annotations

import argparse
import importlib
import json
import math
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from typing import Any, Optional

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DATA = os.path.join(HERE, "fpbench")
sys.path.insert(0, ROOT)

from benchmarks.fpcore_sample import (  # noqa: E402
    Benchmark, FPCoreError, box, eval_exact, eval_extended, eval_float, parse_fpcore)

PYTHON = [sys.executable, "-m", "relaxverify"]
TOOL_ROOT = ROOT  # the checkout whose relaxverify is measured (--root)


@dataclass
class Observed:
    """The largest error sampling found, and how many points were tried."""

    error: Optional[float]
    samples: int
    exact_points: int
    seconds: float
    note: str = ""


@dataclass
class Ours:
    """Our bound (None when not available) and what it cost."""

    bound: Optional[float]
    reason: str = ""
    translate_s: Optional[float] = None
    verify_s: Optional[float] = None


@dataclass
class Row:
    name: str
    file: str
    ours: Ours
    fptaylor: Optional[float]
    daisy: Optional[float]
    observed: Observed
    ratio: Optional[float] = None
    sound: Optional[bool] = None
    notes: list[str] = field(default_factory=list)


def double_box(b: Benchmark) -> dict[str, tuple[float, float]]:
    """Each variable's range as the doubles inside the real :pre interval."""
    out = {}
    for v, (lo, hi, lo_strict, hi_strict) in box(b).items():
        dlo, dhi = float(lo), float(hi)
        if Fraction(dlo) < lo or (lo_strict and Fraction(dlo) == lo):
            dlo = math.nextafter(dlo, math.inf)
        if Fraction(dhi) > hi or (hi_strict and Fraction(dhi) == hi):
            dhi = math.nextafter(dhi, -math.inf)
        out[v] = (dlo, dhi)
    missing = [a for a in b.args if a not in out]
    if missing:
        raise FPCoreError(f"{b.path}: error: :pre gives no range for {', '.join(missing)}")
    return out


def sample_points(ranges: dict[str, tuple[float, float]], n: int, seed: int) -> dict[str, np.ndarray]:
    """The 2^k box corners, the centre, then n uniform points (same seed, same points)."""
    names = list(ranges)
    k = len(names)
    corners = [[ranges[v][(i >> j) & 1] for j, v in enumerate(names)] for i in range(2 ** k)]
    rng = np.random.default_rng(seed)
    cols = {}
    for j, v in enumerate(names):
        lo, hi = ranges[v]
        u = np.clip(rng.uniform(lo, hi, size=n), lo, hi)
        fixed = [c[j] for c in corners] + [lo / 2 + hi / 2]
        cols[v] = np.concatenate([np.array(fixed, dtype=np.float64), u])
    return cols


def observe(b: Benchmark, n: int, n_exact: int, seed: int) -> Observed:
    """Max |exact - binary64| over the sampled points checked exactly."""
    t0 = time.perf_counter()
    ranges = double_box(b)
    pts = sample_points(ranges, n, seed)
    fixed = 2 ** len(ranges) + 1
    fl = eval_float(b, pts)
    est = np.abs(eval_extended(b, pts) - fl.astype(np.longdouble))
    est[~np.isfinite(est)] = np.inf
    order = np.argsort(-est[fixed:], kind="stable")[: max(0, n_exact)] + fixed
    chosen = list(range(fixed)) + [int(i) for i in order]
    worst = Fraction(0)
    for i in chosen:
        if not math.isfinite(float(fl[i])):
            return Observed(math.inf, len(fl), len(chosen), time.perf_counter() - t0,
                            "binary64 overflowed at a sampled point")
        exact = eval_exact(b, {v: Fraction(float(pts[v][i])) for v in b.args})
        worst = max(worst, abs(exact - Fraction(float(fl[i]))))
    return Observed(float(worst), len(fl), len(chosen), time.perf_counter() - t0)


def _env() -> dict[str, str]:
    """The environment for relaxverify subprocesses: TOOL_ROOT's package first."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (TOOL_ROOT, env.get("PYTHONPATH", "")) if p)
    return env


def _first_line(text: str) -> str:
    """The message's most telling line: the first `error:` line, else the first line."""
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    errors = [ln for ln in lines if "error:" in ln]
    return (errors or lines or ["no message"])[0][:200]


def _translate(path: str, text: str, timeout: float) -> tuple[Optional[str], str, float]:
    """Relax text for the FPCore, via relaxverify.fpcore if importable, else the CLI."""
    t0 = time.perf_counter()
    rfp: Any = None
    if TOOL_ROOT == ROOT:
        try:
            rfp = importlib.import_module("relaxverify.fpcore")
        except ImportError:
            rfp = None
    if rfp is not None and hasattr(rfp, "translate_text"):
        try:
            return rfp.translate_text(text, path), "", time.perf_counter() - t0
        except Exception as exc:  # the translator is another module: report, don't crash
            return None, f"translate_text failed: {type(exc).__name__}: {exc}", time.perf_counter() - t0
    try:
        p = subprocess.run(PYTHON + ["fpcore", path], capture_output=True, text=True,
                           timeout=timeout, cwd=TOOL_ROOT, env=_env())
    except subprocess.TimeoutExpired:
        return None, f"fpcore translation timed out after {timeout:g} s", time.perf_counter() - t0
    dt = time.perf_counter() - t0
    if p.returncode != 0 or not p.stdout.strip():
        why = _first_line(p.stderr or p.stdout)
        return None, f"`relaxverify fpcore` exit {p.returncode}: {why}", dt
    return p.stdout, "", dt


def _bound_of(report: dict) -> tuple[Optional[float], str]:
    """The proved bound of the file's bound-query accept, or why there is none."""
    bounds, reasons = [], []
    for f in report.get("files", []):
        for d in f.get("diagnostics", []):
            if d.get("severity") == "error":
                reasons.append(f"line {d.get('line')}: {d.get('message')}")
        for o in f.get("obligations", []):
            if "bound" in o:
                if o["bound"] is None:
                    reasons.append(f"no finite bound ({o.get('status')}): {o.get('message', '')}")
                else:
                    bounds.append(float(o["bound"]))
    if bounds and not reasons:
        return max(bounds), ""
    if not reasons:
        reasons.append(f"verify status {report.get('status')!r} and no accept carries \"bound\"")
    return None, _first_line(reasons[0])


def ours(path: str, timeout: float) -> Ours:
    """Translate, then `verify --format json`; never raises."""
    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    relax, why, t_tr = _translate(path, text, timeout)
    if relax is None:
        return Ours(None, why, t_tr)
    with tempfile.NamedTemporaryFile("w", suffix=".relax", delete=False, encoding="utf-8") as tmp:
        tmp.write(relax)
    t0 = time.perf_counter()
    # The translation declares one model (fp64 or fp32): name it (until a file's
    # only model is its default, LANGUAGE.md section 10).
    model = re.search(r"^hardware (\w+)", relax, re.M)
    hardware = ["--hardware", model.group(1)] if model else []
    try:
        p = subprocess.run(PYTHON + ["verify", "--no-cache", "--format", "json", *hardware,
                                     tmp.name],
                           capture_output=True, text=True, timeout=timeout, cwd=TOOL_ROOT, env=_env())
    except subprocess.TimeoutExpired:
        return Ours(None, f"verify timed out after {timeout:g} s", t_tr, time.perf_counter() - t0)
    finally:
        os.unlink(tmp.name)
    dt = time.perf_counter() - t0
    try:
        report = json.loads(p.stdout)
    except json.JSONDecodeError:
        return Ours(None, f"verify exit {p.returncode}: {_first_line(p.stderr or p.stdout)}", t_tr, dt)
    bound, why = _bound_of(report)
    return Ours(bound, why, t_tr, dt)


TRIVIAL = "fn f(x: int) -> int { return x; }\n"


def startup_seconds() -> float:
    """The fixed cost in every verify call: the median wall time of three `verify
    --no-cache` runs on a one-line function (interpreter start, the imports of the
    verify command, a Z3 context)."""
    with tempfile.NamedTemporaryFile("w", suffix=".relax", delete=False, encoding="utf-8") as tmp:
        tmp.write(TRIVIAL)
    times = []
    try:
        for _ in range(3):
            t0 = time.perf_counter()
            subprocess.run(PYTHON + ["verify", "--no-cache", tmp.name], capture_output=True,
                           cwd=TOOL_ROOT, env=_env())
            times.append(time.perf_counter() - t0)
    finally:
        os.unlink(tmp.name)
    return statistics.median(times)


def load_published() -> dict:
    with open(os.path.join(DATA, "published.json"), encoding="utf-8") as fh:
        return json.load(fh)


def _num(x: object) -> Optional[float]:
    return float(x) if isinstance(x, (int, float)) else None


def run(args: argparse.Namespace) -> list[Row]:
    published = load_published()["benchmarks"]
    rows = []
    files = sorted(f for f in os.listdir(DATA) if f.endswith(".fpcore"))
    for fname in files:
        path = os.path.join(DATA, fname)
        with open(path, encoding="utf-8") as fh:
            bench = parse_fpcore(fh.read(), path)
        if args.only and bench.name not in args.only:
            continue
        pub = published.get(bench.name, {})
        try:
            obs = observe(bench, args.samples, args.exact, args.seed)
        except FPCoreError as exc:
            obs = Observed(None, 0, 0, 0.0, str(exc))
        mine = ours(path, args.timeout) if not args.no_verify else Ours(None, "--no-verify")
        row = Row(bench.name, fname, mine, _num(pub.get("fptaylor")), _num(pub.get("daisy")), obs)
        if mine.bound is not None and row.fptaylor:
            row.ratio = mine.bound / row.fptaylor
        if mine.bound is not None and obs.error is not None:
            row.sound = mine.bound >= obs.error
        for who in ("fptaylor", "daisy"):
            v = _num(pub.get(who))
            if v is not None and obs.error is not None and v < obs.error:
                row.notes.append(f"published {who} bound {v:.3g} is below the observed "
                                 f"{obs.error:.3g} (different input model? see README)")
        rows.append(row)
    return rows


def _g(x: Optional[float], spec: str = ".2e") -> str:
    return "n/a" if x is None else format(x, spec)


def table(rows: list[Row], startup: Optional[float]) -> str:
    head = f"{'benchmark':<13} {'ours':>9} {'FPTaylor':>9} {'Daisy':>9} {'ours/FPT':>8} " \
           f"{'observed':>9} {'sound?':>6} {'verify s':>8} {'work s':>6} {'transl s':>8}"
    out = [head, "-" * len(head)]
    for r in rows:
        sound = "n/a" if r.sound is None else ("yes" if r.sound else "NO")
        out.append(f"{r.name:<13} {_g(r.ours.bound):>9} {_g(r.fptaylor):>9} {_g(r.daisy):>9} "
                   f"{_g(r.ratio, '.2f'):>8} {_g(r.observed.error):>9} {sound:>6} "
                   f"{_g(r.ours.verify_s, '.2f'):>8} {_g(_work(r, startup), '.2f'):>6} "
                   f"{_g(r.ours.translate_s, '.2f'):>8}")
    out.append("")
    reasons = sorted({r.ours.reason for r in rows if r.ours.bound is None and r.ours.reason})
    for why in reasons:
        names = [r.name for r in rows if r.ours.reason == why]
        out.append(f"ours n/a (not yet available: {why}) for {len(names)}: {', '.join(names)}")
    for r in rows:
        for n in r.notes + ([r.observed.note] if r.observed.note else []):
            out.append(f"note {r.name}: {n}")
    exact = sorted({r.observed.exact_points for r in rows if r.observed.samples})
    if exact:
        out.append(f"observed: binary64 at the box corners, its centre and --samples uniform points; "
                   f"exact (Fraction) at the corners, the centre and the --exact points of largest "
                   f"long-double error estimate ({exact[0]}-{exact[-1]} exact points per benchmark)")
    out.append(summary(rows, startup))
    return "\n".join(out)


def _work(r: Row, startup: Optional[float]) -> Optional[float]:
    """The verify call's time less the fixed cost of every call."""
    if r.ours.verify_s is None or startup is None:
        return None
    return max(r.ours.verify_s - startup, 0.0)


def _times(label: str, times: list[float]) -> str:
    if not times:
        return f"{label} n/a"
    under = sum(1 for t in times if t < 1.0)
    return (f"{label} median {statistics.median(times):.2f} s, max {max(times):.2f} s, "
            f"under 1 s {under}/{len(times)}")


def summary(rows: list[Row], startup: Optional[float]) -> str:
    have = [r for r in rows if r.ours.bound is not None]
    sound = sum(1 for r in have if r.sound)
    within = sum(1 for r in have if r.ratio is not None and r.ratio <= 2)
    times = [r.ours.verify_s for r in have if r.ours.verify_s is not None]
    work = [w for w in (_work(r, startup) for r in have) if w is not None]
    start = (f"; fixed cost of a verify call {startup:.2f} s (in each verify time, not in "
             "the work)" if startup is not None else "")
    return (f"summary: {len(rows)} benchmarks, ours available on {len(have)}; sound {sound}/{len(have)}; "
            f"within 2x of FPTaylor {within}/{len(have)}; {_times('verify time', times)}; "
            f"{_times('work', work)}{start}")


def main(argv: Optional[list[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("--samples", type=int, default=20000, help="binary64 sample points (default 20000)")
    ap.add_argument("--exact", type=int, default=2000,
                    help="sampled points also evaluated exactly, besides the corners (default 2000)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--only", nargs="*", default=None, metavar="NAME", help="benchmarks by :name")
    ap.add_argument("--timeout", type=float, default=60.0, help="seconds per relaxverify call")
    ap.add_argument("--no-verify", action="store_true", help="sampling only")
    ap.add_argument("--json", action="store_true", help="one JSON object instead of the table")
    ap.add_argument("--root", default=ROOT, help="the relaxverify checkout to measure (default: this one)")
    args = ap.parse_args(argv)
    global TOOL_ROOT
    TOOL_ROOT = os.path.abspath(args.root)
    if not os.path.isdir(os.path.join(TOOL_ROOT, "relaxverify")):
        print(f"fpbench.py: error: --root {args.root}: no relaxverify/ package there; "
              "give the top directory of a relaxverify checkout", file=sys.stderr)
        return 2
    if args.samples < 0 or args.exact < 0:
        ap.error("--samples and --exact must be >= 0")
    startup = None if args.no_verify else startup_seconds()
    rows = run(args)
    if args.json:
        print(json.dumps({"startup_s": startup, "summary": summary(rows, startup),
                          "rows": [asdict(r) for r in rows]}, indent=1))
    else:
        print(table(rows, startup))
    return 0


if __name__ == "__main__":
    sys.exit(main())
