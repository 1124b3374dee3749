"""`relaxverify report FILE... -o report.html`: one self-contained HTML page with the
pictures (docs/report.md): reliability per function against its specs, Monte Carlo
convergence against the static bound, verify results per function, and the failed
obligations' counterexamples side by side.

`build.py` gathers the data through relaxverify.api (`data.py`, `convergence.py`),
`page.py` writes the HTML, `plots.py` draws the figures with matplotlib (the
optional extra `report`, imported only when a plot is drawn)."""
