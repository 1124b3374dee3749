"""Fault sites of the hardware model: ρ(e), vars(e) and the write probability."""
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
        unreliable operator, a read of a urel scalar, an element read of a urel array."""
        if isinstance(x, C.VarRef):
            return self.model.read if x.var.urel and not x.var.type.array else 1.0
        if isinstance(x, C.BinOp):
            return self.model.op(x.op).prob if x.unreliable else 1.0
        if isinstance(x, C.Select):
            return self.model.read if isinstance(x.array, C.VarRef) and x.array.var.urel else 1.0
        return 1.0

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
                if x.var.urel and not x.var.type.array:
                    rho *= model.read
            elif isinstance(x, C.BinOp):
                if x.unreliable:
                    rho *= model.op(x.op).prob
            elif isinstance(x, C.Select):
                if isinstance(x.array, C.VarRef) and x.array.var.urel:
                    rho *= model.read
            elif isinstance(x, C.Quant):
                quantified = True
        out = (rho, frozenset(C.free_vars(e) if quantified else reads))
        self._exprs[key] = (e, out)
        return out

    def wr(self, var: C.Var) -> float:
        """The probability that a write of var is fault-free."""
        return self.model.write if var.urel else 1.0
