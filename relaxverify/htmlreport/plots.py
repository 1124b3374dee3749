"""The report's plots, drawn with matplotlib into inline SVG.

matplotlib is the optional extra `report` and is imported here only when a plot is
drawn (`require` first says plainly when it is missing). Each figure is drawn on a
`Figure` of its own (no pyplot state) with the Agg-free SVG backend; text stays
text (`svg.fonttype: none`) and is escaped by matplotlib, math parsing is off
(so a `$` in a name is a dollar), and what a browser would fetch or an HTML
page need not hold (the XML prolog, the DOCTYPE's address, the metadata, the
namespace declarations) is cut away: the SVG is embedded in HTML5, which needs
none of them.

Reliabilities near 1 differ in their nines: the bars are drawn on the scale
-log10(1 - r) (0.99 is 2, 0.999 is 3), labelled with the reliabilities."""
from __future__ import annotations

import io
import math
import re
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Iterator, Optional

from relaxverify.htmlreport.convergence import Convergence
from relaxverify.run.montecarlo import wilson

if TYPE_CHECKING:
    from relaxverify.htmlreport.data import FunctionRow

GREEN, RED, AMBER, GREY, BLUE = "#2e7d32", "#c62828", "#ef8f00", "#9e9e9e", "#1565c0"
RC: dict[str, Any] = {"svg.fonttype": "none", "text.parse_math": False, "font.family": "sans-serif",
      "font.size": 10, "axes.spines.top": False, "axes.spines.right": False}
INSTALL = "pip install 'relaxverify[report]'"


class MissingMatplotlib(Exception):
    """matplotlib is not installed: the message says how to install it."""


def require() -> None:
    """Raise MissingMatplotlib unless matplotlib can be imported."""
    try:
        import matplotlib  # noqa: F401
    except ImportError as exc:
        raise MissingMatplotlib(
            f"the report draws its plots with matplotlib, which is not installed; install "
            f"the `report` extra: `{INSTALL}` (or `pip install matplotlib`)") from exc


def nines(r: float) -> float:
    """-log10(1 - r): how many nines a reliability has (inf for 1)."""
    return math.inf if r >= 1 else -math.log10(1 - max(0.0, r))


def _reliability_label(n: int) -> str:
    """The reliability with n nines: 0.999, or 1-1e-6 past five (the ticks are close)."""
    return "0" if n == 0 else "0." + "9" * n if n <= 5 else f"1-1e-{n}"


def reliability_svg(rows: list[FunctionRow], salt: str = "rel") -> str:
    """Horizontal bars: each function's static value, its spec factors as ticks."""
    shown = [r for r in rows if r.static is not None]
    finite = [nines(v) for r in shown for v in [r.static] + [s.factor for s in r.specs]
              if v is not None and v < 1]
    top = max(3, math.ceil(max(finite, default=0)) + 1)
    with _figure(salt, 8, 0.9 + 0.45 * len(shown)) as fig:
        ax = fig.add_subplot()
        for i, row in enumerate(shown):
            assert row.static is not None
            colour = {"holds": GREEN, "fails": RED, "none": GREY}[row.spec_status]
            ax.barh(i, min(nines(row.static), top), color=colour, height=0.6)
            for spec in row.specs:
                x = min(nines(spec.factor), top)
                ax.plot([x, x], [i - 0.42, i + 0.42], color="black", linewidth=2)
        _names(ax, [r.label for r in shown])
        ax.set_xlim(0, top)
        ax.set_xticks(range(top + 1), [_reliability_label(n) for n in range(top)] + ["1"])
        ax.set_xlabel("reliability (scale: number of nines); black tick: the spec's factor")
        return _svg(fig)


def verify_svg(rows: list[FunctionRow], salt: str = "ver") -> str:
    """Stacked horizontal bars: verified, failed and unknown obligations per function."""
    with _figure(salt, 8, 0.9 + 0.45 * len(rows)) as fig:
        ax = fig.add_subplot()
        for i, row in enumerate(rows):
            left = 0
            for count, colour in ((row.verified, GREEN), (row.failed, RED),
                                  (row.unknown, AMBER)):
                if count:
                    ax.barh(i, count, left=left, color=colour, height=0.6)
                    left += count
        _names(ax, [r.label for r in rows])
        ax.set_xlabel("obligations: verified (green), failed (red), unknown (amber)")
        ax.xaxis.get_major_locator().set_params(integer=True)
        return _svg(fig)


def convergence_svg(conv: Convergence, title: str, spec: Optional[float], salt: str) -> str:
    """The running estimate and its 95% Wilson band against the static lower bound."""
    xs = [t for t, _ in conv.points]
    estimate = [c / t for t, c in conv.points]
    band = [wilson(c, t) for t, c in conv.points]
    with _figure(salt, 8, 3.2) as fig:
        ax = fig.add_subplot()
        ax.fill_between(xs, [lo for lo, _ in band], [hi for _, hi in band], color=BLUE,
                        alpha=0.18, linewidth=0, label="95% Wilson interval")
        ax.plot(xs, estimate, color=BLUE, marker="o", markersize=3, label="running estimate")
        if conv.static is not None:
            ax.axhline(conv.static, color=GREEN, linestyle="--",
                       label=f"static lower bound {conv.static:.6g}")
        if spec is not None:
            ax.axhline(spec, color="black", linestyle=":", label=f"spec {spec:.6g}")
        ax.set_xlim(0, xs[-1] if xs else 1)
        ax.set_ylim(*_window(estimate, band, [v for v in (conv.static, spec) if v is not None]))
        ax.set_title(title, loc="left", fontsize=10)
        ax.set_xlabel("trials")
        ax.set_ylabel("reliability")
        ax.ticklabel_format(axis="y", useOffset=False)
        fig.legend(loc="outside right upper", fontsize=8, frameon=False)
        return _svg(fig)


def _window(estimate: list[float], band: list[tuple[float, float]],
            lines: list[float]) -> tuple[float, float]:
    """The y range: every estimate and line and the band from a fifth of the trials
    on; the first batches' wide band may leave it at the bottom (it says little)."""
    later = band[len(band) // 5:] or band
    low = min(estimate + lines + [lo for lo, _ in later])
    high = max(estimate + lines + [hi for _, hi in later])
    pad = max(high - low, 1e-6) * 0.1
    return low - pad, min(1.0, high) + pad


def _names(ax: Any, labels: list[str]) -> None:
    """One row per function, the first on top, no empty rows around them."""
    ax.set_yticks(range(len(labels)), labels)
    ax.set_ylim(len(labels) - 0.5, -0.5)


@contextmanager
def _figure(salt: str, width: float, height: float) -> Iterator[Any]:
    """A fresh Figure under the report's rc settings; `svg.hashsalt` keeps the ids of
    one figure's definitions apart from another's on the same page."""
    import matplotlib
    from matplotlib.figure import Figure
    params: Any = {**RC, "svg.hashsalt": salt}  # (typed keys: RC is checked by running)
    with matplotlib.rc_context(params):
        yield Figure(figsize=(width, height), layout="constrained")


def _svg(fig: Any) -> str:
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None})
    return inline(buffer.getvalue())


def inline(svg: str) -> str:
    """An SVG document as an element for HTML5: from `<svg` on, without metadata and
    namespace declarations (the HTML parser puts the elements in SVG's namespace)."""
    svg = svg[svg.index("<svg"):]
    svg = re.sub(r"<metadata>.*?</metadata>\s*", "", svg, flags=re.S)
    svg = re.sub(r'\s+xmlns(:\w+)?="[^"]*"', "", svg)
    return svg.strip()

