"""Cost rows of a batch of model calls, computed as columns: the price table joined per batch.

The cost calculator's read arrives as a normalised batch (``span_batch.py``). Each distinct
``(provider, model, minute)`` of the batch is quoted once (:class:`~.pricing.PriceBook`: the user's
overrides, then ``genai-prices``); the disjoint token components and their costs are then Arrow
arithmetic over the whole batch, in float64 like the ``cost_metrics`` columns they fill. Calls whose
quote has tiered prices (a few long-context models) take :func:`~.pricing.compute_cost` one by one,
so every row is what the per-span rules give (to float rounding).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any, Final

import pyarrow as pa
import pyarrow.compute as pc

from agentstate.processors import span_batch
from agentstate.processors.pricing import (
    CostRow,
    CostStatus,
    PriceBook,
    Quote,
    compute_cost,
    span_time,
    total_cost_usd,
)
from agentstate.processors.rows import cost_row
from agentstate.semconv.span_record import MODEL_OPERATIONS

_REPORTED_SOURCE: Final = "span: llm.cost.total"
_PER_TOKEN: Final = 1e-6
"""Prices are per million tokens."""
_I64 = pa.int64()
_F64 = pa.float64()


def cost_table(calls: pa.Table, book: PriceBook, version: int) -> pa.Table | None:
    """The ``cost_metrics`` rows of ``calls`` as columns (:func:`~.rows.cost_row`'s names and values;
    ``Timestamp`` in Unix ns), or ``None`` when there are none: model calls only, as
    :func:`~.span_batch.model_calls` picks them."""
    if calls.num_rows == 0:
        return None
    cols = _Columns(calls)
    quotes, which = _quotes(cols, book)
    flat = [q is not None and _is_flat(q) for q in quotes]
    tiered = [i for i, q in enumerate(which) if q >= 0 and not flat[q]]
    table = _table(cols, quotes, which, flat, version)
    if tiered:  # exact per-span pricing for the few calls with tiered prices
        rows: list[dict[str, Any]] = table.to_pylist()
        spans = span_batch.items(calls.take(tiered), content=False)
        for i, (ref, span, _) in zip(tiered, spans, strict=True):
            exact = compute_cost(span, ref, book)
            if exact is not None:
                rows[i] = cost_row(exact, version)
        table = pa.Table.from_pylist(rows, schema=table.schema)
    return table


def cost_rows(calls: pa.Table, book: PriceBook, version: int) -> list[dict[str, Any]]:
    """:func:`cost_table` as one dict per row."""
    table = cost_table(calls, book, version)
    return [] if table is None else table.to_pylist()


def usd(batch: pa.Table, book: PriceBook) -> list[float | None]:
    """Per row of a normalised batch, the total USD of a model call as :func:`~.pricing.total_cost_usd`
    gives it (``None`` for other spans and unpriceable calls), the price table joined per batch.

    The security engine's cost-spike baseline reads these instead of pricing span by span: each
    distinct ``(provider, model, minute)`` is quoted once (dictionary-encoded), its unit prices taken
    per row and the totals computed as columns; only tiered quotes are priced span by span.
    """
    out: list[float | None] = [None] * batch.num_rows
    mask = pc.is_in(batch.column("operation"), value_set=_MODEL_OPERATIONS)
    at = pc.indices_nonzero(mask).to_pylist()
    if not at:
        return out
    calls = batch.select(_PRICED_COLUMNS).take(at)  # not the messages: taking those cost 4x the rest
    cols = _Columns(calls)
    minute = pc.divide(calls.column("start_ns"), 60_000_000_000)
    provider = calls.column("provider")
    key = pc.binary_join_element_wise(
        pc.fill_null(provider, _NO_PROVIDER), cols.model, pc.cast(minute, pa.string()), _SEPARATOR
    )
    encoded = pc.dictionary_encode(key.combine_chunks())
    index = encoded.indices
    first: dict[int, int] = {}
    for row, code in enumerate(index.to_pylist()):
        if code not in first:
            first[code] = row
    rows = pa.array([first[code] for code in range(len(encoded.dictionary))], pa.int64())
    units: list[tuple[float, float, float, float, float, float]] = []
    state: list[int] = []  # per distinct key: 1 flat prices, 2 tiered, 0 no quote
    for name, model, when in zip(pc.take(provider, rows).to_pylist(), pc.take(cols.model, rows).to_pylist(),
                                 pc.take(minute, rows).to_pylist(), strict=True):  # fmt: skip
        quote = book.quote(name, model, span_time(when * 60_000_000_000))
        flat = quote is not None and _is_flat(quote)
        units.append(_unit_prices(quote) if flat else (0.0,) * 6)  # type: ignore[arg-type]
        state.append(0 if quote is None else 1 if flat else 2)
    price = [pc.take(pa.array([u[k] for u in units], _F64), index) for k in range(6)]
    total = price[5]
    for c, p in zip(cols.components, price, strict=False):
        total = pc.add(total, pc.multiply(pc.cast(c, _F64), p))
    quoted = pc.and_(pc.not_equal(cols.model, ""), cols.has_usage)
    kind = pc.if_else(quoted, pc.take(pa.array(state, pa.int8()), index), 0)
    reported = cols.reported
    fallback = pc.if_else(pc.greater_equal(pc.fill_null(reported, -1.0), 0.0), reported, None)
    totals = pc.if_else(pc.equal(kind, 1), total, fallback).to_pylist()
    tiered = pc.indices_nonzero(pc.equal(kind, 2)).to_pylist()
    if tiered:  # exact per-span pricing for the few calls with tiered prices
        spans = span_batch.items(batch.take([at[i] for i in tiered]), content=False)
        for i, (ref, span, _) in zip(tiered, spans, strict=True):
            totals[i] = total_cost_usd(span, ref.start_time_unix_nano, book)
    for row, value in zip(at, totals, strict=True):
        out[row] = value
    return out


_MODEL_OPERATIONS: Final = pa.array(sorted(op.value for op in MODEL_OPERATIONS), pa.string())
_PRICED_COLUMNS: Final = ("start_ns", "operation", "provider", "request_model", "response_model", "input_tokens",
                           "output_tokens", "cache_read_tokens", "cache_write_tokens", "reasoning_tokens",
                           "total_tokens", "reported_cost_usd")  # fmt: skip
_SEPARATOR: Final = "\x1f"
_NO_PROVIDER: Final = "\x00"
"""The provider part of a quote key when the span names none (``PriceBook.quote`` gets ``None``)."""


def for_insert(table: pa.Table) -> pa.Table:
    """:func:`cost_table`'s columns as the ``cost_metrics`` insert takes them (``Timestamp`` a timestamp)."""
    at = table.schema.get_field_index("Timestamp")
    return table.set_column(at, "Timestamp", pc.cast(table.column(at), pa.timestamp("ns")))


