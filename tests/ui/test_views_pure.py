"""Pure helpers behind the pages: filters, kinds, waterfall data, tables, analytics frames, snippets."""

from __future__ import annotations

from typing import Any, cast

import pandas as pd
import pytest

from agentstate.ui import analytics_frames as af
from agentstate.ui import snippets
from agentstate.ui.client import _clean
from agentstate.ui.filters import TraceFilters
from agentstate.ui.kinds import classify, is_error, style
from agentstate.ui.schema import TraceDetail
from agentstate.ui.tables import tree_frame
from agentstate.ui.tree import build_tree, visible
from agentstate.ui.waterfall import MAX_CHART_PX, ROW_PX, frame, row_px, selected_span, spec
from tests.ui.factories import detail, span


def test_filters_drop_empty_values() -> None:
    f = TraceFilters(since="S", project_id=None, status="error", model=" gpt-4o ", search="", min_cost=0.0)
    assert f.params() == {
        "since": "S",
        "sort": "start",
        "order": "desc",
        "limit": 50,
        "status": "error",
        "model": "gpt-4o",
    }
    assert TraceFilters(since="S", status="any").params("CUR")["cursor"] == "CUR"


def test_client_params_bools_and_blanks() -> None:
    assert _clean({"a": None, "b": "", "c": True, "d": False, "e": 3}) == {"c": "true", "d": "false", "e": 3}


@pytest.mark.parametrize(
    ("op", "kind"),
    [
        ("chat", "llm"),
        ("execute_tool", "tool"),
        ("invoke_agent", "agent"),
        ("retrieval", "retrieval"),
        ("invoke_workflow", "chain"),
        ("embeddings", "embedding"),
        ("", "span"),
        ("weird", "span"),
    ],
)
def test_classify(op: str, kind: str) -> None:
    assert classify(op) == kind


def test_kind_styles_are_distinct() -> None:
    kinds = ["agent", "llm", "tool", "retrieval", "chain"]
    assert len({style(k).color for k in kinds}) == 5 and len({style(k).icon for k in kinds}) == 5
    assert style("workflow") == style("chain") and style("?") == style("span")
    assert is_error("Error") and not is_error("Ok") and not is_error("Unset")


def _tree():  # type: ignore[no-untyped-def]
    return build_tree(
        cast(
            TraceDetail,
            detail(
                [
                    span("root", op="invoke_agent", dur_ms=100),
                    span("t", "root", start_ms=10, dur_ms=5, op="execute_tool", error=True),
                    span("c", "t", start_ms=11, dur_ms=50, op="chat", tokens=(3, 4), cost=0.5),
                ]
            ),
        )
    )


def test_waterfall_frame_folds_to_subtree_extent() -> None:
    tree = _tree()
    open_ = frame(visible(tree, set()), set())
    assert list(open_["span_id"]) == ["root", "t", "c"]
    assert open_.loc[1, "end_ms"] == pytest.approx(15) and open_.loc[1, "error"] == "error"
    folded = frame(visible(tree, {"t"}), {"t"})
    assert list(folded["span_id"]) == ["root", "t"]
    assert folded.loc[1, "end_ms"] == pytest.approx(61) and folded.loc[1, "tokens"] == 7


def test_waterfall_spec_is_valid_vega_lite_with_click_selection() -> None:
    import altair as alt

    data = frame(visible(_tree(), set()), set())
    chart = alt.Chart.from_dict({**spec(len(data)), "data": {"values": data.to_dict("records")}})
    full = chart.to_dict()  # validates against Vega-Lite's schema; raises if the spec is wrong
    assert full["mark"]["type"] == "bar"
    assert full["params"][0]["name"] == "span"
    assert set(full["encoding"]) >= {"x", "x2", "y", "color", "stroke", "tooltip"}
    assert row_px(2000) * 2000 <= MAX_CHART_PX and row_px(3) == ROW_PX


def test_selected_span_reads_streamlit_state() -> None:
    assert selected_span({"selection": {"span": [{"span_id": "x"}]}}) == "x"
    assert selected_span({"selection": {"span": []}}) is None
    assert selected_span(None) is None


def test_tree_frame_marks_folds_and_errors() -> None:
    tree = _tree()
    table = tree_frame(visible(tree, {"t"}), {"t"})
    assert table.loc[0, "status"] == "⚠️" and table.loc[1, "status"] == "❌"
    assert "▸" in table.loc[1, "span"] and "▾" in table.loc[0, "span"]
    assert table.loc[0, "subtree_cost_usd"] == pytest.approx(0.5)


def _points() -> list[dict[str, Any]]:
    return [
        {
            "bucket": "2025-01-01T00:00:00Z",
            "key": "gpt",
            "cost_usd": 1.0,
            "input_tokens": 10,
            "output_tokens": 1,
            "calls": 2,
            "spans": 10,
            "errors": 1,
            "error_rate": 0.1,
            "p50_ms": 10,
            "p95_ms": 20,
            "p99_ms": 30,
        },
        {
            "bucket": "2025-01-01T00:00:00Z",
            "key": "",
            "cost_usd": 3.0,
            "input_tokens": 5,
            "output_tokens": 5,
            "calls": 1,
            "spans": 30,
            "errors": 0,
            "error_rate": 0.0,
            "p50_ms": 50,
            "p95_ms": 60,
            "p99_ms": 70,
        },
    ]


def test_analytics_frames() -> None:
    cost = af.cost_frame(_points())
    assert list(cost["key"]) == ["gpt", "(none)"]
    assert list(af.top_costs(cost)["key"]) == ["(none)", "gpt"]
    toks = af.tokens_long(cost)
    assert dict(zip(toks["direction"], toks["tokens"], strict=True)) == {"input_tokens": 15, "output_tokens": 6}
    usage = af.usage_frame(_points())
    lat = af.latency_long(usage)
    assert lat.loc[lat["percentile"] == "p50", "ms"].item() == pytest.approx((10 * 10 + 50 * 30) / 40)
    assert af.error_rate(usage)["error_rate"].item() == pytest.approx(1 / 40)
    assert af.latency_long(af.usage_frame([])).empty
    assert isinstance(af.cost_frame([]), pd.DataFrame)


def test_snippets_point_at_the_collector(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AGENTSTATE_COLLECTOR_URL", raising=False)
    monkeypatch.setenv("AGENTSTATE_HTTP_PORT", "14318")
    url = snippets.collector_url()
    assert url == "http://127.0.0.1:14318"
    assert 'collector_url="http://127.0.0.1:14318"' in snippets.observe_snippet(url, "as_k")
    assert "Authorization=Bearer as_k" in snippets.otel_env_snippet(url, "as_k")
    compile(snippets.observe_snippet(url), "s", "exec")
    compile(snippets.otel_python_snippet(url), "s", "exec")
