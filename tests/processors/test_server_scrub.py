"""Spans from a plain OTel exporter are scrubbed by the writer before they are stored."""

from __future__ import annotations

import json
import time
import urllib.request

import pytest

from agentstate.processors.scrub import make_scrubber
from tests.conftest import Platform


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        pytest.param("input.value", "mail me at jane.doe@example.com", "mail me at [REDACTED:EMAIL]", id="email"),
        pytest.param("gen_ai.output.messages", "card 4111 1111 1111 1111 ok", "card [REDACTED:CREDIT_CARD] ok",
                     id="card"),
        pytest.param("trace_id", "4bf92f3577b34da6a3ce929d0e0e4736", "4bf92f3577b34da6a3ce929d0e0e4736", id="safe-key"),
        pytest.param("note", "[REDACTED:EMAIL] already", "[REDACTED:EMAIL] already", id="idempotent"),
        pytest.param("gen_ai.openai.api_base", "http://127.0.0.1:38999/v1/", "http://127.0.0.1:38999/v1/",
                     id="loopback-endpoint-kept"),
        pytest.param("url.full", "https://8.8.8.8/v1", "https://[REDACTED:IP_ADDRESS]/v1", id="public-endpoint"),
        pytest.param("note", "from 10.1.2.3", "from [REDACTED:IP_ADDRESS]", id="private-ip-in-text"),
    ],
)  # fmt: skip
def test_scrubber(key: str, value: str, expected: str) -> None:
    assert make_scrubber()(key, value) == expected
    # deferred and flushed with other values (one screening call, duplicates once): the same result
    batch, other, values = make_scrubber().batch(), make_scrubber().batch(), ["kept"]
    for _ in range(3):
        batch.defer(values, key, value)
        batch.defer(values, "input.value", "call me on 415-555-0199 tonight")
    other.flush()  # each conversion has its own batch: flushing another leaves these alone
    assert values[1:3] == [value, "call me on 415-555-0199 tonight"]
    batch.flush()
    assert values == ["kept", *[expected, "call me on [REDACTED:PHONE] tonight"] * 3]


def test_plain_otel_spans_are_scrubbed_before_storage(platform: Platform) -> None:
    project, key = platform.new_project()
    secret = "sk-ant-api03-" + "A" * 40
    body = json.dumps(
        {
            "resourceSpans": [
                {
                    "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "plain-otel"}}]},
                    "scopeSpans": [
                        {
                            "spans": [
                                {
                                    "traceId": "0af7651916cd43dd8448eb211c80319c",
                                    "spanId": "b7ad6b7169203331",
                                    "name": "chat",
                                    "startTimeUnixNano": str(time.time_ns()),
                                    "endTimeUnixNano": str(time.time_ns() + 10),
                                    "attributes": [
                                        {
                                            "key": "gen_ai.input.messages",
                                            "value": {"stringValue": f"my email is bob@corp.example, key {secret}"},
                                        },
                                        {"key": "gen_ai.usage.input_tokens", "value": {"intValue": "12"}},
                                    ],
                                    "events": [
                                        {
                                            "name": "log",
                                            "timeUnixNano": str(time.time_ns()),
                                            "attributes": [{"key": "msg", "value": {"stringValue": "ssn 536-90-4399"}}],
                                        }
                                    ],
                                }
                            ]
                        }
                    ],
                }
            ]
        }
    ).encode()
    req = urllib.request.Request(
        platform.otlp_http_url + "/v1/traces",
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "x-api-key": key},
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        assert resp.status == 200
    assert (
        platform.wait_rows("SELECT count() FROM agentstate.otel_traces WHERE ProjectId = {p:String}", {"p": project}, 1)
        == 1
    )
    attrs, events, tokens = platform.query(
        "SELECT SpanAttributes, `Events.Attributes`, InputTokens FROM agentstate.otel_traces "
        "WHERE ProjectId = {p:String}",
        {"p": project},
    )[0]
    text = attrs["gen_ai.input.messages"]
    assert "bob@corp.example" not in text and secret not in text
    assert "[REDACTED:EMAIL]" in text and "[REDACTED:ANTHROPIC_KEY]" in text
    assert attrs["gen_ai.usage.input_tokens"] == "12" and tokens == 12
    assert "536-90-4399" not in events[0]["msg"]
