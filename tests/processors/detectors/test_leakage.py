"""PII and secret leakage: where it is looked for, severity, and redacted evidence."""

from __future__ import annotations

import json

import pytest

from agentstate.processors.detectors.alert import Category, Severity
from agentstate.processors.detectors.leakage import detect_leakage, find_all, scanned_texts, severity_of, texts_to_scan
from agentstate.processors.normalize import normalize
from agentstate.semconv import attributes as A
from agentstate.semconv.span_record import Message, NormalizedSpan, Operation, ToolCall

_KEY = "sk-proj-vsqQDqXeRZlsGuJXbKsVb9twtDvWN4PtbJBlSXprd2TbYpx3YJ-UdQNhi3litGguHFIe"


@pytest.mark.parametrize(
    ("span", "expected"),
    [
        pytest.param(
            NormalizedSpan(operation=Operation.CHAT, output_messages=(Message("assistant", f"Use {_KEY}"),)),
            [(Category.SECRET_LEAK, Severity.HIGH, "OPENAI_KEY×1 in model output")], id="key-in-output",
        ),
        pytest.param(
            NormalizedSpan(operation=Operation.CHAT, output_messages=(
                Message("assistant", "", (ToolCall("pay", '{"card": "4111 1111 1111 1111"}'),)),)),
            [(Category.PII_LEAK, Severity.HIGH, "CREDIT_CARD×1 in arguments of tool call pay")], id="card-in-tool-call",
        ),
        pytest.param(
            NormalizedSpan(operation=Operation.EXECUTE_TOOL, tool_name="crm", tool_arguments="id=7",
                           tool_result="bob@example.com, +44 20 7123 4567"),
            [(Category.PII_LEAK, Severity.LOW, "EMAIL×1, PHONE×1 in result of tool crm")], id="contact-in-tool-result",
        ),
        pytest.param(
            NormalizedSpan(operation=Operation.EXECUTE_TOOL, tool_name="deploy",
                           tool_arguments="-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----",
                           tool_result="ssn 078-05-1123"),
            [(Category.SECRET_LEAK, Severity.CRITICAL, "PRIVATE_KEY×1 in arguments of tool deploy"),
             (Category.PII_LEAK, Severity.HIGH, "US_SSN×1 in result of tool deploy")], id="both-families",
        ),
        pytest.param(
            NormalizedSpan(operation=Operation.CHAT, input_messages=(Message("user", f"my key is {_KEY}"),)),
            [], id="user-input-is-not-a-leak",
        ),
        pytest.param(NormalizedSpan(operation=Operation.CHAT, output_text="call 415-555-0132"),
                     [(Category.PII_LEAK, Severity.LOW, "PHONE×1 in model output")], id="generic-llm-output"),
        pytest.param(NormalizedSpan(operation=Operation.CHAT, output_messages=(Message("assistant", "all good"),)),
                     [], id="clean"),
    ],
)  # fmt: skip
def test_detect_leakage(span: NormalizedSpan, expected: list[tuple[Category, Severity, str]]) -> None:
    assert [(a.category, a.severity, a.message) for a in detect_leakage(span)] == expected


def test_evidence_never_contains_the_value() -> None:
    span = NormalizedSpan(operation=Operation.CHAT, output_messages=(Message("assistant", f"key: {_KEY} ok"),))
    (alert,) = detect_leakage(span)
    assert _KEY not in alert.evidence and _KEY[:20] not in alert.evidence
    assert "[REDACTED:OPENAI_KEY]" in alert.evidence


@pytest.mark.parametrize(
    ("span", "expected"),
    [
        pytest.param(
            NormalizedSpan(operation=Operation.CHAT, redacted=(("gen_ai.output.messages", "US_SSN", 1),)),
            [(Category.PII_LEAK, Severity.HIGH, "US_SSN×1 in model output")], id="ssn-in-output",
        ),
        pytest.param(
            NormalizedSpan(operation=Operation.CHAT, redacted=(("gen_ai.input.messages", "US_SSN", 2),)),
            [], id="user-input-is-not-a-leak",
        ),
        pytest.param(
            NormalizedSpan(operation=Operation.EXECUTE_TOOL, tool_name="crm",
                           redacted=(("input.value", "GITHUB_TOKEN", 1), ("output.value", "EMAIL", 3))),
            [(Category.SECRET_LEAK, Severity.HIGH, "GITHUB_TOKEN×1 in arguments of tool crm"),
             (Category.PII_LEAK, Severity.LOW, "EMAIL×3 in result of tool crm")], id="tool-arguments-and-result",
        ),
        pytest.param(
            NormalizedSpan(operation=Operation.CHAT, output_messages=(Message("assistant", f"Use {_KEY}"),),
                           redacted=(("gen_ai.choice/message", "PRIVATE_KEY", 1),)),
            [(Category.SECRET_LEAK, Severity.CRITICAL, "OPENAI_KEY×1, PRIVATE_KEY×1 in model output")],
            id="merged-with-findings",
        ),
        pytest.param(
            NormalizedSpan(operation=Operation.CHAT, redacted=(("agentstate.metadata.note", "EMAIL", 1),)),
            [], id="metadata-is-not-a-leak-place",
        ),
    ],
)  # fmt: skip
def test_leaks_the_sdk_already_redacted_still_alert(
    span: NormalizedSpan, expected: list[tuple[Category, Severity, str]]
) -> None:
    assert [(a.category, a.severity, a.message) for a in detect_leakage(span)] == expected


