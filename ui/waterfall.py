"""The waterfall timeline: one bar per visible tree row, as a single Vega-Lite chart.

One bar chart over a flat table stays fast at thousands of rows (no per-span layers); rows keep the
tree's order, so the chart lines up with the tree beside it.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

import pandas as pd

from agentstate.ui.format import cost, duration
from agentstate.ui.kinds import ERROR_COLOR, STYLES
from agentstate.ui.tree import Node

ROW_PX = 24
"""Height of one row in pixels (bars and the tree table share it, so they line up)."""
HEADER_PX = 36
"""Streamlit's dataframe header (35 px whatever ``row_height`` is) plus its 1 px top border. The chart's
time axis is fixed to exactly this height (the legend goes below), so the first bar sits beside the
first row; measured in Chromium by the browser test."""
MAX_CHART_PX = 20_000
"""Browsers refuse canvases taller than ~32k px; beyond this, rows get thinner instead."""

COLUMNS = [
    "row",
    "span_id",
    "label",
    "kind",
    "start_ms",
    "end_ms",
    "duration",
    "error",
    "folded",
    "cost_usd",
    "tokens",
    "cost",
]


def frame(rows: Sequence[Node], collapsed: Collection[str]) -> pd.DataFrame:
    """The chart's data: a folded row's bar reaches the end of its whole subtree."""
    records = []
    for i, n in enumerate(rows):
        folded = n.span_id in collapsed and bool(n.children)
        end = n.subtree_end_ms if folded else n.end_ms
        records.append(
            (
                i,
                n.span_id,
                f"{'  ' * n.depth}{n.name}",
                n.kind,
                n.start_ms,
                max(end, n.start_ms + 0.001),
                duration(n.duration_ms),
                "error" if (n.subtree_errors if folded else n.error) else "ok",
                folded,
                n.subtree_cost_usd if folded else n.cost_usd,
                n.subtree_tokens if folded else n.tokens,
                cost(n.subtree_cost_usd if folded else n.cost_usd),
            )
        )
    return pd.DataFrame.from_records(records, columns=COLUMNS)


def row_px(rows: int) -> int:
    """Pixels per row so the whole chart stays under :data:`MAX_CHART_PX`."""
    return max(2, min(ROW_PX, MAX_CHART_PX // max(rows, 1)))


def spec(rows: int) -> dict[str, Any]:
    """A Gantt-style Vega-Lite bar chart: x is time since the trace start, y the tree row, colour the kind.

    A plain spec rather than an Altair chart: Altair validates the whole spec on every rerun, which
    costs more than the rest of the page; this one is fixed and checked by the tests instead.
    """
    kinds = list(STYLES)
    step = row_px(rows)
    error = "datum.error === 'error'"
    return {
        "mark": {"type": "bar", "height": max(1, step - 4), "cornerRadius": 2},
        "height": {"step": step},
        # No padding above: the axis alone fills the band beside the table's header.
        "padding": {"top": 0, "bottom": 2, "left": 2, "right": 8},
        "encoding": {
            "x": {
                "field": "start_ms",
                "type": "quantitative",
                "title": None,  # no title: bars line up with rows
                "axis": {
                    "orient": "top",
                    "grid": True,
                    "labelPadding": 1,
                    "labelFontSize": 10,
                    "tickSize": 3,
                    "labelFlush": True,
                    "domain": False,
                    "minExtent": HEADER_PX,
                    "maxExtent": HEADER_PX,
                },
            },
            "x2": {"field": "end_ms"},
            "y": {
                "field": "row",
                "type": "ordinal",
                "axis": None,
                "sort": "ascending",
                "scale": {"paddingInner": 0, "paddingOuter": 0},
            },
            "color": {
                "field": "kind",
                "type": "nominal",
                "scale": {"domain": kinds, "range": [STYLES[k].color for k in kinds]},
                "legend": {"orient": "bottom", "title": None, "offset": 6, "columns": 4, "labelFontSize": 11},
            },
            "stroke": {"condition": {"test": error, "value": ERROR_COLOR}, "value": None},
            "strokeWidth": {"condition": {"test": error, "value": 2}, "value": 0},
            "tooltip": [
                {"field": "label", "type": "nominal", "title": "span"},
                {"field": "kind", "type": "nominal"},
                {"field": "duration", "type": "nominal"},
                {"field": "error", "type": "nominal", "title": "status"},
                {"field": "tokens", "type": "quantitative"},
                {"field": "cost", "type": "nominal"},
            ],
        },
        "params": [{"name": "span", "select": {"type": "point", "fields": ["span_id"], "on": "click"}}],
    }


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
