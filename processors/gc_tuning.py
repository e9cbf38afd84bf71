"""The cyclic garbage collector in the workers: tuned once at start, paused while a read is judged.

The processors allocate many short-lived, acyclic objects, which reference counting frees; walking
them in the cyclic collector is wasted work.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

_paused = 0
"""Reads being handled with the collector paused (the consumers of one process share it)."""


def tune_gc() -> None:
    """Freeze start-up objects and collect the young generation far less often.

    Walking the conversion's objects in the cyclic collector cost ~40% of the naive path
    (performance baselines).
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)


@contextlib.contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Run the block with the cyclic collector off; it resumes once no paused block is left.

    The security worker rebuilds a record per span for the whole read (10,000 spans at full load)
    and keeps them until the read is judged, ~100k live container objects: the young generation
    fills a few times per read, and every collection walks them and promotes them, only for
    reference counting to free them all at the end. Paused, the security read logic cost 16.7–17.7
    instead of 17.9–18.7 µs/span (in process, 20k bench spans, four interleaved pairs). Cyclic
    garbage made meanwhile is collected when the collector resumes: the next allocation past the
    threshold triggers it. The writer's conversion holds a few entries' objects at a time and gained
    nothing measurable, so it is not paused.
    """
    global _paused
    resume = _paused > 0 or gc.isenabled()
    if _paused == 0 and resume:
        gc.disable()
    _paused += 1
    try:
        yield
    finally:
        _paused -= 1
        if _paused == 0 and resume:
            gc.enable()