def test_redacted_attribute_flows_through_normalize_to_an_alert() -> None:
    """What the SDK writes (``agentstate.redacted``) is what the engine reads back."""
    attributes = {
        "gen_ai.operation.name": "chat",
        "gen_ai.output.messages": json.dumps(
            [{"role": "assistant", "parts": [{"type": "text", "content": "[REDACTED:US_SSN]"}]}]
        ),
        A.REDACTED: '{"gen_ai.output.messages":{"US_SSN":1}}',
    }
    span = normalize(attributes, "chat gpt-4o")
    assert span.redacted == (("gen_ai.output.messages", "US_SSN", 1),)
    (alert,) = detect_leakage(span)
    assert (alert.category, alert.severity, alert.message) == (
        Category.PII_LEAK,
        Severity.HIGH,
        "US_SSN×1 in model output",
    )
    assert alert.evidence == "[REDACTED:US_SSN] in model output (redacted by the SDK before export)"


@pytest.mark.parametrize(
    ("kind", "severity"),
    [
        pytest.param("CONNECTION_STRING", Severity.CRITICAL, id="connection-string"),
        pytest.param("DISCORD_BOT_TOKEN", Severity.HIGH, id="provider-token"),
        pytest.param("GOOGLE_CLIENT_ID", Severity.LOW, id="client-id"),
        pytest.param("AWS_ARN", Severity.LOW, id="arn"),
        pytest.param("PASSWORD_HASH", Severity.MEDIUM, id="password-hash"),
        pytest.param("EMAIL", Severity.LOW, id="email"),
    ],
)
def test_severity_of_new_types(kind: str, severity: Severity) -> None:
    assert severity_of(kind) is severity


def test_findings_found_for_a_batch_give_the_same_alerts() -> None:
    spans = [
        NormalizedSpan(operation=Operation.CHAT, output_messages=(Message("assistant", "mail me at a.b@example.com"),)),
        NormalizedSpan(
            operation=Operation.EXECUTE_TOOL,
            tool_name="env",
            tool_result="AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLF and AKIAIOSFODNN7EXAMPLF",
        ),
        NormalizedSpan(operation=Operation.CHAT, output_messages=(Message("assistant", "nothing to see"),)),
    ]
    found = find_all(spans)
    assert len(found) == 3 and found["nothing to see"] == []
    batched = [detect_leakage(s, found=found) for s in spans]
    assert batched == [detect_leakage(s) for s in spans]
    assert [[a.category for a in alerts] for alerts in batched] == [[Category.PII_LEAK], [Category.SECRET_LEAK], []]


@pytest.mark.parametrize(
    ("span", "expected"),
    [
        pytest.param(NormalizedSpan(operation=Operation.CHAT, output_messages=(
            Message("assistant", "out", (ToolCall("f", '{"a": 1}'), ToolCall("g", ""))), Message("assistant", "")),
            output_text="ignored: messages exist"), ["out", '{"a": 1}'], id="messages-and-calls"),
        pytest.param(NormalizedSpan(operation=Operation.CHAT, output_text="text"), ["text"], id="llm-output-text"),
        pytest.param(NormalizedSpan(operation=Operation.INVOKE_AGENT, output_text="not a model output"), [],
                     id="agent-output-text"),
        pytest.param(NormalizedSpan(operation=Operation.EXECUTE_TOOL, tool_name="t", tool_arguments="args",
                                    tool_result="res"), ["args", "res"], id="tool"),
    ],
)  # fmt: skip
def test_scanned_texts_are_the_texts_detect_leakage_scans(span: NormalizedSpan, expected: list[str]) -> None:
    assert scanned_texts(span) == [t for t, _ in texts_to_scan(span)] == expected
