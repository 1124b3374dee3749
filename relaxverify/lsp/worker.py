"""The verification process: `python -m relaxverify.lsp.worker` reads one request
(JSON: path, source, hardware, timeout) on standard input and writes the
`VerifyOutcome` as JSON on standard output.

A process of its own, so that the server can stop a proof that a newer edit has
made pointless, or that runs past its time limit, by ending the process: a Z3
call in a thread cannot be interrupted. Like the command line, it proves in a
thread with a large stack (deeply nested programs recurse deeply).
"""
from __future__ import annotations

import json
import sys
import threading
from typing import Any, Optional

from relaxverify import api
from relaxverify.api.verify import ObligationResult
from relaxverify.lsp.results import Verdict, VerifyOutcome
from relaxverify.report.finding import Finding
from relaxverify.verify.prover import format_value

STACK_SIZE = 512 * 1024 * 1024
RECURSION_LIMIT = 60000


def verify_source(path: str, source: str, hardware: Optional[str] = None,
                  timeout: float = api.VerifyOptions.timeout) -> VerifyOutcome:
    """Verify one document's text through the API (no cache, nothing written)."""
    result = api.verify(source=source, name=path, hardware=hardware, timeout=timeout)
    report = result.files[0]
    verdicts = [verdict(f) for f in report.listed() if isinstance(f.payload, ObligationResult)]
    return VerifyOutcome(report.shown(), verdicts)


def verdict(f: Finding) -> Verdict:
    assert isinstance(f.payload, ObligationResult), "an obligation's finding"
    o = f.payload.obligation
    cex = o.counterexample
    original = relaxed = {}
    if cex is not None:
        original = {k: format_value(v) for k, v in {**cex.inputs_o, **cex.final_o}.items()}
        relaxed = {k: format_value(v) for k, v in {**cex.inputs_r, **cex.final_r}.items()}
    return Verdict(o.function, o.kind, o.side, o.status, o.span, f.message, o.explanation,
                   list(f.notes), original, relaxed)


def main() -> int:
    request: dict[str, Any] = json.load(sys.stdin)
    answer: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome = verify_source(request["path"], request["source"],
                                    request.get("hardware"), float(request["timeout"]))
            answer["outcome"] = outcome.to_json()
        except Exception as exc:  # reported to the server, which shows it and goes on
            answer["error"] = f"{type(exc).__name__}: {exc}"

    sys.setrecursionlimit(RECURSION_LIMIT)
    if hasattr(sys, "set_int_max_str_digits"):  # Relax ints are unbounded (as cli/main.py)
        sys.set_int_max_str_digits(0)
    threading.stack_size(STACK_SIZE)
    worker = threading.Thread(target=target, name="relaxverify-lsp-verify")
    worker.start()
    worker.join()
    json.dump(answer, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
