"""Specification functions as Python functions of the generated module (LANGUAGE.md
v2 section 10): `_spec_NAME(cs, params...)` checks the `requires` (a failure names
the use site `cs`, kind `requires`) and returns the body's value. A recursion too
deep for Python is a `limit` failure (run/runtime.py catches RecursionError)."""
from __future__ import annotations

from typing import Protocol

from relaxverify.core import nodes as C
from relaxverify.run.codegen_exprs import Code, ExprGen


class _Gen(Protocol):
    c: Code
    x: ExprGen

    def emit(self, ind: int, text: str) -> None: ...


def spec_fn_name(sf: C.SpecFunction) -> str:
    return f"_spec_{sf.name}"


def emit_spec_functions(gen: _Gen, program: C.Program) -> None:
    """One Python function per spec function, before the program's functions."""
    for sf in program.spec_functions.values():
        assert sf.body is not None
        params = [gen.c.py(p) for p in sf.params]
        gen.emit(0, f"def {spec_fn_name(sf)}({', '.join(['_cs'] + params)}):")
        for req in sf.requires:
            k = gen.c.site(req.span, sf.name, req)
            gen.emit(1, f"if not {gen.x.spec(req, 1)}: _req({k}, _cs)")
        gen.emit(1, f"return {gen.x.spec(sf.body, 1)}")
        gen.emit(0, "")
