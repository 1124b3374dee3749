"""`features`: the submission has what a case study needs: `min_functions` (besides those
in `besides`), `constructs` (keywords that must occur in code), `verified_kinds`
(obligation kinds that must occur and be verified), `all_verified`, and
`reliability_specs` (how many reliability specs must hold), `relaxes` (a `relax` or
`havoc` whose predicate lets a value change: one that forces the old values verifies
any accept, and approximates nothing)."""
from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from relaxverify import api
from relaxverify.grading.submission import changing_choices, function_names, strip_comments
from relaxverify.grading.tools import call, describe, is_vacuous, not_verified, warnings

if TYPE_CHECKING:
    from relaxverify.grading.grader import Grader


class _Requirements:
    """The requirements checked, as lines `ok:`/`missing:`, and how many are met."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.met = 0
        self.needed = 0

    def require(self, ok: bool, text: str) -> None:
        self.needed += 1
        self.met += ok
        self.lines.append(("ok:      " if ok else "missing: ") + text)


def grade_features(grader: "Grader", spec: dict[str, Any]) -> tuple[float, str]:
    note = grader.forbidden_note()
    if note:
        return 0.0, note
    code = strip_comments(grader.source)
    req = _Requirements()
    besides = spec.get("besides", [])
    names = [n for n in function_names(grader.source) if n not in besides]
    if "min_functions" in spec:
        other = " besides " + ", ".join(f"`{b}`" for b in besides) if besides else ""
        req.require(len(names) >= spec["min_functions"],
                    f"at least {spec['min_functions']} functions{other} (found {len(names)})")
    for word in spec.get("constructs", []):
        options = word.split("|")
        pattern = r"\b(" + "|".join(re.escape(w) for w in options) + r")\b"
        req.require(re.search(pattern, code) is not None,
                    "uses " + " or ".join(f"`{w}`" for w in options))
    if spec.get("relaxes"):
        req.require(_relaxes(grader), "a `relax` or `havoc` that lets a value change (one "
                    "whose predicate forces the old values approximates nothing)")
    if spec.get("verified_kinds") or spec.get("all_verified"):
        _verified(grader, spec, req)
    if "reliability_specs" in spec:
        result = call(api.reliability, str(grader.submission),
                      hardware=spec.get("hardware", "medium"))
        results = api.function_results(result.files[0])
        holding = [r.function.name for r in results if r.status == "verified"]
        req.require(len(holding) >= spec["reliability_specs"],
                    f"at least {spec['reliability_specs']} reliability spec(s) that hold "
                    f"(holding: {', '.join(holding) or 'none'})")
    if spec.get("scoring", "all") == "per-requirement":
        return (req.met / req.needed if req.needed else 1.0), "\n".join(req.lines)
    return (1.0 if req.met == req.needed else 0.0), "\n".join(req.lines)


def _verified(grader: "Grader", spec: dict[str, Any], req: _Requirements) -> None:
    """The requirements on the proofs of the whole submission."""
    result = call(api.verify, str(grader.submission), timeout=grader.timeout)
    report = result.files[0]
    obs = api.obligations(report)
    for kind in spec.get("verified_kinds", []):
        of_kind = [o for o in obs if o.kind == kind]
        req.require(bool(of_kind) and all(o.status == "verified" for o in of_kind),
                    f"a verified `{kind}` obligation ({len(of_kind)} found)")
    if is_vacuous(report):
        req.require(False, "no proof that holds vacuously")
        req.lines.extend(warnings(report, grader.submission.name))
    if spec.get("all_verified"):
        bad = not_verified(obs)
        req.require(bool(obs) and not bad, f"every obligation verified "
                    f"({len(obs) - len(bad)} of {len(obs)})")
        req.lines.extend(describe(c, grader.submission.name) for c in bad)


def _relaxes(grader: "Grader") -> bool:
    """Some relax or havoc can change a value: the verifier proves that none can (by
    its vacuity warning) when the predicates are made to exclude the old values."""
    probe, lines = changing_choices(grader.source)
    if not lines:
        return False
    path = grader.workdir / "choices_probe.relax"
    path.write_text(probe, encoding="utf-8")
    report = call(api.verify, str(path), timeout=grader.timeout).files[0]
    if report.status == "error":
        return True  # the probe does not check (arrays compared with ==): cannot tell
    stuck = {d.line for d in report.messages()
             if d.kind == "vacuous" and "can never be satisfied" in d.message}
    return any(line not in stuck for line in lines)
