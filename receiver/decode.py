"""Decode at the edge: OTLP bytes in (protobuf or JSON, maybe gzip), validated protobuf bytes out.

Pure functions, no I/O. The receiver keeps requests as bytes: upb parses a 500-span request in well
under a millisecond, the per-span check touches three ID fields, and the original bytes are
published unchanged unless a span had to be rejected. Downstream never sees JSON.
"""

from __future__ import annotations

import base64
import zlib
from dataclasses import dataclass
from typing import Any

import orjson
from google.protobuf import json_format
from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from agentstate.receiver.errors import bad_request, too_large, unsupported_media

PROTOBUF = "application/x-protobuf"
JSON = "application/json"
_PROTOBUF_TYPES = frozenset({PROTOBUF, "application/protobuf", "application/vnd.google.protobuf"})
_ZERO_TRACE = bytes(16)
_ZERO_SPAN = bytes(8)
_MAX_REASONS = 3

MAX_TIME_UNIX_NANO = 4_102_444_800 * 1_000_000_000
"""Latest accepted span, event or log time: 2100-01-01T00:00:00Z, in Unix nanoseconds.

Storage bounds it twice: ``Timestamp`` is DateTime64(9), an int64 of nanoseconds (2262-04-11; a
larger value cannot even be converted, and ``2**64-1`` once jammed the writer), and the API's
buckets, summaries and trace look-ups use DateTime, a UInt32 of seconds that ends 2106-02-07 (a
2107 span was listed, but its trace answered 404). The horizon sits safely before both. Zero and
other pre-2000 times stay accepted as before: they store and read back consistently.
"""
_HORIZON = "2100-01-01"


@dataclass(frozen=True, slots=True)
class Decoded:
    """A validated request, ready to publish."""

    body: bytes
    """Serialized protobuf request holding only the accepted items."""
    accepted: int
    rejected: int
    message: str
    """Why items were rejected ('' when none were); goes into ``partial_success.error_message``."""


def media_type(content_type: str | None) -> str:
    """Return the normalised media type (``PROTOBUF`` or ``JSON``) or raise 415."""
    mt = (content_type or "").split(";", 1)[0].strip().lower()
    if mt in _PROTOBUF_TYPES:
        return PROTOBUF
    if mt == JSON:
        return JSON
    raise unsupported_media(
        f"unsupported Content-Type {content_type!r}; use application/x-protobuf or application/json"
    )


def decompress(body: bytes, encoding: str | None, limit: int) -> bytes:
    """Undo ``Content-Encoding`` without ever holding more than ``limit + 1`` output bytes."""
    enc = (encoding or "identity").strip().lower()
    if enc in ("identity", ""):
        if len(body) > limit:
            raise too_large(limit)
        return body
    if enc in ("gzip", "x-gzip"):
        wbits = 16 + zlib.MAX_WBITS
    elif enc == "deflate":
        wbits = zlib.MAX_WBITS
    else:
        raise unsupported_media(f"unsupported Content-Encoding {encoding!r}; use gzip, deflate or identity")
    inflater = zlib.decompressobj(wbits)
    try:
        out = inflater.decompress(body, limit + 1)
    except zlib.error as exc:
        raise bad_request(f"invalid {enc} body: {exc}") from None
    if len(out) > limit or inflater.unconsumed_tail:
        raise too_large(limit)
    if not inflater.eof:
        raise bad_request(f"truncated {enc} body")
    return out


def _b64_id(value: Any) -> Any:
    """OTLP/JSON IDs are hex; protobuf's JSON parser expects base64 and would silently corrupt them."""
    if not isinstance(value, str) or not value:
        return value
    try:
        return base64.b64encode(bytes.fromhex(value)).decode("ascii")
    except ValueError:
        return ""  # invalid hex: becomes an empty ID, which validation rejects with a reason


def _fix_ids(items: Any, keys: tuple[str, ...]) -> None:
    if not isinstance(items, list):
        return
    for item in items:
        if not isinstance(item, dict):
            continue
        for key in keys:
            if key in item:
                item[key] = _b64_id(item[key])
        links = item.get("links")
        if isinstance(links, list):
            for link in links:
                if isinstance(link, dict):
                    for key in ("traceId", "spanId"):
                        if key in link:
                            link[key] = _b64_id(link[key])


