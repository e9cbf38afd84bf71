"""anomaly.mad: the bisection over two sorted deviation runs equals sorting the deviations."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from agentstate.processors.detectors.anomaly import _median, mad

_VALUES = st.lists(st.one_of(st.integers(0, 20).map(float), st.floats(0, 1e6, allow_nan=False)), max_size=60)


@given(_VALUES)
def test_mad_equals_sorted_deviations(values: list[float]) -> None:
    ranked = sorted(values)
    median = _median(ranked) if ranked else 0.0
    expected = _median(sorted(abs(v - median) for v in ranked)) if ranked else 0.0
    assert mad(ranked, median) == expected


@given(_VALUES, st.floats(-10, 1e6, allow_nan=False))
def test_mad_about_any_centre(values: list[float], centre: float) -> None:
    ranked = sorted(values)
    expected = _median(sorted(abs(v - centre) for v in ranked)) if ranked else 0.0
    assert mad(ranked, centre) == expected
