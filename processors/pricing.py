"""Cost of one LLM span: tokens × the price in effect at span time, split by component.

Prices come from user overrides first (:mod:`agentstate.processors.price_overrides`), then from the
maintained ``genai-prices`` package (provider and model matching, cache and reasoning prices, price
changes over time, tiers). Tokens are split into disjoint components, as ``genai-prices`` does:
uncached input, cache reads, cache writes, text output and reasoning; each is priced at its own rate
or, when the model has none, at the input (or output) rate. Nothing is guessed: a span without usage
or with an unknown model gets a row flagged ``no_usage`` or ``unknown_model`` and zero cost, unless
the instrumentation reported a cost itself (``llm.cost.total``, status ``reported``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from enum import Enum
from functools import lru_cache
from typing import Final

import genai_prices
from genai_prices.types import TieredPrices, calc_unit_price

from agentstate.processors.price_overrides import PriceOverride, find_override
from agentstate.semconv.span_record import NormalizedSpan
from agentstate.semconv.value_record import record

Price = Decimal | TieredPrices
"""USD per million tokens, possibly tiered by total input tokens."""

_MTOK: Final = 1_000_000
_ZERO: Final = Decimal(0)
LIBRARY_SOURCE: Final = f"genai-prices {genai_prices.__version__}"
"""``price_source`` prefix of prices taken from the ``genai-prices`` snapshot."""


class CostStatus(str, Enum):
    """How a cost row was obtained."""

    PRICED = "priced"
    REPORTED = "reported"
    UNKNOWN_MODEL = "unknown_model"
    NO_USAGE = "no_usage"


@record
class Quote:
    """Unit prices for one model at one time.

    Attributes:
        input: Uncached input tokens.
        output: Text output tokens.
        cache_read: Cache reads (``None``: the input price).
        cache_write: Cache writes (``None``: the input price).
        reasoning: Reasoning tokens (``None``: the output price).
        source: Where the prices came from, e.g. ``genai-prices 0.2.3: openai/gpt-4o``.
        request_fee: Flat price per request (``genai-prices`` ``requests_kcount`` / 1000).
    """

    input: Price
    output: Price
    cache_read: Price | None
    cache_write: Price | None
    reasoning: Price | None
    source: str
    request_fee: Decimal = Decimal(0)


@record
class SpanRef:
    """Where a span belongs; copied into its cost row.

    Attributes:
        project_id: Tenant, from the ingest key.
        trace_id: Hex trace ID.
        span_id: Hex span ID.
        start_time_unix_nano: Span start; prices in effect then are used.
        service_name: ``service.name`` resource attribute.
    """

    project_id: str
    trace_id: str
    span_id: str
    start_time_unix_nano: int
    service_name: str = ""


@record
class CostRow:
    """One ``cost_metrics`` row, idempotent per ``(project_id, span_id)``."""

    project_id: str
    start_time_unix_nano: int
    trace_id: str
    span_id: str
    service_name: str
    operation: str
    provider: str
    model: str
    request_model: str
    agent_name: str
    workflow_name: str
    session_id: str
    user_id: str
    input_tokens: int
    output_tokens: int
    cache_read_tokens: int
    cache_write_tokens: int
    reasoning_tokens: int
    total_tokens: int
    cost_input: Decimal
    cost_output: Decimal
    cost_cache_read: Decimal
    cost_cache_write: Decimal
    cost_reasoning: Decimal
    cost_total: Decimal
    price_source: str
    status: CostStatus

    @property
    def flagged(self) -> bool:
        """Whether the row could not be priced (counted and surfaced, never guessed)."""
        return self.status in (CostStatus.UNKNOWN_MODEL, CostStatus.NO_USAGE)


class PriceBook:
    """Finds the unit prices of a model at a time: overrides first, then ``genai-prices``.

    Args:
        overrides: User price entries (see :func:`~agentstate.processors.price_overrides.load_overrides`).
    """

    __slots__ = ("_memo", "_overrides")

    _MEMO = 4096
    """Quotes remembered per (provider, model, minute): a batch's model calls share a few of them."""

    def __init__(self, overrides: Sequence[PriceOverride] = ()) -> None:
        self._overrides = tuple(overrides)
        self._memo: dict[tuple[str | None, str, datetime], Quote | None] = {}

    def quote(self, provider: str | None, model: str, at: datetime) -> Quote | None:
        """Return the prices of ``model`` in effect at ``at``, or ``None`` if the model is unknown."""
        key = (provider, model, at)
        try:
            return self._memo[key]
        except KeyError:
            pass
        if len(self._memo) >= self._MEMO:
            self._memo.clear()
        found = self._memo[key] = self._lookup(provider, model, at)
        return found

    def _lookup(self, provider: str | None, model: str, at: datetime) -> Quote | None:
        entry = find_override(self._overrides, provider, model, at)
        if entry is not None:
            return Quote(entry.input_mtok, entry.output_mtok, entry.cache_read_mtok, entry.cache_write_mtok,
                         entry.reasoning_mtok, f"override: {entry.provider or '*'}/{entry.model}")  # fmt: skip
        minute = at.replace(second=0, microsecond=0)  # prices change by date or time of day, never faster
        return _library_quote(_library_provider(provider), model.lower(), minute)


