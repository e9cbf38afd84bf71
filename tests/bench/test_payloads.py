"""The ingest benchmark's stamped payloads: every span and every text unique per request."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from payloads import TEXT_MARKER, build_template, stamp


def _texts(body: bytes) -> list[str]:
    req = ExportTraceServiceRequest.FromString(body)
    out = []
    for s in req.resource_spans[0].scope_spans[0].spans:
        for kv in s.attributes:
            if kv.key in ("gen_ai.input.messages", "gen_ai.output.messages"):
                out += [p["content"] for m in json.loads(kv.value.string_value) for p in m["parts"]]
            elif kv.key.startswith("gen_ai.tool.call."):
                out += list(json.loads(kv.value.string_value).values())
    return out


def test_stamped_requests_share_no_trace_id_and_no_text() -> None:
    template = build_template(50)
    a, b = stamp(template, 1), stamp(template, 27)
    assert len(a) == len(b) == len(template)  # same-length replacements: protobuf lengths stay valid
    ta, tb = _texts(a), _texts(b)
    assert len(ta) == 50 // 10 * 14  # 4 chats x (input + output) + 3 tools x (args + result)
    assert not set(ta) & set(tb)  # the detectors' verdict cache can never hit across requests
    ids_a = {s.trace_id for s in ExportTraceServiceRequest.FromString(a).resource_spans[0].scope_spans[0].spans}
    ids_b = {s.trace_id for s in ExportTraceServiceRequest.FromString(b).resource_spans[0].scope_spans[0].spans}
    assert len(ids_a) == 5 and not ids_a & ids_b
    assert all(TEXT_MARKER not in t and not any(c.isdigit() for c in t) for t in ta + tb)


def test_conversation_payload_resends_the_history_and_stays_unique_per_request() -> None:
    template = build_template(50, conversation=True)
    a, b = stamp(template, 1), stamp(template, 27)
    assert len(a) == len(b) == len(template)
    req = ExportTraceServiceRequest.FromString(a)
    inputs = [json.loads(kv.value.string_value) for s in req.resource_spans[0].scope_spans[0].spans
              for kv in s.attributes if kv.key == "gen_ai.input.messages"]  # fmt: skip
    assert [[m["role"] for m in msgs] for msgs in inputs[:4]] == [
        ["system", "user"],
        ["system", "user", "assistant", "user"],
        ["system", "user", "assistant", "user", "assistant", "user"],
        ["system", "user", "assistant", "user", "assistant", "user", "assistant", "user"],
    ]
    assert inputs[1][:2] == inputs[0]  # the second call resends the first one's messages
    assert not set(_texts(a)) & set(_texts(b))
