"""`check`: parse and type-check (docs/language.md, spec §3-§5); docs/api.md."""
from __future__ import annotations

from typing import Optional

from relaxverify.api.inputs import Inputs, missing_function, program_of, unknown_model
from relaxverify.api.options import CheckOptions
from relaxverify.check.hardware import find_model
from relaxverify.pipeline import Loaded
from relaxverify.report.render import CommandResult, FileReport


def check_inputs(inputs: Inputs, options: CheckOptions) -> CommandResult:
    good, reports = inputs.load()
    for item in good:
        reports.append(_option_error(item, options)
                       or FileReport(item.path, "verified", item.source))
    n_bad = sum(1 for r in reports if r.status == "error")
    summary = (f"checked {len(reports)} file(s): {len(reports) - n_bad} ok"
               + (f", {n_bad} with errors" if n_bad else ""))
    return CommandResult("check", reports, summary=summary)


def _option_error(item: Loaded, options: CheckOptions) -> Optional[FileReport]:
    """The function and hardware options name things in the file: a bad one is bad
    input (exit 2), as for `verify`, rather than silently ignored."""
    if options.hardware and find_model(program_of(item), options.hardware) is None:
        return unknown_model(item, options.hardware)
    return missing_function(item, options.functions)
