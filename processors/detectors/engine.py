"""The security engine: every detector over one span, alerts stamped and aggregated per trace.

Pure apart from the state it owns (rolling baselines, loop counters, the per-trace aggregator), so
the ``agentstate worker security`` loop only decodes spans, calls
:meth:`SecurityEngine.evaluate_batch` on each batch and writes the rows it returns.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from agentstate.processors.detectors import anomaly, injection, leakage
from agentstate.processors.detectors.alert import Alert, AlertRow, Severity, TraceAggregator, stamp
from agentstate.processors.detectors.loops import DEFAULT_THRESHOLD, LoopTracker
from agentstate.processors.pricing import PriceBook, SpanRef, total_cost_usd
from agentstate.semconv.record import NormalizedSpan, SpanCategory
from agentstate.semconv.redaction import DEFAULT_REDACTOR, Redactor


@dataclass(frozen=True, slots=True)
class EngineConfig:
    """Security engine settings.

    Attributes:
        injection: Run the direct prompt-injection / jailbreak detector.
        indirect: Run the indirect-injection detector.
        leakage: Run the PII / secret leakage detector.
        anomalies: Run token-explosion, latency and cost-spike detection.
        loops: Run runaway-loop detection.
        loop_threshold: Identical tool calls allowed per trace.
        anomaly_k: Multiple of MAD above the median that is anomalous.
        anomaly_window: Values kept per baseline key.
        anomaly_min_samples: Values needed before a baseline flags anything.
        min_severity: Alerts below this severity are dropped.
    """

    injection: bool = True
    indirect: bool = True
    leakage: bool = True
    anomalies: bool = True
    loops: bool = True
    loop_threshold: int = DEFAULT_THRESHOLD
    anomaly_k: float = anomaly.DEFAULT_K
    anomaly_window: int = 200
    anomaly_min_samples: int = 30
    min_severity: Severity = Severity.LOW


@dataclass(slots=True)
class SecurityEngine:
    """Runs the detectors and owns their state.

    Attributes:
        config: Settings.
        redactor: Redactor for leakage detection and evidence.
        prices: Price book used to cost spans for cost-spike detection.
    """

    config: EngineConfig = field(default_factory=EngineConfig)
    redactor: Redactor = DEFAULT_REDACTOR
    prices: PriceBook = field(default_factory=PriceBook)
    _tokens: anomaly.RobustBaseline = field(init=False)
    _latency: anomaly.RobustBaseline = field(init=False)
    _cost: anomaly.RobustBaseline = field(init=False)
    _loops: LoopTracker = field(init=False)
    _aggregator: TraceAggregator = field(init=False)

    def __post_init__(self) -> None:
        c = self.config
        self._tokens = _baseline(c, min_mad=1.0)
        self._latency = _baseline(c, min_mad=5.0)
        self._cost = _baseline(c, min_mad=1e-7)
        self._loops = LoopTracker(c.loop_threshold)
        self._aggregator = TraceAggregator()

    def detect(self, ref: SpanRef, span: NormalizedSpan, duration_ns: int | None = None) -> list[Alert]:
        """Return every detector alert for one span, before stamping and aggregation."""
        c = self.config
        alerts: list[Alert] = []
        if c.injection:
            alerts += injection.detect_prompt_injection(span)
        if c.indirect:
            alerts += injection.detect_indirect_injection(span)
        if c.leakage:
            alerts += leakage.detect_leakage(span, self.redactor)
        if c.loops:
            alerts += self._loops.detect(ref.project_id, ref.trace_id, span)
        if c.anomalies:
            alerts += self._anomalies(ref, span, duration_ns)
        return [a for a in alerts if a.severity.rank >= c.min_severity.rank]

    def evaluate(self, ref: SpanRef, span: NormalizedSpan, duration_ns: int | None = None) -> list[AlertRow]:
        """Return the alert rows to persist and push for one span (idempotent per span and rule)."""
        rows = []
        for alert in self.detect(ref, span, duration_ns):
            row = self._aggregator.add(stamp(alert, ref.project_id, ref.trace_id, ref.span_id,
                                             ref.start_time_unix_nano))  # fmt: skip
            if row is not None:
                rows.append(row)
        return rows

    def evaluate_batch(self, items: Sequence[tuple[SpanRef, NormalizedSpan, int | None]]) -> list[AlertRow]:
        """:meth:`evaluate` over a batch, in order; the batch's distinct texts are scored once.

        Agents resend their history, so a batch holds the same messages many times: the injection
        texts of every span are scored first (each distinct one once, then memoised), and the
        per-span detectors only look the verdicts up.
        """
        c = self.config
        if c.injection or c.indirect:
            todo = (t for _, span, _ in items for t in injection.texts_to_score(span) if c.indirect or not t[1])
            injection.score_texts(dict.fromkeys(todo))
        rows: list[AlertRow] = []
        for ref, span, duration_ns in items:
            rows += self.evaluate(ref, span, duration_ns)
        return rows

    def _anomalies(self, ref: SpanRef, span: NormalizedSpan, duration_ns: int | None) -> list[Alert]:
        out: list[Alert] = []
        duration_ms = duration_ns / 1e6 if duration_ns is not None else None
        if span.calls_model and span.model:
            key = (ref.project_id, "model", span.model)
            if span.category is SpanCategory.LLM:
                out += anomaly.detect_token_explosion(self._tokens, key, span.output_tokens, span.request_max_tokens)
            out += anomaly.detect_latency(self._latency, key, duration_ms)
            cost = total_cost_usd(span, ref.start_time_unix_nano, self.prices)
            out += anomaly.detect_cost_spike(self._cost, (ref.project_id, "model", span.model), cost)
        elif span.category is SpanCategory.AGENT and span.agent_name:
            out += anomaly.detect_latency(self._latency, (ref.project_id, "agent", span.agent_name), duration_ms)
        elif span.category is SpanCategory.TOOL and span.tool_name:
            out += anomaly.detect_latency(self._latency, (ref.project_id, "tool", span.tool_name), duration_ms)
        return out


def _baseline(config: EngineConfig, min_mad: float) -> anomaly.RobustBaseline:
    return anomaly.RobustBaseline(config.anomaly_window, config.anomaly_min_samples, config.anomaly_k, min_mad=min_mad)
