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
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.compute as pc
from clickhouse_connect.driver.client import Client
from google.protobuf.message import DecodeError
from redis.asyncio import Redis

from agentstate.processors.consumer import Entry, PermanentError, StreamConsumer
from agentstate.processors.otlp_rows import Scrubber, logs_to_arrow, traces_to_arrow
from agentstate.semconv import streams as S

log = logging.getLogger(__name__)

FaultHook = Callable[[str], None]
"""Test seam: called with ``"before_insert"`` / ``"after_insert"``; a fault-injection test kills
the process there to prove at-least-once delivery. ``None`` in production."""


def _pairs(entries: list[Entry]) -> list[tuple[str, bytes]]:
    out = []
    for eid, fields in entries:
        project, body = fields.get(S.FIELD_PROJECT), fields.get(S.FIELD_BODY)
        if project is None or body is None:
            raise PermanentError(f"entry {eid.decode()} lacks the project or body field")
        out.append((project.decode(), body))
    return out


def dedup_token(stream: str, entries: Sequence[Entry]) -> str:
    """Deterministic insert-deduplication token for a batch of stream entries."""
    h = hashlib.sha256(stream.encode())
    for eid, _ in entries:
        h.update(b"|" + eid)
    return h.hexdigest()


class OtlpWriter(StreamConsumer):
    """Persists one OTLP signal stream (traces or logs) into its ClickHouse table."""

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
        self.rows_written = 0

    def _convert(self, pairs: list[tuple[str, bytes]]) -> pa.Table:
        convert = traces_to_arrow if self.signal == "traces" else logs_to_arrow
        try:
            return convert(pairs, self.max_value_len, self.scrub)
        except DecodeError as exc:
            raise PermanentError(f"undecodable protobuf: {exc}") from exc

    def _write(self, pairs: list[tuple[str, bytes]], token: str) -> pa.Table:
        table = self._convert(pairs)
        if self.fault_hook:
            self.fault_hook("before_insert")
        if table.num_rows:
            self.client.insert_arrow(self.table, table, settings={"insert_deduplication_token": token})
        if self.fault_hook:
            self.fault_hook("after_insert")
        return table

    async def handle(self, entries: list[Entry]) -> None:
        """Insert the batch; returns only once ClickHouse has it."""
        pairs = _pairs(entries)
        table = await asyncio.to_thread(self._write, pairs, dedup_token(self.stream, entries))
        self.rows_written += table.num_rows
        if self.signal == "traces" and table.num_rows:
            await self._announce(table)

    async def _announce(self, table: pa.Table) -> None:
        """Tell live subscribers (API WebSocket) which traces just became queryable."""
        projects = table.column("ProjectId")
        for project in pc.unique(projects).to_pylist():
            mask = pc.equal(projects, project)
            tids = pc.unique(pc.filter(table.column("TraceId"), mask)).to_pylist()
            msg = {"kind": "spans", "project": project, "count": int(pc.sum(mask).as_py() or 0),
                   "trace_ids": tids[:200]}
            try:
                await self.redis.publish(S.LIVE_CHANNEL, orjson.dumps(msg))
            except Exception:  # the live feed is best effort; the data is already stored
                log.debug("live announce failed", exc_info=True)


class RowsWriter(StreamConsumer):
    """Persists JSON rows published by a processor (alerts, costs) into a ClickHouse table.

    Entries carry ``r`` = a JSON array of row objects with the table's column names.
    """

    def __init__(
        self, redis: Redis, client: Client, stream: str, table: str, columns: Sequence[str], consumer: str,
        **kwargs: Any,
    ) -> None:
        super().__init__(redis, stream, S.WRITER_GROUP, consumer, **kwargs)
        self.client = client
        self.table = table
        self.columns = list(columns)

    async def handle(self, entries: list[Entry]) -> None:
        """Insert every row of the batch."""
        rows: list[list[Any]] = []
        for eid, fields in entries:
            try:
                objs = orjson.loads(fields[b"r"])
                rows.extend([obj[c] for c in self.columns] for obj in objs)
            except (KeyError, TypeError, orjson.JSONDecodeError) as exc:
                raise PermanentError(f"entry {eid.decode()}: bad row payload ({exc!r})") from exc
        if rows:
            token = dedup_token(self.stream, entries)
            await asyncio.to_thread(
                self.client.insert, self.table, rows, column_names=self.columns,
                settings={"insert_deduplication_token": token},
            )
        for project, kind, payload in self._announcements(rows):
            await self.redis.publish(S.LIVE_CHANNEL, orjson.dumps({"kind": kind, "project": project, **payload}))

    def _announcements(self, rows: list[list[Any]]) -> list[tuple[str, str, dict[str, Any]]]:
        return []
