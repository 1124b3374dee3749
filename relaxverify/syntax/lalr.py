"""A lean LALR(1) driver over the parse table that Lark builds from grammar/relax.lark.

Lark builds the automaton; this loop runs it. Lark's own loop is general (parser
states as objects, interactive parsing, tree-builder wrappers per rule); ours
precomputes, for every reduction, its length, its target state per predecessor
and the callback: parsing takes about 80% of the time of stock Lark's loop
(stock.py; `python benchmarks/parse.py` prints both). Tree-building
follows Lark's rules for this grammar (keep_all_tokens, no placeholders): a rule
whose name starts with `_` is spliced into its parent, a `?rule` with one child
and no alias is replaced by that child, and any other rule calls the builder's
method named after the rule's alias or name.
"""
from __future__ import annotations

from typing import Any, Callable, Iterable, Optional

from lark import Lark
from lark.parsers.lalr_analysis import Shift

from relaxverify.syntax.errors import SyntaxFault
from relaxverify.syntax.lexer import Tok, end_token

# The Lark internals read here (see `Driver.__init__`): the LALR table at
# `Lark.parser.parser.parser.parse_table` (`states`, `start_states`), the `Shift`
# action, and a rule's `origin.name`, `expansion`, `alias`, `options.expand1`.
# They are those of lark 1.3 (tests/test_syntax_drivers.py compares this driver
# with stock Lark, the fallback, on every file of the repository).


class _Splice(list):
    """The children of an inlined rule, to be spliced into the parent's."""


def _flatten(children: list) -> list:
    """Splice inlined children into one list. A left-recursive repetition
    (`__x_star: __x_star x`) hands its list on as the first child: it is extended
    in place, so a block of n statements costs O(n), not O(n^2)."""
    out: list
    if children and type(children[0]) is _Splice:
        out = children[0]
        rest = children[1:]
    else:
        out, rest = [], children
    for x in rest:
        if type(x) is _Splice:
            out.extend(x)
        else:
            out.append(x)
    return out


def _splice(children: list) -> _Splice:
    out = _flatten(children)
    return out if type(out) is _Splice else _Splice(out)


def _reduction(rule: Any, builder: object) -> Callable[[list], Any]:
    name = rule.origin.name
    splices = any(not s.is_term and s.name.startswith("_") for s in rule.expansion)
    if name.startswith("_"):
        return _splice if splices else _Splice
    expand1 = rule.options.expand1 and not rule.alias
    method = getattr(builder, rule.alias or name, None)
    if method is None and not (expand1 and len(rule.expansion) == 1):
        raise TypeError(f"the tree builder has no method for rule `{rule.alias or name}`")

    def reduce(c: list) -> Any:
        if splices:
            c = _flatten(c)
        if expand1 and len(c) == 1:
            return c[0]
        return method(c)  # type: ignore[misc]  # None only when expand1 applies (checked above)
    return reduce


class Driver:
    """Runs the LALR table of `lark` with the callbacks of `builder`. It keeps no
    state between parses (the stacks are locals), so threads can share it."""

    def __init__(self, lark: Lark, builder: object, start: str = "start"):
        table = lark.parser.parser.parser.parse_table
        self.start_state = table.start_states[start]
        self.start = start
        self.shifts: dict[int, dict[str, int]] = {}
        self.reduces: dict[int, dict[str, tuple]] = {}
        rules: dict[int, tuple] = {}
        for state, actions in table.states.items():
            shift, red = {}, {}
            # Lark's symbol names are Tokens (a str subclass comparing in Python):
            # plain str keys make every lookup a C-level comparison.
            for symbol, (action, arg) in actions.items():
                if action is Shift:
                    shift[str(symbol)] = arg
                else:
                    if id(arg) not in rules:
                        rules[id(arg)] = (len(arg.expansion), str(arg.origin.name),
                                          _reduction(arg, builder))
                    red[str(symbol)] = rules[id(arg)]
            self.shifts[state] = shift
            self.reduces[state] = red

    def parse(self, tokens: Iterable[Tok], path: str = "<input>") -> Any:
        """The start rule's value, or SyntaxFault at the first token not taken."""
        shifts, reduces = self.shifts, self.reduces
        states = [self.start_state]
        values: list = []
        last: Optional[Tok] = None
        for tok in tokens:
            kind = tok.type
            while True:
                state = states[-1]
                target = shifts[state].get(kind)
                if target is not None:
                    states.append(target)
                    values.append(tok)
                    break
                red = reduces[state].get(kind)
                if red is None:
                    raise self._error(tok, state, last)
                size, origin, callback = red
                if size:
                    children = values[-size:]
                    del values[-size:]
                    del states[-size:]
                else:
                    children = []
                values.append(callback(children))
                states.append(shifts[states[-1]][origin])
            last = tok
        return self._finish(states, values, end_token(last, path), last)

    def _finish(self, states: list, values: list, end: Tok, last: Optional[Tok]) -> Any:
        shifts, reduces = self.shifts, self.reduces
        while True:
            state = states[-1]
            red = reduces[state].get("$END")
            if red is None:
                raise self._error(end, state, last)
            size, origin, callback = red
            children = values[-size:] if size else []
            if size:
                del values[-size:]
                del states[-size:]
            value = callback(children)
            if origin == self.start and len(states) == 1:
                return value
            values.append(value)
            states.append(shifts[states[-1]][origin])

    def _error(self, tok: Tok, state: int, last: Optional[Tok]) -> SyntaxFault:
        """What Lark reports: the terminals the state has an action for."""
        expected = {s for s in (*self.shifts[state], *self.reduces[state]) if s.isupper()}
        return SyntaxFault(tok, frozenset(expected), last)
