"""Code lenses: above each function, how its obligations fared ("16 verified",
"15 verified, 1 failed"), or what to do to find out."""
from __future__ import annotations

from relaxverify.lsp.results import Verdict

ORDER = ("verified", "failed", "unknown")


def function_title(verdicts: list[Verdict], function: str) -> str:
    counts = {s: sum(1 for v in verdicts if v.function == function and v.status == s)
              for s in ORDER}
    shown = [f"{n} {s}" for s, n in counts.items() if n]
    return ", ".join(shown) if shown else "no obligations"