def _load_json(body: bytes, root: str, scope: str, items: str, id_keys: tuple[str, ...]) -> dict[str, Any]:
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise bad_request(f"malformed JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise bad_request("OTLP/JSON body must be an object")
    if root not in doc and doc:
        found = ", ".join(sorted(str(k) for k in doc)[:3])
        raise bad_request(f"body has no {root!r} (found {found}); wrong signal or endpoint?")
    for resource in doc.get(root) or []:
        if isinstance(resource, dict):
            for sc in resource.get(scope) or []:
                if isinstance(sc, dict):
                    _fix_ids(sc.get(items), id_keys)
    return doc


def _parse_traces(body: bytes, mt: str) -> ExportTraceServiceRequest:
    req = ExportTraceServiceRequest()
    try:
        if mt == PROTOBUF:
            req.ParseFromString(body)
        else:
            doc = _load_json(body, "resourceSpans", "scopeSpans", "spans", ("traceId", "spanId", "parentSpanId"))
            json_format.ParseDict(doc, req, ignore_unknown_fields=True)
    except DecodeError as exc:
        raise bad_request(f"malformed protobuf ExportTraceServiceRequest: {exc}") from None
    except json_format.ParseError as exc:
        raise bad_request(f"invalid OTLP/JSON trace request: {exc}") from None
    return req


def _span_problem(span: Any) -> str | None:
    tid, sid, pid = span.trace_id, span.span_id, span.parent_span_id
    if len(tid) != 16 or tid == _ZERO_TRACE:
        return f"span {span.name!r}: trace_id must be 16 non-zero bytes, got {len(tid)}"
    if len(sid) != 8 or sid == _ZERO_SPAN:
        return f"span {span.name!r}: span_id must be 8 non-zero bytes, got {len(sid)}"
    if pid and len(pid) != 8:
        return f"span {span.name!r}: parent_span_id must be 8 bytes, got {len(pid)}"
    if span.start_time_unix_nano > MAX_TIME_UNIX_NANO:
        return f"span {span.name!r}: start time {span.start_time_unix_nano} is after {_HORIZON}"
    if span.end_time_unix_nano > MAX_TIME_UNIX_NANO:
        return f"span {span.name!r}: end time {span.end_time_unix_nano} is after {_HORIZON}"
    if span.end_time_unix_nano and span.end_time_unix_nano < span.start_time_unix_nano:
        return f"span {span.name!r}: end time before start time"
    for ev in span.events:
        if ev.time_unix_nano > MAX_TIME_UNIX_NANO:
            return f"span {span.name!r}: event time {ev.time_unix_nano} is after {_HORIZON}"
    return None


def _span_ok(span: Any) -> bool:
    """Whether :func:`_span_problem` finds nothing, in the fewest field reads (this runs for every span
    received; each upb field read builds a Python object)."""
    tid, sid = span.trace_id, span.span_id
    if len(tid) != 16 or len(sid) != 8 or tid == _ZERO_TRACE or sid == _ZERO_SPAN:
        return False
    pid = span.parent_span_id
    start, end = span.start_time_unix_nano, span.end_time_unix_nano
    if (pid and len(pid) != 8) or start > MAX_TIME_UNIX_NANO or end > MAX_TIME_UNIX_NANO or (end and end < start):
        return False
    events = span.events
    return not events or all(ev.time_unix_nano <= MAX_TIME_UNIX_NANO for ev in events)


def _summary(rejected: int, kind: str, reasons: list[str]) -> str:
    return f"rejected {rejected} {kind}: " + "; ".join(reasons) if rejected else ""


def decode_traces(body: bytes, mt: str) -> Decoded:
    """Parse and validate a trace request; invalid spans are dropped and reported.

    Policy (reference R6): a span with a missing or malformed ID is rejected on its own and reported
    through ``partial_success``; when *no* span is valid the whole request is a 400.
    """
    req = _parse_traces(body, mt)
    accepted = rejected = 0
    reasons: list[str] = []
    for rs in req.resource_spans:
        for ss in rs.scope_spans:
            spans = ss.spans
            bad: list[int] = []
            for i, span in enumerate(spans):
                if _span_ok(span):
                    continue
                problem = _span_problem(span) or "invalid span"
                bad.append(i)
                if len(reasons) < _MAX_REASONS:
                    reasons.append(problem)
            accepted += len(spans) - len(bad)
            rejected += len(bad)
            for i in reversed(bad):
                del spans[i]
    if rejected and not accepted:
        raise bad_request(_summary(rejected, "spans", reasons) + "; nothing was accepted")
    if rejected or mt == JSON:
        body = req.SerializeToString()
    return Decoded(body, accepted, rejected, _summary(rejected, "spans", reasons))


def _parse_logs(body: bytes, mt: str) -> ExportLogsServiceRequest:
    req = ExportLogsServiceRequest()
    try:
        if mt == PROTOBUF:
            req.ParseFromString(body)
        else:
            doc = _load_json(body, "resourceLogs", "scopeLogs", "logRecords", ("traceId", "spanId"))
            json_format.ParseDict(doc, req, ignore_unknown_fields=True)
    except DecodeError as exc:
        raise bad_request(f"malformed protobuf ExportLogsServiceRequest: {exc}") from None
    except json_format.ParseError as exc:
        raise bad_request(f"invalid OTLP/JSON logs request: {exc}") from None
    return req


def _log_problem(rec: Any) -> str | None:
    if not rec.time_unix_nano and not rec.observed_time_unix_nano:
        return "log record has neither time_unix_nano nor observed_time_unix_nano"
    if max(rec.time_unix_nano, rec.observed_time_unix_nano) > MAX_TIME_UNIX_NANO:
        return f"log record time is after {_HORIZON}"
    if rec.trace_id and len(rec.trace_id) != 16:
        return f"log record trace_id must be 16 bytes, got {len(rec.trace_id)}"
    if rec.span_id and len(rec.span_id) != 8:
        return f"log record span_id must be 8 bytes, got {len(rec.span_id)}"
    return None


def decode_logs(body: bytes, mt: str) -> Decoded:
    """Parse and validate a logs request (same policy as :func:`decode_traces`)."""
    req = _parse_logs(body, mt)
    accepted = rejected = 0
    reasons: list[str] = []
    for rl in req.resource_logs:
        for sl in rl.scope_logs:
            records = sl.log_records
            bad = [i for i, rec in enumerate(records) if _log_problem(rec) is not None]
            for i in bad[: _MAX_REASONS - len(reasons)]:
                reasons.append(_log_problem(records[i]) or "")
            accepted += len(records) - len(bad)
            rejected += len(bad)
            for i in reversed(bad):
                del records[i]
    if rejected and not accepted:
        raise bad_request(_summary(rejected, "log records", reasons) + "; nothing was accepted")
    if rejected or mt == JSON:
        body = req.SerializeToString()
    return Decoded(body, accepted, rejected, _summary(rejected, "log records", reasons))
