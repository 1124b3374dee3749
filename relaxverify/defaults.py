"""Defaults the command line and the API share, in a module that imports nothing: the
command line fills them in before it knows whether the command loads the API."""
from __future__ import annotations

DEFAULT_TIMEOUT = 10.0  # solver time limit per obligation, in seconds
