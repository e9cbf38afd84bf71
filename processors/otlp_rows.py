"""OTLP protobuf → columnar Arrow tables in the ``clickhouseexporter`` value conventions.

This is the writer's hot path. It is columnar on purpose: one flat Python list per column (map
columns as flat key/value lists plus offsets), turned into Arrow arrays in one C call each. No dict
or tuple per row, no object per attribute beyond its key and value strings. Values follow pdata
``Value.AsString()``: strings as is, ``true``/``false``, decimal ints, JSON-number doubles,
base64 bytes, compact JSON for arrays and kvlists.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Sequence
from typing import Any

import orjson
import pyarrow as pa
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from agentstate.processors import log_events
from agentstate.processors.clickhouse_schema import LOG_COLUMNS, TRACE_COLUMNS
from agentstate.processors.log_events import EventSeen
from agentstate.processors.pricing import SpanRef
from agentstate.processors.scrub import ENDPOINT, MIN_LEN, ScrubBatch, Scrubber
from agentstate.processors.span_view import plain
from agentstate.semconv.attributes import SCRUBBED_MARK

SPAN_KINDS = ("Unspecified", "Internal", "Server", "Client", "Producer", "Consumer")
STATUS_CODES = ("Unset", "Ok", "Error")
_ZERO8 = bytes(8)
_ZERO16 = bytes(16)
_TRUNC_MARK = "…[TRUNCATED]"


def _fmt_double(x: float) -> str:
    if math.isfinite(x) and x == int(x) and abs(x) < 1e21:
        return str(int(x))
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    return repr(x)


def value_str(v: Any) -> str:
    """Render an OTLP ``AnyValue`` exactly as the collector's ``Value.AsString()`` does."""
    fields = v.ListFields()
    if not fields:
        return ""
    x = fields[0][1]
    t = type(x)
    if t is str:
        return x  # type: ignore[no-any-return]
    if t is bool:
        return "true" if x else "false"
    if t is int:
        return str(x)
    if t is float:
        return _fmt_double(x)
    if t is bytes:
        return base64.b64encode(x).decode("ascii")
    return orjson.dumps(plain(v)).decode()


class _MapBuilder:
    """Flat keys/values + offsets for a ``Map(String, String)`` column (or a list of maps)."""

    __slots__ = ("keys", "offsets", "values", "vcap")

    def __init__(self, vcap: int) -> None:
        self.keys: list[str] = []
        self.values: list[str] = []
        self.offsets: list[int] = [0]
        self.vcap = vcap

    def add(self, kvs: Any, scrub: ScrubBatch | None, raw: dict[str, str] | None = None) -> None:
        keys, values, vcap = self.keys, self.values, self.vcap
        if scrub is not None:
            kinds, pending = scrub.kinds, scrub.pending
        for kv in kvs:
            key = kv.key
            v = kv.value
            val = v.string_value  # fast path: most values are non-empty strings (one C call)
            if not val:
                val = value_str(v)
            if raw is not None:
                raw[key] = val  # what the normaliser reads: before truncation and scrubbing
            if len(val) > vcap:
                val = val[:vcap] + _TRUNC_MARK
            keys.append(key)
            if scrub is not None:  # ScrubBatch.defer, inline: redacted in place when the conversion flushes
                kind = kinds.get(key)
                if kind is None:
                    kind = scrub.kind(key)
                if kind and len(val) >= MIN_LEN:  # SAFE is 0
                    pending.append((values, len(values), kind == ENDPOINT))
            values.append(val)
        self.offsets.append(len(keys))

    def extend_same(self, keys: list[str], values: list[str]) -> None:
        self.keys.extend(keys)
        self.values.extend(values)
        self.offsets.append(len(self.keys))

    def array(self) -> pa.MapArray:
        return pa.MapArray.from_arrays(
            pa.array(self.offsets, pa.int32()), pa.array(self.keys, pa.string()), pa.array(self.values, pa.string())
        )


def _hex_or_empty(b: bytes, zero: bytes) -> str:
    return b.hex() if b and b != zero else ""


def _list(offsets: list[int], values: pa.Array) -> pa.ListArray:
    return pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), values)


SpanSeen = tuple[dict[str, str], str]
"""One decoded span for the normaliser: its raw attribute values and its name (its place is in the table's
columns: ``span_batch.places_of``)."""


