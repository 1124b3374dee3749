"""The fast LALR driver (lalr.py) and stock Lark (stock.py) give the same result on
every file of the repository: equal trees (spans included) or equal errors."""
from __future__ import annotations

from pathlib import Path

import pytest

from conftest import ROOT
from relaxverify.report.diagnostics import RelaxError
from relaxverify.syntax import parser as P
from relaxverify.syntax.lalr import Driver
from relaxverify.syntax.stock import StockDriver

FILES = sorted(p for d in ("examples", "labs", "tests/data") for p in (ROOT / d).rglob("*.relax"))


def outcome(path: Path, driver: str) -> tuple[str, object]:
    """The tree, or the errors (message, span, notes), of one driver on one file."""
    try:
        program = P.parse(path.read_text(), str(path), driver=driver)
    except RelaxError as exc:
        return "errors", [(d.message, d.span, d.notes) for d in exc.diagnostics]
    return "tree", program


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_both_drivers_agree(path: Path) -> None:
    fast, stock = outcome(path, "fast"), outcome(path, "lark")
    assert fast == stock
    # repr shows the fields equality leaves out (a TypeRef's span) as well
    assert repr(fast) == repr(stock)


def test_the_repository_has_files_of_every_kind() -> None:
    kinds = [outcome(p, "fast")[0] for p in FILES]
    assert len(FILES) >= 50 and "tree" in kinds and "errors" in kinds


def test_the_driver_is_chosen_by_parameter_or_environment(monkeypatch) -> None:
    monkeypatch.delenv(P.DRIVER_VARIABLE, raising=False)
    assert isinstance(P.select_driver(), Driver)
    assert isinstance(P.select_driver("lark"), StockDriver)
    monkeypatch.setenv(P.DRIVER_VARIABLE, "lark")
    assert isinstance(P.select_driver(), StockDriver)
    assert isinstance(P.select_driver("fast"), Driver)
    with pytest.raises(ValueError, match="unknown parser driver `yacc`"):
        P.select_driver("yacc")


def test_the_environment_reaches_parse(monkeypatch) -> None:
    seen = []
    monkeypatch.setattr(StockDriver, "parse", lambda self, toks, path: seen.append(path) or [])
    monkeypatch.setenv(P.DRIVER_VARIABLE, "lark")
    assert P.parse("fn f() { skip; }", "env.relax").decls == []
    assert seen == ["env.relax"]


def test_stock_lark_when_the_fast_driver_cannot_be_built(monkeypatch) -> None:
    """As if a Lark release had moved the internals lalr.py reads."""
    def broken(self, lark, builder, start="start"):
        raise AttributeError("'LALR_Parser' object has no attribute 'parser'")
    monkeypatch.setattr(Driver, "__init__", broken)
    monkeypatch.setattr(P, "_CACHE", {"lark": P._lark()})
    monkeypatch.delenv(P.DRIVER_VARIABLE, raising=False)
    with pytest.raises(AttributeError):
        P.select_driver("fast")  # asked for by name: no silent fallback
    with pytest.warns(RuntimeWarning, match="parsing with stock Lark instead"):
        assert isinstance(P.select_driver(), StockDriver)
    assert P.parse("fn f() { skip; }", "f.relax").decls[0].name == "f"
