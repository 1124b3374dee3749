"""The Python API of relaxverify: `check`, `verify`, `reliability`, `run` (docs/api.md).

Each function takes a path (a file or a directory, or a list of them) or, with
`source=`, the text of a program, and options as keywords or as an options
dataclass; it returns a `CommandResult` whose `FileReport`s hold `Finding`s
(relaxverify/report/). The command line (relaxverify/cli/) is a thin layer over
these functions, so both give the same verdicts and messages.

    >>> from relaxverify import api
    >>> result = api.verify(source="fn f(x: int) -> int ensures result > x { return x + 1; }")
    >>> result.status
    'verified'
"""
from __future__ import annotations

import dataclasses
import importlib
import sys
import types
from typing import TYPE_CHECKING, Any, Optional, TypeVar

# Light: what `check` needs (no z3). The other commands' modules load on first use
# (`_LAZY`), so that `relaxverify check` and `import relaxverify.api` pay for neither
# z3 nor the interpreter (docs/architecture.md, "Start-up").
from relaxverify.api.check import check_inputs
from relaxverify.api.inputs import SOURCE_NAME, Inputs, Paths
from relaxverify.api.options import (CheckOptions, CommonOptions, ReliabilityOptions,
                                     RunOptions, VerifyOptions)
from relaxverify.report.finding import Finding, Status
from relaxverify.report.render import CommandResult, FileReport

if TYPE_CHECKING:
    from relaxverify.api.reliability import FunctionReliability, function_results
    from relaxverify.api.run import RunFailure, result_value, run_failure
    from relaxverify.api.verify import ObligationResult, obligations

__all__ = ["check", "verify", "reliability", "run", "CheckOptions", "VerifyOptions",
           "ReliabilityOptions", "RunOptions", "CommandResult", "FileReport", "Finding",
           "Status", "ObligationResult", "FunctionReliability", "RunFailure", "obligations",
           "function_results", "result_value", "run_failure"]

O = TypeVar("O", bound=CommonOptions)

# The names that the submodule of the same command defines, loaded by `__getattr__`.
_LAZY = {"ObligationResult": "verify", "obligations": "verify",
         "FunctionReliability": "reliability", "function_results": "reliability",
         "RunFailure": "run", "result_value": "run", "run_failure": "run"}


def __getattr__(name: str) -> Any:
    """A name of a command's submodule, imported on first access (PEP 562)."""
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


def _options(cls: type[O], options: Optional[O], overrides: dict[str, Any]) -> O:
    """`options`, or the defaults, with the keyword arguments given replacing fields."""
    base = options if options is not None else cls()
    return dataclasses.replace(base, **overrides) if overrides else base


def check(paths: Paths = (), *, source: Optional[str] = None, name: str = SOURCE_NAME,
          options: Optional[CheckOptions] = None, **overrides: Any) -> CommandResult:
    """Parse and type-check: a file's status is `verified` when it checks, else `error`
    with its diagnostics (exit code 2)."""
    opts = _options(CheckOptions, options, overrides)
    return check_inputs(Inputs.of(paths, source, name, opts.exclude), opts)


def verify(paths: Paths = (), *, source: Optional[str] = None, name: str = SOURCE_NAME,
           options: Optional[VerifyOptions] = None, **overrides: Any) -> CommandResult:
    """Prove every obligation (docs/language.md, spec §6): one finding per obligation, whose
    payload is an `ObligationResult` (`obligations(report)` lists them)."""
    from relaxverify.api.verify import verify_inputs
    opts = _options(VerifyOptions, options, overrides)
    return verify_inputs(Inputs.of(paths, source, name, opts.exclude), opts)


def reliability(paths: Paths = (), *, source: Optional[str] = None, name: str = SOURCE_NAME,
                options: Optional[ReliabilityOptions] = None,
                **overrides: Any) -> CommandResult:
    """The reliability analysis (docs/language.md, spec §7) on `hardware` (default: the file's only
    model, else `medium`): one finding per function, whose payload is a `FunctionReliability`."""
    from relaxverify.api.reliability import reliability_inputs
    opts = _options(ReliabilityOptions, options, overrides)
    return reliability_inputs(Inputs.of(paths, source, name, opts.exclude), opts)


def run(paths: Paths = (), *, source: Optional[str] = None, name: str = SOURCE_NAME,
        options: Optional[RunOptions] = None, **overrides: Any) -> CommandResult:
    """Execute one function of one file with `args`: `result_value(result)` is its
    result, `run_failure(result)` the runtime check that failed, if any."""
    from relaxverify.api.run import run_inputs
    opts = _options(RunOptions, options, overrides)
    return run_inputs(Inputs.of(paths, source, name, opts.exclude), opts)


class _Package(types.ModuleType):
    """Importing a submodule binds its name in the package (`relaxverify.api.verify`
    = the module), which would hide the function of the same name once the submodule
    loads lazily; the functions keep their names, as when all loaded eagerly."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _FUNCTIONS and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


_FUNCTIONS = frozenset({"check", "verify", "reliability", "run"})
sys.modules[__name__].__class__ = _Package
