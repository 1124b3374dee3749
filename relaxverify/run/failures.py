"""The messages of runtime failures: what the generated code calls when a test fails.

Each handler raises a `RuntimeFailure` of the check's kind at the site's span, with
a message for a student: what went wrong, with the values, and what to change.
"""
from __future__ import annotations

from typing import Any, NoReturn, Optional

from relaxverify.core.checks import LIMITS
from relaxverify.report.diagnostics import source_lines
from relaxverify.run.options import Options
from relaxverify.run.outcome import RuntimeFailure, Site
from relaxverify.source import Span


class Failures:
    """The failure handlers of one configuration (bound into the generated code)."""

    def __init__(self, sites: list[Site], opts: Options, source: Optional[str]):
        self.sites = sites
        self.opts = opts
        self.source = source
        self._lines: Optional[list[str]] = None

    def handlers(self) -> dict[str, Any]:
        return {"_fail": self.fail, "_oob": self.oob, "_dz": self.dz, "_lim": self.lim,
                "_badlen": self.badlen, "_negbound": self.negbound, "_req": self.req,
                "_huge": self.huge, "_slow": self.slow, "_deep": self.deep}

    def snippet(self, span: Optional[Span]) -> str:
        if self.source is None or span is None:
            return ""
        if self._lines is None:
            self._lines = source_lines(self.source)
        lines = self._lines
        if not 1 <= span.line <= len(lines):
            return ""
        line = lines[span.line - 1]
        end = span.end_column if span.end_line == span.line else len(line) + 1
        return line[span.column - 1:end - 1].strip()

    def quoted(self, span: Optional[Span]) -> str:
        text = self.snippet(span)
        return f" `{text}`" if text and len(text) <= 80 else ""

    def fail(self, kind: str, k: int) -> NoReturn:
        site = self.sites[k]
        node = site.node
        span = node.span if node is not None else site.span
        if kind == "ensures":
            msg = f"`{site.what}` returns, but its postcondition{self.quoted(span)} is false"
        elif kind == "invariant":
            msg = f"the loop invariant{self.quoted(span)} is false here"
        elif kind == "assume":
            msg = (f"the assumption{self.quoted(span)} is false: this input is outside what "
                   "the function handles")
        else:
            msg = f"the assertion{self.quoted(span)} is false"
        raise RuntimeFailure(kind, site.span, msg)

    def oob(self, k: int, i: int, a: list) -> NoReturn:
        site = self.sites[k]
        raise RuntimeFailure("bounds", site.span,
                             f"index {i} is outside the array `{site.what}` of length {len(a)} "
                             f"(valid indices: 0 .. {len(a) - 1})" if a else
                             f"index {i} is outside the array `{site.what}`, which is empty")

    def dz(self, k: int, r: Any) -> NoReturn:
        raise RuntimeFailure("division", self.sites[k].span, "division by zero")

    def lim(self, k: int) -> NoReturn:
        raise RuntimeFailure("limit", self.sites[k].span,
                             f"the loop ran more than {self.opts.max_steps} iterations; "
                             "it may not terminate (raise the limit with --max-steps)")

    def slow(self, k: int) -> NoReturn:
        raise RuntimeFailure("limit", self.sites[k].span,
                             f"the run took more than {self.opts.time_limit:g} s (this loop "
                             "ran for too long); it was stopped")

    def huge(self, k: int, n: int) -> NoReturn:
        raise RuntimeFailure("limit", self.sites[k].span,
                             f"this product has {n.bit_length():,} bits, more than the "
                             f"interpreter allows ({LIMITS.int_bits:,}); it was stopped")

    def badlen(self, k: int, n: int) -> NoReturn:
        site = self.sites[k]
        if n < 0:
            raise RuntimeFailure("length", site.span,
                                 f"the array `{site.what}` would have negative length {n}")
        raise RuntimeFailure("limit", site.span, f"the array `{site.what}` would have {n} "
                             f"elements, more than the interpreter allows ({self.opts.max_array})")

    def negbound(self, k: int, b: int) -> NoReturn:
        raise RuntimeFailure("bound", self.sites[k].span, f"the loop bound is negative ({b})")

    def req(self, k: int, cs: int) -> NoReturn:
        site = self.sites[k]
        if cs < 0:
            raise RuntimeFailure("requires", site.span,
                                 f"the arguments do not satisfy the precondition"
                                 f"{self.quoted(site.node.span)} of `{site.what}`")
        raise RuntimeFailure("requires", self.sites[cs].span,
                             f"the precondition{self.quoted(site.node.span)} of `{site.what}` "
                             f"does not hold at this call")

    def deep(self, k: int) -> NoReturn:
        site = self.sites[k]
        raise RuntimeFailure("limit", site.span,
                             f"this call of `{site.what}` would nest more than "
                             f"{LIMITS.call_depth:,} calls deep (is there a recursion without "
                             "a base case?)")
