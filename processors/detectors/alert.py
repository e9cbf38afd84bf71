"""Alerts: what detectors return, what the ``security_alerts`` table stores, and per-trace aggregation.

Detectors return :class:`Alert` (no IDs, evidence already redacted). The engine stamps each with the
span's project, trace, span and time as an :class:`AlertRow`, idempotent per ``(span_id, rule_id)``.
:class:`TraceAggregator` keeps one attack from producing a hundred alerts: the first alert of a rule
in a trace is emitted, repeats only bump its ``occurrences`` (re-emitted at 2, 4, 8 … with a higher
``version`` so a ReplacingMergeTree keeps the latest count).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, replace
from enum import Enum
from typing import Final

from agentstate.semconv.redaction import DEFAULT_REDACTOR, Redactor

EVIDENCE_CHARS: Final = 240
"""Longest evidence snippet stored with an alert."""


class Severity(str, Enum):
    """Alert severity, lowest first."""

    INFO = "info"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        """0 for ``info`` up to 4 for ``critical``."""
        return _RANK[self]


_RANK: Final = {s: i for i, s in enumerate(Severity)}


class Category(str, Enum):
    """What kind of problem an alert reports."""

    PROMPT_INJECTION = "prompt_injection"
    JAILBREAK = "jailbreak"
    INDIRECT_INJECTION = "indirect_injection"
    PII_LEAK = "pii_leak"
    SECRET_LEAK = "secret_leak"  # noqa: S105 (a category name)
    TOKEN_EXPLOSION = "token_explosion"  # noqa: S105 (a category name)
    LATENCY = "latency"
    RUNAWAY_LOOP = "runaway_loop"
    COST_SPIKE = "cost_spike"
    BUDGET = "budget"


@dataclass(frozen=True, slots=True)
class Alert:
    """One detector finding on one span.

    Attributes:
        rule_id: Stable rule identifier (``prompt_injection``, ``secret_leak`` …).
        category: Problem family.
        severity: How bad it is.
        score: Detector confidence or magnitude (rule weights, multiples of MAD …).
        evidence: Redacted, truncated text that shows why.
        message: One human-readable line, free of sensitive values.
    """

    rule_id: str
    category: Category
    severity: Severity
    score: float
    evidence: str
    message: str


@dataclass(frozen=True, slots=True)
class AlertRow:
    """One ``security_alerts`` row; ``(project_id, span_id, rule_id)`` is its identity."""

    project_id: str
    time_unix_nano: int
    trace_id: str
    span_id: str
    rule_id: str
    category: Category
    severity: Severity
    score: float
    evidence: str
    message: str
    status: str = "open"
    occurrences: int = 1
    version: int = 1

    @property
    def key(self) -> tuple[str, str, str]:
        """Deduplication key: a replayed span yields the same key."""
        return (self.project_id, self.span_id, self.rule_id)


def stamp(alert: Alert, project_id: str, trace_id: str, span_id: str, time_unix_nano: int) -> AlertRow:
    """Attach a span's identity to a detector alert."""
    return AlertRow(project_id, time_unix_nano, trace_id, span_id, alert.rule_id, alert.category,
                    alert.severity, alert.score, alert.evidence, alert.message)  # fmt: skip


def evidence(text: str, start: int = 0, end: int | None = None, redactor: Redactor = DEFAULT_REDACTOR) -> str:
    """Return a redacted snippet of ``text`` around ``[start, end)``, at most :data:`EVIDENCE_CHARS` long.

    The snippet is redacted *before* truncation so a secret cut in half cannot survive.
    """
    end = len(text) if end is None else end
    margin = max(0, (EVIDENCE_CHARS - (end - start)) // 2)
    lo, hi = max(0, start - margin), min(len(text), end + margin)
    window = redactor.redact(text[max(0, lo - 64) : hi + 64])  # context so boundary entities are seen whole
    snippet = " ".join(window.split())
    if len(snippet) > EVIDENCE_CHARS:
        snippet = snippet[: EVIDENCE_CHARS - 1] + "…"
    return snippet


class TraceAggregator:
    """Collapses repeats of one rule within one trace into a single, counted alert.

    Args:
        max_traces: Traces remembered (least recently seen are forgotten first).
    """

    __slots__ = ("_max", "_seen")

    def __init__(self, max_traces: int = 100_000) -> None:
        self._max = max_traces
        self._seen: OrderedDict[tuple[str, str, str], AlertRow] = OrderedDict()

    def add(self, row: AlertRow) -> AlertRow | None:
        """Return the row to persist and push, or ``None`` when this repeat is only counted.

        The first alert of a ``(project, trace, rule)`` is returned as is. Later ones increment the
        first row's ``occurrences``; that row is returned again, with ``version`` raised, when the
        count reaches a power of two. A replay of the first span (same key) returns ``None``.
        """
        key = (row.project_id, row.trace_id, row.rule_id)
        first = self._seen.get(key)
        if first is None:
            self._seen[key] = row
            if len(self._seen) > self._max:
                self._seen.popitem(last=False)
            return row
        self._seen.move_to_end(key)
        if first.span_id == row.span_id:
            return None
        count = first.occurrences + 1
        severity = row.severity if row.severity.rank > first.severity.rank else first.severity
        updated = replace(first, occurrences=count, version=first.version + 1, severity=severity,
                          score=max(first.score, row.score))  # fmt: skip
        self._seen[key] = updated
        return updated if count & (count - 1) == 0 else None