def spend(rows: Sequence[dict[str, Any]]) -> list[CostRow]:
    """:class:`CostRow` of each row with a positive cost (what a budget counts)."""
    out = []
    for r in rows:
        if r["CostUsd"] > 0:
            out.append(CostRow(
                r["ProjectId"], r["Timestamp"], r["TraceId"], r["SpanId"], r["ServiceName"], r["Operation"],
                r["Provider"], r["Model"], r["RequestModel"], r["AgentName"], r["WorkflowName"], r["SessionId"],
                r["UserId"], r["InputTokens"], r["OutputTokens"], r["CacheReadTokens"], r["CacheWriteTokens"],
                r["ReasoningTokens"], r["TotalTokens"], Decimal(repr(r["CostInput"])),
                Decimal(repr(r["CostOutput"])), Decimal(repr(r["CostCacheRead"])), Decimal(repr(r["CostCacheWrite"])),
                Decimal(repr(r["CostReasoning"])), Decimal(repr(r["CostUsd"])), r["PriceSource"],
                CostStatus(r["Status"]),
            ))  # fmt: skip
    return out


class _Columns:
    """The batch's columns as the cost rules read them (nulls filled as the per-span rules do)."""

    def __init__(self, t: pa.Table) -> None:
        def text(name: str) -> pa.ChunkedArray:
            return pc.fill_null(t.column(name), "")

        def count(name: str) -> pa.ChunkedArray:
            return pc.fill_null(t.column(name), 0)

        self.t = t
        self.provider, self.request_model = text("provider"), text("request_model")
        response = text("response_model")
        self.model = pc.if_else(pc.not_equal(response, ""), response, self.request_model)
        self.has_usage = pc.or_(pc.is_valid(t.column("input_tokens")), pc.is_valid(t.column("output_tokens")))
        inp, out = count("input_tokens"), count("output_tokens")
        self.input, self.output = inp, out
        self.reasoning = pc.min_element_wise(count("reasoning_tokens"), out)
        self.cache_read = pc.min_element_wise(count("cache_read_tokens"), inp)
        self.cache_write = pc.min_element_wise(count("cache_write_tokens"), pc.subtract(inp, self.cache_read))
        total = t.column("total_tokens")
        self.total = pc.if_else(pc.greater(pc.fill_null(total, 0), 0), total, pc.add(inp, out))
        self.reported = t.column("reported_cost_usd")
        self.components = (
            pc.subtract(pc.subtract(inp, self.cache_read), self.cache_write),
            pc.subtract(out, self.reasoning),
            self.cache_read,
            self.cache_write,
            self.reasoning,
        )
        """Disjoint token counts priced (input, output, cache read, cache write, reasoning)."""


