"""Compatibility names for the interpreter, which now lives in several modules:
runtime (the Interpreter), codegen_exprs and codegen_stmts (the generated Python),
failures, choices, options, outcome; counterexample replay is
relaxverify.verify.replay. Import from those; these re-exports stay until every
caller has moved."""
from __future__ import annotations

from relaxverify.run.choose import to_float
from relaxverify.run.options import MAX_ARRAY, MAX_INT_BITS, MAX_STEPS, Options
from relaxverify.run.outcome import CompileLimit, RunOutcome, RuntimeFailure, Site
from relaxverify.run.runtime import Interpreter
from relaxverify.verify.replay import REPLAY_SECONDS, replay

__all__ = ["Interpreter", "Options", "RunOutcome", "RuntimeFailure", "CompileLimit",
           "MAX_STEPS", "MAX_ARRAY", "MAX_INT_BITS", "REPLAY_SECONDS", "Site", "to_float",
           "replay"]
