"""The ClickHouse writer: the only component that writes ClickHouse.

It consumes ``spans.ingest`` and ``logs.ingest`` (consumer group ``writer``) and the processors'
output streams, converts entries columnar (:mod:`otlp_rows`) and inserts one Arrow batch per read.
The insert carries a deduplication token derived from the entry IDs, so an identical retry is
dropped by ClickHouse; ``otel_traces`` is a ReplacingMergeTree keyed by span, so a redelivery in a
different batch collapses on merge and ``FINAL`` reads are exact either way.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable, Sequence
from typing import Any, Final

import orjson
import pyarrow as pa
import pyarrow.compute as pc
from clickhouse_connect.driver.client import Client
from google.protobuf.message import DecodeError
from redis.asyncio import Redis

from agentstate.processors import arrow_rows, log_events, span_batch
from agentstate.processors.clickhouse import ArrowInsert
from agentstate.processors.consumer import Entry, PermanentError, StreamConsumer
from agentstate.processors.log_events import EventSeen
from agentstate.processors.normalize import normalize, normalize_columns
from agentstate.processors.otlp_rows import SpanSeen, logs_to_arrow, traces_to_arrow
from agentstate.processors.scrub import Scrubber
from agentstate.semconv import streams as S

log = logging.getLogger(__name__)

FaultHook = Callable[[str], None]
"""Test seam: called with ``"before_insert"`` / ``"after_insert"``; a fault-injection test kills
the process there to prove at-least-once delivery. ``None`` in production."""


Converted = tuple[pa.Table, list[bytes]]
"""A converted batch: the rows to insert, and per entry its normalised batch (traces only)."""
Converter = Callable[[list[tuple[str, bytes]]], Converted]


def _pairs(entries: Sequence[Entry]) -> list[tuple[str, bytes]]:
    out = []
    for eid, fields in entries:
        project, body = fields.get(S.FIELD_PROJECT), fields.get(S.FIELD_BODY)
        if project is None or body is None:
            raise PermanentError(f"entry {eid.decode()} lacks the project or body field")
        out.append((project.decode(), body))
    return out


def _reason(exc: Exception) -> str:
    if isinstance(exc, PermanentError):
        return str(exc)
    if isinstance(exc, DecodeError):
        return f"undecodable protobuf: {exc}"
    return f"unconvertible entry: {exc.__class__.__name__}: {exc}"


def convert_bisecting(
    entries: Sequence[Entry], convert: Converter
) -> tuple[list[Entry], list[Converted], list[tuple[Entry, str]]]:
    """Convert ``entries``; on failure split the batch until each bad entry stands alone.

    Conversion is pure (no I/O), so any exception it raises (``OverflowError`` of a timestamp
    past int64, ``ValueError``, ``ArrowInvalid``, an undecodable body, a missing field) is a
    property of the data: it fails the same way on every retry. Treating it as transient jammed the
    whole batch for minutes and then dead-lettered every entry in it, so it is permanent, but only
    for the entry that causes it. Returns the good entries, their conversions and ``(bad entry, reason)``.
    A clean batch costs one conversion; one bad entry in ``n`` costs about ``2 log2 n`` more.
    """
    try:
        return list(entries), [convert(_pairs(entries))], []
    except MemoryError:
        raise  # the machine, not the entry
    except Exception as exc:
        if len(entries) == 1:
            return [], [], [(entries[0], _reason(exc))]
    half = len(entries) // 2
    good_a, done_a, bad_a = convert_bisecting(entries[:half], convert)
    good_b, done_b, bad_b = convert_bisecting(entries[half:], convert)
    return good_a + good_b, done_a + done_b, bad_a + bad_b


def dedup_token(stream: str, entries: Sequence[Entry]) -> str:
    """Deterministic insert-deduplication token for a batch of stream entries."""
    h = hashlib.sha256(stream.encode())
    for eid, _ in entries:
        h.update(b"|" + eid)
    return h.hexdigest()


CONVERT_ENTRIES: Final = 4
"""Entries decoded and normalised together (one insert still takes the whole batch)."""


def normalised_batches(pairs: list[tuple[str, bytes]], max_value_len: int, scrub: Scrubber | None) -> Converted:
    """Decode trace entries once: the ``otel_traces`` rows, and per entry its normalised batch (IPC).

    The rows carry the normalised GenAI columns too, so ClickHouse computes no DEFAULT expression
    for them (those stay for writers that insert raw attributes only, such as the OTel collector).
    Entries are converted :data:`CONVERT_ENTRIES` at a time and the Arrow tables joined: the Python
    objects of a conversion (raw attribute dicts, normalised records) live for a few entries, not
    for the whole batch, so the writer's peak memory follows the batch's Arrow size.
    """
    if len(pairs) > CONVERT_ENTRIES:
        parts = [normalised_batches(pairs[i : i + CONVERT_ENTRIES], max_value_len, scrub)
                 for i in range(0, len(pairs), CONVERT_ENTRIES)]  # fmt: skip
        return pa.concat_tables([t for t, _ in parts]), [p for _, ps in parts for p in ps]
    seen: list[list[SpanSeen]] = []
    table = traces_to_arrow(pairs, max_value_len, scrub, seen)
    batch = span_batch.build_columns(span_batch.places_of(table), normalize_columns([s for e in seen for s in e]))
    table = span_batch.with_stored_columns(table, batch)
    payloads, at = [], 0
    for entry in seen:
        payloads.append(span_batch.to_ipc(batch.slice(at, len(entry))))
        at += len(entry)
    return table, payloads


def normalised_log_batches(pairs: list[tuple[str, bytes]], max_value_len: int, scrub: Scrubber | None) -> Converted:
    """Decode log entries once: the ``otel_logs`` rows, and per entry the normalised batch of the
    spans its GenAI events stand for (empty ``b""`` when it has none)."""
    seen: list[list[EventSeen]] = []
    table = logs_to_arrow(pairs, max_value_len, scrub, seen)
    payloads = []
    for entry in seen:
        spans = log_events.by_span(entry)
        if not spans:
            payloads.append(b"")
            continue
        batch = span_batch.build([(ref, 0) for ref, _ in spans], [normalize(attrs) for _, attrs in spans])
        payloads.append(span_batch.to_ipc(batch))
    return table, payloads


class OtlpWriter(StreamConsumer):
    """Persists one OTLP signal stream (traces or logs) into its ClickHouse table.

    The trace writer is also where each span is decoded and normalised, once: with ``publish``
    (the default) it publishes every stored entry's normalised batch on ``spans.normalized``, in the
    same ``MULTI`` as its ``XACK`` (:meth:`ack`), for the security engine and the cost calculator.
    The log writer does the same for the GenAI events tied to a span (:mod:`log_events`).
    """

    def __init__(
        self,
        redis: Redis,
        client: Client,
        database: str,
        consumer: str,
        *,
        signal: str = "traces",
        scrub: Scrubber | None = None,
        max_value_len: int = 262_144,
        fault_hook: FaultHook | None = None,
        publish: bool = True,
        insert: ArrowInsert | None = None,
        **kwargs: Any,
    ) -> None:
        stream = S.SPANS_STREAM if signal == "traces" else S.LOGS_STREAM
        super().__init__(redis, stream, S.WRITER_GROUP, consumer, **kwargs)
        self.client = client
        self.table = f"{database}.otel_traces" if signal == "traces" else f"{database}.otel_logs"
        self.signal = signal
        self.scrub = scrub
        self.max_value_len = max_value_len
        self.fault_hook = fault_hook
        self.publish = publish
        self.insert = insert or self._insert_arrow
        self.rows_written = 0
        self._outbox: dict[bytes, dict[bytes, bytes | memoryview | int]] = {}

    def _insert_arrow(self, table: str, data: pa.Table, token: str) -> None:
        self.client.insert_arrow(table, data, settings={"insert_deduplication_token": token})

    def _convert(self, pairs: list[tuple[str, bytes]]) -> Converted:
        if self.publish:
            both = normalised_batches if self.signal == "traces" else normalised_log_batches
            return both(pairs, self.max_value_len, self.scrub)
        convert = traces_to_arrow if self.signal == "traces" else logs_to_arrow
        return convert(pairs, self.max_value_len, self.scrub), []

    def _write(self, entries: list[Entry]) -> tuple[pa.Table | None, list[tuple[Entry, str]]]:
        good, done, bad = convert_bisecting(entries, self._convert)
        self._outbox = {}
        if self.publish:
            payloads = [p for _, entry_payloads in done for p in entry_payloads]
            for (eid, fields), body in zip(good, payloads, strict=True):
                if body:  # a log entry without GenAI events publishes nothing
                    self._outbox[eid] = {S.FIELD_PROJECT: fields[S.FIELD_PROJECT], S.FIELD_BODY: S.unpacked(body)}
        table = None
        if done:
            table = done[0][0] if len(done) == 1 else pa.concat_tables([t for t, _ in done])
        if self.fault_hook:
            self.fault_hook("before_insert")
        if table is not None and table.num_rows:
            # The token covers the stored entries only: a redelivery of the same batch splits the
            # same way (conversion is deterministic), so its insert is dropped as a duplicate.
            token = dedup_token(self.stream, good)
            self.insert(self.table, table, token)
        if self.fault_hook:
            self.fault_hook("after_insert")
        return table, bad

    async def ack(self, ids: list[bytes]) -> None:
        """Publish the acknowledged entries' normalised batches and ``XACK`` them, atomically."""
        out = [self._outbox.pop(eid) for eid in ids if eid in self._outbox]
        if not out:
            await super().ack(ids)
            return
        pipe = self.redis.pipeline(transaction=True)
        for fields in out:
            pipe.xadd(S.NORMALIZED_STREAM, fields)  # type: ignore[arg-type]
        pipe.xack(self.stream, self.group, *ids)
        await pipe.execute()

    async def handle(self, entries: list[Entry]) -> None:
        """Insert the batch's convertible entries; dead-letter the others, each with its reason.

        Returns only once ClickHouse has the good entries. Bad ones go to the DLQ after the insert,
        so a failed insert (transient) never leaves a dead-lettered entry to be retried again.
        """
        table, bad = await asyncio.to_thread(self._write, entries)
        for entry, reason in bad:
            self.counters["unconvertible"] += 1
            await self._dead_letter(entry, reason)
        if table is None:
            return
        self.rows_written += table.num_rows
        if self.signal == "traces" and table.num_rows:
            await self._announce(table)

    async def _announce(self, table: pa.Table) -> None:
        """Tell live subscribers (API WebSocket) which traces just became queryable."""
        projects = table.column("ProjectId")
        names = pc.unique(projects).to_pylist()
        for project in names:
            rows = table if len(names) == 1 else table.filter(pc.equal(projects, project))
            # Most batches hold one project's spans: no mask, no filter then.
            tids = pc.unique(rows.column("TraceId")).to_pylist()
            msg = {"kind": "spans", "project": project, "count": rows.num_rows, "trace_ids": tids[:200]}
            try:
                await self.redis.publish(S.LIVE_CHANNEL, orjson.dumps(msg))
            except Exception:  # the live feed is best effort; the data is already stored
                log.debug("live announce failed", exc_info=True)


