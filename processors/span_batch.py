"""The normalised span batch: every span decoded and normalised once, as Arrow columns.

The writer decodes each ``spans.ingest`` entry once (:mod:`otlp_rows`), normalises every span once
(:func:`agentstate.processors.normalize.normalize`, generated from the dialect table) and publishes,
atomically with its ``XACK``, one entry per source entry on ``spans.normalized``: an Arrow IPC stream
of the columns below. The security engine and the cost calculator read those columns; neither parses
protobuf nor interprets raw attribute keys again.

Scalar fields are typed columns (the cost calculator filters and prices on them without building a
Python object per span). Messages are nested records that only the detectors read, one compact JSON
document per span (``[role, content, [[tool name, arguments, id]…], tool_call_id, name,
finish_reason]``): Arrow structs would be rebuilt into the same Python objects anyway.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import fields
from operator import attrgetter
from typing import Any, Final

import orjson
import pyarrow as pa
import pyarrow.compute as pc

from agentstate.processors.pricing import SpanRef
from agentstate.semconv.span_record import (
    MODEL_OPERATIONS,
    Dialect,
    Message,
    NormalizedSpan,
    Operation,
    ToolCall,
    new_turn,
)

_STR: Final = pa.string()
_INT: Final = pa.int64()
_STRS: Final = pa.list_(pa.string())

_REF_FIELDS: Final = (
    ("project", _STR),
    ("trace_id", _STR),
    ("span_id", _STR),
    ("start_ns", _INT),
    ("service", _STR),
    ("duration_ns", _INT),
)
_SCALAR_STR: Final = (
    "provider",
    "request_model",
    "response_model",
    "response_id",
    "session_id",
    "user_id",
    "agent_name",
    "workflow_name",
    "tool_name",
    "tool_call_id",
    "tool_arguments",
    "tool_result",
    "input_text",
    "output_text",
)
_SCALAR_INT: Final = (
    "input_tokens",
    "output_tokens",
    "cache_read_tokens",
    "cache_write_tokens",
    "reasoning_tokens",
    "total_tokens",
    "request_max_tokens",
)
_JSON: Final = ("input_messages", "output_messages", "redacted")

SCHEMA: Final = pa.schema(
    [
        *(pa.field(n, t) for n, t in _REF_FIELDS),
        pa.field("dialect", _STR),
        pa.field("operation", _STR),
        *(pa.field(n, _STR) for n in _SCALAR_STR),
        *(pa.field(n, _INT) for n in _SCALAR_INT),
        pa.field("reported_cost_usd", pa.float64()),
        pa.field("finish_reasons", _STRS),
        pa.field("documents", _STRS),
        *(pa.field(n, _STR) for n in _JSON),
    ]
)
"""Columns of one normalised batch: the span's place (:class:`SpanRef` and duration), then every
:class:`NormalizedSpan` field, except that ``input_messages`` holds only the call's new turn
(:func:`~agentstate.semconv.span_record.new_turn`): the security engine reads nothing else of a
model's input, the cost calculator none of it, and ClickHouse stores the whole input from the span's
attributes. Agents resend their conversation with every call, so a 12-message history made a
span's input ~12 times the new messages, in Valkey and in every worker's decode."""

_SPAN_FIELDS: Final = tuple(f.name for f in fields(NormalizedSpan))
"""The record's fields in constructor order."""

Item = tuple[SpanRef, NormalizedSpan, int]
"""What the detectors take per span: where it is, its normalised fields, its duration (ns)."""


def _message_doc(m: Message) -> list[Any]:
    return [
        m.role,
        m.content,
        [[c.name, c.arguments, c.id] for c in m.tool_calls],
        m.tool_call_id,
        m.name,
        m.finish_reason,
    ]


def _messages_json(messages: tuple[Message, ...]) -> str | None:
    return orjson.dumps([_message_doc(m) for m in messages]).decode() if messages else None


MessageDoc = list[Any]
"""A message as a messages column stores it: ``[role, content, [[name, arguments, id], ...],
tool_call_id, name, finish_reason]`` (:func:`_message_doc`)."""


def message_docs(doc: str | None) -> list[MessageDoc]:
    """A messages column's value as its message documents, without building records (none: ``[]``)."""
    return orjson.loads(doc) if doc else []


def _message(doc: list[Any]) -> Message:
    role, content, calls, call_id, name, finish = doc
    return Message(role, content, tuple(ToolCall(n, a, i) for n, a, i in calls) if calls else (), call_id, name, finish)


def build(places: Sequence[tuple[SpanRef, int]], spans: Sequence[NormalizedSpan]) -> pa.Table:
    """One batch from each span's place (reference and duration) and normalised fields."""
    refs = [ref for ref, _ in places]
    where = {
        "project": [r.project_id for r in refs],
        "trace_id": [r.trace_id for r in refs],
        "span_id": [r.span_id for r in refs],
        "start_ns": [r.start_time_unix_nano for r in refs],
        "service": [r.service_name for r in refs],
        "duration_ns": [d for _, d in places],
    }
    fields = {name: list(map(attrgetter(name), spans)) for name in _SPAN_FIELDS}
    # the batch carries the call's new turn only (SCHEMA); the writer's normaliser cuts it before parsing
    fields["input_messages"] = [new_turn(m) for m in fields["input_messages"]]
    return build_columns(where, fields)


