"""PII and secrets are redacted in the SDK before export; structural attributes are never touched."""

from __future__ import annotations

import json
from typing import Any

import pytest
from opentelemetry.sdk.trace import ReadableSpan, SpanLimits, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Link, SpanContext, Status, StatusCode

import agentstate
from agentstate import observe, propagate_attributes
from agentstate._internal.scrub import SCRUB_ERROR, SpanScrubber
from agentstate.semconv import attributes as A
from agentstate.semconv.redaction import DEFAULT_REDACTOR
from agentstate.testing import IncrementingIdGenerator, span_dicts
from tests.sdk.conftest import Captured, start_sdk

CARD = "4111 1111 1111 1111"
EMAIL = "jane.doe@example.com"
OPENAI = "sk-proj-" + "a1B2c3D4e5F6g7H8i9J0" * 2


@observe(kind="tool")
def lookup(note: str) -> str:
    return f"found: {note}"


@observe
def boom(note: str) -> None:
    raise ValueError(f"cannot charge {note}")


def test_string_attributes_events_and_status_are_scrubbed(sdk: Captured) -> None:
    with propagate_attributes(session_id="chat-1", tags=[f"mail {EMAIL}"], metadata={"card": CARD}):
        lookup(f"card {CARD}, mail {EMAIL}, key {OPENAI}")
        with pytest.raises(ValueError):
            boom(CARD)
    tool, failed = sdk.dicts()
    attrs = tool["attributes"]
    redacted = '{"note":"card [REDACTED:CREDIT_CARD], mail [REDACTED:EMAIL], key [REDACTED:OPENAI_KEY]"}'
    assert attrs["input.value"] == redacted
    assert attrs["gen_ai.tool.call.arguments"] == redacted
    assert (
        attrs["output.value"]
        == '"found: card [REDACTED:CREDIT_CARD], mail [REDACTED:EMAIL], key [REDACTED:OPENAI_KEY]"'
    )
    assert attrs["agentstate.tags"] == ["mail [REDACTED:EMAIL]"]
    assert attrs["agentstate.metadata.card"] == "[REDACTED:CREDIT_CARD]"
    assert failed["status_description"] == "ValueError: cannot charge [REDACTED:CREDIT_CARD]"
    event = failed["events"][0]["attributes"]
    assert event["exception.message"] == "cannot charge [REDACTED:CREDIT_CARD]"
    assert CARD not in str(failed)


@pytest.mark.parametrize(
    ("key", "value"),
    [
        pytest.param("session.id", "4111111111111111", id="session-id"),
        pytest.param("gen_ai.response.id", "chatcmpl-4111111111111111", id="response-id"),
        pytest.param("gen_ai.usage.input_tokens", 4111111111111111, id="token-count"),
        pytest.param("gen_ai.request.model", "model-4111111111111111", id="model"),
        pytest.param("gen_ai.tool.name", "send_to_jane.doe@example.com", id="tool-name"),
    ],
)
def test_structural_keys_are_never_touched(sdk: Captured, key: str, value: Any) -> None:
    with propagate_attributes(metadata={}):
        observe(attributes={key: value})(lambda: None)()
    assert sdk.dicts()[0]["attributes"][key] == value


def test_exempt_keys_extra_patterns_and_off() -> None:
    captured = start_sdk(scrub_exempt_keys=["agentstate.metadata.contact"], scrub_patterns={"TICKET": r"TCK-\d{6}"})
    with propagate_attributes(metadata={"contact": EMAIL, "other": f"{EMAIL} TCK-123456"}):
        lookup("x")
    attrs = captured.dicts()[0]["attributes"]
    assert attrs["agentstate.metadata.contact"] == EMAIL
    assert attrs["agentstate.metadata.other"] == "[REDACTED:EMAIL] [REDACTED:TICKET]"
    agentstate.shutdown()
    captured = start_sdk(scrub=False)
    lookup(EMAIL)
    assert EMAIL in captured.dicts()[0]["attributes"]["input.value"]


def test_a_failing_scrubber_never_leaks_the_raw_text(
    sdk: Captured, monkeypatch: pytest.MonkeyPatch, swallow_internal_errors: None
) -> None:
    from agentstate.semconv import redaction

    def explode(self: Any, *args: Any) -> list[Any]:
        raise RuntimeError("scrubber bug")

    before = agentstate.stats()["spans_scrub_errors"]
    monkeypatch.setattr(redaction.Redactor, "_find", explode)  # under find, find_many and every redact_*
    assert lookup(EMAIL) == f"found: {EMAIL}"
    attrs = sdk.dicts()[0]["attributes"]
    assert attrs["input.value"] == SCRUB_ERROR
    assert attrs["output.value"] == SCRUB_ERROR
    assert attrs["gen_ai.tool.name"] == "lookup"  # structural values survive
    assert agentstate.stats()["spans_scrub_errors"] == before + 1


