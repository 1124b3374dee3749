"""Compare output with an `[out]` body that may hold wildcards, and fold new output
into an old body keeping the wildcards that still fit.

Wildcards (the only departures from an exact, line-by-line comparison):

* a line `...` matches any number of lines, none included;
* a line ending in `...` after other text, e.g. `  note: original: ...`, matches one
  line that starts with that text (for solver-chosen counterexample values).
"""
from __future__ import annotations

from .cases import WILDCARD


def line_matches(pattern: str, line: str) -> bool:
    if pattern != WILDCARD and pattern.endswith(WILDCARD):
        return line.startswith(pattern[:-len(WILDCARD)])
    return pattern == line


def matches(expected: list[str], actual: list[str]) -> bool:
    return _costs(expected, actual)[0][0] == 0


def _costs(expected: list[str], actual: list[str]) -> list[list[int]]:
    """cost[i][j]: fewest lines to change so that expected[i:] matches actual[j:]."""
    n, m = len(expected), len(actual)
    cost = [[0] * (m + 1) for _ in range(n + 1)]
    for j in range(m - 1, -1, -1):
        cost[n][j] = m - j
    for i in range(n - 1, -1, -1):
        p = expected[i]
        cost[i][m] = cost[i + 1][m] + (p != WILDCARD)
        for j in range(m - 1, -1, -1):
            if p == WILDCARD:
                cost[i][j] = min(cost[i + 1][j], cost[i][j + 1])
            else:
                keep = 0 if line_matches(p, actual[j]) else 1
                cost[i][j] = min(keep + cost[i + 1][j + 1],
                                 1 + cost[i + 1][j], 1 + cost[i][j + 1])
    return cost


def merge(expected: list[str], actual: list[str]) -> list[str]:
    """A body that matches `actual`, as close to `expected` as the fewest changes allow:
    lines and wildcards that still match stay, the rest become the actual lines."""
    cost = _costs(expected, actual)
    n, m = len(expected), len(actual)
    out: list[str] = []
    i = j = 0
    while i < n or j < m:
        here = cost[i][j]
        p = expected[i] if i < n else None
        if p == WILDCARD:  # it takes as few lines as it can: the rest are written out
            if cost[i + 1][j] == here:
                out.append(p)
                i += 1
            else:
                j += 1
        elif p is not None and j < m and line_matches(p, actual[j]) \
                and cost[i + 1][j + 1] == here:
            out.append(p)
            i, j = i + 1, j + 1
        elif p is not None and j < m and 1 + cost[i + 1][j + 1] == here:
            out.append(actual[j])
            i, j = i + 1, j + 1
        elif p is not None and 1 + cost[i + 1][j] == here:
            i += 1  # an expected line no longer printed
        else:
            out.append(actual[j])
            j += 1
    return out
