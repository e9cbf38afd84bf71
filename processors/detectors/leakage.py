"""PII and secret leakage in model outputs, tool arguments and tool results.

The security engine sees spans before any server-side scrubbing, so it can tell that a model
answered with a customer's card number or that a tool was called with an API key. Evidence is
redacted with the same :class:`~agentstate.semconv.redaction.Redactor`, so alerts never store the
value. One alert per span and family (``secret_leak``, ``pii_leak``) lists every type found.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Final

from agentstate.processors.detectors.alert import Alert, Category, Severity, evidence
from agentstate.semconv.record import NormalizedSpan, SpanCategory
from agentstate.semconv.redaction import DEFAULT_REDACTOR, SECRET_TYPES, Finding, Redactor

_SEVERITY: Final = {
    "PRIVATE_KEY": Severity.CRITICAL,
    "AWS_SECRET_KEY": Severity.CRITICAL,
    "STRIPE_KEY": Severity.CRITICAL,
    "OPENAI_KEY": Severity.HIGH,
    "ANTHROPIC_KEY": Severity.HIGH,
    "GITHUB_TOKEN": Severity.HIGH,
    "SLACK_TOKEN": Severity.HIGH,
    "AWS_ACCESS_KEY": Severity.HIGH,
    "GOOGLE_API_KEY": Severity.HIGH,
    "HUGGINGFACE_TOKEN": Severity.HIGH,
    "JWT": Severity.HIGH,
    "URL_CREDENTIALS": Severity.HIGH,
    "SECRET": Severity.HIGH,
    "CREDIT_CARD": Severity.HIGH,
    "US_SSN": Severity.HIGH,
    "IBAN": Severity.MEDIUM,
    "CRYPTO": Severity.MEDIUM,
}
"""Severity per type; anything else (e-mail, phone, IP, opt-in types) is ``low``."""


def texts_to_scan(span: NormalizedSpan) -> Iterator[tuple[str, str]]:
    """Yield ``(text, where)`` for every place a leak matters: outputs, tool arguments and results."""
    for message in span.output_messages:
        if message.content:
            yield message.content, "model output"
        for call in message.tool_calls:
            if call.arguments:
                yield call.arguments, f"arguments of tool call {call.name}"
    if span.category is SpanCategory.LLM and not span.output_messages and span.output_text:
        yield span.output_text, "model output"
    if span.tool_arguments:
        yield span.tool_arguments, f"arguments of tool {span.tool_name or '?'}"
    if span.tool_result:
        yield span.tool_result, f"result of tool {span.tool_name or '?'}"


def detect_leakage(span: NormalizedSpan, redactor: Redactor = DEFAULT_REDACTOR) -> list[Alert]:
    """Return up to two alerts (secrets, PII) for the sensitive values leaving through this span."""
    secrets: list[tuple[Finding, str, str]] = []
    pii: list[tuple[Finding, str, str]] = []
    for text, where in texts_to_scan(span):
        for finding in redactor.find(text):
            (secrets if finding.type in SECRET_TYPES else pii).append((finding, text, where))
    alerts = []
    if secrets:
        alerts.append(_alert(secrets, Category.SECRET_LEAK, redactor))
    if pii:
        alerts.append(_alert(pii, Category.PII_LEAK, redactor))
    return alerts


def _alert(found: list[tuple[Finding, str, str]], category: Category, redactor: Redactor) -> Alert:
    worst = max(found, key=lambda f: _SEVERITY.get(f[0].type, Severity.LOW).rank)
    finding, text, _ = worst
    counts = Counter(f.type for f, _, _ in found)
    summary = ", ".join(f"{kind}×{n}" for kind, n in sorted(counts.items()))
    places = ", ".join(sorted({w for _, _, w in found}))
    return Alert(
        rule_id=category.value,
        category=category,
        severity=_SEVERITY.get(finding.type, Severity.LOW),
        score=float(len(found)),
        evidence=evidence(text, finding.start, finding.end, redactor),
        message=f"{summary} in {places}",
    )
