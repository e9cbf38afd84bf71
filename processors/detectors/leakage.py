"""PII and secret leakage in model outputs, tool arguments and tool results.

The security engine sees spans before any server-side scrubbing, so it can tell that a model
answered with a customer's card number or that a tool was called with an API key. Evidence is
redacted with the same :class:`~agentstate.semconv.redaction.Redactor`, so alerts never store the
value. One alert per span and family (``secret_leak``, ``pii_leak``) lists every type found.

Spans our SDK scrubbed arrive without the values, but with ``agentstate.redacted`` counts
(:attr:`~agentstate.semconv.span_record.NormalizedSpan.redacted`): a redaction in a model output or a
tool's arguments or result is a leak all the same, and raises the same alert.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Final

from agentstate.processors.detectors.alert import Alert, Category, Severity, evidence
from agentstate.semconv.redaction import DEFAULT_REDACTOR, SECRET_TYPES, Finding, Redactor
from agentstate.semconv.span_record import NormalizedSpan, Operation, SpanCategory

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
    "CONNECTION_STRING": Severity.CRITICAL,
    "AWS_SESSION_TOKEN": Severity.CRITICAL,
    "HTTP_AUTH": Severity.HIGH,
    "PASSWORD_HASH": Severity.MEDIUM,
    "JWT_SECRET": Severity.HIGH,
    "AWS_ARN": Severity.LOW,
    "AWS_ACCOUNT_ID": Severity.LOW,
    "CLOUD_STORAGE_BUCKET": Severity.LOW,
    "SHOPIFY_DOMAIN": Severity.LOW,
    "AGE_RECIPIENT": Severity.LOW,
    "CODECLIMATE_REPORTER_ID": Severity.LOW,
}
"""Severity per type. Other credentials (the provider rules' keys and tokens) are ``high``, and
identifiers that are not credentials by themselves (client IDs) ``low``; anything else (e-mail,
phone, IP, opt-in types) is ``low``."""


def severity_of(kind: str) -> Severity:
    """The severity of a finding type (see :data:`_SEVERITY`)."""
    known = _SEVERITY.get(kind)
    if known is not None:
        return known
    if kind in SECRET_TYPES and not kind.endswith("_CLIENT_ID"):
        return Severity.HIGH
    return Severity.LOW


@dataclass(frozen=True, slots=True)
class _Leak:
    """One finding in a text, or one count of values the SDK already redacted."""

    type: str
    where: str
    count: int = 1
    finding: Finding | None = None
    text: str = ""


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


def scanned_texts(span: NormalizedSpan) -> list[str]:
    """The texts of :func:`texts_to_scan`, in its order, without their places: what :func:`find_all`
    screens for every span of every batch, so built in one pass with no generator and no f-string."""
    out: list[str] = []
    outputs = span.output_messages
    for message in outputs:
        if message.content:
            out.append(message.content)
        for call in message.tool_calls:
            if call.arguments:
                out.append(call.arguments)
    if not outputs and span.output_text and span.category is SpanCategory.LLM:
        out.append(span.output_text)
    if span.tool_arguments:
        out.append(span.tool_arguments)
    if span.tool_result:
        out.append(span.tool_result)
    return out


def redacted_places(span: NormalizedSpan) -> Iterator[tuple[str, str, int]]:
    """Yield ``(type, where, count)`` for the SDK's redactions in places a leak matters."""
    tool = span.operation is Operation.EXECUTE_TOOL or span.category is SpanCategory.TOOL
    for key, kind, count in span.redacted:
        where = _place(key.lower(), tool, span.tool_name)
        if where is not None:
            yield kind, where, count


def _place(key: str, tool: bool, tool_name: str | None) -> str | None:
    """Where a redacted attribute sits, or ``None`` for inputs (a user's own data is no leak)."""
    if "input" in key or "prompt" in key or "argument" in key:
        if tool:
            return f"arguments of tool {tool_name or '?'}"
        return "arguments of a tool call" if "argument" in key and "input" not in key else None
    if "result" in key or (tool and "output" in key):
        return f"result of tool {tool_name or '?'}"
    if any(word in key for word in ("output", "completion", "choice", "response")):
        return "model output"
    return None


def find_all(spans: Iterable[NormalizedSpan], redactor: Redactor = DEFAULT_REDACTOR) -> dict[str, list[Finding]]:
    """The findings in every text :func:`detect_leakage` scans of ``spans``: each distinct text once,
    all screened by one Hyperscan call (:meth:`~agentstate.semconv.redaction.Redactor.find_many`; precise:
    the texts after the first that matches anything are screened again one by one)."""
    return find_in((text for span in spans for text in scanned_texts(span)), redactor)


def find_in(texts: Iterable[str], redactor: Redactor = DEFAULT_REDACTOR) -> dict[str, list[Finding]]:
    """:func:`find_all` over texts already gathered (``scanned_texts`` of each span, in order)."""
    distinct = list(dict.fromkeys(texts))
    return dict(zip(distinct, redactor.find_many(distinct, precise=True), strict=True))


def detect_leakage(
    span: NormalizedSpan, redactor: Redactor = DEFAULT_REDACTOR, found: Mapping[str, list[Finding]] | None = None
) -> list[Alert]:
    """Return up to two alerts (secrets, PII) for the sensitive values leaving through this span.

    ``found``: findings already computed for the span's texts (:func:`find_all`); other texts are
    scanned here.
    """
    secrets: list[_Leak] = []
    pii: list[_Leak] = []
    for text, where in texts_to_scan(span):
        known = found.get(text) if found is not None else None
        for finding in redactor.find(text) if known is None else known:
            (secrets if finding.type in SECRET_TYPES else pii).append(_Leak(finding.type, where, 1, finding, text))
    for kind, where, count in redacted_places(span):
        (secrets if kind in SECRET_TYPES else pii).append(_Leak(kind, where, count))
    alerts = []
    if secrets:
        alerts.append(_alert(secrets, Category.SECRET_LEAK, redactor))
    if pii:
        alerts.append(_alert(pii, Category.PII_LEAK, redactor))
    return alerts


def _alert(found: list[_Leak], category: Category, redactor: Redactor) -> Alert:
    worst = max(found, key=lambda leak: severity_of(leak.type).rank)
    counts: Counter[str] = Counter()
    for leak in found:
        counts[leak.type] += leak.count
    summary = ", ".join(f"{kind}×{n}" for kind, n in sorted(counts.items()))
    places = ", ".join(sorted({leak.where for leak in found}))
    if worst.finding is not None:
        shown = evidence(worst.text, worst.finding.start, worst.finding.end, redactor)
    else:
        shown = f"[REDACTED:{worst.type}] in {worst.where} (redacted by the SDK before export)"
    return Alert(
        rule_id=category.value,
        category=category,
        severity=severity_of(worst.type),
        score=float(sum(counts.values())),
        evidence=shown,
        message=f"{summary} in {places}",
    )