def places_of(traces: pa.Table) -> dict[str, Any]:
    """The place columns of a batch (:data:`SCHEMA`'s first six) from the ``otel_traces`` rows of its spans."""
    return {
        "project": traces.column("ProjectId"),
        "trace_id": traces.column("TraceId"),
        "span_id": traces.column("SpanId"),
        "start_ns": traces.column("Timestamp").cast(_INT),
        "service": traces.column("ServiceName"),
        "duration_ns": traces.column("Duration").cast(_INT),
    }


def build_columns(places: Mapping[str, Any], fields: Mapping[str, list[Any]]) -> pa.Table:
    """One batch from its place columns (lists or Arrow arrays: :func:`places_of`) and its spans'
    normalised fields as columns (one list per :class:`NormalizedSpan` field, as
    ``normalize.normalize_columns`` gives them, ``input_messages`` already cut to the new turn).

    Column by column (one comprehension per field, then one Arrow conversion each): a Python loop
    per span over every field cost several times more.
    """
    cols: dict[str, Any] = {
        **{name: places[name] for name, _ in _REF_FIELDS},
        "dialect": [d.value for d in fields["dialect"]],
        "operation": [o.value for o in fields["operation"]],
    }
    for name in (*_SCALAR_STR, *_SCALAR_INT, "reported_cost_usd", "finish_reasons", "documents"):
        cols[name] = fields[name]
    cols["input_messages"] = [_messages_json(m) if m else None for m in fields["input_messages"]]
    cols["output_messages"] = [_messages_json(m) if m else None for m in fields["output_messages"]]
    cols["redacted"] = [orjson.dumps(r).decode() if r else None for r in fields["redacted"]]
    arrays = [c if isinstance(c := cols[f.name], pa.ChunkedArray) else pa.array(c, f.type) for f in SCHEMA]
    return pa.Table.from_arrays(arrays, schema=SCHEMA)


_STORED_STR: Final = (
    ("GenAiProvider", "provider"),
    ("GenAiRequestModel", "request_model"),
    ("SessionId", "session_id"),
    ("UserId", "user_id"),
    ("AgentName", "agent_name"),
    ("ToolName", "tool_name"),
)
_STORED_INT: Final = (
    ("InputTokens", "input_tokens"),
    ("OutputTokens", "output_tokens"),
    ("CacheReadTokens", "cache_read_tokens"),
    ("CacheWriteTokens", "cache_write_tokens"),
    ("ReasoningTokens", "reasoning_tokens"),
)


def with_stored_columns(rows: pa.Table, batch: pa.Table) -> pa.Table:
    """``rows`` (``otel_traces``) plus the normalised columns ClickHouse would compute, from ``batch``.

    Vectorised, with the DEFAULT expressions' conventions: absent is ``''`` or 0, an unknown
    operation is ``''``, the stored response model is the model billed (response, else request).
    """
    op = batch.column("operation")
    cols: list[tuple[str, pa.ChunkedArray]] = [("GenAiOperation", pc.if_else(pc.equal(op, "unknown"), "", op))]
    cols += [(name, pc.fill_null(batch.column(src), "")) for name, src in _STORED_STR]
    model = pc.coalesce(batch.column("response_model"), batch.column("request_model"), pa.scalar("", _STR))
    cols.append(("GenAiResponseModel", model))
    cols += [(name, pc.fill_null(batch.column(src), 0).cast(pa.uint64())) for name, src in _STORED_INT]
    for name, values in cols:
        rows = rows.append_column(name, values)
    return rows


_IPC_OPTIONS: Final = pa.ipc.IpcWriteOptions(compression="lz4", use_threads=False)
"""LZ4 buffers: 1,403 -> 551 bytes per GenAI span (the messages dominate) for ~2 us/span to write and
~1 to read. The batches wait in Redis until the security and cost groups read them, and Redis memory
is what the receiver's backpressure is set on, so 2.5x less is 2.5x more backlog before a 503.
Compressed in the writing thread: 0.80-0.85 ms of CPU per 500-span batch against 1.07-1.31 handed to
Arrow's thread pool, whose threads only compete with the other processes on a 2-core machine."""


def to_ipc(table: pa.Table) -> bytes:
    """Serialise ``table`` as one Arrow IPC stream (the stream entry's body)."""
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, SCHEMA, options=_IPC_OPTIONS) as writer:
        writer.write_table(table)
    return bytes(sink.getvalue().to_pybytes())


_LISTS: Final = frozenset({"finish_reasons", "documents"})
_CONTENT: Final = frozenset({"input_messages", "output_messages", "documents", "tool_arguments", "tool_result",
                               "input_text", "output_text"})  # fmt: skip