def traces_to_arrow(
    entries: Sequence[tuple[str, bytes]],
    max_value_len: int = 262_144,
    scrub: Scrubber | None = None,
    seen: list[list[SpanSeen]] | None = None,
) -> pa.Table:
    """Convert ``(project, ExportTraceServiceRequest bytes)`` entries to one ``otel_traces`` table.

    With ``seen``, also append per entry the list of its spans as the normaliser reads them
    (attribute values rendered as the table stores them, unscrubbed and untruncated), so each span is
    decoded once for storage and for normalisation alike.
    """
    ts: list[int] = []
    dur: list[int] = []
    tid: list[str] = []
    sid: list[str] = []
    pid: list[str] = []
    tstate: list[str] = []
    name: list[str] = []
    kind: list[str] = []
    svc: list[str] = []
    scope_n: list[str] = []
    scope_v: list[str] = []
    st_code: list[str] = []
    st_msg: list[str] = []
    proj: list[str] = []
    res = _MapBuilder(max_value_len)
    attrs = _MapBuilder(max_value_len)
    ev_off: list[int] = [0]
    ev_ts: list[int] = []
    ev_name: list[str] = []
    ev_attrs = _MapBuilder(max_value_len)
    ln_off: list[int] = [0]
    ln_tid: list[str] = []
    ln_sid: list[str] = []
    ln_state: list[str] = []
    ln_attrs = _MapBuilder(max_value_len)
    kinds, codes = SPAN_KINDS, STATUS_CODES
    batch = scrub.batch() if scrub is not None else None
    for project, body in entries:
        req = ExportTraceServiceRequest.FromString(body)
        entry_seen: list[SpanSeen] | None = None
        if seen is not None:
            entry_seen = []
            seen.append(entry_seen)
        for rs in req.resource_spans:
            rb = _MapBuilder(max_value_len)
            rb.add(rs.resource.attributes, None)
            rkeys, rvals = rb.keys, rb.values
            service = ""
            sc = batch
            for k, v in zip(rkeys, rvals, strict=True):
                if k == "service.name":
                    service = v
                elif k == SCRUBBED_MARK and v == "true":
                    sc = None  # our SDK already scrubbed this resource's spans before export
            for ss in rs.scope_spans:
                sname, sver = ss.scope.name, ss.scope.version
                for s in ss.spans:
                    start = s.start_time_unix_nano
                    ts.append(start)
                    dur.append(max(0, s.end_time_unix_nano - start))
                    tid.append(s.trace_id.hex())
                    sid.append(s.span_id.hex())
                    pid.append(_hex_or_empty(s.parent_span_id, _ZERO8))
                    tstate.append(s.trace_state)
                    name.append(s.name)
                    kind_no = s.kind
                    kind.append(kinds[kind_no] if 0 <= kind_no < 6 else "Unspecified")
                    status = s.status
                    c = status.code
                    st_code.append(codes[c] if 0 <= c < 3 else "Unset")
                    st_msg.append(status.message)
                    svc.append(service)
                    scope_n.append(sname)
                    scope_v.append(sver)
                    proj.append(project)
                    res.extend_same(rkeys, rvals)
                    if entry_seen is None:
                        attrs.add(s.attributes, sc)
                    else:
                        raw: dict[str, str] = {}
                        attrs.add(s.attributes, sc, raw)
                        entry_seen.append((raw, s.name))
                    for ev in s.events:
                        ev_ts.append(ev.time_unix_nano)
                        ev_name.append(ev.name)
                        ev_attrs.add(ev.attributes, sc)
                    ev_off.append(len(ev_ts))
                    for ln in s.links:
                        ln_tid.append(_hex_or_empty(ln.trace_id, _ZERO16))
                        ln_sid.append(_hex_or_empty(ln.span_id, _ZERO8))
                        ln_state.append(ln.trace_state)
                        ln_attrs.add(ln.attributes, sc)
                    ln_off.append(len(ln_tid))
    if batch is not None:
        batch.flush()
    ns = pa.timestamp("ns")
    columns = [
        pa.array(ts, ns),
        pa.array(tid, pa.string()),
        pa.array(sid, pa.string()),
        pa.array(pid, pa.string()),
        pa.array(tstate, pa.string()),
        pa.array(name, pa.string()),
        pa.array(kind, pa.string()),
        pa.array(svc, pa.string()),
        res.array(),
        pa.array(scope_n, pa.string()),
        pa.array(scope_v, pa.string()),
        attrs.array(),
        pa.array(dur, pa.uint64()),
        pa.array(st_code, pa.string()),
        pa.array(st_msg, pa.string()),
        _list(ev_off, pa.array(ev_ts, ns)),
        _list(ev_off, pa.array(ev_name, pa.string())),
        _list(ev_off, ev_attrs.array()),
        _list(ln_off, pa.array(ln_tid, pa.string())),
        _list(ln_off, pa.array(ln_sid, pa.string())),
        _list(ln_off, pa.array(ln_state, pa.string())),
        _list(ln_off, ln_attrs.array()),
        pa.array(proj, pa.string()),
    ]
    return pa.Table.from_arrays(columns, names=list(TRACE_COLUMNS))


