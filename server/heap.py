"""The garbage collector, tuned once the server has started.

Start-up leaves well over 100k long-lived objects (SQLAlchemy metadata and
compiled statements, pydantic validators, the routes); every full collection
walks them all, which took 50-70 ms on a quiet 2-core machine (10x that under
load) and was the whole p99 tail of the REST routes.  Freezing moves them out
of the collector's sight for good, and a larger first-generation threshold
makes young collections rarer on allocation-heavy requests.
"""

from __future__ import annotations

import gc

__all__ = ["settle_heap"]

# Objects allocated (net) before a young collection; CPython's default is 700.
YOUNG_THRESHOLD = 10_000


def settle_heap() -> None:
    """Collect once, freeze what survived start-up, and raise the young threshold."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
