"""`verify --explain`: each obligation with its condition in source syntax (docs/verifier.md)."""
from __future__ import annotations

from relaxverify.verify.loops import ALONE_IN_LOOP
from relaxverify.verify.obligations import Instance, Obligation

EXPLAIN_LEGEND = ("explain: x<o> and x<r> are x in the original and the relaxed execution; "
                  "after a step `x<o> := e`, the lines below it mean the new value")


def explain(o: Obligation) -> list[str]:
    inst = o.instances[0]
    out = [f"{o.span}: {o.status}: {o.kind} ({o.side}): {o.explanation}"]
    if inst.path:
        out.append("    assuming, along the path:")
        out.extend(f"      {p}" for p in _path_lines(inst.path))
    if len(o.instances) > 1:
        out.append(f"    (and on {len(o.instances) - 1} more path(s)"
                   + _other_paths(inst.path, o.instances[1:]) + ")")
    out.append(f"    prove: {o.goal_text}")
    return out


def _path_lines(path: tuple) -> list[str]:
    """The facts and steps of a path; a fact repeated before the next step once."""
    out: list[str] = []
    seen: set[str] = set()
    for text, is_step in path:
        if is_step:
            seen = set()
        elif text in seen:
            continue
        seen.add(text)
        out.append(text)
    return out


def _other_paths(first: tuple, others: list[Instance]) -> str:
    """What sets the other paths apart from the one listed, briefly: nothing this
    side can see, or the loop's one-sided steps."""
    if all(inst.path == first for inst in others):
        return ", with the same lines"  # e.g. one-sided iterations the other side cannot see
    listed = {text for text, _ in first}
    how: list[str] = []
    for inst in others:
        new = [text for text, _ in inst.path if text not in listed]
        alone = [t for t in new if ALONE_IN_LOOP in t]
        if alone and alone[0] not in how:
            how.append(alone[0])
    return ": " + "; ".join(how) if how else ""
