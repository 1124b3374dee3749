"""`relaxverify lsp`: a language server for Relax on pygls (docs/editor.md).

The server (server.py) keeps one `Document` per open file (documents.py): parse
and check on every change through relaxverify.api, verify on save in a worker
process (verifier.py, worker.py) that a newer change or save cancels. The
features read those results: diagnostics.py, hover.py, lenses.py, definitions.py.
Only the server and its features import pygls; the worker needs neither it nor
the editor.
"""