"""Columns only the detectors read (the cost calculator leaves them out)."""
PRICING_SCHEMA: Final = pa.schema([f for f in SCHEMA if f.name not in _CONTENT])
"""The columns of a batch read without content (``from_ipc(content=False)``)."""
_PRICING_READ_OPTIONS: Final = pa.ipc.IpcReadOptions(
    use_threads=False, included_fields=[i for i, f in enumerate(SCHEMA) if f.name not in _CONTENT]
)
_READ_OPTIONS: Final = pa.ipc.IpcReadOptions(use_threads=False)
"""Decompress in the reading thread: a 500-span batch took 212 µs against 248 handed to Arrow's
pool (whose threads only compete with the other processes on a 2-core machine)."""


def from_ipc(bodies: Sequence[bytes], *, content: bool = True) -> pa.Table:
    """The batches of several stream entries as one table (raises ``pa.ArrowInvalid`` on garbage).

    Without ``content`` the content columns (messages, documents, tool and generic I/O: most of the
    bytes) are neither decompressed nor read: the cost calculator's columns only (:data:`PRICING_SCHEMA`).
    """
    schema, options = (SCHEMA, _READ_OPTIONS) if content else (PRICING_SCHEMA, _PRICING_READ_OPTIONS)
    tables = []
    for b in bodies:
        reader = pa.ipc.open_stream(pa.py_buffer(b), options=options)
        if not reader.schema.equals(schema):
            raise pa.ArrowInvalid(f"unexpected normalised-batch schema: {reader.schema}")
        tables.append(reader.read_all())
    if not tables:
        return schema.empty_table()
    return tables[0] if len(tables) == 1 else pa.concat_tables(tables)


def model_calls(table: pa.Table) -> pa.Table:
    """The rows of billable model calls (chat, completion, embeddings): one vectorised filter."""
    ops = pa.array([op.value for op in MODEL_OPERATIONS], _STR)
    return table.filter(pc.is_in(table.column("operation"), value_set=ops))


_DIALECTS: Final = {d.value: d for d in Dialect}
_OPERATIONS: Final = {o.value: o for o in Operation}


def _messages(docs: list[str | None]) -> list[tuple[Message, ...]]:
    """Each row's messages (a column at a time: most rows have none, and cost no call)."""
    return [tuple([_message(d) for d in orjson.loads(doc)]) if doc else () for doc in docs]


def _convert(convert: Callable[[Any], Any]) -> Callable[[list[Any]], list[Any]]:
    return lambda values: list(map(convert, values))


def _tuples(column: pa.ChunkedArray) -> list[tuple[str, ...]]:
    """A list-of-strings column as one tuple per row (a null list is empty).

    ``to_pylist`` builds each row's list through Arrow scalars (2.4 µs per row for
    ``finish_reasons``); one conversion of the values and slicing by the offsets is ~10x cheaper.
    """
    out: list[tuple[str, ...]] = []
    for chunk in column.chunks:
        offsets = chunk.offsets.to_pylist()
        base = offsets[0]
        values = chunk.values.slice(base, offsets[-1] - base).to_pylist()
        valid = chunk.is_valid().to_pylist() if chunk.null_count else None
        for i in range(len(chunk)):
            a, b = offsets[i] - base, offsets[i + 1] - base
            out.append(tuple(values[a:b]) if a != b and (valid is None or valid[i]) else ())
    return out


def _redacted(doc: str | None) -> tuple[tuple[str, str, int], ...]:
    return tuple((k, t, n) for k, t, n in orjson.loads(doc)) if doc else ()


_COLUMN_CONVERT: Final[dict[str, Callable[[list[Any]], list[Any]]]] = {
    "dialect": _convert(_DIALECTS.__getitem__),
    "operation": _convert(_OPERATIONS.__getitem__),
    "input_messages": _messages,
    "output_messages": _messages,
    "redacted": _convert(_redacted),
}
"""Columns whose stored form is not the record's: converted a column at a time."""


def items(table: pa.Table, *, content: bool = True) -> list[Item]:
    """Rebuild ``(SpanRef, NormalizedSpan, duration)`` per row, for the per-span detectors.

    Column by column, then one positional constructor call per span (the record's field order).
    Without ``content``, messages, documents and tool and generic I/O are left empty (pricing).
    """
    n = table.num_rows
    col = {
        name: ([() if name in _LISTS else None] * n if not content and name in _CONTENT else
               _tuples(table.column(name)) if name in _LISTS else table.column(name).to_pylist())
        for name in SCHEMA.names
    }  # fmt: skip
    refs = map(SpanRef, col["project"], col["trace_id"], col["span_id"], col["start_ns"], col["service"])
    args = [_COLUMN_CONVERT[name](col[name]) if name in _COLUMN_CONVERT else col[name] for name in _SPAN_FIELDS]
    return list(zip(refs, map(NormalizedSpan, *args), col["duration_ns"], strict=True))
