"""Timestamps storage cannot hold are refused at the edge (issue 14, item 1).

``otel_traces.Timestamp`` is DateTime64(9) (int64 nanoseconds, up to 2262-04-11) and the API's
buckets and summaries use DateTime (up to 2106-02-07). A span past either was accepted: ``2**64-1``
then jammed the writer, and a span in 2107 was listed but answered 404 on ``GET /traces/{id}``. The
rule: any time after :data:`MAX_TIME_UNIX_NANO` (2100-01-01) rejects its span or log record through
``partial_success``; zero stays accepted as before.
"""

from __future__ import annotations

import json

import pytest
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from agentstate.receiver.decode import JSON, MAX_TIME_UNIX_NANO, PROTOBUF, decode_logs, decode_traces
from agentstate.receiver.errors import IngestError

MAX_U64 = 2**64 - 1
YEAR_2107 = 4_339_000_000 * 10**9
NOW = 1_760_000_000 * 10**9


def _traces(start: int, end: int, event: int | None = None) -> ExportTraceServiceRequest:
    """Two spans: a good one and one with the given times."""
    req = ExportTraceServiceRequest()
    ss = req.resource_spans.add().scope_spans.add()
    for i, (s_ns, e_ns) in enumerate([(NOW, NOW + 5), (start, end)]):
        s = ss.spans.add(name=f"s{i}", start_time_unix_nano=s_ns, end_time_unix_nano=e_ns)
        s.trace_id, s.span_id = bytes.fromhex("5b8efff798038103d269b633813fc60c"), (i + 1).to_bytes(8, "big")
        if i == 1 and event is not None:
            s.events.add(name="e", time_unix_nano=event)
    return req


def _as_json(req: ExportTraceServiceRequest) -> bytes:
    """OTLP/JSON as exporters write it: hex IDs, nanoseconds as decimal strings."""
    spans = [
        {
            "traceId": s.trace_id.hex(),
            "spanId": s.span_id.hex(),
            "name": s.name,
            "startTimeUnixNano": str(s.start_time_unix_nano),
            "endTimeUnixNano": str(s.end_time_unix_nano),
            "events": [{"name": e.name, "timeUnixNano": str(e.time_unix_nano)} for e in s.events],
        }
        for s in req.resource_spans[0].scope_spans[0].spans
    ]
    return json.dumps({"resourceSpans": [{"scopeSpans": [{"spans": spans}]}]}).encode()


CASES = [
    pytest.param(MAX_U64, MAX_U64, None, "start time", id="start-end-2**64-1"),
    pytest.param(NOW, MAX_U64, None, "end time", id="end-2**64-1"),
    pytest.param(YEAR_2107, YEAR_2107 + 1, None, "start time", id="after-2106"),
    pytest.param(MAX_TIME_UNIX_NANO + 1, MAX_TIME_UNIX_NANO + 2, None, "start time", id="just-past-horizon"),
    pytest.param(NOW, NOW + 1, MAX_U64, "event time", id="event-2**64-1"),
]


@pytest.mark.parametrize(("start", "end", "event", "fragment"), CASES)
@pytest.mark.parametrize("media", [PROTOBUF, JSON])
def test_out_of_range_span_is_rejected_alone(
    start: int, end: int, event: int | None, fragment: str, media: str
) -> None:
    req = _traces(start, end, event)
    body = req.SerializeToString() if media == PROTOBUF else _as_json(req)
    decoded = decode_traces(body, media)
    assert (decoded.accepted, decoded.rejected) == (1, 1)
    assert fragment in decoded.message and "2100-01-01" in decoded.message
    kept = ExportTraceServiceRequest.FromString(decoded.body).resource_spans[0].scope_spans[0].spans
    assert [s.name for s in kept] == ["s0"]


@pytest.mark.parametrize(
    ("start", "end"),
    [
        pytest.param(0, 0, id="zero-times-as-before"),
        pytest.param(MAX_TIME_UNIX_NANO, MAX_TIME_UNIX_NANO, id="at-the-horizon"),
        pytest.param(NOW, NOW + 10**9, id="now"),
    ],
)
def test_in_range_span_is_accepted(start: int, end: int) -> None:
    decoded = decode_traces(_traces(start, end).SerializeToString(), PROTOBUF)
    assert (decoded.accepted, decoded.rejected) == (2, 0)


def test_request_of_only_poison_spans_is_400() -> None:
    req = _traces(MAX_U64, MAX_U64)
    del req.resource_spans[0].scope_spans[0].spans[0]
    with pytest.raises(IngestError) as err:
        decode_traces(req.SerializeToString(), PROTOBUF)
    assert err.value.status == 400 and "start time" in err.value.message


@pytest.mark.parametrize(
    ("time_ns", "observed_ns", "accepted"),
    [
        pytest.param(MAX_U64, 0, False, id="time-2**64-1"),
        pytest.param(0, YEAR_2107, False, id="observed-after-2106"),
        pytest.param(NOW, MAX_U64, False, id="observed-2**64-1"),
        pytest.param(NOW, NOW, True, id="now"),
    ],
)
def test_log_record_times(time_ns: int, observed_ns: int, accepted: bool) -> None:
    req = ExportLogsServiceRequest()
    records = req.resource_logs.add().scope_logs.add().log_records
    records.add(time_unix_nano=NOW).body.string_value = "ok"
    records.add(time_unix_nano=time_ns, observed_time_unix_nano=observed_ns).body.string_value = "x"
    decoded = decode_logs(req.SerializeToString(), PROTOBUF)
    assert (decoded.accepted, decoded.rejected) == ((2, 0) if accepted else (1, 1))
    if not accepted:
        assert "time" in decoded.message and "2100-01-01" in decoded.message
