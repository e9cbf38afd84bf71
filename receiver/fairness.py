"""Fair shares of the ingest backlog and of the ingest rate, per project. Pure logic, no I/O.

One backlog limit for everybody let one tenant's flood fill the queue and answer 503 to every
other tenant (issue 14: four senders flooding project F, project B refused on 10 of 67 small
requests). Two rules keep a flood its sender's problem:

* **Backlog shares.** Each project may have up to ``high-water / n`` entries waiting, ``n`` being
  the projects with entries waiting (itself included); below half the high-water mark nobody is
  refused. A lone sender keeps the whole high-water mark; when a second project sends, it is
  admitted at once (its share is free) while the first waits until its backlog drains below its
  new share. Fair senders together stay under twice the high-water mark, the hard, global limit
  (with Redis memory) that nobody passes.
* **Contention rate.** While other projects have sent within the last few seconds, each project is
  held to a per-project span rate (token bucket). Alone, a project may use the whole pipeline.

Both are per receiver replica: a replica knows the entries it published itself, and its share of
the limits. What waits is measured against the slowest consumer group: an entry counts until every
group has read *and* acknowledged it (entries after a group's oldest pending one count as waiting,
which errs towards refusing the biggest sender, never towards starving a small one).
"""

from __future__ import annotations

import time
from collections import Counter, deque

EntryId = tuple[int, int]
"""A stream entry ID ``<ms>-<seq>`` as a comparable pair."""


def parse_id(raw: bytes | str) -> EntryId:
    """``b"1700000000000-3"`` → ``(1700000000000, 3)``."""
    text = raw.decode() if isinstance(raw, bytes) else raw
    ms, _, seq = text.partition("-")
    return int(ms), int(seq or 0)


def first_waiting(last_delivered: bytes | str, oldest_pending: bytes | str | None) -> EntryId:
    """The oldest entry a group has not finished: its oldest pending one, else the one after the last read."""
    if oldest_pending is not None:
        return parse_id(oldest_pending)
    ms, seq = parse_id(last_delivered)
    return ms, seq + 1


class BacklogShares:
    """Entries this replica published that some group has not finished, counted per project."""

    def __init__(self, max_tracked: int) -> None:
        self._log: deque[tuple[EntryId, str]] = deque()
        self._waiting: Counter[str] = Counter()
        self._max = max_tracked

    def reserve(self, project: str) -> None:
        """Count an entry of ``project`` about to be published (before the XADD, so concurrent
        requests cannot all pass the check); then :meth:`published` or :meth:`release` it."""
        self._waiting[project] += 1

    def release(self, project: str) -> None:
        """The reserved entry was not published after all."""
        self._forget(project)

    def published(self, entry_id: bytes | str, project: str) -> None:
        """The reserved entry of ``project`` is in the stream as ``entry_id``."""
        if len(self._log) >= self._max:  # forgetting the oldest can only make a project look smaller
            _, old = self._log.popleft()
            self._forget(old)
        self._log.append((parse_id(entry_id), project))

    def finished_before(self, cut: EntryId | None) -> None:
        """Forget entries every group has finished: those before ``cut`` (all of them when None)."""
        log = self._log
        if cut is None:
            log.clear()
            self._waiting.clear()
            return
        while log and log[0][0] < cut:
            self._forget(log.popleft()[1])
        # IDs are appended in completion order, which concurrent requests may swap: drop stragglers too.
        stale = [item for item in log if item[0] < cut]
        for item in stale:
            log.remove(item)
            self._forget(item[1])

    def _forget(self, project: str) -> None:
        self._waiting[project] -= 1
        if self._waiting[project] <= 0:
            del self._waiting[project]

    def waiting(self, project: str) -> int:
        """Entries of ``project`` still waiting."""
        return self._waiting.get(project, 0)

    def refusal(self, project: str, total: int, high_water: int) -> str | None:
        """Why ``project`` must wait now (``total`` entries waiting in all), or None."""
        if total < high_water // 2:
            return None
        senders = len(self._waiting) + (project not in self._waiting)
        share = max(1, high_water // senders)
        mine = self.waiting(project)
        if mine < share:
            return None
        return (
            f"this project's share of the ingest queue is full ({mine} of {share} entries waiting, "
            f"{senders} projects sending); retry later"
        )


class ContentionLimiter:
    """Per-project token bucket that applies while other projects are sending.

    ``always`` spans/s (0 = none) applies at all times; ``shared`` spans/s (0 = none) only while
    another project sent within ``window`` seconds. The burst is two seconds of the rate.
    """

    def __init__(self, always: float, shared: float, window: float = 5.0) -> None:
        self._always = always
        self._shared = shared
        self._window = window
        self._buckets: dict[str, tuple[float, float]] = {}
        self._last_seen: dict[str, float] = {}

    def _others_active(self, project: str, now: float) -> bool:
        if len(self._last_seen) > 10_000:  # bound memory: forget projects idle past the window
            self._last_seen = {p: t for p, t in self._last_seen.items() if now - t < self._window}
        return any(p != project and now - t < self._window for p, t in self._last_seen.items())

    def wait_needed(self, project: str, n: int, now: float | None = None) -> tuple[float, float]:
        """Spend ``n`` tokens; return ``(0, 0)`` or ``(seconds to wait, limit)`` when over the limit."""
        now = time.monotonic() if now is None else now
        rate = self._always
        if self._shared > 0 and self._others_active(project, now):
            rate = min(rate, self._shared) if rate else self._shared
        self._last_seen[project] = now
        if rate <= 0:
            self._buckets.pop(project, None)
            return 0.0, 0.0
        burst = rate * 2
        tokens, last = self._buckets.get(project, (burst, now))
        tokens = min(burst, tokens + (now - last) * rate)
        if tokens < min(n, burst):  # a request larger than the burst passes on a full bucket, into debt
            self._buckets[project] = (tokens, now)
            return (min(n, burst) - tokens) / rate, rate
        self._buckets[project] = (tokens - n, now)
        return 0.0, 0.0
