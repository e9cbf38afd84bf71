"""Alert rows, evidence redaction and per-trace aggregation."""

from __future__ import annotations

from agentstate.processors.detectors.alert import (
    EVIDENCE_CHARS,
    Alert,
    AlertRow,
    Category,
    Severity,
    TraceAggregator,
    evidence,
    stamp,
)

_ALERT = Alert("prompt_injection", Category.PROMPT_INJECTION, Severity.MEDIUM, 1.0, "ev", "msg")


def _row(span: str, trace: str = "t", severity: Severity = Severity.MEDIUM) -> AlertRow:
    return stamp(Alert("prompt_injection", Category.PROMPT_INJECTION, severity, 1.0, "e", "m"), "p", trace, span, 1)


def test_stamp_and_key() -> None:
    row = stamp(_ALERT, "proj", "trace", "span", 123)
    assert (row.project_id, row.trace_id, row.span_id, row.time_unix_nano, row.status) == (
        "proj", "trace", "span", 123, "open")  # fmt: skip
    assert row.key == ("proj", "span", "prompt_injection")


def test_aggregator_collapses_repeats_in_a_trace() -> None:
    agg = TraceAggregator()
    emitted = [agg.add(_row(f"s{i}")) for i in range(9)]
    assert [(r.span_id, r.occurrences, r.version) if r else None for r in emitted] == [
        ("s0", 1, 1), ("s0", 2, 2), None, ("s0", 4, 4), None, None, None, ("s0", 8, 8), None]  # fmt: skip


def test_aggregator_keeps_traces_and_replays_apart() -> None:
    agg = TraceAggregator()
    assert agg.add(_row("s1", "t1")) is not None
    assert agg.add(_row("s1", "t1")) is None  # replay of the same span
    assert agg.add(_row("s2", "t2")) is not None


def test_aggregated_row_takes_the_worst_severity() -> None:
    agg = TraceAggregator()
    agg.add(_row("s1"))
    updated = agg.add(_row("s2", severity=Severity.CRITICAL))
    assert updated is not None and updated.severity is Severity.CRITICAL and updated.span_id == "s1"


def test_evidence_is_redacted_then_truncated() -> None:
    secret = "sk_live_4eC39HqLyjWDarjtT1zdp7dc"
    text = "x" * 500 + f" token {secret} " + "y" * 500
    start = text.index(secret)
    snippet = evidence(text, start, start + len(secret))
    assert len(snippet) <= EVIDENCE_CHARS
    assert "[REDACTED:STRIPE_KEY]" in snippet and "sk_live" not in snippet
