"""Token explosion, latency and cost anomalies over a batch of spans, one baseline lookup per key.

The spans of a batch are grouped by baseline key (project, model / agent / tool, metric); each group
is judged against its baseline as it stood before the batch and then added to it
(:meth:`~.anomaly.RobustBaseline.anomalies_among`): one median and MAD per key and batch, where a
per-span ``observe`` did the bookkeeping of a rolling window for every value. A batch of one span is
exactly the per-span rule.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from agentstate.processors.detectors import anomaly
from agentstate.processors.detectors.alert import Alert
from agentstate.processors.pricing import PriceBook, SpanRef, total_cost_usd
from agentstate.semconv.span_record import MODEL_OPERATIONS, NormalizedSpan, SpanCategory, category_of

Item = tuple[SpanRef, NormalizedSpan, int | None]
_Groups = dict[tuple[str, ...], list[tuple[int, float]]]
_LLM_OPERATIONS = frozenset(op for op in MODEL_OPERATIONS if category_of(op) is SpanCategory.LLM)
"""Model calls whose output tokens have a baseline (chat and completion; not embeddings)."""


@dataclass(slots=True)
class Baselines:
    """The three rolling baselines of one engine and the batch rule over them.

    Attributes:
        tokens: Output tokens per model.
        latency: Duration (ms) per model, agent and tool.
        cost: USD per model call.
        prices: Where model calls are priced.
    """

    tokens: anomaly.RobustBaseline
    latency: anomaly.RobustBaseline
    cost: anomaly.RobustBaseline
    prices: PriceBook = field(default_factory=PriceBook)

    def alerts(self, items: Sequence[Item], costs: Sequence[float | None] | None = None) -> list[list[Alert]]:
        """The anomaly alerts of each span of a batch, in order (token, latency, cost per span).

        ``costs``: each span's USD as :func:`~agentstate.processors.pricing.total_cost_usd` gives it,
        priced per batch (``cost_batch.usd``); without it each model call is priced here.
        """
        out: list[list[Alert]] = [[] for _ in items]
        tokens: _Groups = {}
        latency: _Groups = {}
        cost: _Groups = {}
        for i, (ref, span, duration_ns) in enumerate(items):
            # one pass, each derived field read once: this loop runs for every span of every batch
            operation = span.operation
            if operation in MODEL_OPERATIONS:
                model = span.response_model or span.request_model
                if not model:
                    continue
                where: tuple[str, str, str] = (ref.project_id, "model", model)
                if operation in _LLM_OPERATIONS and span.output_tokens is not None:
                    over = anomaly.over_max_tokens(span.output_tokens, span.request_max_tokens)
                    if over is not None:
                        out[i].append(over)
                    else:
                        tokens.setdefault((*where, "output_tokens"), []).append((i, float(span.output_tokens)))
                usd = total_cost_usd(span, ref.start_time_unix_nano, self.prices) if costs is None else costs[i]
                if usd is not None and usd > 0:
                    cost.setdefault((*where, "cost_usd"), []).append((i, usd))
            else:
                category = category_of(operation)
                if category is SpanCategory.AGENT and span.agent_name:
                    where = (ref.project_id, "agent", span.agent_name)
                elif category is SpanCategory.TOOL and span.tool_name:
                    where = (ref.project_id, "tool", span.tool_name)
                else:
                    continue
            if duration_ns is not None and duration_ns >= 0:
                latency.setdefault((*where, "latency_ms"), []).append((i, duration_ns / 1e6))
        _judge(self.tokens, tokens, anomaly.token_alert, out)
        _judge(self.latency, latency, anomaly.latency_alert, out)
        _judge(self.cost, cost, anomaly.cost_alert, out)
        return out


def _judge(
    baseline: anomaly.RobustBaseline, groups: _Groups, make: Callable[[anomaly.Verdict], Alert], out: list[list[Alert]]
) -> None:
    for key, found in groups.items():
        for pos, verdict in baseline.anomalies_among(key, [v for _, v in found]):
            out[found[pos][0]].append(make(verdict))
