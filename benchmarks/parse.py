"""Parse + check throughput on a generated 10,000-line program (target: > 20,000 lines/s).

Parsing alone is timed too, with both drivers: the fast LALR loop of
relaxverify/syntax/lalr.py (the default) and stock Lark (the fallback), which
is why the fast one is kept.

The program is made of functions written like the ones in examples/: a comment
before each function, one clause or statement per line, blank lines between
functions (about 5.5 tokens per line, as in examples/). Tokens per second are
printed as well, so that a denser program can be compared fairly.

Run: python benchmarks/parse.py [LINES]
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from relaxverify.syntax.lexer import lex  # noqa: E402
from relaxverify.syntax.parser import parse  # noqa: E402
from relaxverify.pipeline import load_source  # noqa: E402

FUNCTION = """\
// Function {n}: a bounded search over an array with a relaxed threshold.
// The relaxed execution may use a larger threshold; both stay in bounds.
fn search{n}(a: int[], limit: int, k: int) -> int
  requires 0 <= k && k < len(a)
  requires 0 <= limit
  ensures 0 <= result
  ensures_r k<o> == k<r> ==> result<o> <= result<r> + 1
{{
  var count: int = 0;
  var cap: int = limit;
  var y: real in urel = 1.5;
  relax (cap) st (old(cap) <= cap);
  for i in 0 .. len(a)
    invariant 0 <= count
    invariant_r eq(i)
  {{
    // Only positive entries under the bound count.
    if (a[i] > 0 && a[i] <= cap) {{
      count = count + 1;
    }} else if (a[i] == 0) {{
      y = y *. 0.5;
    }} else {{
      skip;
    }}
  }}
  accept count<o> <= count<r>;
  return count;
}}

"""


def generate(lines: int) -> str:
    per = FUNCTION.count("\n")
    return "".join(FUNCTION.format(n=n) for n in range(lines // per + 1))


def best_time(source: str, repeats: int = 5) -> float:
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        loaded = load_source("bench.relax", source)
        best = min(best, time.perf_counter() - t0)
        assert loaded.ok, loaded.diagnostics[:1]
        del loaded  # free the previous run's program outside the timing
    return best


def best_parse_time(source: str, driver: str, repeats: int = 7) -> float:
    """CPU time, so that the two drivers compare fairly on a busy machine too."""
    parse("fn warm() { skip; }", "warm.relax", driver=driver)  # build it outside the timing
    best = float("inf")
    for _ in range(repeats):
        t0 = time.process_time()
        program = parse(source, "bench.relax", driver=driver)
        best = min(best, time.process_time() - t0)
        del program
    return best


def main() -> None:
    target = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    source = generate(target)
    n_lines = source.count("\n")
    n_tokens = sum(1 for _ in lex(source))
    load_source("warm.relax", "fn warm() { skip; }")  # build the parser outside the timing
    best = best_time(source)
    rate = n_lines / best
    print(f"program:          {n_lines} lines, {n_tokens} tokens ({n_tokens / n_lines:.1f} per line)")
    print(f"parse + check:    {best:.3f} s: {rate:,.0f} lines/s, {n_tokens / best:,.0f} tokens/s")
    print(f"target:           20,000 lines/s -> {'met' if rate > 20_000 else 'MISSED'}")
    fast, stock = best_parse_time(source, "fast"), best_parse_time(source, "lark")
    print(f"parse only, CPU:  fast LALR {fast:.3f} s ({n_lines / fast:,.0f} lines/s), "
          f"stock Lark {stock:.3f} s ({n_lines / stock:,.0f} lines/s): "
          f"the fast driver takes {fast / stock:.0%} of stock Lark's time")
    print("scaling (time per line relative to 2,500 lines; about 1.0 means linear):")
    base = None
    for lines in (2_500, 5_000, 10_000, 20_000):
        text = generate(lines)
        per_line = best_time(text, 3) / text.count("\n")
        base = base or per_line
        print(f"  {lines:>6} lines: {per_line * 1e6:6.1f} us/line  ratio {per_line / base:.2f}")


if __name__ == "__main__":
    main()
