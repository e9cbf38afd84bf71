"""A read is handled in runs bounded by bytes, and the same entries always form the same runs."""

from __future__ import annotations

import random

import pytest

from agentstate.processors.consumer import Entry, by_bytes


def _entries(*sizes: int) -> list[Entry]:
    return [(f"{i}-0".encode(), {b"r": b"x" * n, b"p": b"pp"}) for i, n in enumerate(sizes)]


def _sizes(runs: list[list[Entry]]) -> list[list[int]]:
    return [[len(e[1][b"r"]) for e in run] for run in runs]


@pytest.mark.parametrize(
    ("sizes", "limit", "expected"),
    [
        pytest.param((), 100, [], id="empty-read"),
        pytest.param((10, 20, 30), 0, [[10, 20, 30]], id="no-limit-one-run"),
        pytest.param((48, 48, 48, 48), 100, [[48, 48], [48, 48]], id="fields-counted"),  # 50 bytes each
        pytest.param((40, 40, 40, 40), 100, [[40, 40], [40, 40]], id="limit-not-exceeded"),
        pytest.param((8, 8, 8), 30, [[8, 8, 8]], id="exactly-at-the-limit"),
        pytest.param((10, 500, 10, 10), 100, [[10], [500], [10, 10]], id="oversize-entry-alone"),
        pytest.param((500,), 100, [[500]], id="single-oversize-entry"),
    ],
)
def test_runs(sizes: tuple[int, ...], limit: int, expected: list[list[int]]) -> None:
    runs = by_bytes(_entries(*sizes), limit)
    assert _sizes(runs) == expected
    assert [e for run in runs for e in run] == _entries(*sizes)  # every entry once, in order


def test_pending_entries_read_again_form_the_same_runs() -> None:
    """After a crash the unacknowledged suffix of a read is read again: its runs are the read's runs."""
    rng = random.Random(1205)
    for _ in range(200):
        entries = _entries(*(rng.randrange(1, 400) for _ in range(rng.randrange(1, 30))))
        limit = rng.randrange(1, 1000)
        runs = by_bytes(entries, limit)
        done = 0
        for i, run in enumerate(runs):
            assert by_bytes(entries[done:], limit) == runs[i:]
            done += len(run)
