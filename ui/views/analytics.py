"""Analytics: cost over time by model or provider, tokens, latency percentiles, error rate, top spenders.

Every chart has the numbers behind it one click away as CSV.
"""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from agentstate.ui import analytics_frames as af
from agentstate.ui import data, session
from agentstate.ui import format as fmt
from agentstate.ui.widgets import download_csv, run_guarded, scope, time_range

TOP_TRACES_SCANNED = 1000

_MONEY: dict[str, Any] = {"cost_usd": st.column_config.NumberColumn("cost", format=fmt.COST_COLUMN_FORMAT)}
_COST_AXIS = "$,.3~r"
"""d3 format: three significant digits, no padding zeros ($0.000046, $0.0081, $1,230)."""


def _money(frame: pd.DataFrame) -> pd.DataFrame:
    """Costs rounded as the rest of the UI shows them (the CSV keeps the exact numbers)."""
    return frame.assign(cost_usd=frame["cost_usd"].map(fmt.cost_value)) if "cost_usd" in frame else frame


def _time_chart(frame: pd.DataFrame, y: str, color: str, title: str, *, bar: bool, fmt_y: str = "") -> alt.Chart:
    base = alt.Chart(frame).properties(height=260, title=title)
    mark = base.mark_bar() if bar else base.mark_line(point=True)
    chart: alt.Chart = mark.encode(
        x=alt.X("bucket:T", title=None),
        y=alt.Y(f"{y}:Q", title=None, stack=bar or None, axis=alt.Axis(format=fmt_y) if fmt_y else alt.Axis()),
        color=alt.Color(f"{color}:N", title=None, legend=alt.Legend(orient="bottom")),
        tooltip=[alt.Tooltip("bucket:T"), alt.Tooltip(f"{color}:N"), alt.Tooltip(f"{y}:Q", format=fmt_y or ",")],
    )
    return chart


def _error_chart(frame: pd.DataFrame) -> alt.Chart:
    chart: alt.Chart = (
        alt.Chart(frame)
        .mark_line(point=True, color="#dc2626")
        .properties(height=260)
        .encode(
            x=alt.X("bucket:T", title=None),
            y=alt.Y("error_rate:Q", title=None, axis=alt.Axis(format=".1%")),
            tooltip=[
                alt.Tooltip("bucket:T"),
                alt.Tooltip("error_rate:Q", format=".2%"),
                alt.Tooltip("errors:Q"),
                alt.Tooltip("spans:Q"),
            ],
        )
    )
    return chart


def _section(title: str, chart: alt.Chart | None, frame: pd.DataFrame, file_name: str) -> None:
    st.markdown(f"**{title}**")
    if frame.empty:
        st.caption("No data in this window.")
        return
    if chart is not None:
        st.altair_chart(chart, width="stretch")
    download_csv("CSV", frame, file_name, key=f"csv_{file_name}")


_GROUP_LABELS = {"model": "model (family)", "model_version": "model (exact version)"}


def _group_label(group: str) -> str:
    return _GROUP_LABELS.get(group, group)


def _page() -> None:
    st.title("Analytics")
    cols = st.columns([2, 1, 1, 4])
    since = time_range("analytics_range", default="Last 7 days", container=cols[0])
    bucket = str(cols[1].selectbox("Bucket", ["hour", "day", "week"], key="analytics_bucket"))
    group = str(
        cols[2].selectbox(
            "Cost by",
            ["model", "model_version", "provider", "agent", "user", "service"],
            format_func=_group_label,
            key="analytics_group",
        )
    )
    url, token = session.api_url(), session.token() or ""
    params = {**scope(), "since": since, "bucket": bucket, "group_by": group}
    cost_series = data.cost(url, token, data.freeze(params))
    usage = af.usage_frame(data.usage(url, token, data.freeze({**params, "group_by": "service"}))["points"])
    cost = af.cost_frame(cost_series["points"])
    cols[3].metric("Total cost in window", fmt.cost(cost_series["total_cost_usd"]))

    left, right = st.columns(2)
    with left:
        _section(
            f"Cost by {group} per {bucket}",
            _time_chart(cost, "cost_usd", "key", "", bar=True, fmt_y=_COST_AXIS),
            cost,
            "cost.csv",
        )
        latency = af.latency_long(usage)
        _section(
            "Latency p50 / p95 / p99 (ms)",
            _time_chart(latency, "ms", "percentile", "", bar=False),
            latency,
            "latency.csv",
        )
    with right:
        tokens = af.tokens_long(cost) if not cost.empty else cost
        _section(
            f"Tokens per {bucket}",
            _time_chart(tokens, "tokens", "direction", "", bar=True) if not cost.empty else None,
            tokens,
            "tokens.csv",
        )
        errors = af.error_rate(usage)
        _section("Error rate", _error_chart(errors), errors, "error_rate.csv")

    st.divider()
    left, right = st.columns(2)
    with left:
        st.markdown("**Most expensive traces**")
        st.caption(f"Among the {TOP_TRACES_SCANNED:,} most recent traces in the window.")
        recent = data.traces(url, token, data.freeze({**scope(), "since": since, "limit": TOP_TRACES_SCANNED}))
        top = af.top_traces(recent["items"])
        st.dataframe(_money(top), hide_index=True, width="stretch", column_config=_MONEY)
        if not top.empty:
            download_csv("CSV", top, "top_traces.csv", key="csv_top_traces")
    with right:
        st.markdown("**Most expensive agents**")
        agents = af.top_costs(
            af.cost_frame(data.cost(url, token, data.freeze({**params, "group_by": "agent"}))["points"])
        )
        st.dataframe(
            _money(agents).rename(columns={"key": "agent"}), hide_index=True, width="stretch", column_config=_MONEY
        )
        if not agents.empty:
            download_csv("CSV", agents, "top_agents.csv", key="csv_top_agents")


def render() -> None:
    """The Analytics page."""
    run_guarded(_page)
