"""Robust rolling baselines and the token, latency and cost anomaly detectors."""

from __future__ import annotations

import pytest

from agentstate.processors.detectors.alert import Category, Severity
from agentstate.processors.detectors.anomaly import RobustBaseline
from agentstate.processors.detectors.baselines import Baselines
from agentstate.processors.pricing import SpanRef
from agentstate.semconv.span_record import NormalizedSpan, Operation


def _warm(baseline: RobustBaseline, key: tuple[str, ...], values: list[float]) -> None:
    for v in values:
        baseline.observe(key, v)


_STEADY = [100.0 + (i % 7) * 3 for i in range(40)]  # median 109, MAD 6


@pytest.mark.parametrize(
    ("value", "anomalous"),
    [
        pytest.param(140.0, False, id="within-6-mad"),
        pytest.param(146.0, True, id="above-median-plus-6-mad"),
        pytest.param(5.0, False, id="low-values-never-flagged"),
    ],
)
def test_baseline_limit(value: float, anomalous: bool) -> None:
    b = RobustBaseline(min_samples=30)
    _warm(b, ("k",), _STEADY)
    verdict = b.observe(("k",), value)
    assert verdict is not None
    assert (verdict.median, verdict.mad, verdict.limit) == (109.0, 6.0, 145.0)
    assert verdict.anomalous is anomalous


def test_warm_up_then_rolling_window() -> None:
    b = RobustBaseline(window=10, min_samples=5)
    assert [b.observe(("k",), 1.0) for _ in range(5)] == [None] * 5
    _warm(b, ("k",), [1000.0] * 10)  # the window now holds only the new level
    verdict = b.observe(("k",), 1000.0)
    assert verdict is not None and verdict.median == 1000.0 and not verdict.anomalous


def test_outliers_do_not_move_the_baseline() -> None:
    b = RobustBaseline(min_samples=30)
    _warm(b, ("k",), _STEADY + [10_000.0] * 5)
    verdict = b.observe(("k",), 150.0)
    assert verdict is not None and verdict.anomalous


def test_keys_are_independent_and_bounded() -> None:
    b = RobustBaseline(min_samples=1, max_keys=2)
    _warm(b, ("a",), [1.0, 1.0])
    b.observe(("b",), 1.0)
    b.observe(("c",), 1.0)  # evicts "a"
    assert b.observe(("a",), 1.0) is None


def test_mad_floor_for_constant_series() -> None:
    b = RobustBaseline(min_samples=30, min_mad_ratio=0.05, min_mad=1.0)
    _warm(b, ("k",), [200.0] * 30)
    verdict = b.observe(("k",), 261.0)
    assert verdict is not None and verdict.mad == 10.0 and verdict.anomalous


@pytest.mark.parametrize(
    ("output_tokens", "max_tokens", "severity"),
    [
        pytest.param(110, None, None, id="normal"),
        pytest.param(160, None, Severity.MEDIUM, id="spike"),
        pytest.param(5000, None, Severity.HIGH, id="explosion"),
        pytest.param(300, 256, Severity.HIGH, id="above-max-tokens"),
        pytest.param(None, None, None, id="no-usage"),
    ],
)
def test_token_explosion(output_tokens: int | None, max_tokens: int | None, severity: Severity | None) -> None:
    b = _baselines()
    _warm(b.tokens, ("p", "model", "m", "output_tokens"), _STEADY)
    span = NormalizedSpan(operation=Operation.CHAT, request_model="m", output_tokens=output_tokens,
                          request_max_tokens=max_tokens)  # fmt: skip
    (alerts,) = b.alerts([(_REF, span, None)])
    assert [(a.category, a.severity) for a in alerts] == ([(Category.TOKEN_EXPLOSION, severity)] if severity else [])


def test_latency_and_cost_use_their_own_keys() -> None:
    b = _baselines()
    _warm(b.latency, ("p", "tool", "search", "latency_ms"), [800.0 + i for i in range(30)])
    _warm(b.cost, ("p", "model", "gpt-4o", "cost_usd"), [0.0045 + i * 1e-6 for i in range(30)])
    tool = NormalizedSpan(operation=Operation.EXECUTE_TOOL, tool_name="search")
    normal = NormalizedSpan(operation=Operation.CHAT, provider="openai", request_model="gpt-4o", input_tokens=1000,
                            output_tokens=200)  # fmt: skip  # 0.0045 USD
    costly = NormalizedSpan(operation=Operation.CHAT, provider="openai", request_model="gpt-4o",
                            input_tokens=100_000, output_tokens=200)  # fmt: skip
    alerts = b.alerts([(_REF, tool, 820_000_000), (_REF, tool, 9_000_000_000), (_REF, normal, None),
                       (_REF, costly, None)])  # fmt: skip
    assert [[a.rule_id for a in found] for found in alerts] == [[], ["latency_anomaly"], [], ["cost_spike"]]


_REF = SpanRef("p", "t", "s", 1_750_000_000_000_000_000, "svc")


def _baselines() -> Baselines:
    return Baselines(RobustBaseline(min_samples=30), RobustBaseline(min_samples=30, min_mad=5.0),
                     RobustBaseline(min_samples=30, min_mad=1e-7))  # fmt: skip


def test_a_batch_is_judged_against_the_baseline_before_it() -> None:
    one, many = RobustBaseline(min_samples=30), RobustBaseline(min_samples=30)
    _warm(one, ("k",), _STEADY)
    _warm(many, ("k",), _STEADY)
    burst = [500.0] * 40 + [120.0, 146.0]
    found = many.anomalies_among(("k",), burst)
    # every value of the burst is over the old limit (145): the burst does not raise its own baseline
    assert [pos for pos, _ in found] == [*range(40), 41]
    assert all((v.median, v.limit, v.anomalous) == (109.0, 145.0, True) for _, v in found)
    # value by value, the burst becomes the baseline after ~half a window
    assert sum(1 for v in burst if (verdict := one.observe(("k",), v)) and verdict.anomalous) < 41
    # once added, the burst is part of the baseline: the next batch's limit has moved up
    after = many.anomalies_among(("k",), [300.0, 5000.0])
    assert [pos for pos, _ in after] == [1] and after[0][1].limit > 145.0


def test_a_batch_of_one_is_observe() -> None:
    a, b = RobustBaseline(min_samples=30), RobustBaseline(min_samples=30)
    for v in [*_STEADY, 150.0, 120.0, 2000.0]:
        verdict = a.observe(("k",), v)
        found = b.anomalies_among(("k",), [v])
        assert found == ([(0, verdict)] if verdict is not None and verdict.anomalous else [])


@pytest.mark.parametrize("sizes", [[20] * 12, [16, 250, 17, 40], [199, 1, 30, 200, 16], [300, 20, 20]],
                         ids=["chunks", "larger-than-window", "around-the-window", "window-then-chunks"])  # fmt: skip
def test_batches_keep_the_same_window_as_values_one_by_one(sizes: list[int]) -> None:
    """Batches of 16 values or more merge into the sorted window (earlier values leaving it first): the
    baseline after each batch is the one the same values give one at a time."""
    window = 200
    batched, single = RobustBaseline(window=window, min_samples=1), RobustBaseline(window=window, min_samples=1)
    value = 0
    for size in sizes:
        values = [float((value + i) * 7919 % 1009) for i in range(size)]  # repeats and any order
        value += size
        batched.anomalies_among(("k",), values)
        for v in values:
            single.observe(("k",), v)
        a, b = batched._keys[("k",)], single._keys[("k",)]
        assert list(a.order) == list(b.order) and a.ranked == b.ranked == sorted(b.order)