@lru_cache(maxsize=1024)
def _minute(minute_index: int) -> datetime:
    return datetime.fromtimestamp(minute_index * 60, tz=UTC)


def span_time(start_time_unix_nano: int) -> datetime:
    """The minute a span started in: prices change by date or time of day, never faster."""
    return _minute(start_time_unix_nano // 60_000_000_000)


def total_cost_usd(span: NormalizedSpan, start_time_unix_nano: int, book: PriceBook) -> float | None:
    """Total USD of a model call as :func:`compute_cost` gives it, without building the row.

    ``None`` when the span is not a model call or cannot be priced (unknown model, no usage, and no
    cost reported by the instrumentation).
    """
    if not span.calls_model:
        return None
    quote = _quote_for(span, start_time_unix_nano, book)
    if quote is not None:
        return _Tokens.of(span).total_float(quote)
    reported = span.reported_cost_usd
    return float(reported) if reported is not None and reported >= 0 else None


def _quote_for(span: NormalizedSpan, start_time_unix_nano: int, book: PriceBook) -> Quote | None:
    """Prices for a model call that names its model and reports usage (nothing is guessed otherwise)."""
    if not (span.model and span.has_usage):
        return None
    return book.quote(span.provider, span.model, span_time(start_time_unix_nano))


def compute_cost(span: NormalizedSpan, ref: SpanRef, book: PriceBook) -> CostRow | None:
    """Return the cost row of a model-call span, or ``None`` for any other span.

    Args:
        span: The normalised span.
        ref: Project, IDs, start time and service of the span.
        book: Where prices are looked up.
    """
    if not span.calls_model:
        return None
    model = span.model or ""
    quote = _quote_for(span, ref.start_time_unix_nano, book)
    tokens = _Tokens.of(span)
    if quote is None:
        return _unpriced(span, ref, tokens, model)
    costs = tokens.price(quote)
    total = sum(costs, quote.request_fee)
    return _row(span, ref, tokens, model, costs, total, quote.source, CostStatus.PRICED)


@record
class _Tokens:
    """Disjoint token components of a span."""

    input: int
    output: int
    cache_read: int
    cache_write: int
    reasoning: int
    total: int

    @classmethod
    def of(cls, span: NormalizedSpan) -> _Tokens:
        inp, out = span.input_tokens or 0, span.output_tokens or 0
        reasoning = min(span.reasoning_tokens or 0, out)
        cache_read = min(span.cache_read_tokens or 0, inp)
        cache_write = min(span.cache_write_tokens or 0, inp - cache_read)
        return cls(inp, out, cache_read, cache_write, reasoning, span.total_tokens or inp + out)

    def total_float(self, quote: Quote) -> float:
        """The total of :meth:`price` plus the request fee in binary floating point.

        The security engine's cost-spike baseline needs a number per model call, not exact Decimal
        components: flat prices (most models) cost a few float operations here.
        """
        inp = self.input
        return (
            _float_price(quote.input, quote.input, inp - self.cache_read - self.cache_write, inp)
            + _float_price(quote.output, quote.output, self.output - self.reasoning, inp)
            + _float_price(quote.cache_read, quote.input, self.cache_read, inp)
            + _float_price(quote.cache_write, quote.input, self.cache_write, inp)
            + _float_price(quote.reasoning, quote.output, self.reasoning, inp)
            + float(quote.request_fee)
        )

    def price(self, quote: Quote) -> tuple[Decimal, Decimal, Decimal, Decimal, Decimal]:
        """Return (input, output, cache read, cache write, reasoning) costs in USD."""
        inp = self.input

        def cost(price: Price, count: int) -> Decimal:
            # Most components of a call are zero (no cache, no reasoning): skip genai-prices' Decimal
            # arithmetic for them (price × 0 is 0 for flat and tiered prices alike).
            return calc_unit_price(price, count, inp, _MTOK) if count else _ZERO

        return (
            cost(quote.input, inp - self.cache_read - self.cache_write),
            cost(quote.output, self.output - self.reasoning),
            cost(quote.cache_read if quote.cache_read is not None else quote.input, self.cache_read),
            cost(quote.cache_write if quote.cache_write is not None else quote.input, self.cache_write),
            cost(quote.reasoning if quote.reasoning is not None else quote.output, self.reasoning),
        )


def _float_price(price: Price | None, fallback: Price, count: int, input_tokens: int) -> float:
    if not count:
        return 0.0
    p = fallback if price is None else price
    if isinstance(p, Decimal):
        return float(p) * count / _MTOK
    return float(calc_unit_price(p, count, input_tokens, _MTOK))


def _unpriced(span: NormalizedSpan, ref: SpanRef, tokens: _Tokens, model: str) -> CostRow:
    zero = (_ZERO,) * 5
    reported = span.reported_cost_usd
    if reported is not None and reported >= 0:
        return _row(span, ref, tokens, model, zero, Decimal(str(reported)), "span: llm.cost.total",
                    CostStatus.REPORTED)  # fmt: skip
    status = CostStatus.UNKNOWN_MODEL if span.has_usage and model else CostStatus.NO_USAGE
    return _row(span, ref, tokens, model, zero, _ZERO, "", status)


def _row(
    span: NormalizedSpan,
    ref: SpanRef,
    tokens: _Tokens,
    model: str,
    costs: tuple[Decimal, Decimal, Decimal, Decimal, Decimal],
    total: Decimal,
    source: str,
    status: CostStatus,
) -> CostRow:
    return CostRow(
        project_id=ref.project_id,
        start_time_unix_nano=ref.start_time_unix_nano,
        trace_id=ref.trace_id,
        span_id=ref.span_id,
        service_name=ref.service_name,
        operation=span.operation.value,
        provider=span.provider or "",
        model=model,
        request_model=span.request_model or "",
        agent_name=span.agent_name or "",
        workflow_name=span.workflow_name or "",
        session_id=span.session_id or "",
        user_id=span.user_id or "",
        input_tokens=tokens.input,
        output_tokens=tokens.output,
        cache_read_tokens=tokens.cache_read,
        cache_write_tokens=tokens.cache_write,
        reasoning_tokens=tokens.reasoning,
        total_tokens=tokens.total,
        cost_input=costs[0],
        cost_output=costs[1],
        cost_cache_read=costs[2],
        cost_cache_write=costs[3],
        cost_reasoning=costs[4],
        cost_total=total,
        price_source=source,
        status=status,
    )


def _library_provider(provider: str | None) -> str | None:
    """Map OTel provider names to ``genai-prices`` provider IDs (unknown ones match by model)."""
    if provider is None:
        return None
    return {"gcp.gemini": "google", "gcp.vertex_ai": "google", "gcp.gen_ai": "google", "aws.bedrock": "aws",
            "azure.ai.openai": "azure", "azure.ai.inference": "azure", "mistral_ai": "mistral",
            "x_ai": "x-ai"}.get(provider, provider)  # fmt: skip


@lru_cache(maxsize=4096)
def _library_quote(provider: str | None, model: str, at: datetime) -> Quote | None:
    snapshot = genai_prices.data_snapshot.get_snapshot()
    try:
        found = snapshot.find_provider_model(model, None, provider, None)
    except LookupError:
        if provider is None:
            return None
        try:  # the span's provider may be a gateway or a name genai-prices does not know
            found = snapshot.find_provider_model(model, None, None, None)
        except LookupError:
            return None
    prov, info = found
    prices = info.get_prices(at)
    if prices.input_mtok is None and prices.output_mtok is None:
        return None
    return Quote(
        input=prices.input_mtok if prices.input_mtok is not None else _ZERO,
        output=prices.output_mtok if prices.output_mtok is not None else _ZERO,
        cache_read=prices.cache_read_mtok,
        cache_write=prices.cache_write_mtok,
        reasoning=prices.output_reasoning_mtok,
        source=f"{LIBRARY_SOURCE}: {prov.id}/{info.id}",
        request_fee=(prices.requests_kcount / 1000) if isinstance(prices.requests_kcount, Decimal) else _ZERO,
    )
