"""Counters of what happened to spans after they ended, for ``agentstate.stats()``."""

from __future__ import annotations

import itertools
import threading
from collections import Counter
from collections.abc import Callable
from typing import Final

COUNTER_NAMES: Final = (
    "spans_ended",
    "spans_received",
    "spans_exported",
    "spans_spooled",
    "spans_replayed",
    "spans_dropped_rejected",
    "spans_dropped_unspoolable",
    "spans_evicted",
    "spool_rows_corrupted",
    "spans_scrub_errors",
    "export_retries",
    "export_waits",
)
"""Every counter, all starting at zero.

``spans_received`` counts spans handed to the exporter; after a flush, ``spans_ended -
spans_received`` is what the batch processor dropped because its queue was full. ``export_waits``
counts the span ends that paused for the export thread to catch up instead of overflowing it.
"""


class FastCounter:
    """A counter for the span hot path: ``increment`` is one C call, atomic under the GIL, no lock."""

    def __init__(self) -> None:
        self._count = itertools.count()
        self._reads = 0
        self._lock = threading.Lock()
        self.increment: Callable[[], object] = self._count.__next__

    @property
    def value(self) -> int:
        """Increments so far; reading consumes one tick of the underlying counter, hence ``_reads``."""
        with self._lock:
            value = next(self._count) - self._reads
            self._reads += 1
        return value


class Stats:
    """Thread-safe monotonic counters."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter(dict.fromkeys(COUNTER_NAMES, 0))
        self.ended = FastCounter()

    def add(self, name: str, amount: int = 1) -> None:
        """Increase counter ``name`` by ``amount``."""
        with self._lock:
            self._counts[name] += amount

    def snapshot(self) -> dict[str, int]:
        """A copy of every counter, plus ``spans_dropped_queue_full`` derived from the others."""
        with self._lock:
            counts = dict(self._counts)
        counts["spans_ended"] = self.ended.value
        counts["spans_dropped_queue_full"] = max(0, counts["spans_ended"] - counts["spans_received"])
        return counts


STATS: Final = Stats()
"""Process-wide counters."""
