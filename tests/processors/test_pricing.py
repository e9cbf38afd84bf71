"""Cost calculation: the 16 real OpenAI cassettes against published prices, components, flags, overrides."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from agentstate.processors.normalize import normalize
from agentstate.processors.price_overrides import PriceOverride, load_overrides, parse_overrides
from agentstate.processors.pricing import CostStatus, PriceBook, SpanRef, compute_cost, total_cost_usd
from agentstate.semconv.span_record import NormalizedSpan, Operation
from tests.conftest import shared_file
from tests.processors.test_normalize import openllmetry_attributes

# OpenAI's published standard prices, USD per million tokens (openai.com/api/pricing), typed in by
# hand so the check does not depend on the genai-prices data it is checking.
_PUBLISHED = {
    "gpt-3.5-turbo-0125": (Decimal("0.50"), Decimal("1.50")),
    "gpt-5-nano-2025-08-07": (Decimal("0.05"), Decimal("0.40")),
    "gpt-4.1-nano-2025-04-14": (Decimal("0.10"), Decimal("0.40")),
}
_M = Decimal(1_000_000)


def _ref(created: int = 1_750_000_000) -> SpanRef:
    return SpanRef("proj", "a" * 32, "b" * 16, created * 1_000_000_000, "svc")


@pytest.mark.parametrize("generation", [pytest.param("legacy", id="legacy"), pytest.param("current", id="current")])
def test_cassettes_cost_equals_tokens_times_published_price(generation: str) -> None:
    lines = shared_file("otlp", "openllmetry_openai_cassettes_decoded.jsonl").read_text().splitlines()
    pairs = [json.loads(line) for line in lines if line.strip()]
    assert len(pairs) == 16
    book = PriceBook()
    for pair in pairs:
        usage, model = pair["response"]["usage"], pair["response"]["model"]
        span = normalize(openllmetry_attributes(pair, generation), "openai.chat")
        row = compute_cost(span, _ref(pair["response"]["created"]), book)
        assert row is not None and row.status is CostStatus.PRICED
        price_in, price_out = _PUBLISHED[model]
        expected = usage["prompt_tokens"] * price_in / _M + usage["completion_tokens"] * price_out / _M
        assert row.cost_total == expected, model
        parts = row.cost_input + row.cost_output + row.cost_cache_read + row.cost_cache_write + row.cost_reasoning
        assert parts == row.cost_total
        reasoning = (usage.get("completion_tokens_details") or {}).get("reasoning_tokens", 0)
        assert row.cost_reasoning == reasoning * price_out / _M
        assert row.price_source.startswith("genai-prices ")


def _span(**fields: object) -> NormalizedSpan:
    base: dict[str, object] = {"operation": Operation.CHAT, "provider": "openai", "request_model": "gpt-4o",
                               "input_tokens": 1000, "output_tokens": 200}  # fmt: skip
    return NormalizedSpan(**(base | fields))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("span", "status", "total"),
    [
        pytest.param(_span(), CostStatus.PRICED, Decimal("0.0045"), id="gpt-4o"),
        pytest.param(_span(input_tokens=None, output_tokens=None), CostStatus.NO_USAGE, Decimal(0), id="no-usage"),
        pytest.param(_span(request_model=None), CostStatus.NO_USAGE, Decimal(0), id="no-model"),
        pytest.param(_span(request_model="my-private-llm"), CostStatus.UNKNOWN_MODEL, Decimal(0), id="unknown-model"),
        pytest.param(
            _span(request_model="my-private-llm", reported_cost_usd=0.25),
            CostStatus.REPORTED,
            Decimal("0.25"),
            id="reported-by-instrumentation",
        ),
        pytest.param(_span(provider="some-gateway"), CostStatus.PRICED, Decimal("0.0045"), id="unknown-provider"),
    ],
)
def test_status_and_total(span: NormalizedSpan, status: CostStatus, total: Decimal) -> None:
    row = compute_cost(span, _ref(), PriceBook())
    assert row is not None
    assert (row.status, row.cost_total) == (status, total)
    assert row.flagged is (status in (CostStatus.NO_USAGE, CostStatus.UNKNOWN_MODEL))
    # The security engine's row-free total agrees with the row (None where the row is flagged).
    quick = total_cost_usd(span, _ref().start_time_unix_nano, PriceBook())
    assert quick == (None if row.flagged else pytest.approx(float(total), rel=1e-12, abs=1e-18))


def test_non_model_spans_have_no_cost_row() -> None:
    assert compute_cost(_span(operation=Operation.EXECUTE_TOOL), _ref(), PriceBook()) is None
    assert total_cost_usd(_span(operation=Operation.EXECUTE_TOOL), 0, PriceBook()) is None


def test_cache_components_use_their_own_prices() -> None:
    span = _span(provider="anthropic", request_model="claude-3-5-sonnet-20241022", input_tokens=2000,
                 cache_read_tokens=1500, cache_write_tokens=300, output_tokens=100)  # fmt: skip
    row = compute_cost(span, _ref(), PriceBook())
    assert row is not None
    assert (row.cost_input, row.cost_cache_read, row.cost_cache_write, row.cost_output) == (
        200 * Decimal(3) / _M,
        1500 * Decimal("0.3") / _M,
        300 * Decimal("3.75") / _M,
        100 * Decimal(15) / _M,
    )
    assert row.cost_total == row.cost_input + row.cost_cache_read + row.cost_cache_write + row.cost_output


def test_row_carries_span_identity_and_context() -> None:
    span = _span(session_id="s", user_id="u", agent_name="a", response_model="gpt-4o-2024-08-06")
    row = compute_cost(span, _ref(), PriceBook())
    assert row is not None
    assert (row.project_id, row.trace_id, row.span_id, row.service_name) == ("proj", "a" * 32, "b" * 16, "svc")
    assert (row.model, row.request_model, row.session_id, row.user_id, row.agent_name) == (
        "gpt-4o-2024-08-06", "gpt-4o", "s", "u", "a")  # fmt: skip
    assert (row.input_tokens, row.output_tokens, row.total_tokens) == (1000, 200, 1200)


_OVERRIDES = parse_overrides({"price": [
    {"model": "llama-3.1-70b-*", "provider": "self-hosted", "input_mtok": 0.2, "output_mtok": "0.6"},
    {"model": "gpt-4o", "input_mtok": 2, "output_mtok": 8, "start_date": "2025-01-01"},
    {"model": "gpt-4o", "input_mtok": 1, "output_mtok": 4, "start_date": "2025-06-01"},
]})  # fmt: skip


@pytest.mark.parametrize(
    ("span", "when", "total", "source"),
    [
        pytest.param(_span(provider="self-hosted", request_model="llama-3.1-70b-instruct"), 1_750_000_000,
                     Decimal("0.00032"), "override: self-hosted/llama-3.1-70b-*", id="glob-and-provider"),
        pytest.param(_span(provider="other", request_model="llama-3.1-70b-instruct"), 1_750_000_000, Decimal(0),
                     "", id="provider-mismatch-stays-unknown"),
        pytest.param(_span(), 1_740_000_000, Decimal("0.0036"), "override: */gpt-4o", id="price-before-change"),
        pytest.param(_span(), 1_750_000_000, Decimal("0.0018"), "override: */gpt-4o", id="price-after-change"),
        pytest.param(_span(), 1_700_000_000, Decimal("0.0045"), "genai-prices", id="before-any-override"),
    ],
)  # fmt: skip
def test_overrides(span: NormalizedSpan, when: int, total: Decimal, source: str) -> None:
    row = compute_cost(span, _ref(when), PriceBook(_OVERRIDES))
    assert row is not None
    assert row.cost_total == total
    assert row.price_source.startswith(source)


def test_override_reasoning_and_cache_fall_back_to_input_and_output_prices() -> None:
    book = PriceBook([PriceOverride("m", Decimal(1), Decimal(10))])
    span = _span(request_model="m", input_tokens=100, cache_read_tokens=40, output_tokens=50, reasoning_tokens=20)
    row = compute_cost(span, _ref(), book)
    assert row is not None
    assert (row.cost_input, row.cost_cache_read, row.cost_output, row.cost_reasoning) == (
        60 / _M, 40 / _M, 300 / _M, 200 / _M)  # fmt: skip


@pytest.mark.parametrize(
    ("name", "content"),
    [
        pytest.param(
            "prices.toml", '[[price]]\nmodel = "m"\ninput_mtok = 1\noutput_mtok = 2\nstart_date = 2025-02-03\n',
            id="toml",
        ),
        pytest.param("prices.json", '{"price": [{"model": "m", "input_mtok": 1, "output_mtok": 2, '
                     '"start_date": "2025-02-03"}]}', id="json"),
    ],
)  # fmt: skip
def test_load_overrides_file(tmp_path: Path, name: str, content: str) -> None:
    path = tmp_path / name
    path.write_text(content)
    (entry,) = load_overrides(path)
    assert (entry.model, entry.input_mtok, entry.output_mtok) == ("m", Decimal(1), Decimal(2))
    assert entry.start == datetime(2025, 2, 3, tzinfo=UTC)


def test_load_overrides_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "p.json"
    path.write_text('{"price": [{"model": "x", "input_mtok": 0, "output_mtok": 0}]}')
    monkeypatch.setenv("AGENTSTATE_PRICES_FILE", str(path))
    assert [e.model for e in load_overrides()] == ["x"]
    monkeypatch.delenv("AGENTSTATE_PRICES_FILE")
    assert load_overrides() == ()


@pytest.mark.parametrize(
    "data",
    [
        pytest.param({"price": [{"input_mtok": 1, "output_mtok": 1}]}, id="no-model"),
        pytest.param({"price": [{"model": "m", "output_mtok": 1}]}, id="no-input-price"),
        pytest.param({"price": [{"model": "m", "input_mtok": -1, "output_mtok": 1}]}, id="negative"),
        pytest.param({"price": [{"model": "m", "input_mtok": "cheap", "output_mtok": 1}]}, id="not-a-number"),
        pytest.param(
            {"price": [{"model": "m", "input_mtok": 1, "output_mtok": 1, "start_date": "soon"}]}, id="bad-date"
        ),
        pytest.param({"price": {"model": "m"}}, id="not-a-list"),
    ],
)
def test_bad_overrides_raise(data: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        parse_overrides(data)


@pytest.mark.parametrize(
    ("provider", "model", "usage"),
    [
        pytest.param("openai", "gpt-4o-2024-08-06", (5000, 1200, 0, 700), id="openai-cached"),
        pytest.param("openai", "o3-mini", (900, 3000, 0, 0), id="openai-reasoning"),
        pytest.param("anthropic", "claude-sonnet-4-20250514", (40_000, 900, 5000, 30_000), id="anthropic-cache-rw"),
        pytest.param("google", "gemini-2.5-pro", (250_000, 2000, 0, 0), id="gemini-tiered"),
        pytest.param(None, "mistral-large-latest", (1000, 1000, 0, 0), id="matched-by-model"),
    ],
)
def test_components_add_up_to_the_genai_prices_total(
    provider: str | None, model: str, usage: tuple[int, int, int, int]
) -> None:
    import genai_prices

    inp, out, cache_write, cache_read = usage
    when = datetime(2025, 9, 1, tzinfo=UTC)
    expected = genai_prices.calc_price(
        genai_prices.Usage(
            input_tokens=inp, output_tokens=out, cache_read_tokens=cache_read, cache_write_tokens=cache_write
        ),
        model,
        provider_id=provider,
        genai_request_timestamp=when,
    ).total_price
    span = _span(provider=provider, request_model=model, input_tokens=inp, output_tokens=out,
                 cache_read_tokens=cache_read, cache_write_tokens=cache_write)  # fmt: skip
    row = compute_cost(span, SpanRef("p", "t", "s", int(when.timestamp()) * 10**9), PriceBook())
    assert row is not None and row.status is CostStatus.PRICED
    assert row.cost_total == expected
