"""The report as one self-contained HTML page: inline CSS, inline SVG, no script,
nothing fetched (a Content-Security-Policy forbids it, should anything try).

Every text taken from the program or the command line (file and function names,
messages, source lines, values) goes through `esc` (html.escape, quotes too): a
comment holding `</script><script>...` is shown as text. The numbers the plots
show are also in `data-` attributes of the tables and figures, for tests and for
whoever wants to read them back out of a shared report."""
from __future__ import annotations

import html
from typing import Optional

from relaxverify import __version__
from relaxverify.htmlreport import plots
from relaxverify.htmlreport.data import FailedObligation, FunctionRow, ReportData

GENERATOR = "relaxverify report"  # the meta tag that marks a page this tool wrote
MAX_COUNTEREXAMPLES = 50
CSP = "default-src 'none'; style-src 'unsafe-inline'"

STYLE = """
body { font-family: system-ui, sans-serif; margin: 0 auto; max-width: 70rem;
       padding: 1rem 2rem; color: #212121; line-height: 1.4; }
h1 { margin-bottom: 0.2rem; } h2 { border-bottom: 1px solid #ddd; margin-top: 2rem; }
nav a { margin-right: 1rem; }
.meta { color: #555; margin-top: 0; }
table { border-collapse: collapse; margin: 0.6rem 0; }
th, td { border: 1px solid #ddd; padding: 0.25rem 0.6rem; text-align: left;
         vertical-align: top; }
thead th { background: #f5f5f5; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
code, pre, .value { font-family: ui-monospace, monospace; }
.holds, .verified { color: #2e7d32; } .fails, .failed { color: #c62828; }
.none, .unknown { color: #8a6d00; }
tr.differs td { background: #fff3e0; font-weight: 600; }
article.cex { border: 1px solid #ddd; border-left: 4px solid #c62828; border-radius: 4px;
              padding: 0.2rem 1rem 0.6rem; margin: 1rem 0; }
pre.src { background: #f7f7f7; padding: 0.4rem 0.6rem; overflow-x: auto;
          white-space: pre-wrap; }
figure { margin: 1rem 0; } figure svg, section > svg { max-width: 100%; height: auto; }
figcaption { color: #333; }
.empty { color: #555; font-style: italic; }
"""


def esc(value: object) -> str:
    """Text of the program or the command line, safe in content and in attributes."""
    return html.escape(str(value), quote=True)


def number(value: Optional[float]) -> str:
    """A value for a `data-` attribute: exact (repr), or empty when there is none."""
    return "" if value is None else repr(float(value))


def shown(value: Optional[float]) -> str:
    return "—" if value is None else f"{value:.8g}"


def page(data: ReportData) -> str:
    """The whole page."""
    files = ", ".join(data.files)
    trials = f"{data.trials} trials per function, seed {data.seed}" if data.trials else "none"
    body = ["<header><h1>relaxverify report</h1>",
            f'<p class="meta">{esc(files)} — {_hardware(data.hardware)} — '
            f"{len(data.functions)} function(s) — Monte Carlo: {trials} — relaxverify "
            f"{esc(__version__)}</p>",
            '<nav><a href="#reliability">Reliability</a><a href="#convergence">Monte Carlo'
            '</a><a href="#verify">Verify</a><a href="#counterexamples">Counterexamples</a>'
            "</nav></header>",
            reliability_section(data.functions), convergence_section(data),
            verify_section(data.functions), counterexample_section(data.failures)]
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f'<meta name="generator" content="{GENERATOR} {esc(__version__)}">\n'
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>relaxverify report: {esc(files)}</title>\n<style>{STYLE}</style>\n"
            "</head>\n<body>\n" + "\n".join(body) + "\n</body>\n</html>\n")


def _hardware(models: list[str]) -> str:
    return ("hardware " + ", ".join(f"<code>{esc(m)}</code>" for m in models)) if models \
        else "no hardware model"


def reliability_section(rows: list[FunctionRow]) -> str:
    out = ['<section id="reliability"><h2>Reliability per function</h2>',
           "<p>The static value of the reliability analysis (a lower bound on the "
           "probability that the result is exactly the fault-free one, with reliable "
           "inputs) against the factor of each <code>reliability</code> spec.</p>"]
    analysed = [r for r in rows if r.static is not None]
    if not analysed:
        out.append('<p class="empty">No function has a result to analyse.</p></section>')
        return "\n".join(out)
    out.append(plots.reliability_svg(analysed))
    out.append("<table><thead><tr><th>function</th><th>where</th><th>static value</th>"
               "<th>spec</th><th>verdict</th></tr></thead><tbody>")
    for r in analysed:
        specs = "<br>".join(f"<code>{esc(s.text)}</code>" for s in r.specs) or "none"
        verdict = {"holds": "holds", "fails": "FAILS", "none": "no spec"}[r.spec_status]
        if r.extern:
            verdict += " (extern: trusted)"
        out.append(f'<tr class="function" data-function="{esc(r.name)}" '
                   f'data-static="{number(r.static)}" '
                   f'data-spec="{esc(" ".join(number(s.factor) for s in r.specs))}" '
                   f'data-verdict="{r.spec_status}">'
                   f"<td><code>{esc(r.label)}</code></td><td>{esc(r.path)}:{r.line}</td>"
                   f'<td class="num">{shown(r.static)}</td><td>{specs}</td>'
                   f'<td class="{r.spec_status}">{verdict}</td></tr>')
    out.append("</tbody></table></section>")
    return "\n".join(out)


