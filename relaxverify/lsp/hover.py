"""Hover on an obligation's line: each obligation there with its verdict and
explanation and, for a failed one, the counterexample's values of the original
and the relaxed execution side by side (Markdown)."""
from __future__ import annotations

from typing import Optional

from relaxverify.lsp.results import Verdict

MISSING = "—"  # a variable one execution's counterexample does not mention


def hover_markdown(verdicts: list[Verdict], line: int) -> Optional[str]:
    """The text for 1-based `line`, or None when no obligation is there."""
    here = [v for v in verdicts if v.span.line <= line <= v.span.end_line]
    if not here:
        return None
    return "\n\n---\n\n".join(_one(v) for v in here)


def _one(v: Verdict) -> str:
    parts = [f"**{v.status}** · `{v.kind}` obligation ({v.side}) in `{v.function}`",
             v.message]
    if v.explanation not in v.message:
        parts.append(f"Obligation: {v.explanation}")
    if v.original or v.relaxed:
        parts.append(counterexample_table(v.original, v.relaxed))
    # The values are in the table; the kind and side in the heading.
    said = ("original: ", "relaxed: ", f"{v.kind} obligation (")
    notes = [f"- {n}" for n in v.notes if not n.startswith(said)]
    return "\n\n".join(parts + (["\n".join(notes)] if notes else []))


def counterexample_table(original: dict[str, str], relaxed: dict[str, str]) -> str:
    names = list(dict.fromkeys([*original, *relaxed]))
    rows = [f"| `{n}` | {_cell(original.get(n))} | {_cell(relaxed.get(n))} |" for n in names]
    return "\n".join(["Counterexample:", "", "| variable | original | relaxed |",
                      "| --- | --- | --- |", *rows])


def _cell(value: Optional[str]) -> str:
    return MISSING if value is None else f"`{value}`".replace("|", "\\|")