def _quotes(cols: _Columns, book: PriceBook) -> tuple[list[Quote | None], list[int]]:
    """The distinct quotes of the batch, and per row the index of its quote (-1: not priced)."""
    t = cols.t
    minutes = pc.divide(t.column("start_ns"), 60_000_000_000).to_pylist()
    providers = t.column("provider").to_pylist()
    priceable = pc.and_(pc.not_equal(cols.model, ""), cols.has_usage).to_pylist()
    models = cols.model.to_pylist()
    index: dict[tuple[str | None, str, int], int] = {}
    quotes: list[Quote | None] = []
    which: list[int] = []
    for ok, provider, model, minute in zip(priceable, providers, models, minutes, strict=True):
        if not ok:
            which.append(-1)
            continue
        key = (provider, model, minute)
        at = index.get(key)
        if at is None:
            at = index[key] = len(quotes)
            quotes.append(book.quote(provider, model, span_time(minute * 60_000_000_000)))
        which.append(at if quotes[at] is not None else -1)
    return quotes, which


def _is_flat(q: Quote) -> bool:
    prices = (q.input, q.output, q.cache_read, q.cache_write, q.reasoning)
    return all(isinstance(p, Decimal) for p in prices if p is not None)


def _unit_prices(q: Quote) -> tuple[float, float, float, float, float, float]:
    """USD per token of (input, output, cache read, cache write, reasoning), and the request fee."""
    pin, pout = float(q.input) * _PER_TOKEN, float(q.output) * _PER_TOKEN  # type: ignore[arg-type]
    cr = pin if q.cache_read is None else float(q.cache_read) * _PER_TOKEN  # type: ignore[arg-type]
    cw = pin if q.cache_write is None else float(q.cache_write) * _PER_TOKEN  # type: ignore[arg-type]
    rs = pout if q.reasoning is None else float(q.reasoning) * _PER_TOKEN  # type: ignore[arg-type]
    return pin, pout, cr, cw, rs, float(q.request_fee)


def _table(cols: _Columns, quotes: list[Quote | None], which: list[int], flat: list[bool], version: int) -> pa.Table:
    t = cols.t
    n = t.num_rows
    units = [_unit_prices(q) if q is not None and ok else (0.0,) * 6 for q, ok in zip(quotes, flat, strict=True)]
    per_row = [units[q] if q >= 0 and flat[q] else (0.0,) * 6 for q in which]
    price = [pa.array([u[k] for u in per_row], _F64) for k in range(6)]
    costs = [pc.multiply(pc.cast(c, _F64), p) for c, p in zip(cols.components, price, strict=False)]
    priced = pa.array([q >= 0 for q in which], pa.bool_())
    total = pc.add(pc.add(pc.add(pc.add(pc.add(costs[0], costs[1]), costs[2]), costs[3]), costs[4]), price[5])
    reported = pc.and_(pc.invert(priced), pc.greater_equal(pc.fill_null(cols.reported, -1.0), 0.0))
    total = pc.if_else(priced, total, pc.if_else(reported, cols.reported, 0.0))
    known = pc.and_(cols.has_usage, pc.not_equal(cols.model, ""))
    status = pc.if_else(
        priced,
        CostStatus.PRICED.value,
        pc.if_else(reported, CostStatus.REPORTED.value,
                   pc.if_else(known, CostStatus.UNKNOWN_MODEL.value, CostStatus.NO_USAGE.value)),
    )  # fmt: skip
    sources = [q.source if q is not None else "" for q in quotes]
    source = pa.array([sources[q] if q >= 0 else "" for q in which], pa.string())
    source = pc.if_else(reported, _REPORTED_SOURCE, source)
    columns: dict[str, Any] = {
        "ProjectId": t.column("project"),
        "Timestamp": t.column("start_ns"),
        "TraceId": t.column("trace_id"),
        "SpanId": t.column("span_id"),
        "ServiceName": t.column("service"),
        "Operation": t.column("operation"),
        "Provider": cols.provider,
        "Model": cols.model,
        "RequestModel": cols.request_model,
        "AgentName": pc.fill_null(t.column("agent_name"), ""),
        "WorkflowName": pc.fill_null(t.column("workflow_name"), ""),
        "SessionId": pc.fill_null(t.column("session_id"), ""),
        "UserId": pc.fill_null(t.column("user_id"), ""),
        "InputTokens": cols.input,
        "OutputTokens": cols.output,
        "CacheReadTokens": cols.cache_read,
        "CacheWriteTokens": cols.cache_write,
        "ReasoningTokens": cols.reasoning,
        "TotalTokens": cols.total,
        "CostInput": costs[0],
        "CostOutput": costs[1],
        "CostCacheRead": costs[2],
        "CostCacheWrite": costs[3],
        "CostReasoning": costs[4],
        "CostUsd": pc.cast(total, _F64),
        "PriceSource": source,
        "Status": status,
        "Version": pa.array([version] * n, _I64),
    }
    return pa.table(columns)
