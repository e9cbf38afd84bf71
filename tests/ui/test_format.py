"""Display formatting, and telemetry neutralised before it reaches Markdown."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from agentstate.ui.format import as_text, cost, cost_value, duration, escape_markdown, one_line, tokens
from agentstate.ui.widgets import since_iso


@pytest.mark.parametrize(("ms", "text"), [(0.25, "0.25 ms"), (12.4, "12 ms"), (1520, "1.52 s"), (125_000, "2 m 05 s")])
def test_duration(ms: float, text: str) -> None:
    assert duration(ms) == text


@pytest.mark.parametrize(
    ("usd", "text", "value"),
    [
        pytest.param(0, "$0", 0.0, id="zero"),
        pytest.param(0.000046, "$0.000046", 0.000046, id="cheap-call-not-0.0000"),
        pytest.param(0.0000461234, "$0.0000461", 0.0000461, id="three-significant-digits"),
        pytest.param(0.000051, "$0.000051", 0.000051, id="told-apart-from-its-neighbour"),
        pytest.param(0.0081, "$0.0081", 0.0081, id="no-padding-zeros"),
        pytest.param(0.00000025, "$0.00000025", 0.00000025, id="embedding-call"),
        pytest.param(0.5, "$0.50", 0.5, id="cents-at-least"),
        pytest.param(0.0099999, "$0.01", 0.01, id="rounds-up-a-digit"),
        pytest.param(1.5, "$1.50", 1.5, id="dollars-in-cents"),
        pytest.param(1234.5678, "$1,234.57", 1234.57, id="thousands"),
        pytest.param(-0.003, "-$0.003", -0.003, id="negative-credit"),
        pytest.param(1e-15, "<$0.000000000001", 0.0, id="below-twelve-decimals"),
    ],
)
def test_cost_keeps_significant_digits(usd: float, text: str, value: float) -> None:
    assert cost(usd) == text
    assert cost_value(usd) == pytest.approx(value, abs=1e-15)


def test_tokens() -> None:
    assert tokens(950) == "950" and tokens(12_345) == "12.3k" and tokens(4_100_000) == "4.1M"


@pytest.mark.parametrize(
    "evil",
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "[click](javascript:alert(1))",
        "**bold** _it_ `code` # head",
        ":red[colour] :smile:",
        "&lt;b&gt;",
    ],
)
def test_escape_markdown_leaves_no_markup(evil: str) -> None:
    out = escape_markdown(evil)
    assert "<" not in out and ">" not in out
    for ch in "*_`[]()#:":
        assert all(out[i - 1] == "\\" for i, c in enumerate(out) if c == ch), (ch, out)
    assert "&lt;b&gt;" not in out  # an entity in telemetry is shown as typed, not decoded


def test_as_text_and_one_line() -> None:
    assert as_text({"a": [1, 2]}) == '{\n  "a": [\n    1,\n    2\n  ]\n}'
    assert as_text("x" * 30, limit=10).startswith("x" * 10 + "\n… (20 more")
    assert one_line({"k": "v\n w"}, limit=12) == '{ "k": "v\\n…'


def test_since_rounds_to_the_minute() -> None:
    now = datetime(2025, 1, 1, 12, 30, 45, 123, tzinfo=timezone.utc)
    from datetime import timedelta

    assert since_iso(timedelta(hours=1), now) == "2025-01-01T11:30:00+00:00"
