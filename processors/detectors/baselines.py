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
from agentstate.semconv.span_record import MODEL_OPERATIONS, NormalizedSpan, Operation, SpanCategory, category_of

Item = tuple[SpanRef, NormalizedSpan, int | None]
_Groups = dict[tuple[str, ...], list[tuple[int, float]]]
_LLM_OPERATIONS = frozenset(op for op in MODEL_OPERATIONS if category_of(op) is SpanCategory.LLM)
"""Model calls whose output tokens have a baseline (chat and completion; not embeddings)."""
_AGENT_OPERATIONS = frozenset(op for op in Operation if category_of(op) is SpanCategory.AGENT)
_TOOL_OPERATIONS = frozenset(op for op in Operation if category_of(op) is SpanCategory.TOOL)
"""Operations whose latency is baselined per agent or tool: sets, as reading an enum member off its
class (``SpanCategory.TOOL``) costs ~70 ns in Python 3.11 and this loop runs for every span."""


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
        if costs is None:
            costs = self.costs(items)
        spans = [span for _, span, _ in items]
        return self.alerts_of(
            Fields(
                [ref.project_id for ref, _, _ in items],
                [span.operation for span in spans],
                [span.response_model or span.request_model for span in spans],
                [span.output_tokens for span in spans],
                [span.request_max_tokens for span in spans],
                [span.agent_name for span in spans],
                [span.tool_name for span in spans],
                [duration for _, _, duration in items],
            ),
            costs,
        )

    def costs(self, items: Sequence[Item]) -> list[float | None]:
        """Each model call's USD priced span by span (what :meth:`alerts` uses without batch prices)."""
        return [total_cost_usd(span, ref.start_time_unix_nano, self.prices)
                if span.operation in MODEL_OPERATIONS and (span.response_model or span.request_model) else None
                for ref, span, _ in items]  # fmt: skip

    def alerts_of(self, f: Fields, costs: Sequence[float | None]) -> list[list[Alert]]:
        """:meth:`alerts` from the fields it reads, one list per field (the columnar path has no record)."""
        out: list[list[Alert]] = [[] for _ in f.operation]
        tokens: _Groups = {}
        latency: _Groups = {}
        cost: _Groups = {}
        for i, operation in enumerate(f.operation):
            # one pass, each field read once: this loop runs for every span of every batch
            if operation in MODEL_OPERATIONS:
                model = f.model[i]
                if not model:
                    continue
                where: tuple[str, str, str] = (f.project[i], "model", model)
                output_tokens = f.output_tokens[i]
                if operation in _LLM_OPERATIONS and output_tokens is not None:
                    over = anomaly.over_max_tokens(output_tokens, f.max_tokens[i])
                    if over is not None:
                        out[i].append(over)
                    else:
                        tokens.setdefault((*where, "output_tokens"), []).append((i, float(output_tokens)))
                usd = costs[i]
                if usd is not None and usd > 0:
                    cost.setdefault((*where, "cost_usd"), []).append((i, usd))
            else:
                if operation in _AGENT_OPERATIONS and (agent := f.agent_name[i]):
                    where = (f.project[i], "agent", agent)
                elif operation in _TOOL_OPERATIONS and (tool := f.tool_name[i]):
                    where = (f.project[i], "tool", tool)
                else:
                    continue
            duration_ns = f.duration_ns[i]
            if duration_ns is not None and duration_ns >= 0:
                latency.setdefault((*where, "latency_ms"), []).append((i, duration_ns / 1e6))
        _judge(self.tokens, tokens, anomaly.token_alert, out)
        _judge(self.latency, latency, anomaly.latency_alert, out)
        _judge(self.cost, cost, anomaly.cost_alert, out)
        return out


@dataclass(frozen=True, slots=True)
class Fields:
    """What the anomaly rules read of each span of a batch, one list per field, in span order.

    Attributes:
        project: Project IDs.
        operation: Operations.
        model: The model that answered, else the one requested (``None`` or ``""`` when neither).
        output_tokens: Output tokens.
        max_tokens: ``max_tokens`` requested.
        agent_name: Agent names.
        tool_name: Tool names.
        duration_ns: Durations.
    """

    project: Sequence[str]
    operation: Sequence[Operation]
    model: Sequence[str | None]
    output_tokens: Sequence[int | None]
    max_tokens: Sequence[int | None]
    agent_name: Sequence[str | None]
    tool_name: Sequence[str | None]
    duration_ns: Sequence[int | None]


def _judge(
    baseline: anomaly.RobustBaseline, groups: _Groups, make: Callable[[anomaly.Verdict], Alert], out: list[list[Alert]]
) -> None:
    for key, found in groups.items():
        for pos, verdict in baseline.anomalies_among(key, [v for _, v in found]):
            out[found[pos][0]].append(make(verdict))
