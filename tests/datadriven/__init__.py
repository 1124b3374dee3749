"""Multi-case test data (`tests/data/<stage>/*.test`): parse, run, compare, update.

The file format is described in `runner.py`; `tests/README.md` has a short tour.
"""
