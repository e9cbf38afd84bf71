"""Edge decoding: content types, encodings, size limits, ID validation (pure functions)."""

from __future__ import annotations

import base64
import gzip
import json
import zlib

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from agentstate.receiver.decode import JSON, PROTOBUF, decode_logs, decode_traces, decompress, media_type
from agentstate.receiver.errors import IngestError

TID = "5b8efff798038103d269b633813fc60c"
SID = "eee19b7ec3c1b174"


def _json_body(*spans: dict[str, object]) -> bytes:
    return json.dumps({"resourceSpans": [{"scopeSpans": [{"spans": list(spans)}]}]}).encode()


def _span(**kw: object) -> dict[str, object]:
    base: dict[str, object] = {
        "traceId": TID,
        "spanId": SID,
        "name": "s",
        "startTimeUnixNano": "1",
        "endTimeUnixNano": "2",
    }
    base.update(kw)
    return {k: v for k, v in base.items() if v is not None}


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        pytest.param("application/x-protobuf", PROTOBUF, id="protobuf"),
        pytest.param("application/protobuf", PROTOBUF, id="protobuf-alias"),
        pytest.param("application/json; charset=utf-8", JSON, id="json-with-charset"),
        pytest.param("APPLICATION/JSON", JSON, id="json-uppercase"),
    ],
)
def test_media_type_accepts(header: str, expected: str) -> None:
    assert media_type(header) == expected


@pytest.mark.parametrize("header", [None, "", "text/plain", "application/xml", "multipart/form-data"])
def test_media_type_rejects_with_415(header: str | None) -> None:
    with pytest.raises(IngestError) as err:
        media_type(header)
    assert err.value.status == 415
    assert "Content-Type" in err.value.message


def test_json_hex_ids_are_decoded_not_base64_corrupted() -> None:
    decoded = decode_traces(_json_body(_span(parentSpanId="EEE19B7EC3C1B173")), JSON)
    req = ExportTraceServiceRequest.FromString(decoded.body)
    span = req.resource_spans[0].scope_spans[0].spans[0]
    assert span.trace_id.hex() == TID
    assert span.span_id.hex() == SID
    assert span.parent_span_id.hex() == "eee19b7ec3c1b173"
    assert (decoded.accepted, decoded.rejected) == (1, 0)


@pytest.mark.parametrize(
    ("span", "fragment"),
    [
        pytest.param(_span(traceId=None), "trace_id must be 16", id="no-trace-id"),
        pytest.param(_span(traceId="abcd"), "trace_id must be 16", id="short-trace-id"),
        pytest.param(_span(traceId="00000000000000000000000000000000"), "trace_id", id="zero-trace-id"),
        pytest.param(_span(traceId="zz" * 16), "trace_id", id="non-hex-trace-id"),
        pytest.param(_span(spanId="abcdef"), "span_id must be 8", id="short-span-id"),
        pytest.param(_span(spanId=None), "span_id", id="no-span-id"),
        pytest.param(_span(parentSpanId="abcd"), "parent_span_id", id="short-parent"),
        pytest.param(_span(startTimeUnixNano="10", endTimeUnixNano="5"), "end time", id="ends-before-start"),
    ],
)
def test_invalid_spans(span: dict[str, object], fragment: str) -> None:
    with pytest.raises(IngestError) as err:
        decode_traces(_json_body(span), JSON)
    assert err.value.status == 400
    assert fragment in err.value.message
    good = _span(spanId="1111111111111111")
    decoded = decode_traces(_json_body(good, span), JSON)
    assert (decoded.accepted, decoded.rejected) == (1, 1)
    assert fragment in decoded.message
    req = ExportTraceServiceRequest.FromString(decoded.body)
    assert [s.span_id.hex() for s in req.resource_spans[0].scope_spans[0].spans] == ["1111111111111111"]


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        pytest.param(b"\x00\xff garbage \x13", "malformed JSON", id="garbage"),
        pytest.param(b"[1,2]", "must be an object", id="array"),
        pytest.param(b'{"resourceLogs": []}', "no 'resourceSpans'", id="logs-body"),
        pytest.param(b'{"resourceSpans": "nope"}', "invalid OTLP/JSON", id="wrong-shape"),
    ],
)
def test_malformed_json(body: bytes, fragment: str) -> None:
    with pytest.raises(IngestError) as err:
        decode_traces(body, JSON)
    assert err.value.status == 400
    assert fragment in err.value.message


def test_garbage_protobuf_is_400() -> None:
    with pytest.raises(IngestError) as err:
        decode_traces(b"\xff\xff\xff\xff garbage", PROTOBUF)
    assert err.value.status == 400


