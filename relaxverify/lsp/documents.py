"""What the server knows of one open document: its text, the check's messages, its
index (definitions, functions) and the last verification of this text."""
from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Optional

from relaxverify import api
from relaxverify.lsp.definitions import Index, index_source
from relaxverify.lsp.results import Verdict, VerifyOutcome
from relaxverify.report.finding import Finding

UNVERIFIED = "not verified: save the file to verify"
NOT_CHECKED = "not verified: fix the errors first"
VERIFYING = "verifying…"


@dataclass
class Document:
    uri: str
    path: str  # the name messages use (the file's path)
    version: Optional[int]
    text: str
    checked: list[Finding]  # what `check` says: empty when the document checks
    ok: bool  # it checks, so it can be verified
    index: Optional[Index]  # None: it does not parse
    outcome: Optional[VerifyOutcome] = None  # the last verification of this text
    state: str = UNVERIFIED  # what the lenses say while there is no outcome
    task: Optional["asyncio.Task[None]"] = field(default=None, repr=False)

    @property
    def findings(self) -> list[Finding]:
        """Every message to show: the check's, then the verification's."""
        return self.checked + (self.outcome.messages if self.outcome else [])

    @property
    def verdicts(self) -> list[Verdict]:
        return self.outcome.verdicts if self.outcome else []

    def cancel(self) -> None:
        """Stop a verification in progress (its worker process ends with it)."""
        if self.task is not None and not self.task.done():
            self.task.cancel()
        self.task = None


def analyse(uri: str, path: str, text: str, version: Optional[int]) -> Document:
    """Parse and check through the API, and index the names."""
    report = api.check(source=text, name=path).files[0]
    ok = report.status != "error"
    return Document(uri, path, version, text, report.messages(), ok, index_source(text, path),
                    state=UNVERIFIED if ok else NOT_CHECKED)