def logs_to_arrow(
    entries: Sequence[tuple[str, bytes]],
    max_value_len: int = 262_144,
    scrub: Scrubber | None = None,
    seen: list[list[EventSeen]] | None = None,
) -> pa.Table:
    """Convert ``(project, ExportLogsServiceRequest bytes)`` entries to one ``otel_logs`` table.

    With ``seen``, also append per entry its GenAI events tied to a span (unscrubbed, untruncated),
    for :mod:`log_events`: each record is decoded once for storage and for the security engine.
    """
    cols: dict[str, list[Any]] = {c: [] for c in LOG_COLUMNS if not c.endswith("Attributes")}
    row_columns = tuple(cols)  # the per-record row below lists its values in this order
    res = _MapBuilder(max_value_len)
    scope_attrs = _MapBuilder(max_value_len)
    log_attrs = _MapBuilder(max_value_len)
    batch = scrub.batch() if scrub is not None else None
    for project, body in entries:
        req = ExportLogsServiceRequest.FromString(body)
        entry_seen: list[EventSeen] | None = None
        if seen is not None:
            entry_seen = []
            seen.append(entry_seen)
        for rl in req.resource_logs:
            rb = _MapBuilder(max_value_len)
            rb.add(rl.resource.attributes, None)
            service = next((v for k, v in zip(rb.keys, rb.values, strict=True) if k == "service.name"), "")
            for sl in rl.scope_logs:
                sb = _MapBuilder(max_value_len)
                sb.add(sl.scope.attributes, None)
                for rec in sl.log_records:
                    body_str = value_str(rec.body)
                    raw_body = body_str
                    if len(body_str) > max_value_len:
                        body_str = body_str[:max_value_len] + _TRUNC_MARK
                    if scrub is not None:
                        body_str = scrub("body", body_str)
                    row = (
                        rec.time_unix_nano or rec.observed_time_unix_nano,
                        _hex_or_empty(rec.trace_id, _ZERO16),
                        _hex_or_empty(rec.span_id, _ZERO8),
                        rec.flags & 0xFF,
                        rec.severity_text,
                        int(rec.severity_number) & 0xFF,
                        service,
                        body_str,
                        rl.schema_url,
                        sl.schema_url,
                        sl.scope.name,
                        sl.scope.version,
                        rec.event_name,
                        project,
                    )
                    for col, val in zip(
                        row_columns,
                        row,
                        strict=True,
                    ):
                        cols[col].append(val)
                    res.extend_same(rb.keys, rb.values)
                    scope_attrs.extend_same(sb.keys, sb.values)
                    span_hex = row[2]
                    if entry_seen is None or not span_hex:
                        log_attrs.add(rec.attributes, batch)
                        continue
                    raw: dict[str, str] = {}
                    log_attrs.add(rec.attributes, batch, raw)
                    name = log_events.event_name(rec.event_name, raw)
                    if log_events.is_genai(name):
                        ref = SpanRef(project, row[1], span_hex, row[0], service)
                        entry_seen.append((ref, name, raw_body, raw))
    if batch is not None:
        batch.flush()
    arrays: list[pa.Array] = []
    for c in LOG_COLUMNS:
        if c == "ResourceAttributes":
            arrays.append(res.array())
        elif c == "ScopeAttributes":
            arrays.append(scope_attrs.array())
        elif c == "LogAttributes":
            arrays.append(log_attrs.array())
        elif c == "Timestamp":
            arrays.append(pa.array(cols[c], pa.timestamp("ns")))
        elif c in ("TraceFlags", "SeverityNumber"):
            arrays.append(pa.array(cols[c], pa.uint8()))
        else:
            arrays.append(pa.array(cols[c], pa.string()))
    return pa.Table.from_arrays(arrays, names=list(LOG_COLUMNS))
