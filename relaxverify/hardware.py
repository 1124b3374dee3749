"""Hardware models: the built-in ones (EnerJ, PLDI 2011, Table 2) and lookup by name."""
from __future__ import annotations

from typing import Optional

from .core import HardwareModel, OperatorModel, Program

UNRELIABLE_OPERATORS = ("+.", "-.", "*.", "/.", "==.", "!=.", "<.", "<=.", ">.", ">=.")


def _uniform(name: str, op: float, read: float, write: float) -> HardwareModel:
    return HardwareModel(name, {o: OperatorModel(op) for o in UNRELIABLE_OPERATORS}, read, write)


BUILTIN_MODELS: dict[str, HardwareModel] = {
    "mild": _uniform("mild", 1 - 1e-6, 1 - 10 ** -16.7, 1 - 10 ** -5.59),
    "medium": _uniform("medium", 1 - 1e-4, 1 - 10 ** -7.4, 1 - 10 ** -4.94),
    "aggressive": _uniform("aggressive", 1 - 1e-2, 1 - 1e-3, 1 - 1e-3),
}

RELIABLE = HardwareModel("reliable", {})


def find_model(program: Program, name: Optional[str]) -> Optional[HardwareModel]:
    """The model `name`: one declared in the file first, then a built-in one."""
    if name is None:
        return None
    return program.hardware.get(name) or BUILTIN_MODELS.get(name)


def model_names(program: Program) -> list[str]:
    return sorted(set(program.hardware) | set(BUILTIN_MODELS))
