"""Fair shares of the backlog and of the rate, per project (pure logic of receiver/fairness.py)."""

from __future__ import annotations

import pytest

from agentstate.receiver.fairness import BacklogShares, ContentionLimiter, first_waiting, parse_id


@pytest.mark.parametrize(
    ("last", "pending", "expected"),
    [
        pytest.param(b"100-4", None, (100, 5), id="nothing-pending-next-after-last-read"),
        pytest.param(b"100-4", b"90-0", (90, 0), id="oldest-pending"),
        pytest.param("0-0", None, (0, 1), id="new-group"),
    ],
)
def test_first_waiting(last: bytes, pending: bytes | None, expected: tuple[int, int]) -> None:
    assert first_waiting(last, pending) == expected


def _shares(**waiting: int) -> BacklogShares:
    s = BacklogShares(max_tracked=10_000)
    seq = 0
    for project, n in waiting.items():
        for _ in range(n):
            seq += 1
            s.reserve(project)
            s.published(f"1000-{seq}", project)
    return s


@pytest.mark.parametrize(
    ("waiting", "project", "total", "refused"),
    [
        pytest.param({"f": 59}, "f", 59, False, id="lone-sender-under-the-mark"),
        pytest.param({"f": 60}, "f", 60, True, id="lone-sender-at-the-mark"),
        pytest.param({"f": 60}, "b", 60, False, id="newcomer-admitted-at-once"),
        pytest.param({"f": 60, "b": 29}, "b", 89, False, id="newcomer-under-its-half"),
        pytest.param({"f": 60, "b": 30}, "b", 90, True, id="newcomer-at-its-half"),
        pytest.param({"f": 40, "b": 5}, "f", 45, True, id="flood-over-its-half-waits"),
        pytest.param({"f": 25, "b": 3}, "f", 28, False, id="below-half-the-mark-nobody-waits"),
        pytest.param({"a": 19, "b": 19, "c": 19}, "c", 57, False, id="three-under-a-third"),
        pytest.param({"a": 20, "b": 19, "c": 19}, "a", 58, True, id="three-one-at-its-third"),
        pytest.param({}, "x", 80, False, id="backlog-from-elsewhere-counts-for-nobody"),
    ],
)
def test_backlog_share(waiting: dict[str, int], project: str, total: int, refused: bool) -> None:
    reason = _shares(**waiting).refusal(project, total, high_water=60)
    assert (reason is not None) == refused
    if refused:
        assert "share of the ingest queue" in (reason or "")


def test_finished_entries_are_forgotten() -> None:
    s = _shares(f=10, b=3)  # f: 1000-1..10, b: 1000-11..13
    s.finished_before(parse_id("1000-6"))
    assert (s.waiting("f"), s.waiting("b")) == (5, 3)
    s.finished_before(parse_id("1000-12"))
    assert (s.waiting("f"), s.waiting("b")) == (0, 2)
    s.finished_before(None)  # the stream is gone
    assert s.waiting("b") == 0


def test_out_of_order_publications_are_still_forgotten() -> None:
    s = BacklogShares(max_tracked=100)
    for eid in ("5-0", "3-0", "7-0"):  # concurrent requests complete out of order
        s.reserve("p")
        s.published(eid, "p")
    s.finished_before((6, 0))
    assert s.waiting("p") == 1


def test_tracking_is_bounded() -> None:
    s = BacklogShares(max_tracked=5)
    for i in range(12):
        s.reserve("p")
        s.published(f"1-{i}", "p")
    assert s.waiting("p") == 5


def test_a_reservation_counts_until_released() -> None:
    s = BacklogShares(max_tracked=10)
    s.reserve("p")
    assert s.waiting("p") == 1  # a concurrent request already sees it
    s.release("p")  # the XADD failed
    assert s.waiting("p") == 0


@pytest.mark.parametrize(
    ("always", "shared", "others", "refused"),
    [
        pytest.param(0, 100, False, False, id="alone-unlimited"),
        pytest.param(0, 100, True, True, id="contended-limited"),
        pytest.param(0, 0, True, False, id="shared-limit-off"),
        pytest.param(100, 0, False, True, id="hard-limit-alone"),
        pytest.param(1000, 100, True, True, id="stricter-of-both-when-contended"),
    ],
)
def test_contention_limiter(always: float, shared: float, others: bool, refused: bool) -> None:
    lim = ContentionLimiter(always, shared, window=5.0)
    if others:
        assert lim.wait_needed("b", 1, now=0.0) == (0.0, 0.0)
    waits = [lim.wait_needed("f", 100, now=1.0 + i * 0.01)[0] for i in range(5)]  # 500 spans in 40 ms
    assert any(w > 0 for w in waits) == refused


def test_small_sender_passes_while_flood_is_limited() -> None:
    lim = ContentionLimiter(0, 100, window=5.0)
    lim.wait_needed("b", 1, now=0.0)
    assert lim.wait_needed("f", 150, now=0.1) == (0.0, 0.0)  # within the 2 s burst
    wait, rate = lim.wait_needed("f", 150, now=0.2)
    assert wait > 0 and rate == 100
    assert lim.wait_needed("b", 2, now=0.3) == (0.0, 0.0)
    assert lim.wait_needed("f", 150, now=7.0) == (0.0, 0.0)  # b idle for the window: f alone again


def test_request_larger_than_the_burst_passes_on_a_full_bucket() -> None:
    lim = ContentionLimiter(10, 0)
    assert lim.wait_needed("f", 50, now=0.0) == (0.0, 0.0)  # burst 20, goes into debt
    assert lim.wait_needed("f", 1, now=0.5)[0] > 0
