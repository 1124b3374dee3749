"""The case studies of examples/ (Rely, Chisel, Leto, PLDI'12), measured in one run.

Every example whose header has a `// Study:` line is one: that line holds the
command-line options of the study (`--fn F --hardware M --arg x=...`), and its
`// Paper:` line what the paper reports. For each, this prints the verify time
and verdicts (all obligations of the file, on the study's model), the static
reliability of the function on that model (plain and `--precise`, the
masking-aware value), a Monte Carlo estimate with its 95%
interval (`run --trials`), and the paper's line. A static value above the
interval's upper end says `chance` (it happens 2.5% of the time), above the 99.9%
one-sided bound that `run` judges by `NO`: unsound (for --precise, the larger of the
two values).

Run: python benchmarks/casestudies.py [--trials N] [--seed S] [--only NAME]
"""
from __future__ import annotations

import argparse
import contextlib
import io
import json
import re
import shlex
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from relaxverify.cli.main import main as cli  # noqa: E402
from relaxverify.run.montecarlo import upper_bound  # noqa: E402
from relaxverify.run.session import STRICT  # noqa: E402


@dataclass
class Study:
    path: Path
    options: list[str]  # --fn, --hardware, --arg ...
    paper: str

    @property
    def fn(self) -> str:
        return self.options[self.options.index("--fn") + 1]

    def only(self, flag: str) -> list[str]:
        """The options `flag` takes (with their values)."""
        out = []
        for k, v in zip(self.options[::2], self.options[1::2]):
            if k == flag:
                out += [k, v]
        return out


ENTRY = re.compile(r"[A-Z][\w ]*:")  # `Study:`, `Paper:`, `Verify with ...` is none


def entry(lines: list[str], key: str) -> Optional[str]:
    """The text of the first `// KEY: ...` comment, with the comment lines that continue
    it (up to an empty comment, a non-comment or another `Key:` entry) joined on: a
    `Paper:` line wrapped over two lines is read whole."""
    for k, line in enumerate(lines):
        if line.startswith(f"// {key}:"):
            parts = [line[len(key) + 4:].strip()]
            for more in lines[k + 1:]:
                text = more[2:].strip()
                if not more.startswith("//") or not text or ENTRY.match(text):
                    break
                parts.append(text)
            return " ".join(parts)
    return None


def studies(only: Optional[str]) -> list[Study]:
    out = []
    for path in sorted((ROOT / "examples").glob("*.relax")):
        lines = path.read_text().splitlines()
        opts, paper = entry(lines, "Study"), entry(lines, "Paper")
        if opts is not None and (only is None or only in path.stem):
            out.append(Study(path, shlex.split(opts), paper or "-"))
    return out


def command(argv: list[str]) -> tuple[int, dict, float]:
    """One CLI command in this process, its JSON document and its wall time."""
    buf = io.StringIO()
    start = time.perf_counter()
    with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(io.StringIO()):
        code = cli(argv + ["--format", "json"])
    took = time.perf_counter() - start
    try:
        return code, json.loads(buf.getvalue()), took
    except json.JSONDecodeError:
        return code, {}, took


def verify(s: Study) -> tuple[str, float]:
    code, doc, took = command(["verify", str(s.path)] + s.only("--hardware"))
    obs = [o for f in doc.get("files", []) for o in f.get("obligations", [])]
    counts = {k: sum(o["status"] == k for o in obs) for k in ("verified", "failed", "unknown")}
    text = f"{counts['verified']}/{len(obs)}"
    if counts["failed"] or counts["unknown"]:
        text += f" ({counts['failed']} failed, {counts['unknown']} unknown)"
    return text, took


def reliability(s: Study, precise: bool) -> Optional[float]:
    """The function's static value: plain, or masking-aware (`--precise`)."""
    flags = ["--precise"] if precise else []
    _, doc, _ = command(["reliability", str(s.path)] + s.only("--hardware") + s.only("--fn")
                        + flags)
    for f in doc.get("files", []):
        for fn in f.get("functions", []):
            if fn["name"] == s.fn:
                return fn.get("value")
    return None


def monte_carlo(s: Study, trials: int, seed: int) -> Optional[tuple[float, float, float, float]]:
    """The estimate, its 95% interval, and the 99.9% one-sided upper bound that
    `run` judges soundness by (the 95% interval alone is exceeded 2.5% of the time)."""
    _, doc, _ = command(["run", str(s.path), "--trials", str(trials), "--seed", str(seed)]
                        + s.options)
    if "interval" not in doc:
        return None
    lo, hi = doc["interval"]
    return doc["reliability"], lo, hi, upper_bound(doc["correct"], doc["trials"], STRICT)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--trials", type=int, default=4000)
    ap.add_argument("--seed", type=int, default=0, help="of the Monte Carlo runs")
    ap.add_argument("--only", help="only the studies whose file name contains this")
    args = ap.parse_args()
    rows = []
    for s in studies(args.only):
        verdict, took = verify(s)
        plain, static = reliability(s, False), reliability(s, True)
        mc = monte_carlo(s, args.trials, args.seed)
        sound = "-" if static is None or mc is None else (
            "yes" if static <= mc[2] else "chance" if static <= mc[3] else "NO")
        rows.append((s.path.stem, f"{took:.2f}", verdict,
                     "-" if plain is None else f"{plain:.6f}",
                     "-" if static is None else f"{static:.6f}",
                     "-" if mc is None else f"{mc[0]:.4f} [{mc[1]:.4f}, {mc[2]:.4f}]",
                     sound, s.paper))
    head = ("case study", "verify s", "verified", "static R", "--precise",
            f"Monte Carlo ({args.trials})",
            "R<=MC", "paper")
    widths = [max(len(r[k]) for r in rows + [head]) for k in range(len(head) - 1)]
    for r in [head] + rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths)) + "  " + r[-1])
    unsound = [r[0] for r in rows if r[6] == "NO"]
    chance = [r[0] for r in rows if r[6] == "chance"]
    print(f"\n{len(rows)} case studies; static value above the 99.9% bound (unsound): "
          f"{', '.join(unsound) if unsound else 'none'}; above the 95% interval only "
          f"(may be chance): {', '.join(chance) if chance else 'none'}")
    return 1 if unsound else 0


if __name__ == "__main__":
    sys.exit(main())
