"""R3: retry classes, backoff with jitter, Retry-After, and draining the spool (stand-in collector)."""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from agentstate._internal.replay import Backoff, Replayer
from agentstate._internal.spool import Spool
from agentstate._internal.stats import Stats
from agentstate._internal.transport import HttpSender
from tests.sdk.standin import stand_in


class FakeClock:
    """Monotonic time that only moves when the test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _drive(replayer: Replayer, clock: FakeClock, max_steps: int = 50) -> list[float]:
    """Run steps until the spool is empty; sleep by moving the clock. Returns the waits."""
    waits = []
    for _ in range(max_steps):
        delay = replayer.step()
        if delay is None:
            return waits
        if delay > 0:
            waits.append(delay)
            clock.now += delay
    raise AssertionError("spool never drained")


Setup = Callable[..., tuple[Replayer, Spool, Stats, FakeClock]]


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[Setup]:
    """Build a replayer on a fresh spool holding ``batches`` batches of 10 spans; closes it after."""
    senders: list[HttpSender] = []
    spools: list[Spool] = []

    def build(endpoint: str, batches: int = 1) -> tuple[Replayer, Spool, Stats, FakeClock]:
        spool = Spool(tmp_path / "s.sqlite3", 1_000_000)
        for i in range(batches):
            spool.put(f"batch-{i}".encode(), 10)
        stats, clock = Stats(), FakeClock()
        sender = HttpSender(endpoint, timeout=5)
        senders.append(sender)
        spools.append(spool)
        backoff = Backoff(initial=1.0, maximum=30.0, multiplier=2.0, jitter=0.2, rng=random.Random(7))
        return Replayer(spool, sender, stats, backoff, clock=clock), spool, stats, clock

    yield build
    for sender in senders:
        sender.close()
    for spool in spools:
        spool.close()


def test_retryable_statuses_are_retried_with_backoff_and_retry_after(setup: Setup) -> None:
    script = [(503, {"Retry-After": "7"}), (429, {}), (502, {}), (504, {}), (200, {})]
    with stand_in(script) as collector:
        replayer, spool, stats, clock = setup(collector.endpoint)
        waits = _drive(replayer, clock)
    assert len(collector.requests) == 5  # one attempt per scripted answer, then delivered
    assert waits[0] == 7.0  # Retry-After honoured exactly
    for wait, base in zip(waits[1:], (2.0, 4.0, 8.0), strict=True):
        assert base * 0.8 <= wait <= base * 1.2
    assert spool.counts() == (0, 0, 0)
    snapshot = stats.snapshot()
    assert (snapshot["spans_replayed"], snapshot["export_retries"]) == (10, 4)
    assert not replayer.collector_down


@pytest.mark.parametrize("status", [400, 401, 403, 413, 500])
def test_final_rejections_are_dropped_and_counted_not_retried(setup: Setup, status: int) -> None:
    with stand_in([(status, {})]) as collector:
        replayer, spool, stats, clock = setup(collector.endpoint)
        waits = _drive(replayer, clock)
    assert (len(collector.requests), waits) == (1, [])
    assert spool.counts() == (0, 0, 0)
    assert stats.snapshot()["spans_dropped_rejected"] == 10


def test_a_corrupted_row_is_skipped_and_the_rest_drain(setup: Setup) -> None:
    with stand_in() as collector:
        replayer, spool, stats, clock = setup(collector.endpoint, batches=3)
        with sqlite3.connect(spool.path) as db:
            db.execute("UPDATE batches SET body = x'deadbeef' WHERE id = 2")
        _drive(replayer, clock)
    assert [r.body for r in collector.requests] == [b"batch-0", b"batch-2"]
    assert stats.snapshot()["spool_rows_corrupted"] == 1
    assert spool.counts() == (0, 0, 0)


def test_collector_down_is_remembered_until_a_delivery(setup: Setup) -> None:
    with stand_in([(503, {})]) as collector:
        replayer, _, _, clock = setup(collector.endpoint)
        first = replayer.step()
        assert first is not None and first > 0 and replayer.collector_down
        assert replayer.step() == pytest.approx(first)  # still waiting: no new request
        assert len(collector.requests) == 1
        clock.now += first
        assert replayer.step() == 0.0
        assert not replayer.collector_down


@pytest.mark.parametrize(
    ("failures", "retry_after", "low", "high"),
    [
        pytest.param(0, None, 0.8, 1.2, id="first"),
        pytest.param(3, None, 6.4, 9.6, id="fourth"),
        pytest.param(10, None, 24.0, 36.0, id="capped"),
        pytest.param(2, 7.0, 7.0, 7.0, id="retry-after-wins"),
    ],
)
def test_backoff_delays(failures: int, retry_after: float | None, low: float, high: float) -> None:
    backoff = Backoff(initial=1.0, maximum=30.0, multiplier=2.0, jitter=0.2)
    backoff.failures = failures
    assert low <= backoff.next_delay(retry_after) <= high
    assert backoff.failures == failures + 1
    backoff.reset()
    assert backoff.failures == 0
