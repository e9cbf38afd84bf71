"""The trace page's pure layout rules: which tab a span opens on, and the waterfall beside the tree."""

from __future__ import annotations

from typing import cast

import pytest

from agentstate.ui.schema import TraceDetail
from agentstate.ui.tables import steps_frame, tree_frame
from agentstate.ui.tree import build_tree, visible
from agentstate.ui.views.span_panel import first_tab
from agentstate.ui.waterfall import HEADER_PX, ROW_PX, frame, row_px, spec
from tests.ui.factories import detail, span, step

ALL = ["Chat", "Tool", "Attributes", "Events (0)", "Resource"]


@pytest.mark.parametrize(
    ("kind", "names", "tab"),
    [
        pytest.param("llm", ["Chat", "Attributes", "Events (0)", "Resource"], "Chat", id="llm-opens-the-chat"),
        pytest.param("tool", ["Tool", "Attributes", "Events (0)", "Resource"], "Tool", id="tool-opens-its-io"),
        pytest.param("tool", ALL, "Tool", id="tool-with-messages-still-opens-its-io"),
        pytest.param("llm", ["Attributes", "Events (0)", "Resource"], "Attributes", id="llm-without-messages"),
        pytest.param("agent", ["Attributes", "Events (0)", "Resource"], "Attributes", id="agent"),
        pytest.param("agent", ALL, "Chat", id="agent-with-messages-opens-the-first-tab"),
    ],
)
def test_first_tab_follows_the_span_kind(kind: str, names: list[str], tab: str) -> None:
    assert first_tab(kind, names) == tab


def test_waterfall_axis_fills_the_band_beside_the_table_header() -> None:
    s = spec(4)
    axis = s["encoding"]["x"]["axis"]
    assert axis["orient"] == "top" and axis["minExtent"] == axis["maxExtent"] == HEADER_PX
    assert s["padding"]["top"] == 0 and s["height"] == {"step": ROW_PX}
    assert s["encoding"]["color"]["legend"]["orient"] == "bottom"  # nothing else above the first bar
    assert s["encoding"]["y"]["scale"] == {"paddingInner": 0, "paddingOuter": 0}  # one row = one step exactly
    assert row_px(4) == ROW_PX


def test_costs_in_the_tree_and_the_chart_keep_their_digits() -> None:
    tree = build_tree(
        cast(
            TraceDetail,
            detail(
                [
                    span("root", op="invoke_agent", dur_ms=100),
                    span("a", "root", op="chat", cost=0.0000461234),
                    span("b", "root", op="chat", cost=0.0000512),
                ]
            ),
        )
    )
    rows = visible(tree, set())
    table = tree_frame(rows, set())
    assert list(table["cost_usd"]) == [0.0, 0.0000461, 0.0000512]  # rounded to what is shown, still numbers
    assert table.loc[0, "subtree_cost_usd"] == pytest.approx(0.0000973)
    assert list(frame(rows, set())["cost"]) == ["$0", "$0.0000461", "$0.0000512"]  # the tooltip's text
    assert {t["field"] for t in spec(3)["encoding"]["tooltip"]} >= {"cost"}


def test_steps_table_numbers_steps_from_one() -> None:
    table = steps_frame([step(0, "agent", "a"), step(1, "llm", "b", cost_usd=0.0000461234)], current=1)  # type: ignore[list-item]
    assert list(table["step"]) == [1, 2] and list(table[""]) == ["", "👉"]
    assert table.loc[1, "cost_usd"] == pytest.approx(0.0000461)
