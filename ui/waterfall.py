"""The waterfall timeline: one bar per visible tree row, as a single Vega-Lite chart.

One bar chart over a flat table stays fast at thousands of rows (no per-span layers); rows keep the
tree's order, so the chart lines up with the tree beside it.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

import altair as alt
import pandas as pd

from agentstate.ui.format import duration
from agentstate.ui.kinds import ERROR_COLOR, STYLES
from agentstate.ui.tree import Node

ROW_PX = 24
"""Height of one row in pixels (bars and the tree table share it, so they line up)."""
MAX_CHART_PX = 20_000
"""Browsers refuse canvases taller than ~32k px; beyond this, rows get thinner instead."""

COLUMNS = ["row", "span_id", "label", "kind", "start_ms", "end_ms", "duration", "error", "folded", "cost_usd",
           "tokens"]


def frame(rows: Sequence[Node], collapsed: Collection[str]) -> pd.DataFrame:
    """The chart's data: a folded row's bar reaches the end of its whole subtree."""
    records = []
    for i, n in enumerate(rows):
        folded = n.span_id in collapsed and bool(n.children)
        end = n.subtree_end_ms if folded else n.end_ms
        records.append((
            i, n.span_id, f"{'  ' * n.depth}{n.name}", n.kind, n.start_ms, max(end, n.start_ms + 0.001),
            duration(n.duration_ms), "error" if (n.subtree_errors if folded else n.error) else "ok",
            folded, n.subtree_cost_usd if folded else n.cost_usd, n.subtree_tokens if folded else n.tokens,
        ))
    return pd.DataFrame.from_records(records, columns=COLUMNS)


def row_px(rows: int) -> int:
    """Pixels per row so the whole chart stays under :data:`MAX_CHART_PX`."""
    return max(2, min(ROW_PX, MAX_CHART_PX // max(rows, 1)))


def chart(data: pd.DataFrame) -> alt.Chart:
    """A Gantt-style bar chart: x is time since the trace start, y the tree row, colour the span kind."""
    kinds = list(STYLES)
    step = row_px(len(data))
    chart: alt.Chart = (
        alt.Chart(data)
        .mark_bar(height=max(1, step - 4), cornerRadius=2)
        .encode(
            x=alt.X("start_ms:Q", title="ms since trace start", axis=alt.Axis(orient="top", grid=True)),
            x2="end_ms:Q",
            y=alt.Y("row:O", axis=None, sort="ascending"),
            color=alt.Color("kind:N", scale=alt.Scale(domain=kinds, range=[STYLES[k].color for k in kinds]),
                            legend=alt.Legend(orient="bottom", title=None)),
            stroke=alt.condition(alt.datum.error == "error", alt.value(ERROR_COLOR), alt.value(None)),
            strokeWidth=alt.condition(alt.datum.error == "error", alt.value(2), alt.value(0)),
            tooltip=[alt.Tooltip("label:N", title="span"), alt.Tooltip("kind:N"),
                     alt.Tooltip("duration:N"), alt.Tooltip("error:N", title="status"),
                     alt.Tooltip("tokens:Q"), alt.Tooltip("cost_usd:Q", format="$.6f", title="cost")],
        )
        .properties(height=alt.Step(step))
        .add_params(alt.selection_point(name="span", fields=["span_id"], on="click"))
    )
    return chart


def selected_span(selection: Any) -> str | None:
    """The span ID clicked in the chart, from Streamlit's selection state, or None."""
    try:
        points = selection["selection"]["span"]
    except (KeyError, TypeError):
        return None
    if isinstance(points, list) and points and isinstance(points[0], dict):
        value = points[0].get("span_id")
        return str(value) if value is not None else None
    return None
