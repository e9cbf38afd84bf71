"""Deliver spooled batches once the collector is back: backoff, ``Retry-After``, one thread.

The :class:`Replayer` owns the "is the collector down?" state. While it is down the exporter spools
new batches directly (no request that would only time out); the replayer probes with the oldest
batch after each backoff delay and, on the first 2xx, drains the spool and declares the collector
up again. It also runs once at start, which is how batches left by a crashed process get sent.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from typing import Final

from opentelemetry import context as otel_context

from agentstate._internal.errors import handle_internal_errors, logger
from agentstate._internal.spool import Spool
from agentstate._internal.stats import Stats
from agentstate._internal.transport import HttpSender, Outcome

IDLE_POLL_SECONDS: Final = 5.0
"""How often an idle replayer looks for batches spooled by other processes."""


class Backoff:
    """Exponential backoff with jitter; a ``Retry-After`` from the server wins.

    Args:
        initial: First delay in seconds.
        maximum: Cap on the computed delay.
        multiplier: Growth factor per consecutive failure.
        jitter: Relative jitter: the delay is scaled by a factor in ``[1 - jitter, 1 + jitter]``.
        rng: Source of randomness (seedable in tests).
    """

    def __init__(
        self,
        initial: float = 1.0,
        maximum: float = 30.0,
        multiplier: float = 2.0,
        jitter: float = 0.2,
        rng: random.Random | None = None,
    ) -> None:
        self.initial = initial
        self.maximum = maximum
        self.multiplier = multiplier
        self.jitter = jitter
        self.failures = 0
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not cryptography

    def next_delay(self, retry_after: float | None = None) -> float:
        """Record one more failure and return how long to wait before the next attempt."""
        base = min(self.initial * self.multiplier**self.failures, self.maximum)
        self.failures += 1
        if retry_after is not None:
            return retry_after
        return base * self._rng.uniform(1 - self.jitter, 1 + self.jitter)

    def reset(self) -> None:
        """Forget past failures after a success."""
        self.failures = 0


class Replayer:
    """Sends spooled batches, oldest first, and tracks whether the collector is reachable.

    Args:
        spool: Where failed batches wait.
        sender: HTTP sender to the collector.
        stats: Counters to update.
        backoff: Delay policy between failed attempts.
        clock: Monotonic clock (injectable in tests).
        timeout: Seconds per send attempt.
    """

    def __init__(
        self,
        spool: Spool,
        sender: HttpSender,
        stats: Stats,
        backoff: Backoff | None = None,
        clock: Callable[[], float] = time.monotonic,
        timeout: float | None = None,
    ) -> None:
        self.spool = spool
        self._sender = sender
        self._stats = stats
        self._backoff = backoff or Backoff()
        self._clock = clock
        self._timeout = timeout
        self._lock = threading.Lock()
        self._not_before = 0.0
        self._down = False
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def collector_down(self) -> bool:
        """``True`` from a retryable failure until the next successful delivery."""
        return self._down

    def record_failure(self, retry_after: float | None) -> float:
        """Note a retryable failure (from the exporter or a replay); returns the delay chosen."""
        with self._lock:
            delay = self._backoff.next_delay(retry_after)
            self._not_before = self._clock() + delay
            self._down = True
        self._stats.add("export_retries")
        return delay

    def _record_success(self) -> None:
        with self._lock:
            self._backoff.reset()
            self._not_before = 0.0
            self._down = False

    def kick(self) -> None:
        """Wake an idle replayer: a batch was just spooled."""
        self._wake.set()

    def step(self) -> float | None:
        """Try to deliver one spooled batch.

        Returns:
            Seconds to wait before the next step (``0`` to continue at once), or ``None`` when
            the spool is empty.
        """
        wait = self._not_before - self._clock()
        if wait > 0:
            return wait
        row = self.spool.claim()
        if row is None:
            return None
        if row.body is None:
            logger.warning("Skipping corrupted spool row %d (%d spans)", row.id, row.spans)
            self.spool.delete(row.id)
            self._stats.add("spool_rows_corrupted")
            return 0.0
        result = self._sender.send(row.body, self._timeout)
        outcome = result.outcome
        if outcome is Outcome.SUCCESS:
            self.spool.delete(row.id)
            self._stats.add("spans_replayed", row.spans)
            self._record_success()
            return 0.0
        if outcome is Outcome.DROP:
            logger.error(
                "Collector rejected a spooled batch of %d spans with HTTP %s; dropped: %r",
                row.spans,
                result.status,
                result.body[:200],
            )
            self.spool.delete(row.id)
            self._stats.add("spans_dropped_rejected", row.spans)
            return 0.0
        self.spool.release(row.id)
        return self.record_failure(result.retry_after)

    def _run(self) -> None:
        token = otel_context.attach(otel_context.set_value(otel_context._SUPPRESS_INSTRUMENTATION_KEY, True))
        try:
            while not self._stop.is_set():
                delay: float | None = IDLE_POLL_SECONDS
                with handle_internal_errors:
                    delay = self.step()
                if delay is None:
                    self._wake.wait(IDLE_POLL_SECONDS)
                    self._wake.clear()
                elif delay > 0:
                    self._stop.wait(delay)
        finally:
            otel_context.detach(token)

    def start(self) -> None:
        """Start the daemon thread (once)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="agentstate-spool-replayer", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 1.0) -> None:
        """Stop the thread, waiting at most ``timeout`` seconds for an attempt in flight."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)
