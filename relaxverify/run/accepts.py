"""The accepts of Monte Carlo trials (LANGUAGE.md section 9): a trial that fails an
`accept` counts as incorrect.

An accept relates the original execution O to the relaxed one R. A trial is an R
(faulty, at the model's precisions); O is the original execution of the same
arguments without faults or precision, run once. Both record the state at each
accept of the top function; the n-th time a trial reaches an accept is paired with
the n-th time O reached it (an accept O never reached that often is not checked).
Bound queries (`accept abs(...) <= ?`) ask for a bound and never fail a run.
"""
from __future__ import annotations

from typing import Optional

from relaxverify.core import nodes as C
from relaxverify.run.options import Options
from relaxverify.run.outcome import RuntimeFailure
from relaxverify.run.runtime import Interpreter


def checked_accepts(fn: C.Function) -> bool:
    """Whether fn's body has an accept that a run can fail (not a bound query)."""
    return any(isinstance(s, C.Check) and s.kind == "accept" and s.query is None
               for s in C.walk(fn.body))


class AcceptPairs:
    """The states of O at each accept, to check a trial's accepts against."""

    def __init__(self, original: Interpreter, args: list):
        out = original.run(list(args))
        self.usable = out.failure is None
        self.states: dict[int, list[dict]] = {}
        for tag, k, env in out.records:
            if tag == "accept":
                self.states.setdefault(id(original.sites[k].node), []).append(env)

    def hold(self, interp: Interpreter, records: list) -> bool:
        """Whether every accept the run `interp` recorded holds against O."""
        if not self.usable:
            return True
        seen: dict[int, int] = {}
        for tag, k, env in records:
            if tag != "accept":
                continue
            node: C.Check = interp.sites[k].node
            if node.query is not None:
                continue
            i = seen.get(id(node), 0)
            seen[id(node)] = i + 1
            states = self.states.get(id(node), [])
            if i >= len(states):
                continue
            try:
                if not interp.relation(node.cond)(states[i], env):
                    return False
            except (RuntimeFailure, ArithmeticError, TypeError):
                return False
        return True


    def observed(self, interp: Interpreter, records: list) -> list[tuple[C.Check, object]]:
        """The value of each bound query's E on this pair of runs (not a bound)."""
        out: list[tuple[C.Check, object]] = []
        seen: dict[int, int] = {}
        for tag, k, env in records:
            node = interp.sites[k].node
            if tag != "accept" or node.query is None:
                continue
            i = seen.get(id(node), 0)
            seen[id(node)] = i + 1
            states = self.states.get(id(node), [])
            if self.usable and i < len(states):
                try:
                    out.append((node, interp.relation(node.query)(states[i], env)))
                except (RuntimeFailure, ArithmeticError, TypeError):
                    pass
        return out


def bound_queries(fn: C.Function) -> bool:
    return any(isinstance(s, C.Check) and s.kind == "accept" and s.query is not None
               for s in C.walk(fn.body))


def original_states(program: C.Program, fn: str, args: list, exact: bool, steps: int,
                    seed: int, source: Optional[str]) -> AcceptPairs:
    original = Interpreter(program, fn, Options("original", exact, "none", True, True,
                                                max_steps=steps), None, seed, source)
    return AcceptPairs(original, args)


def accept_pairs(program: C.Program, fn: str, args: list, exact: bool, steps: int,
                 seed: int, source: Optional[str]) -> Optional[AcceptPairs]:
    """O's accept states, or None when fn has no accept a run can fail."""
    if not checked_accepts(program.functions[fn]):
        return None
    original = Interpreter(program, fn, Options("original", exact, "none", True, True,
                                                max_steps=steps), None, seed, source)
    return AcceptPairs(original, args)