def convergence_section(data: ReportData) -> str:
    out = ['<section id="convergence"><h2>Monte Carlo convergence</h2>']
    if not data.trials:
        out.append('<p class="empty">Left out (<code>--trials 0</code>).</p></section>')
        return "\n".join(out)
    out.append(f"<p>{data.trials} faulty runs per function against the fault-free run, on "
               "the hardware of the reliability analysis: the fraction whose result is "
               "exactly the fault-free one as the trials accumulate, its 95% Wilson "
               "interval, and the static lower bound, which should lie at or below the "
               "interval.</p>")
    skipped = []
    for i, r in enumerate(data.functions):
        conv = r.convergence
        if conv is None or not conv.points:
            why = conv.failure if conv is not None else r.no_trials
            if why:
                skipped.append((r, why))
            continue
        lo, hi = conv.interval
        spec = min((s.factor for s in r.specs), default=None)
        if conv.static is None:
            verdict = "no static value to compare"
        elif conv.static <= hi:
            verdict = "consistent: the static bound is not above the interval"
        else:
            verdict = ("the static bound is above the 95% interval (chance in about 1 run "
                       "of 40 if it is exact; run <code>relaxverify run --trials</code> "
                       "with more trials to tell)")
        out.append(f'<figure class="mc" data-function="{esc(r.name)}" '
                   f'data-trials="{conv.trials}" data-correct="{conv.correct}" '
                   f'data-estimate="{number(conv.estimate)}" data-lower="{number(lo)}" '
                   f'data-upper="{number(hi)}" data-static="{number(conv.static)}">')
        out.append(plots.convergence_svg(conv, r.label, spec, f"mc{i}"))
        out.append(f"<figcaption><code>{esc(r.label)}</code> on hardware <code>"
                   f"{esc(conv.hardware)}</code>: {conv.correct} of "
                   f"{conv.trials} runs exactly correct ({conv.estimate:.6f}), 95% "
                   f"interval [{lo:.6f}, {hi:.6f}], static value {shown(conv.static)}: "
                   f"{verdict}.</figcaption></figure>")
    if len(out) == 2:
        out.append('<p class="empty">No function was run.</p>')
    if skipped:
        out.append("<p>Not run:</p><ul>")
        out += [f'<li class="skipped" data-function="{esc(r.name)}"><code>{esc(r.label)}'
                f"</code>: {esc(why)}</li>" for r, why in skipped]
        out.append("</ul>")
    out.append("</section>")
    return "\n".join(out)


def verify_section(rows: list[FunctionRow]) -> str:
    out = ['<section id="verify"><h2>Verify results per function</h2>']
    with_obligations = [r for r in rows if r.verified + r.failed + r.unknown]
    if not with_obligations:
        out.append('<p class="empty">No obligations.</p></section>')
        return "\n".join(out)
    out.append(plots.verify_svg(with_obligations))
    out.append("<table><thead><tr><th>function</th><th>where</th><th>verified</th>"
               "<th>failed</th><th>unknown</th></tr></thead><tbody>")
    for r in with_obligations:
        out.append(f'<tr class="function" data-function="{esc(r.name)}" '
                   f'data-verified="{r.verified}" data-failed="{r.failed}" '
                   f'data-unknown="{r.unknown}"><td><code>{esc(r.label)}</code></td>'
                   f"<td>{esc(r.path)}:{r.line}</td>"
                   f'<td class="num verified">{r.verified}</td>'
                   f'<td class="num failed">{r.failed}</td>'
                   f'<td class="num unknown">{r.unknown}</td></tr>')
    out.append("</tbody></table></section>")
    return "\n".join(out)


def counterexample_section(failures: list[FailedObligation]) -> str:
    out = ['<section id="counterexamples"><h2>Counterexamples</h2>']
    if not failures:
        out.append('<p class="empty">No obligation failed.</p>')
    for f in failures[:MAX_COUNTEREXAMPLES]:
        out.append(counterexample(f))
    if len(failures) > MAX_COUNTEREXAMPLES:
        out.append(f"<p>… and {len(failures) - MAX_COUNTEREXAMPLES} more failed obligations "
                   "(<code>relaxverify verify</code> lists them all).</p>")
    out.append("</section>")
    return "\n".join(out)


def counterexample(f: FailedObligation) -> str:
    side = "relates the two executions" if f.side == "relational" else \
        f"{f.side} execution"
    out = [f'<article class="cex" data-function="{esc(f.function)}" data-line="{f.line}" '
           f'data-kind="{esc(f.kind)}">',
           f"<h3><code>{esc(f.function)}</code> — {esc(f.path)}:{f.line}:{f.column} — "
           f"{esc(f.kind)} ({esc(side)})</h3>",
           f'<p class="message">{esc(f.message)}</p>',
           f'<pre class="src">{f.line} | {esc(f.source_line)}</pre>']
    if f.rows:
        out.append('<table class="or"><thead><tr><th>variable</th><th>original (O)</th>'
                   "<th>relaxed (R)</th></tr></thead><tbody>")
        for row in f.rows:
            mark = ' class="differs"' if row.differs else ""
            out.append(f'<tr{mark} data-name="{esc(row.name)}"><th><code>{esc(row.name)}'
                       f'</code></th><td class="o value">{esc(row.original)}</td>'
                       f'<td class="r value">{esc(row.relaxed)}</td></tr>')
        out.append("</tbody></table>")
        if not f.concrete:
            out.append("<p>These values may not all come from one real run: the path goes "
                       "through code summarised by its invariant or contract.</p>")
    else:
        out.append('<p class="empty">The solver gave no counterexample.</p>')
    if f.faults:
        out.append("<p>Faulty results in the relaxed execution, in order: "
                   + ", ".join(f"<code>{esc(v)}</code>" for v in f.faults) + "</p>")
    if f.notes:
        out.append("<ul>" + "".join(f"<li>{esc(n)}</li>" for n in f.notes) + "</ul>")
    out.append("</article>")
    return "\n".join(out)
