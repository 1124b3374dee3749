"""One visitor style for the core language (docs/architecture.md, "Visitors").

A consumer subclasses `ExprVisitor` and/or `StmtVisitor` and defines one method per
node class, `e_<Class>` for expressions and `s_<Class>` for statements. The check is
exhaustive: a concrete subclass that misses a node class is an error when the class
is defined, not when a program first uses that node, so a new construct cannot be
silently ignored by one consumer.
"""
from __future__ import annotations

from typing import Any, ClassVar, Callable

from relaxverify.core import nodes as C

EXPR_TYPES: tuple[type, ...] = (C.Const, C.VarRef, C.Unary, C.BinOp, C.Select, C.Apply, C.Quant,
                                C.Cond, C.SpecCall)
STMT_TYPES: tuple[type, ...] = (C.Assign, C.Store, C.NewArray, C.Call, C.Choose, C.Check, C.If,
                                C.Loop)


def _require(cls: type, prefix: str, types: tuple[type, ...]) -> None:
    missing = [t.__name__ for t in types if not callable(getattr(cls, prefix + t.__name__, None))]
    if missing:
        raise TypeError(f"{cls.__name__} must define " +
                        ", ".join(prefix + name for name in missing))


def _method_name(cls: type, prefix: str, node_type: type, types: tuple[type, ...]) -> str:
    """The method for node_type: its own class, or the core class it specialises."""
    for t in node_type.__mro__:
        if t in types:
            return prefix + t.__name__
    raise TypeError(f"{cls.__name__} cannot visit {node_type.__name__}: not a core node")


class _Visitor:
    """Checks, when a concrete subclass is defined, that it handles every node class
    of each visitor it derives from (`abstract=True` postpones that to subclasses)."""

    _prefix: ClassVar[str] = ""
    _types: ClassVar[tuple[type, ...]] = ()
    _methods: ClassVar[dict[type, str]] = {}

    def __init_subclass__(cls, abstract: bool = False, **kw: Any) -> None:
        super().__init_subclass__(**kw)
        cls._methods = {}
        if not abstract:
            for base in cls.__mro__:
                if _Visitor in base.__bases__ and issubclass(base, _Visitor):
                    _require(cls, base._prefix, base._types)

    def _dispatch(self, node: Any, prefix: str, types: tuple[type, ...]) -> Callable[..., Any]:
        table = type(self)._methods
        name = table.get(type(node))
        if name is None:
            name = table[type(node)] = _method_name(type(self), prefix, type(node), types)
        method: Callable[..., Any] = getattr(self, name)
        return method


class ExprVisitor(_Visitor, abstract=True):
    """Dispatch `expr(e, ...)` to `e_<Class>(e, ...)`."""

    _prefix = "e_"
    _types = EXPR_TYPES

    def expr(self, e: C.Expr, *args: Any) -> Any:
        return self._dispatch(e, "e_", EXPR_TYPES)(e, *args)


class StmtVisitor(_Visitor, abstract=True):
    """Dispatch `stmt(s, ...)` to `s_<Class>(s, ...)`."""

    _prefix = "s_"
    _types = STMT_TYPES

    def stmt(self, s: C.Stmt, *args: Any) -> Any:
        return self._dispatch(s, "s_", STMT_TYPES)(s, *args)
