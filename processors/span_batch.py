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

from collections.abc import Sequence
from typing import Any, Final

import orjson
import pyarrow as pa
import pyarrow.compute as pc

from agentstate.processors.pricing import SpanRef
from agentstate.semconv.record import (
    MODEL_OPERATIONS,
    Dialect,
    Message,
    NormalizedSpan,
    Operation,
    ToolCall,
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
:class:`NormalizedSpan` field."""

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


def _message(doc: list[Any]) -> Message:
    role, content, calls, call_id, name, finish = doc
    return Message(role, content, tuple(ToolCall(n, a, i) for n, a, i in calls), call_id, name, finish)


def build(places: Sequence[tuple[SpanRef, int]], spans: Sequence[NormalizedSpan]) -> pa.Table:
    """One batch from each span's place (reference and duration) and normalised fields."""
    cols: dict[str, list[Any]] = {f.name: [] for f in SCHEMA}
    for ref, duration in places:
        cols["project"].append(ref.project_id)
        cols["trace_id"].append(ref.trace_id)
        cols["span_id"].append(ref.span_id)
        cols["start_ns"].append(ref.start_time_unix_nano)
        cols["service"].append(ref.service_name)
        cols["duration_ns"].append(duration)
    for s in spans:
        cols["dialect"].append(s.dialect.value)
        cols["operation"].append(s.operation.value)
        for n in _SCALAR_STR:
            cols[n].append(getattr(s, n))
        for n in _SCALAR_INT:
            cols[n].append(getattr(s, n))
        cols["reported_cost_usd"].append(s.reported_cost_usd)
        cols["finish_reasons"].append(list(s.finish_reasons))
        cols["documents"].append(list(s.documents))
        cols["input_messages"].append(_messages_json(s.input_messages))
        cols["output_messages"].append(_messages_json(s.output_messages))
        cols["redacted"].append(orjson.dumps(s.redacted).decode() if s.redacted else None)
    return pa.Table.from_pydict(cols, schema=SCHEMA)


def to_ipc(table: pa.Table) -> bytes:
    """Serialise ``table`` as one Arrow IPC stream (the stream entry's body)."""
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, SCHEMA) as writer:
        writer.write_table(table)
    return bytes(sink.getvalue().to_pybytes())


def from_ipc(bodies: Sequence[bytes]) -> pa.Table:
    """The batches of several stream entries as one table (raises ``pa.ArrowInvalid`` on garbage)."""
    tables = [pa.ipc.open_stream(pa.py_buffer(b)).read_all() for b in bodies]
    if not tables:
        return SCHEMA.empty_table()
    for t in tables:
        if not t.schema.equals(SCHEMA):
            raise pa.ArrowInvalid(f"unexpected normalised-batch schema: {t.schema}")
    return tables[0] if len(tables) == 1 else pa.concat_tables(tables)


def model_calls(table: pa.Table) -> pa.Table:
    """The rows of billable model calls (chat, completion, embeddings): one vectorised filter."""
    ops = pa.array([op.value for op in MODEL_OPERATIONS], _STR)
    return table.filter(pc.is_in(table.column("operation"), value_set=ops))


def items(table: pa.Table) -> list[Item]:
    """Rebuild ``(SpanRef, NormalizedSpan, duration)`` per row, for the per-span detectors."""
    c = table.to_pydict()
    out: list[Item] = []
    str_cols = [c[n] for n in _SCALAR_STR]
    int_cols = [c[n] for n in _SCALAR_INT]
    for i in range(table.num_rows):
        ref = SpanRef(c["project"][i], c["trace_id"][i], c["span_id"][i], c["start_ns"][i], c["service"][i])
        s = dict(zip(_SCALAR_STR, (col[i] for col in str_cols), strict=True))
        s.update(zip(_SCALAR_INT, (col[i] for col in int_cols), strict=True))
        inp, outp, red = c["input_messages"][i], c["output_messages"][i], c["redacted"][i]
        span = NormalizedSpan(
            dialect=Dialect(c["dialect"][i]),
            operation=Operation(c["operation"][i]),
            finish_reasons=tuple(c["finish_reasons"][i]),
            documents=tuple(c["documents"][i]),
            input_messages=tuple(_message(d) for d in orjson.loads(inp)) if inp else (),
            output_messages=tuple(_message(d) for d in orjson.loads(outp)) if outp else (),
            reported_cost_usd=c["reported_cost_usd"][i],
            redacted=tuple((k, t, n) for k, t, n in orjson.loads(red)) if red else (),
            **s,
        )
        out.append((ref, span, c["duration_ns"][i]))
    return out
