"""FPCore import (docs/fpcore.md): FPBench benchmarks as Relax functions with a
float precision model and a bound query.

`translate_text(text, path)` returns the Relax text, or raises `FPCoreError` whose
`problems` are located (line, column, message, note) and whose `str` is the text the
command line prints."""
from relaxverify.fpcore.sexpr import FPCoreError, Problem
from relaxverify.fpcore.translate import translate_text

__all__ = ["FPCoreError", "Problem", "translate_text"]
