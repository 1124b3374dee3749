"""`verify`: every obligation of the named functions of the submission is verified
(`scoring`: `all`, or `per-obligation` for partial credit); no points for proofs that
hold vacuously (unless `allow_vacuous`), or for a submission that lost a `keep` line or
changed a clause of `starter_clauses`, or without an `accept` of the bound that
`accept_bound` asks for (a loose bound verifies, and says little)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

from relaxverify import api
from relaxverify.grading.submission import accept_bounds, function_names
from relaxverify.grading.tools import (MAX_SHOWN, call, describe, fold_sides, is_vacuous,
                                       messages, not_verified, warnings)

if TYPE_CHECKING:
    from relaxverify.grading.grader import Grader


def grade_verify(grader: "Grader", spec: dict[str, Any]) -> tuple[float, str]:
    note = grader.forbidden_note() or grader.kept_note(spec) or grader.contract_note(spec) \
        or _bound_note(grader.source, spec)
    if note:
        return 0.0, note
    names = function_names(grader.source)
    name = grader.submission.name
    lines: list[str] = []
    verified = total = 0
    missing: list[str] = []
    broken: list[str] = []
    for fn in spec["functions"]:
        if fn not in names:
            missing.append(fn)
            continue
        result = call(api.verify, str(grader.submission), fn=fn, timeout=grader.timeout,
                      hardware=spec.get("hardware") or None)
        report = result.files[0]
        if report.status == "error":
            lines.append(f"fn {fn}: " + "; ".join(messages(report)))
            broken.append(fn)
            continue
        if is_vacuous(report) and not spec.get("allow_vacuous"):
            lines.append(f"fn {fn}: no points, because its proofs hold vacuously:")
            lines.extend(warnings(report, name))
            broken.append(fn)
            continue
        obs = api.obligations(report)
        total += len(obs)
        ok = sum(1 for o in obs if o.status == "verified")
        verified += ok
        lines.append(f"fn {fn}: {ok} of {len(obs)} obligations verified")
        bad = fold_sides(not_verified(obs))
        lines.extend(describe(c, name) for c in bad[:MAX_SHOWN])
        if len(bad) > MAX_SHOWN:
            lines.append(f"  ... and {len(bad) - MAX_SHOWN} more")
        lines.extend(warnings(report, name))
    for fn in missing:
        lines.append(f"fn {fn}: not found in your file (the lab asks for a function "
                     f"named `{fn}`; keep the name and signature of the starter file)")
    missing += broken
    if spec.get("scoring", "all") == "per-obligation":
        fraction = verified / total if total else 0.0
        if missing:
            fraction *= (len(spec["functions"]) - len(missing)) / len(spec["functions"])
    else:
        fraction = 1.0 if not missing and total and verified == total else 0.0
    if total == 0 and not missing:
        lines.append("there is nothing to prove: add the specification the lab asks for")
    return fraction, "\n".join(lines)


def _bound_note(source: str, spec: dict[str, Any]) -> Optional[str]:
    bound = spec.get("accept_bound")
    if not bound:
        return None
    fn, expr, most = spec["functions"][0], bound["of"], bound["at_most"]
    if any(b <= most for b in accept_bounds(source, fn, expr)):
        return None
    return (f"This test needs `accept {expr} <= B;` in `{fn}` with a bound B of at most "
            f"{most} (a larger bound verifies, but says little): ask the verifier for the "
            f"bound it can prove with `accept {expr} <= ?;`")
