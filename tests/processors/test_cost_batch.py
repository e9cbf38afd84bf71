"""Costs computed per batch (Arrow arithmetic, one quote per model and minute) equal the per-span rules."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from agentstate.processors import span_batch
from agentstate.processors.cost_batch import cost_rows, spend, usd
from agentstate.processors.normalize import normalize
from agentstate.processors.pricing import CostStatus, PriceBook, SpanRef, compute_cost, total_cost_usd
from agentstate.processors.rows import cost_row
from agentstate.semconv.span_record import NormalizedSpan, Operation
from tests.conftest import shared_file
from tests.processors.test_normalize import openllmetry_attributes
from tests.processors.test_pricing import _OVERRIDES

_WHEN = int(datetime(2025, 9, 1, tzinfo=UTC).timestamp()) * 10**9


def _span(**fields: object) -> NormalizedSpan:
    base: dict[str, object] = {
        "operation": Operation.CHAT, "provider": "openai", "request_model": "gpt-4o", "input_tokens": 1000,
        "output_tokens": 200, "session_id": "s", "user_id": "u",
    }  # fmt: skip
    return NormalizedSpan(**(base | fields))  # type: ignore[arg-type]


def _spans() -> list[NormalizedSpan]:
    lines = shared_file("otlp", "openllmetry_openai_cassettes_decoded.jsonl").read_text().splitlines()
    real = [normalize(openllmetry_attributes(json.loads(line), "current"), "openai.chat") for line in lines if line]
    return [
        *real,
        _span(),
        _span(input_tokens=None, output_tokens=None),  # no usage
        _span(request_model=None),  # no model
        _span(request_model="my-private-llm"),  # unknown model
        _span(request_model="my-private-llm", reported_cost_usd=0.25),  # reported by the instrumentation
        _span(provider="some-gateway"),  # matched by model
        _span(response_model="gpt-4o-mini-2024-07-18", total_tokens=0),  # response model billed; total 0 recomputed
        _span(provider="openai", request_model="o3-mini", input_tokens=900, output_tokens=3000, reasoning_tokens=2500),
        _span(
            provider="anthropic",
            request_model="claude-sonnet-4-20250514",
            input_tokens=40_000,
            output_tokens=900,
            cache_read_tokens=30_000,
            cache_write_tokens=5000,
        ),
        _span(
            provider="anthropic",
            request_model="claude-3-5-sonnet-20241022",
            input_tokens=10,
            output_tokens=1,
            cache_read_tokens=50,
            cache_write_tokens=50,
        ),  # more cached than input: clamped
        _span(provider="google", request_model="gemini-2.5-pro", input_tokens=250_000, output_tokens=2000),  # tiered
        _span(provider="self-hosted", request_model="llama-3.1-70b-instruct"),  # an override when the book has them
        _span(operation=Operation.EMBEDDINGS, request_model="text-embedding-3-small", output_tokens=None),
    ]


@pytest.mark.parametrize("book", [pytest.param(PriceBook(), id="genai-prices"),
                                  pytest.param(PriceBook(_OVERRIDES), id="with-overrides")])  # fmt: skip
def test_batch_rows_equal_the_per_span_rows(book: PriceBook) -> None:
    spans = _spans()
    places = [
        (SpanRef("proj", f"{i:032x}", f"{i:016x}", _WHEN + i * 7_000_000_000, "svc"), 5) for i in range(len(spans))
    ]
    table = span_batch.from_ipc([span_batch.to_ipc(span_batch.build(places, spans))])
    got = cost_rows(span_batch.model_calls(table), book, 42)
    want = [cost_row(row, 42) for (ref, _), s in zip(places, spans, strict=True)
            if (row := compute_cost(s, ref, book)) is not None]  # fmt: skip
    assert len(got) == len(want) == len(spans)
    for g, w in zip(got, want, strict=True):
        assert g.keys() == w.keys()
        assert {k: v for k, v in g.items() if not k.startswith("Cost")} == {
            k: v for k, v in w.items() if not k.startswith("Cost")}, w["Model"]  # fmt: skip
        for k in ("CostInput", "CostOutput", "CostCacheRead", "CostCacheWrite", "CostReasoning", "CostUsd"):
            assert g[k] == pytest.approx(w[k], rel=1e-12, abs=1e-18), (w["Model"], k)
    statuses = {r["Status"] for r in got}
    assert statuses == {s.value for s in CostStatus}
    assert any(r["CostReasoning"] > 0 for r in got) and any(r["CostCacheWrite"] > 0 for r in got)


def test_spend_is_the_rows_with_a_cost() -> None:
    spans = _spans()
    places = [(SpanRef("proj", "t", f"{i:016x}", _WHEN, "svc"), 5) for i in range(len(spans))]
    rows = cost_rows(span_batch.build(places, spans), PriceBook(), 1)
    paid = spend(rows)
    assert [r.span_id for r in paid] == [r["SpanId"] for r in rows if r["CostUsd"] > 0]
    assert all(float(r.cost_total) == row["CostUsd"] for r, row in zip(paid, [x for x in rows if x["CostUsd"] > 0],
                                                                           strict=True))  # fmt: skip


@pytest.mark.parametrize("book", [pytest.param(PriceBook(), id="genai-prices"),
                                  pytest.param(PriceBook(_OVERRIDES), id="with-overrides")])  # fmt: skip
def test_batch_usd_equals_the_per_span_total(book: PriceBook) -> None:
    """What the security engine's cost-spike baseline reads: model calls priced, every other span ``None``."""
    spans = [*_spans(), _span(operation=Operation.INVOKE_AGENT), _span(operation=Operation.EXECUTE_TOOL)]
    spans.insert(3, _span(operation=Operation.INVOKE_AGENT, request_model="gpt-4o"))  # not a model call
    places = [(SpanRef("proj", "t", f"{i:016x}", _WHEN + i * 61_000_000_000, "svc"), 5) for i in range(len(spans))]
    table = span_batch.from_ipc([span_batch.to_ipc(span_batch.build(places, spans))])
    got = usd(table, book)
    want = [total_cost_usd(s, ref.start_time_unix_nano, book) for (ref, _), s in zip(places, spans, strict=True)]
    assert [g is None for g in got] == [w is None for w in want]
    for g, w in zip(got, want, strict=True):
        assert g == (None if w is None else pytest.approx(w, rel=1e-12, abs=1e-18))
    assert sum(w is None for w in want) >= 5 and sum(w is not None and w > 0 for w in want) >= 10
    assert usd(table.slice(0, 0), book) == []