class RowsWriter(StreamConsumer):
    """Persists JSON rows published by a processor (alerts, costs) into a ClickHouse table.

    Entries carry ``r`` = a JSON array of row objects with the table's column names.
    """

    def __init__(
        self,
        redis: Redis,
        client: Client,
        stream: str,
        table: str,
        columns: Sequence[str],
        consumer: str,
        **kwargs: Any,
    ) -> None:
        super().__init__(redis, stream, S.WRITER_GROUP, consumer, **kwargs)
        self.client = client
        self.table = table
        self.columns = list(columns)

    async def handle(self, entries: list[Entry]) -> None:
        """Insert every row of the batch: JSON rows as rows, Arrow rows as Arrow (one insert each)."""
        rows: list[list[Any]] = []
        tables: list[pa.Table] = []
        for eid, fields in entries:
            arrow = fields.get(S.FIELD_ARROW)
            try:
                if arrow is not None:
                    tables.append(arrow_rows.loads(arrow, self.columns))
                    continue
                objs = orjson.loads(fields[S.FIELD_ROWS])
                rows.extend([obj[c] for c in self.columns] for obj in objs)
            except (KeyError, TypeError, ValueError, OSError) as exc:  # orjson's and Arrow's errors are ValueErrors
                raise PermanentError(f"entry {eid.decode()}: bad row payload ({exc!r})") from exc
        table = None
        if tables:  # joined before anything is inserted: a refusal then leaves nothing half-written
            try:
                table = pa.concat_tables(tables, promote_options="default")
            except pa.ArrowInvalid as exc:  # differently typed columns: insert entry by entry instead
                raise PermanentError(f"entries of mixed Arrow schemas ({exc})") from exc
        token = dedup_token(self.stream, entries)
        if rows:
            await asyncio.to_thread(
                self.client.insert,
                self.table,
                rows,
                column_names=self.columns,
                settings={"insert_deduplication_token": token + (":rows" if table is not None else "")},
            )
        if table is not None:
            await asyncio.to_thread(
                self.client.insert_arrow,
                self.table,
                table,
                settings={"insert_deduplication_token": token + (":arrow" if rows else "")},
            )
        for project, kind, payload in self._announcements(rows):
            await self.redis.publish(S.LIVE_CHANNEL, orjson.dumps({"kind": kind, "project": project, **payload}))

    def _announcements(self, rows: list[list[Any]]) -> list[tuple[str, str, dict[str, Any]]]:
        return []
