"""The garbage-collector pause shared by the allocation-heavy stages."""
from __future__ import annotations

import gc

from relaxverify.gcpause import gc_paused


def test_gc_pause_is_counted_across_overlapping_stages():
    assert gc.isenabled()
    with gc_paused():
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer stage is still running
    assert gc.isenabled()
