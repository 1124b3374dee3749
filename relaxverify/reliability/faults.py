"""Fault sites of the hardware model: ρ(e), vars(e) and the write probability.

Every memory region has its own read and write probabilities (`model.memory(region)`,
LANGUAGE.md §9; `urel` is the model's `read`/`write`). Precision plays no part:
reliability compares a faulty run with a fault-free run at the same precisions."""
from __future__ import annotations

from relaxverify.core import nodes as C


class FaultSites:
    """Where the hardware model may inject a fault, and with what probability."""

    def __init__(self, model: C.HardwareModel):
        self.model = model
        # id -> (node, value): the node is kept so that its id is not reused (core
        # checks build operands such as a store's array reference on the fly)
        self._exprs: dict[int, tuple[C.Expr, tuple[float, frozenset]]] = {}

    def site(self, x: C.Expr) -> float:
        """The probability that node x, if it is a fault site, is fault-free: an
        unreliable operator (int, real or float), a read of a scalar in a region, an
        element read of an array in a region (each region with its own probability)."""
        if isinstance(x, C.VarRef):
            return self.read(x.var) if not x.var.type.array else 1.0
        if isinstance(x, C.BinOp):
            return self.model.op(x.op).prob if x.unreliable else 1.0
        if isinstance(x, C.Select):
            return self.read(x.array.var) if isinstance(x.array, C.VarRef) else 1.0
        return 1.0

    def read(self, var: C.Var) -> float:
        """The probability that a read of var (an element of an array var) is right:
        its region's (`urel` or a declared `memory NAME`), 1 outside any region."""
        return self.model.memory(var.region).read if var.region is not None else 1.0

    def expr(self, e: C.Expr) -> tuple[float, frozenset]:
        """(ρ(e), vars(e)): the probability that evaluating e is fault-free (every
        fault site of it) and the variables it reads (memoised per node)."""
        key = id(e)
        hit = self._exprs.get(key)
        if hit is not None:
            return hit[1]
        rho = 1.0
        reads = set()
        quantified = False
        model = self.model
        for x in C.subexprs(e):  # (site(x), inline: this is the analysis' inner loop)
            if isinstance(x, C.VarRef):
                reads.add(x.var)
                if x.var.region is not None and not x.var.type.array:
                    rho *= model.memory(x.var.region).read
            elif isinstance(x, C.BinOp):
                if x.unreliable:
                    rho *= model.op(x.op).prob
            elif isinstance(x, C.Select):
                if isinstance(x.array, C.VarRef) and x.array.var.region is not None:
                    rho *= model.memory(x.array.var.region).read
            elif isinstance(x, C.Quant):
                quantified = True
        out = (rho, frozenset(C.free_vars(e) if quantified else reads))
        self._exprs[key] = (e, out)
        return out

    def wr(self, var: C.Var) -> float:
        """The probability that a write of var is fault-free (its region's)."""
        return self.model.memory(var.region).write if var.region is not None else 1.0
