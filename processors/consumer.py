"""One consumer lifecycle for every processor: at-least-once over a Redis Streams consumer group.

* ``start`` creates the group (from ID 0) and first drains this consumer's own pending list, so
  entries read before a crash are processed again; then it reads new entries with ``>``.
* An entry is ``XACK``ed only after :meth:`StreamConsumer.handle` returned, i.e. after its effect is
  durable (the writer returns once ClickHouse confirmed the insert).
* Entries idle longer than ``claim_idle_ms`` in *other* consumers' pending lists (a dead replica)
  are taken over with ``XAUTOCLAIM`` (without JUSTID, so the delivery counter keeps counting).
* A batch that fails is retried entry by entry. An entry whose handling raises a *permanent* error
  (bad data) goes to ``<stream>.dlq`` with the reason at once; one that keeps failing for transient
  reasons goes there after ``max_deliveries``, alone: entries that succeed on their own are
  acknowledged (see :meth:`StreamConsumer._one_by_one`). DLQ first, then XACK: a crash in between leaves a
  duplicate in the DLQ rather than a lost entry.
* ``stop`` lets the in-flight batch finish (acknowledged) and returns; anything unfinished stays
  pending and is redelivered on the next start.
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
import logging
import time
from collections import Counter
from types import TracebackType
from typing import Any, Final

from redis.asyncio import Redis
from redis.exceptions import RedisError, ResponseError
from typing_extensions import Self

from agentstate.semconv.streams import FIELD_REASON, dead_letter

log = logging.getLogger(__name__)

Entry = tuple[bytes, dict[bytes, bytes]]

READ_SIZE: Final = 1 << 20
"""Bytes a consumer's Redis connection asks the socket for at a time (redis-py's default: 64 KiB).
A writer's read of 20 bench entries is a 14 MB reply; read back in process, it cost 1.03-1.07 µs of
client CPU per span in 64 KiB pieces and 0.83-0.84 in 1 MiB ones (fewer buffer joins and parser feeds)."""


def redis_client(url: str) -> Redis:
    """The asyncio Redis client of a worker process (the consumers' reads are multi-megabyte replies)."""
    return Redis.from_url(url, socket_timeout=10, socket_connect_timeout=2, socket_read_size=READ_SIZE)


def by_bytes(entries: list[Entry], limit: int) -> list[list[Entry]]:
    """Split a read into runs of consecutive entries of at most ``limit`` bytes of field values each.

    Greedy from the first entry (an entry larger than ``limit`` goes alone; ``limit`` 0: one run).
    What a consumer holds while it handles a batch grows with the batch's bytes, not its entries: 20
    agent requests that resend their conversation are 32 MB of OTLP where 20 bench requests are 14.
    The split is a function of the entries alone, so the pending entries read again after a crash
    form the same first run, and the writer's insert gets the same deduplication token.
    """
    if not entries:
        return []
    if limit <= 0:
        return [entries]
    runs: list[list[Entry]] = [[]]
    size = 0
    for entry in entries:
        n = sum(len(v) for v in entry[1].values())
        if runs[-1] and size + n > limit:
            runs.append([])
            size = 0
        runs[-1].append(entry)
        size += n
    return runs


class PermanentError(Exception):
    """Handling this entry can never succeed (malformed data): dead-letter it at once."""


class StreamConsumer(abc.ABC):
    """Base class of the writer, the security engine and the cost calculator."""

    def __init__(
        self,
        redis: Redis,
        stream: str,
        group: str,
        consumer: str,
        *,
        batch_entries: int = 20,
        block_ms: int = 200,
        claim_idle_ms: int = 60_000,
        max_deliveries: int = 10,
        drain_seconds: float = 15.0,
        linger_ms: int = 0,
        batch_bytes: int = 0,
    ) -> None:
        self.redis = redis
        self.stream = stream
        self.group = group
        self.consumer = consumer
        self.batch_entries = batch_entries
        self.block_ms = block_ms
        self.claim_idle_ms = claim_idle_ms
        self.max_deliveries = max_deliveries
        self.drain_seconds = drain_seconds
        self.linger_ms = linger_ms
        self.batch_bytes = batch_bytes
        self._drain_until = 0.0
        self.counters: Counter[str] = Counter()
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._recovering = True
        self._last_claim = 0.0
        self._failures: dict[bytes, str] = {}
        self._backoff = 0.0

    @abc.abstractmethod
    async def handle(self, entries: list[Entry]) -> None:
        """Process ``entries`` durably; raise to leave them pending (or PermanentError for bad data)."""

    async def ack(self, ids: list[bytes]) -> None:
        """Acknowledge entries whose :meth:`handle` just returned.

        A consumer that publishes what it derived from them overrides this to publish in the same
        ``MULTI`` as the ``XACK`` (the writer's normalised batches): a crash then leaves either both
        or neither, so a redelivery never publishes twice.
        """
        await self.redis.xack(self.stream, self.group, *ids)

    def is_permanent(self, exc: BaseException) -> bool:
        """Whether ``exc`` means the entry itself is bad (override to widen)."""
        return isinstance(exc, PermanentError | UnicodeDecodeError)

    async def start(self) -> None:
        """Ensure the group exists and start consuming in a background task."""
        try:
            await self.redis.xgroup_create(self.stream, self.group, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
        self._task = asyncio.create_task(self._run(), name=f"consumer-{self.group}-{self.stream}")

    async def stop(self) -> None:
        """Drain what is already in the stream (for at most ``drain_seconds``), then stop.

        The supervisor stops the receiver first, so a clean shutdown leaves nothing unprocessed;
        past the deadline the rest simply stays in the stream for the next start.
        """
        self._drain_until = time.monotonic() + self.drain_seconds
        self._stopping.set()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    async def run_until_stopped(self) -> None:
        """Await the consuming task (for foreground workers)."""
        if self._task is not None:
            await self._task

    def _done(self) -> bool:
        return self._stopping.is_set() and time.monotonic() >= self._drain_until

    async def _run(self) -> None:
        while not self._done():
            try:
                entries = await self._next_batch()
                for group in by_bytes(entries, self.batch_bytes):
                    await self._process(group)
                if not entries and self._stopping.is_set():
                    return  # drained
            except (RedisError, OSError) as exc:
                self.counters["redis_errors"] += 1
                if self._stopping.is_set():
                    # Nothing can be drained or acked without Redis, and what is unacked stays
                    # pending there for the next start: stop now instead of retrying to the deadline.
                    log.warning(
                        "%s/%s: redis unavailable while stopping (%s); the rest stays pending",
                        self.stream,
                        self.group,
                        exc,
                    )
                    return
                log.warning("%s/%s: redis unavailable (%s); retrying", self.stream, self.group, exc)
                self._recovering = True
                await self._sleep(1.0)
            except Exception:  # a bug must not kill the loop; the entries stay pending
                self.counters["loop_errors"] += 1
                log.exception("%s/%s: unexpected error; entries stay pending", self.stream, self.group)
                self._recovering = True
                await self._sleep(1.0)

    async def _sleep(self, seconds: float) -> None:
        if self._stopping.is_set():  # draining: back off, but never past the drain deadline
            await asyncio.sleep(max(0.0, min(seconds, self._drain_until - time.monotonic())))
            return
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)

    async def _read(self, start_id: str, block: int | None, count: int | None = None) -> list[Entry]:
        reply: Any = await self.redis.xreadgroup(
            self.group, self.consumer, {self.stream: start_id}, count=count or self.batch_entries, block=block
        )
        if not reply:
            return []
        return [(eid, fields) for eid, fields in reply[0][1]]

    async def _next_batch(self) -> list[Entry]:
        if self._recovering:
            entries = await self._read("0", None)
            live = [e for e in entries if e[1]]
            await self._ack_deleted([e[0] for e in entries if not e[1]])
            if live:
                return await self._screen(live)
            self._recovering = False
        now = time.monotonic()
        if now - self._last_claim > self.claim_idle_ms / 2000:
            self._last_claim = now
            claimed = await self._claim()
            if claimed:
                return await self._screen(claimed)
        entries = await self._read(">", None if self._stopping.is_set() else self.block_ms)
        if entries and self.linger_ms and len(entries) < self.batch_entries:
            entries += await self._linger(self.batch_entries - len(entries))
        return entries

    async def _linger(self, wanted: int) -> list[Entry]:
        """Wait up to ``linger_ms`` for more entries: fewer, larger writes.

        Each ClickHouse insert has a fixed cost (~10–20 ms in chDB, plus a part to merge later), so
        the writer's consumers gather a batch before inserting when the stream is not busy enough to
        fill one. The entries are pending meanwhile, so lingering changes no delivery guarantee.
        """
        more: list[Entry] = []
        deadline = time.monotonic() + self.linger_ms / 1000
        while len(more) < wanted and not self._stopping.is_set():
            left_ms = int((deadline - time.monotonic()) * 1000)
            if left_ms <= 0:
                break
            more += await self._read(">", left_ms, count=wanted - len(more))
        return more

    async def _claim(self) -> list[Entry]:
        reply: Any = await self.redis.xautoclaim(
            self.stream, self.group, self.consumer, self.claim_idle_ms, "0-0", count=self.batch_entries
        )
        entries = [(eid, fields) for eid, fields in reply[1] if fields]
        if entries:
            self.counters["claimed"] += len(entries)
            log.info("%s/%s: claimed %d stale entries", self.stream, self.group, len(entries))
        return entries

    async def _ack_deleted(self, ids: list[bytes]) -> None:
        if ids:  # trimmed away while pending: nothing left to process
            await self.redis.xack(self.stream, self.group, *ids)

    async def _screen(self, entries: list[Entry]) -> list[Entry]:
        """Dead-letter redelivered entries that exceeded ``max_deliveries``; return the rest."""
        first, last = entries[0][0], entries[-1][0]
        pending = await self.redis.xpending_range(
            self.stream, self.group, min=first, max=last, count=len(entries) * 2 + 10, consumername=self.consumer
        )
        deliveries = {p["message_id"]: int(p["times_delivered"]) for p in pending}
        keep: list[Entry] = []
        for entry in entries:
            if deliveries.get(entry[0], 0) > self.max_deliveries:
                reason = self._failures.pop(entry[0], "") or "too many deliveries"
                await self._dead_letter(entry, f"gave up after {self.max_deliveries} deliveries: {reason}")
            else:
                keep.append(entry)
        return keep

    async def _dead_letter(self, entry: Entry, reason: str) -> None:
        fields: dict[Any, Any] = dict(entry[1])
        fields[FIELD_REASON] = reason[:2000]
        fields[b"id"] = entry[0]
        fields[b"group"] = self.group
        await self.redis.xadd(dead_letter(self.stream), fields)
        await self.redis.xack(self.stream, self.group, entry[0])
        self.counters["dead_lettered"] += 1
        log.error("%s/%s: entry %s dead-lettered: %s", self.stream, self.group, entry[0].decode(), reason)

    async def _process(self, entries: list[Entry]) -> None:
        try:
            await self.handle(entries)
        except Exception as exc:
            if len(entries) == 1:
                await self._failed(entries[0], exc)
                return
            log.warning(
                "%s/%s: batch of %d failed (%r); retrying one by one", self.stream, self.group, len(entries), exc
            )
            await self._one_by_one(entries)
            return
        await self.ack([e[0] for e in entries])
        self.counters["acked"] += len(entries)
        for eid, _ in entries:
            self._failures.pop(eid, None)
        self._backoff = 0.0

    async def _one_by_one(self, entries: list[Entry]) -> None:
        """Retry a failed batch entry by entry, so one bad entry costs only itself.

        Entries that failed in an earlier pass go last. A *fresh* transient failure stops the pass
        (it may be an outage: the rest stays pending, no need to fail each one); a repeated one does
        not, so an entry that keeps failing alone never holds back, and so never drags to the DLQ,
        the entries that store fine: they are handled on the next pass at the latest.
        """
        failed = False
        for entry in sorted(entries, key=lambda e: e[0] in self._failures):  # stable: fresh ones first
            if self._stopping.is_set():
                return
            suspect = entry[0] in self._failures
            try:
                await self.handle([entry])
            except Exception as one_exc:
                if self.is_permanent(one_exc):
                    await self._dead_letter(entry, f"{one_exc.__class__.__name__}: {one_exc}")
                    continue
                self._note_transient(entry, one_exc)
                failed = True
                if not suspect:
                    break
            else:
                await self.ack([entry[0]])
                self.counters["acked"] += 1
                self._failures.pop(entry[0], None)
        if failed:
            await self._sleep(self._backoff)

    async def _failed(self, entry: Entry, exc: BaseException) -> None:
        if self.is_permanent(exc):
            await self._dead_letter(entry, f"{exc.__class__.__name__}: {exc}")
            return
        self._note_transient(entry, exc)
        await self._sleep(self._backoff)

    def _note_transient(self, entry: Entry, exc: BaseException) -> None:
        self.counters["transient_failures"] += 1
        self._failures[entry[0]] = f"{exc.__class__.__name__}: {exc}"
        self._recovering = True
        self._backoff = min(30.0, max(0.5, self._backoff * 2))
        log.warning(
            "%s/%s: entry %s failed (%r); retrying in %.1fs",
            self.stream,
            self.group,
            entry[0].decode(),
            exc,
            self._backoff,
        )