def test_empty_request_is_success_without_publishing() -> None:
    for body, mt in [(b"", PROTOBUF), (b"{}", JSON)]:
        decoded = decode_traces(body, mt)
        assert (decoded.accepted, decoded.rejected) == (0, 0)


def test_logs_request_sent_as_traces_protobuf_is_rejected() -> None:
    from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest

    req = ExportLogsServiceRequest()
    rec = req.resource_logs.add().scope_logs.add().log_records.add()
    rec.time_unix_nano = 1_700_000_000_000_000_000
    rec.body.string_value = "hello"
    with pytest.raises(IngestError) as err:
        decode_traces(req.SerializeToString(), PROTOBUF)
    assert err.value.status == 400


def test_traces_request_sent_as_logs_is_rejected() -> None:
    with pytest.raises(IngestError) as err:
        decode_logs(decode_traces(_json_body(_span()), JSON).body, PROTOBUF)
    assert err.value.status == 400


@pytest.mark.parametrize(
    ("encoding", "compress"),
    [
        pytest.param("gzip", gzip.compress, id="gzip"),
        pytest.param("deflate", zlib.compress, id="deflate"),
        pytest.param(None, lambda b: b, id="identity"),
    ],
)
def test_decompress_roundtrip(encoding: str | None, compress: object) -> None:
    data = b"x" * 10_000
    assert decompress(compress(data), encoding, 10_000) == data  # type: ignore[operator]


def test_gzip_bomb_stops_at_the_limit() -> None:
    bomb = gzip.compress(b"\0" * (50 * 1024 * 1024))
    assert len(bomb) < 100_000
    with pytest.raises(IngestError) as err:
        decompress(bomb, "gzip", 5 * 1024 * 1024)
    assert err.value.status == 413


@pytest.mark.parametrize(
    ("body", "encoding", "status"),
    [
        pytest.param(b"x" * 101, None, 413, id="identity-over-limit"),
        pytest.param(gzip.compress(b"x" * 101), "gzip", 413, id="gzip-over-limit-after-inflate"),
        pytest.param(b"not gzip", "gzip", 400, id="invalid-gzip"),
        pytest.param(gzip.compress(b"x" * 50)[:-8], "gzip", 400, id="truncated-gzip"),
        pytest.param(b"x", "br", 415, id="unsupported-encoding"),
    ],
)
def test_decompress_errors(body: bytes, encoding: str | None, status: int) -> None:
    with pytest.raises(IngestError) as err:
        decompress(body, encoding, 100)
    assert err.value.status == status


def test_exactly_at_limit_is_accepted() -> None:
    assert len(decompress(gzip.compress(b"y" * 100), "gzip", 100)) == 100


def test_base64_ids_in_json_are_not_accepted_as_hex() -> None:
    b64 = base64.b64encode(bytes.fromhex(TID)).decode()
    with pytest.raises(IngestError):
        decode_traces(_json_body(_span(traceId=b64)), JSON)


def test_fast_span_check_agrees_with_the_explained_one() -> None:
    """``_span_ok`` (run for every span) accepts exactly the spans ``_span_problem`` finds nothing
    wrong with, over every combination of the fields either reads, edge values included."""
    import itertools

    from opentelemetry.proto.trace.v1.trace_pb2 import Span

    from agentstate.receiver.decode import MAX_TIME_UNIX_NANO, _span_ok, _span_problem

    edge = MAX_TIME_UNIX_NANO
    trace_ids = [bytes(16), bytes.fromhex("5b8efff798038103d269b633813fc60c"), b"\x01" * 15, b"\x01" * 17, b""]
    span_ids = [bytes(8), b"\x02" * 8, b"\x02" * 7, b""]
    parents = [b"", b"\x03" * 8, b"\x03" * 4, bytes(8)]
    times = [(0, 0), (5, 0), (5, 9), (9, 5), (edge, edge), (edge, edge + 1), (edge + 1, edge + 2), (5, 5)]
    events: list[list[int]] = [[], [5], [edge], [edge + 1], [5, edge + 1]]
    checked = 0
    for tid, sid, pid, (start, end), evs in itertools.product(trace_ids, span_ids, parents, times, events):
        span = Span(trace_id=tid, span_id=sid, parent_span_id=pid, name="s",
                    start_time_unix_nano=start, end_time_unix_nano=end)  # fmt: skip
        for t in evs:
            span.events.add(name="e", time_unix_nano=t)
        assert _span_ok(span) == (_span_problem(span) is None), (tid, sid, pid, start, end, evs)
        checked += 1
    assert checked == 5 * 4 * 4 * 8 * 5