def test_redactions_are_recorded_as_counts_per_attribute(sdk: Captured) -> None:
    """The server alerts on these: the values never leave the process, the counts do."""
    with propagate_attributes(metadata={"card": CARD}):
        lookup(f"card {CARD}, mail {EMAIL}, SSN: 123-45-6789")
        with pytest.raises(ValueError):
            boom(CARD)
    tool, failed = sdk.dicts()
    assert json.loads(tool["attributes"][A.REDACTED]) == {
        "agentstate.metadata.card": {"CREDIT_CARD": 1},
        "gen_ai.tool.call.arguments": {"CREDIT_CARD": 1, "EMAIL": 1, "US_SSN": 1},
        "gen_ai.tool.call.result": {"CREDIT_CARD": 1, "EMAIL": 1, "US_SSN": 1},
        "input.value": {"CREDIT_CARD": 1, "EMAIL": 1, "US_SSN": 1},
        "output.value": {"CREDIT_CARD": 1, "EMAIL": 1, "US_SSN": 1},
    }
    counts = json.loads(failed["attributes"][A.REDACTED])
    assert counts["exception/exception.message"] == {"CREDIT_CARD": 1}
    assert counts["otel.status_description"] == {"CREDIT_CARD": 1}
    assert CARD not in json.dumps(counts) and "123-45-6789" not in str(tool)


def test_clean_spans_carry_no_redaction_record(sdk: Captured) -> None:
    lookup("nothing to hide")
    assert A.REDACTED not in sdk.dicts()[0]["attributes"]


def test_private_ip_in_an_endpoint_attribute_is_kept(sdk: Captured) -> None:
    """Traceloop records the local proxy or model server the client calls: not personal data."""
    attributes = {"gen_ai.openai.api_base": "http://127.0.0.1:38999/v1/", "url.full": "http://8.8.8.8/v1"}
    observe(attributes=attributes)(lambda: None)()
    attrs = sdk.dicts()[0]["attributes"]
    assert attrs["gen_ai.openai.api_base"] == "http://127.0.0.1:38999/v1/"
    assert attrs["url.full"] == "http://[REDACTED:IP_ADDRESS]/v1"


def _ended_spans() -> list[ReadableSpan]:
    """Stock SDK spans (bounded attributes, events) with repeated, clean and sensitive values."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider(id_generator=IncrementingIdGenerator())
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("test")
    shared = f'{{"to":"{EMAIL}"}}'
    values: list[dict[str, Any]] = [
        {"input.value": shared, "output.value": "3"},
        {"input.value": '{"x":1}', "output.value": "3"},
        {"input.value": shared, "agentstate.tags": ("ok", f"card {CARD}"), "session.id": "chat-1"},
        {"server.address": "10.0.0.7", "url.full": "http://10.0.0.7/v1", "note": "10.0.0.7"},
        {"input.value": '{"x":1}', "output.value": "3"},
        {"input.value": '{"x":1}', "output.value": "3", "url.full": "http://10.0.0.7/v1"},
    ]
    for i, attributes in enumerate(values):
        with tracer.start_as_current_span(f"s{i}", attributes=attributes) as span:
            if i == 1:
                span.add_event("log", {"message": f"sent to {EMAIL}", "n": 1})
            if i == 4:
                span.set_status(Status(StatusCode.ERROR, f"bad card {CARD}"))
    provider.shutdown()
    return list(exporter.get_finished_spans())


def test_a_batch_is_scrubbed_as_each_span_alone() -> None:
    """Values repeated across the batch are redacted once, yet every span gets its own copy and counts."""
    spans = _ended_spans()
    scrubber = SpanScrubber(DEFAULT_REDACTOR)
    batch = scrubber.scrub_batch(spans)
    assert span_dicts(batch) == span_dicts([scrubber.scrub(span) for span in spans])
    assert [new is old for new, old in zip(batch, spans, strict=True)] == [False] * 5 + [True]
    redacted = [json.loads(str((span.attributes or {}).get(A.REDACTED, "{}"))) for span in batch]
    assert redacted[0] == {"input.value": {"EMAIL": 1}}
    assert redacted[2] == {"input.value": {"EMAIL": 1}, "agentstate.tags": {"CREDIT_CARD": 1}}
    assert redacted[3] == {"note": {"IP_ADDRESS": 1}}  # the same text in endpoint keys is kept
    assert batch[3].attributes is not None and batch[3].attributes["server.address"] == "10.0.0.7"
    assert CARD not in str(span_dicts(batch)) and EMAIL not in str(span_dicts(batch))


def test_a_redacted_copy_keeps_what_the_span_dropped() -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider(span_limits=SpanLimits(max_span_attributes=3, max_links=1))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    link = Link(SpanContext(1, 2, False))
    with provider.get_tracer("test").start_as_current_span("s", links=[link, link]) as span:
        span.set_attributes({"a": 1, "b": 2, "c": 3, "d": 4, "note": f"mail {EMAIL}"})
    provider.shutdown()
    (ended,) = exporter.get_finished_spans()
    scrubber = SpanScrubber(DEFAULT_REDACTOR)
    (copy,) = scrubber.scrub_batch([ended])
    again = scrubber.scrub(ListedSpan(copy, {"x": EMAIL}))  # not a stock span: the general copy
    for scrubbed in (copy, again):
        assert scrubbed is not ended and EMAIL not in str(dict(scrubbed.attributes or {}))
        assert (scrubbed.dropped_attributes, scrubbed.dropped_links) == (2, 1)
        assert list(scrubbed.links) == [link]


class ListedSpan(ReadableSpan):
    """A ``ReadableSpan`` subclass with other attributes (as another SDK's span might be)."""

    def __init__(self, base: ReadableSpan, attributes: dict[str, Any]) -> None:
        super().__init__(base.name, base.context, links=base.links, attributes=attributes)
        self._base = base

    @property
    def dropped_attributes(self) -> int:
        return self._base.dropped_attributes

    @property
    def dropped_links(self) -> int:
        return self._base.dropped_links
