"""The soundness harness at a large budget (docs/soundness.md).

    python benchmarks/soundness.py [--programs 1000] [--pairs 40] [--reliability 300]
                                   [--floats 200] [--jobs 2 | --dask ADDRESS] [--seed 0]
                                   [--include-known] [--show 3]
                                   [--known NAMES] [--dump FILE]

Generates programs with tests/strategies.py and checks each with
tests/differential.py (verify against seeded O/R interpreter runs, and replay of
every concrete counterexample), then the reliability properties of
tests/test_reliability_soundness.py on --reliability programs, and --floats float
programs (tests/strategies_floats.py: type-checked and analysed; they join verify
against run when strategies.FLOAT_DIFFERENTIAL is on). Prints the
programs tried, obligations checked, run pairs, and every disagreement found
(the first --show programs of each kind in full). --include-known also generates
the constructs of open known disagreements (tests/regressions/), which are off by
default so that a clean run means "nothing new" (strategies.KNOWN: partial
expressions in quantifiers and in relax/havoc predicates, havocs only some runs
make, faults that hit interpreter limits, `requires_r` written as the default or
`true`). Exit 1 if anything disagrees. --dask ADDRESS checks the programs on a Dask
cluster instead of --jobs local processes (`local[:WORKERS]`, or a scheduler whose
workers have this checkout and its tests/ on PYTHONPATH; docs/soundness.md).
"""
from __future__ import annotations

import argparse
import collections
import json
import multiprocessing
import os
import random
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
sys.path.insert(0, os.path.join(HERE, "..", "tests"))

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import seed as hseed  # noqa: E402

import strategies as S  # noqa: E402
import strategies_floats as SF  # noqa: E402
from differential import Tally, check_program, draw_inputs  # noqa: E402


