"""The security engine: every detector over one span, alerts stamped and aggregated per trace.

Two paths share the detectors:

* :meth:`SecurityEngine.evaluate_batch` is pure apart from the state it owns (rolling baselines,
  loop counters, the per-trace aggregator) and keeps all of it in this process: unit tests,
  benches, a single replica.
* :meth:`SecurityEngine.propose_batch` stops before anything that must be global: it returns each
  span's stamped alerts and its tool calls (:class:`Proposal`), and the security worker counts the
  calls and decides one alert per ``(project, trace, rule)`` in Redis
  (``processors/global_state.py``), so several replicas behave as one.

Rolling baselines (token explosion, latency, cost spike) stay per process on both paths: each
replica learns its own medians from the share of traffic it sees, which is statistically the same
traffic; the per-trace aggregation of their alerts is global like every other rule's.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Final, TypeVar

import pyarrow as pa

from agentstate.processors import span_batch
from agentstate.processors.detectors import anomaly, injection, leakage, loops, read_inputs
from agentstate.processors.detectors.alert import Alert, AlertRow, Severity, TraceAggregator, stamp
from agentstate.processors.detectors.baselines import Baselines
from agentstate.processors.detectors.loops import DEFAULT_THRESHOLD, LoopCall, LoopTracker
from agentstate.processors.pricing import PriceBook, SpanRef
from agentstate.semconv.redaction import DEFAULT_REDACTOR, Finding, Redactor
from agentstate.semconv.span_record import NormalizedSpan, Operation
from agentstate.semconv.value_record import record


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


@record  # built for every span: a plain slotted class at run time, frozen for mypy
class Proposal:
    """One span's findings before any decision that spans several spans.

    Attributes:
        ref: The span.
        rows: Its stamped alerts (every rule but ``runaway_loop``), not yet aggregated per trace.
        calls: Its tool calls, to be counted per trace (empty when loop detection is off).
    """

    ref: SpanRef
    rows: tuple[AlertRow, ...]
    calls: tuple[LoopCall, ...]


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
    _baselines: Baselines = field(init=False)
    _loops: LoopTracker = field(init=False)
    _aggregator: TraceAggregator = field(init=False)
    _found: dict[str, list[Finding]] = field(init=False, default_factory=dict)
    """Leakage findings of the chunk being judged (``_score``); empty outside a batch."""
    _quiet: tuple[bool, bool] = field(init=False, default=(False, False))
    """Whether the chunk being judged has no flagged injection text, and no leak (found or redacted by
    the SDK): then its spans skip those detectors, which would only look up the same verdicts and
    findings to return nothing (most chunks of a healthy agent's traffic)."""

    def __post_init__(self) -> None:
        c = self.config
        self._baselines = Baselines(
            _baseline(c, min_mad=1.0), _baseline(c, min_mad=5.0), _baseline(c, min_mad=1e-7), self.prices
        )
        self._loops = LoopTracker(c.loop_threshold)
        self._aggregator = TraceAggregator()

    def detect(self, ref: SpanRef, span: NormalizedSpan, duration_ns: int | None = None) -> list[Alert]:
        """Return every detector alert for one span, before stamping and aggregation."""
        return self._detect(ref, span, self._anomalies([(ref, span, duration_ns)])[0])

    def _detect(self, ref: SpanRef, span: NormalizedSpan, anomalies: list[Alert]) -> list[Alert]:
        alerts = self._content(span)
        if self.config.loops:
            alerts += self._loops.detect(ref.project_id, ref.trace_id, span, ref.span_id)
        return self._kept(alerts + anomalies)

    def propose(self, ref: SpanRef, span: NormalizedSpan, duration_ns: int | None = None) -> Proposal:
        """Return one span's stamped alerts and tool calls, leaving loop counts and aggregation out."""
        return self._propose(ref, span, self._anomalies([(ref, span, duration_ns)])[0])

    def _propose(self, ref: SpanRef, span: NormalizedSpan, anomalies: list[Alert]) -> Proposal:
        alerts = self._content(span) + anomalies
        rows = tuple(_stamp(a, ref) for a in self._kept(alerts)) if alerts else ()
        return Proposal(ref, rows, tuple(loops.calls(ref.span_id, span)) if self.config.loops else ())

    def loop_row(self, proposal: Proposal, counts: Sequence[int]) -> AlertRow | None:
        """The span's ``runaway_loop`` row given its calls' trace-wide counts (one per call), if any."""
        alert = loops.first_over(list(proposal.calls), list(counts), self.config.loop_threshold)
        kept = self._kept([alert] if alert is not None else [])
        return _stamp(kept[0], proposal.ref) if kept else None

    def propose_batch(
        self, items: Sequence[tuple[SpanRef, NormalizedSpan, int | None]], costs: Sequence[float | None] | None = None
    ) -> list[Proposal]:
        """:meth:`propose` over a batch, in order, with the batch's texts scored once (as in :meth:`evaluate_batch`).

        ``costs``: each span's USD priced per batch (``cost_batch.usd``), for the cost-spike baseline.
        """
        out: list[Proposal] = []
        try:
            for at in range(0, len(items), _CHUNK):
                chunk = items[at : at + _CHUNK]
                self._score(chunk)
                anomalies = self._anomalies(chunk, None if costs is None else costs[at : at + _CHUNK])
                out += [self._propose(ref, span, found) for (ref, span, _), found in zip(chunk, anomalies, strict=True)]
        finally:
            self._end_batch()
        return out

    def propose_read(self, table: pa.Table, costs: Sequence[float | None] | None = None) -> list[Proposal]:
        """:meth:`propose_batch` over a normalised read (``span_batch.SCHEMA``), keeping only the
        proposals with rows or calls (the others decide nothing), with the same state changes.

        A quiet chunk (no flagged text, no leak, no SDK redaction) is judged from the read's columns
        (``read_inputs.py``): its spans need only their anomaly inputs and tool calls, so no record
        is built. Any other chunk is rebuilt as records and judged by :meth:`propose_batch`'s path.
        """
        c = self.config
        if costs is None and c.anomalies:  # priced span by span, as propose_batch does without prices
            costs = self._baselines.costs(span_batch.items(table))
        out: list[Proposal] = []
        try:
            for at in range(0, table.num_rows, _BLOCK):
                block = table.slice(at, _BLOCK)
                r = read_inputs.read_inputs(block)
                for lo in range(0, r.rows, _CHUNK):
                    hi = min(lo + _CHUNK, r.rows)
                    out += self._chunk_proposals(block, r, lo, hi, None if costs is None else costs[at + lo : at + hi])
        finally:
            self._end_batch()
        return out

    def _chunk_proposals(
        self, block: pa.Table, r: read_inputs.ReadInputs, lo: int, hi: int, costs: Sequence[float | None] | None
    ) -> list[Proposal]:
        """The proposals with rows or calls of rows ``lo:hi`` of ``block`` (read as ``r``)."""
        texts = read_inputs.chunk_texts(r, lo, hi)
        self._screen(texts.score, texts.leak, texts.redacted)
        if self._quiet == (True, True):
            return self._quiet_proposals(r, texts, lo, hi, costs)
        # the chunk's verdicts and findings are known: only its records are missing
        chunk = span_batch.items(block.slice(lo, hi - lo))
        anomalies = self._anomalies(chunk, costs)
        proposed = (self._propose(ref, span, a) for (ref, span, _), a in zip(chunk, anomalies, strict=True))
        return [p for p in proposed if p.rows or p.calls]

    def _quiet_proposals(
        self,
        r: read_inputs.ReadInputs,
        texts: read_inputs.ChunkTexts,
        lo: int,
        hi: int,
        costs: Sequence[float | None] | None,
    ) -> list[Proposal]:
        """The proposals of a quiet chunk's rows ``lo:hi``: anomalies and tool calls, from the columns."""
        c = self.config
        anomalies = self._baselines.alerts_of(r.fields(lo, hi), costs) if c.anomalies and costs is not None else None
        out: list[Proposal] = []
        for i in range(lo, hi):
            kept = self._kept(anomalies[i - lo]) if anomalies is not None and anomalies[i - lo] else []
            op = r.operation[i]
            requested = texts.requested.get(i)
            counted = c.loops and (requested is not None or op is _EXECUTE_TOOL)
            if not kept and not counted:
                continue
            ref = r.ref(i)
            calls = (
                loops.calls_of(ref.span_id, op, r.tool_name[i], r.tool_arguments[i], requested or ()) if counted else []
            )
            if kept or calls:
                out.append(Proposal(ref, tuple(_stamp(a, ref) for a in kept), tuple(calls)))
        return out

    def evaluate(self, ref: SpanRef, span: NormalizedSpan, duration_ns: int | None = None) -> list[AlertRow]:
        """Return the alert rows to persist and push for one span (idempotent per span and rule)."""
        return self._evaluate(ref, span, self._anomalies([(ref, span, duration_ns)])[0])

    def _evaluate(self, ref: SpanRef, span: NormalizedSpan, anomalies: list[Alert]) -> list[AlertRow]:
        rows = []
        for alert in self._detect(ref, span, anomalies):
            row = self._aggregator.add(_stamp(alert, ref))
            if row is not None:
                rows.append(row)
        return rows

    def evaluate_batch(self, items: Sequence[tuple[SpanRef, NormalizedSpan, int | None]]) -> list[AlertRow]:
        """:meth:`evaluate` over a batch, in order; the batch's distinct texts are scored once.

        Agents resend their history, so a batch holds the same messages many times: the injection
        texts of every span are scored first (each distinct one once, then memoised), and the
        per-span detectors only look the verdicts up.
        """
        rows: list[AlertRow] = []
        try:
            for chunk in _chunks(items):
                self._score(chunk)
                for (ref, span, _), found in zip(chunk, self._anomalies(chunk), strict=True):
                    rows += self._evaluate(ref, span, found)
        finally:
            self._end_batch()
        return rows

    def _end_batch(self) -> None:
        """Forget the chunk's findings (a single span judged later is judged in full)."""
        self._found, self._quiet = {}, (False, False)

    def _score(self, items: Sequence[tuple[SpanRef, NormalizedSpan, int | None]]) -> None:
        """Score the chunk's injection texts and find its leakage texts' findings, each text once."""
        self._screen(
            (t for _, span, _ in items for t in injection.texts_to_score(span)),
            (text for _, span, _ in items for text in leakage.scanned_texts(span)),
            any(span.redacted for _, span, _ in items),
        )

    def _screen(self, score: Iterable[tuple[str, bool]], leak: Iterable[str], redacted: bool) -> None:
        """Set :attr:`_found` and :attr:`_quiet` from a chunk's texts: ``score``, the ``(text, indirect)``
        pairs the injection detectors read; ``leak``, the texts the leakage detector reads; ``redacted``,
        whether the SDK redacted anything (both paths gather these: ``_score`` from records,
        :meth:`propose_read` from columns)."""
        c = self.config
        quiet_injection = True
        if c.injection or c.indirect:
            todo = (t for t in score if c.indirect or not t[1])
            quiet_injection = not any(verdict.flagged for verdict in injection.score_texts(dict.fromkeys(todo)))
        self._found = leakage.find_in(leak, self.redactor) if c.leakage else {}
        self._quiet = (quiet_injection, not any(self._found.values()) and not redacted)

    def _content(self, span: NormalizedSpan) -> list[Alert]:
        c = self.config
        quiet_injection, quiet_leakage = self._quiet
        alerts: list[Alert] = []
        if c.injection and not quiet_injection:
            alerts += injection.detect_prompt_injection(span)
        if c.indirect and not quiet_injection:
            alerts += injection.detect_indirect_injection(span)
        if c.leakage and not quiet_leakage:
            alerts += leakage.detect_leakage(span, self.redactor, self._found)
        return alerts

    def _kept(self, alerts: list[Alert]) -> list[Alert]:
        return [a for a in alerts if a.severity.rank >= self.config.min_severity.rank]

    def _anomalies(
        self, items: Sequence[tuple[SpanRef, NormalizedSpan, int | None]], costs: Sequence[float | None] | None = None
    ) -> list[list[Alert]]:
        """Each span's token, latency and cost anomalies, the batch judged at once (``baselines.py``)."""
        if not self.config.anomalies:
            return [[] for _ in items]
        return self._baselines.alerts(items, costs)


_T = TypeVar("_T")
_EXECUTE_TOOL: Final = Operation.EXECUTE_TOOL
"""Read once: an enum member read off its class costs ~70 ns in Python 3.11 (once per span here)."""
_CHUNK: Final = 256
"""Spans scored together: their distinct texts must stay in ``score_text``'s memo (4,096 verdicts)
until the detectors look them up. A whole read (20k spans, ~16k distinct texts in the ingest bench)
evicted its first verdicts before they were used, so every text was scored twice."""
_BLOCK: Final = 2 * _CHUNK
"""Rows of a read turned into Python lists at a time (:meth:`SecurityEngine.propose_read`; a multiple
of :data:`_CHUNK`, so the chunks are the same as without blocks). A whole read's lists (10k bench
spans, ~14 MB of texts) left the cache before the chunk loop came back to them: in process the read
logic cost 10.9 against 11.5 µs/span (six interleaved runs of 90k bench spans; 1,024 rows 11.2)."""


def _chunks(items: Sequence[_T]) -> Iterator[Sequence[_T]]:
    for i in range(0, len(items), _CHUNK):
        yield items[i : i + _CHUNK]


def _stamp(alert: Alert, ref: SpanRef) -> AlertRow:
    return stamp(alert, ref.project_id, ref.trace_id, ref.span_id, ref.start_time_unix_nano)


def _baseline(config: EngineConfig, min_mad: float) -> anomaly.RobustBaseline:
    return anomaly.RobustBaseline(config.anomaly_window, config.anomaly_min_samples, config.anomaly_k, min_mad=min_mad)
