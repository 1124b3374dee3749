"""Hardware models: the built-in ones (EnerJ, PLDI 2011, Table 2) and lookup by name
(docs/language.md, "Files and declarations"). The file's own `hardware` blocks are
checked in `models.py`."""
from __future__ import annotations

from fractions import Fraction
from typing import Optional

from relaxverify.core.nodes import HardwareModel, OperatorModel, Program, probability

UNRELIABLE_OPERATORS = ("+.", "-.", "*.", "/.", "==.", "!=.", "<.", "<=.", ">.", ">=.")


def _correct(fail: float) -> float:
    """1 - fail, never rounded up to a reliable 1.0 (10^-16.7 is below float precision
    near 1; see nodes.probability)."""
    return probability(1 - Fraction(fail))


def _uniform(name: str, op: float, read: float, write: float) -> HardwareModel:
    """Every unreliable operator fails with probability op, a urel read with read, a
    urel write with write."""
    return HardwareModel(name, {o: OperatorModel(_correct(op)) for o in UNRELIABLE_OPERATORS},
                         _correct(read), _correct(write))


BUILTIN_MODELS: dict[str, HardwareModel] = {
    "mild": _uniform("mild", 1e-6, 10 ** -16.7, 10 ** -5.59),
    "medium": _uniform("medium", 1e-4, 10 ** -7.4, 10 ** -4.94),
    "aggressive": _uniform("aggressive", 1e-2, 1e-3, 1e-3),
}

RELIABLE = HardwareModel("reliable", {})


def find_model(program: Program, name: Optional[str]) -> Optional[HardwareModel]:
    """The model `name`: one declared in the file first, then a built-in one."""
    if name is None:
        return None
    return program.hardware.get(name) or BUILTIN_MODELS.get(name)


def model_names(program: Program) -> list[str]:
    return sorted(set(program.hardware) | set(BUILTIN_MODELS))


def model_in_use(program: Program, name: Optional[str]) -> tuple[Optional[str], bool]:
    """The model a command uses (LANGUAGE.md v2 section 10): the one `--hardware`
    names, else the file's only `hardware` model when it declares exactly one (as if
    `--hardware` named it), else None. The flag says it is that default."""
    if name is not None:
        return name, False
    if len(program.hardware) == 1:
        return next(iter(program.hardware)), True
    return None, False


def default_note(name: str) -> str:
    """How output says that the file's only model was used."""
    return f"model: `{name}` (the file's only hardware model)"