def collect(strategy, n: int, seed: int) -> list:
    """n examples of a hypothesis strategy, reproducibly for a seed."""
    out: list = []
    if n <= 0:
        return out

    @hseed(seed)
    @settings(max_examples=n, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(strategy)
    def draw(x) -> None:
        out.append(x)

    draw()
    return out[:n]


def _check(job: tuple) -> Tally:
    gen, pairs, seed = job
    try:
        return check_program(gen, pairs=pairs, seed=seed)
    except Exception as exc:  # noqa: BLE001 - a crash of the tools is a finding too
        from differential import Disagreement
        t = Tally(programs=1)
        import traceback
        where = [f for f in traceback.extract_tb(exc.__traceback__)
                 if "relaxverify" in f.filename][-1]
        t.disagreements.append(Disagreement("crash", f"{type(exc).__name__}: {exc} (at "
                                            f"{where.filename}:{where.lineno})", gen.source))
        return t


def reliability_checks(programs: list, seed: int, counts: dict | None = None
                       ) -> tuple[int, list]:
    """(static values compared, problems). `counts` gets "untrusted" (values not
    compared: they rest on a callee's reliability spec that does not hold) and
    "by_spec" (values compared that use a callee's spec that holds)."""
    import test_reliability_soundness as R
    from relaxverify.run.montecarlo import monte_carlo, wilson
    compared, problems = 0, []
    counts = {} if counts is None else counts
    counts.setdefault("untrusted", 0)
    counts.setdefault("by_spec", 0)
    rng = random.Random(seed)
    for gen in programs:
        program = R.load(gen)
        for meta in gen.functions:
            args = list(draw_inputs(meta, rng).values())
            by_spec = any(program.functions[g].reliability
                          for g in R.callees(program, meta.name))
            for hw in (R.HIGH, R.HIGH_ERROR):
                with R.int_limit():
                    mc = monte_carlo(program, meta.name, args, hw, R.TRIALS,
                                     seed=rng.randrange(1 << 30),
                                     max_steps=R.MAX_STEPS)
                if mc.trials == 0:
                    continue
                static = R.trusted_value(program, meta.name, hw)
                if static is None:  # rests on a callee's spec that does not hold
                    counts["untrusted"] += 1
                    continue
                compared += 1
                counts["by_spec"] += by_spec
                hi = wilson(mc.correct, mc.trials, R.Z)[1]
                if static > hi + 1e-12:
                    problems.append(("monte-carlo", f"`{meta.name}`{args} under {hw.name}: "
                                     f"static {static} > {mc.correct}/{mc.trials}", gen.source))
            static = R.trusted_value(program, meta.name, R.NO_WRITES)
            if static is None:
                counts["untrusted"] += 1
                continue
            exact = R.exact_reliability(program, meta.name, args, R.NO_WRITES)
            if exact is not None:
                compared += 1
                counts["by_spec"] += by_spec
                if static > exact + 1e-12:
                    problems.append(("enumeration", f"`{meta.name}`{args}: static {static} > "
                                     f"enumerated {exact}", gen.source))
    return compared, problems


def float_checks(programs: list) -> tuple[dict, list]:
    """Float programs (tests/strategies_floats.py): each must type-check, and the
    reliability analysis must give each function a probability on the program's
    model and on the differential's high-rate copies of it. (verify vs run on them
    is the differential above, once strategies.FLOAT_DIFFERENTIAL is on.)"""
    from differential import fault_models
    from relaxverify.pipeline import load_source
    from relaxverify.reliability.analysis import analyse_program
    counts = {"checked": 0, "analysed": 0}
    problems = []
    for gen in programs:
        item = load_source("gen.relax", gen.source)
        if not item.ok:
            problems.append(("float-check", "; ".join(d.message for d in item.diagnostics),
                             gen.source))
            continue
        counts["checked"] += 1
        program = item.program
        models = [program.hardware[gen.hardware]] if gen.hardware else []
        try:
            for hw in models + fault_models(program, gen):
                results, errors = analyse_program(program, hw)
                if errors or not all(0.0 <= r.value <= 1.0 for r in results):
                    raise ValueError(f"errors {errors}, values {[r.value for r in results]}")
        except Exception as exc:  # noqa: BLE001 - a crash of the tools is a finding too
            problems.append(("float-reliability", f"{type(exc).__name__}: {exc}", gen.source))
            continue
        counts["analysed"] += 1
    return counts, problems


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--programs", type=int, default=1000)
    ap.add_argument("--pairs", type=int, default=40, help="O/R run pairs per function")
    ap.add_argument("--reliability", type=int, default=300, help="programs for reliability")
    ap.add_argument("--floats", type=int, default=200,
                    help="float programs (type-checked and analysed; verify vs run too "
                    "when strategies.FLOAT_DIFFERENTIAL is on)")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--dask", metavar="ADDRESS",
                    help="check the programs on this Dask cluster, or local[:WORKERS] "
                    "(instead of --jobs processes)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--include-known", action="store_true",
                    help="also generate the constructs of open known disagreements")
    ap.add_argument("--known", metavar="NAMES", default="",
                    help="only these of them (comma-separated switches of "
                    "strategies.KNOWN and KNOWN_RELIABILITY)")
    ap.add_argument("--show", type=int, default=3)
    ap.add_argument("--dump", metavar="FILE",
                    help="write every disagreement (kind, detail, program) as JSON lines")
    args = ap.parse_args()

    t0 = time.perf_counter()
    names = tuple(n for n in args.known.split(",") if n)
    unknown = set(names) - set(S.KNOWN + S.KNOWN_RELIABILITY)
    if unknown:
        ap.error(f"no such switch: {', '.join(sorted(unknown))} (known: "
                 f"{', '.join(S.KNOWN + S.KNOWN_RELIABILITY)})")
    opts = S.Options()
    if names:
        opts.with_known(tuple(n for n in names if n in S.KNOWN))
    elif args.include_known:
        opts.with_known()
    programs = collect(S.programs(opts), args.programs, args.seed)
    float_programs = collect(SF.float_programs(), args.floats, args.seed + 3)
    if S.FLOAT_DIFFERENTIAL:
        programs += float_programs
    jobs = [(g, args.pairs, args.seed + i) for i, g in enumerate(programs)]
    total = Tally()
    seen = [0]

    def add(tally: Tally) -> None:
        total.add(tally)
        seen[0] += 1
        if seen[0] % 100 == 0:
            print(f"  {seen[0]} programs, {len(total.disagreements)} disagreements "
                  f"({time.perf_counter() - t0:.0f} s)", file=sys.stderr)
    if args.dask:
        from relaxverify.run import cluster
        try:
            with cluster.connect(args.dask) as client:
                cluster.map_tasks(client, _check, jobs, done=add)
        except cluster.ClusterError as exc:
            print(f"soundness.py: error: {exc}", file=sys.stderr)
            return 2
    else:
        with multiprocessing.Pool(args.jobs) as pool:
            for tally in pool.imap_unordered(_check, jobs, chunksize=4):
                add(tally)
    t1 = time.perf_counter()
    rel_known = tuple(n for n in names if n in S.KNOWN_RELIABILITY) if names else \
        (S.KNOWN_RELIABILITY if args.include_known else ())
    rel_programs = collect(S.reliability_programs(known=rel_known), args.reliability,
                           args.seed + 1)
    rel_programs += collect(S.reliability_programs(True, True), args.reliability // 3,
                            args.seed + 2)
    # helpers whose reliability specs usually hold, called through them
    rel_programs += collect(S.reliability_programs(spec_calls=True), args.reliability // 3,
                            args.seed + 4)
    counts: dict = {}
    compared, rel_problems = reliability_checks(rel_programs, args.seed, counts)
    t2 = time.perf_counter()
    fcounts, float_problems = float_checks(float_programs)
    rel_problems += float_problems
    t3 = time.perf_counter()

    where = f"Dask cluster {args.dask}" if args.dask else f"{args.jobs} jobs"
    print(f"verify vs interpreter ({t1 - t0:.0f} s, {where})")
    print(f"  programs tried        {total.programs}")
    print(f"  obligations checked   {total.obligations} ({total.verified} verified, "
          f"{total.failed} failed, {total.unknown} unknown)")
    print(f"  fully verified files  {total.verified_programs} "
          f"({total.verified_functions} functions)")
    print(f"  O/R run pairs         {total.run_pairs} ({total.trusted_pairs} held R and "
          f"the relation to account)")
    print(f"  runtime failures      {total.failures_judged} compared with an obligation")
    print(f"  counterexamples       {total.replays} replayed")
    print(f"  requires_r variants   {total.variants} verified again with the default")
    print(f"reliability ({t2 - t1:.0f} s)")
    print(f"  programs tried        {len(rel_programs)}")
    print(f"  static values checked {compared} (Monte Carlo and enumeration; "
          f"{counts['by_spec']} through a callee's spec that holds, "
          f"{counts['untrusted']} skipped: a callee's spec does not hold)")
    print(f"floats ({t3 - t2:.0f} s)")
    print(f"  programs generated    {len(float_programs)} ({fcounts['checked']} type-check, "
          f"{fcounts['analysed']} analysed for reliability; verify vs run: "
          f"{'in the figures above' if S.FLOAT_DIFFERENTIAL else 'off, see FLOAT_DIFFERENTIAL'})")
    kinds = collections.Counter(d.what for d in total.disagreements)
    kinds.update(k for k, _d, _s in rel_problems)
    print(f"disagreements found     {sum(kinds.values())}"
          + (f" ({', '.join(f'{k}: {n}' for k, n in sorted(kinds.items()))})" if kinds else ""))
    everything = ([(d.what, d.detail, d.source) for d in total.disagreements] + rel_problems)
    if args.dump:
        with open(args.dump, "w") as out:
            for what, detail, source in everything:
                out.write(json.dumps({"what": what, "detail": detail, "source": source}) + "\n")
    shown: collections.Counter = collections.Counter()
    for what, detail, source in ([(d.what, d.detail, d.source) for d in total.disagreements]
                                 + rel_problems):
        if shown[what] < args.show:
            shown[what] += 1
            print(f"\n--- {what}: {detail}\n{source}")
    return 1 if kinds else 0


if __name__ == "__main__":
    sys.exit(main())
