"""Redis stream, consumer-group and key names shared by the receiver, the processors and the API.

These names are the contract between processes: the receiver publishes, processors consume, the
API reads key registrations. Changing one is a wire-format change.
"""

from __future__ import annotations

from typing import Final

SPANS_STREAM: Final = "spans.ingest"
"""Accepted OTLP trace requests: one entry per HTTP/gRPC request (protobuf bytes + project)."""

NORMALIZED_STREAM: Final = "spans.normalized"
"""Spans decoded and normalised once, by the writer: one entry per :data:`SPANS_STREAM` entry it
stored (an Arrow IPC stream of ``agentstate.processors.span_batch`` columns + project), published in
the same ``MULTI`` as its ``XACK``. The security engine and the cost calculator consume it."""

LOGS_STREAM: Final = "logs.ingest"
"""Accepted OTLP log requests (GenAI content events arrive as logs)."""

ALERTS_STREAM: Final = "alerts.out"
"""Security alerts produced by the security engine, persisted by the ClickHouse writer."""

COSTS_STREAM: Final = "costs.out"
"""Cost rows produced by the cost calculator, persisted by the ClickHouse writer."""

LIVE_CHANNEL: Final = "live.events"
"""Pub/sub channel on which the writer announces persisted traces, spans and alerts."""

DEAD_LETTER_SUFFIX: Final = ".dlq"
"""A consumer that gives up on an entry appends it to ``<stream>.dlq`` with the reason."""

WRITER_GROUP: Final = "writer"
"""Consumer group of the ClickHouse writer on every stream it persists."""

SECURITY_GROUP: Final = "security"
"""Consumer group of the security engine on :data:`NORMALIZED_STREAM`."""

COST_GROUP: Final = "cost"
"""Consumer group of the cost calculator on :data:`NORMALIZED_STREAM`."""

SPAN_GROUPS: Final = (WRITER_GROUP,)
"""Every group that must see each :data:`SPANS_STREAM` entry; created with the stream so none misses one."""

NORMALIZED_GROUPS: Final = (SECURITY_GROUP, COST_GROUP)
"""Every group that must see each :data:`NORMALIZED_STREAM` entry; created with it."""

FIELD_PROJECT: Final = b"p"
"""Stream entry field: the project ID taken from the ingest key (never from the payload)."""

FIELD_BODY: Final = b"b"
"""Stream entry field: the serialized ``Export*ServiceRequest`` protobuf (decompressed)."""

FIELD_COUNT: Final = b"n"
"""Stream entry field: number of spans (or log records) in the body."""

FIELD_RECEIVED: Final = b"t"
"""Stream entry field: receive time, Unix nanoseconds."""

FIELD_ROWS: Final = b"r"
"""Output stream entry field (costs, alerts): a JSON array of row objects keyed by column name."""

FIELD_ARROW: Final = b"a"
"""Output stream entry field (costs): the rows as one Arrow IPC stream (LZ4), columns named as the
table's; the writer inserts it as Arrow, with no Python object per row on either side."""

FIELD_REASON: Final = b"reason"
"""Dead-letter entry field: why the entry was given up on."""

API_KEYS_HASH: Final = "agentstate:apikeys"
"""Redis hash ``key_hash -> project_id`` that the receiver authenticates ingest keys against."""

BUDGETS_HASH: Final = "agentstate:budgets"
"""Redis hash ``budget_id -> JSON budget`` (``id``, ``project_id``, ``scope``, ``limit_usd``, ``period``,
``key``, ``severity``): the API's budgets mirrored for the cost workers, which re-read it every few seconds."""


def dead_letter(stream: str) -> str:
    """Return the dead-letter stream name of ``stream``."""
    return stream + DEAD_LETTER_SUFFIX


def unpacked(value: bytes) -> memoryview:
    """A large entry field (a request body, a normalised batch, Arrow rows) as ``XADD`` should get it.

    With ``hiredis`` installed, redis-py packs a command with ``hiredis.pack_command``, which takes
    ~1 ns per byte of argument: 647 µs for a 700 KB request body, ~1.3 µs per bench span, a quarter of
    the receiver's CPU at full load (py-spy, 2026-12-06). redis-py packs any command that holds a
    ``memoryview`` in Python instead, where a large argument is passed on as its own chunk, not copied
    (21 µs for the same command, chunks joined).
    """
    return memoryview(value)
