"""The analytics page's tables: API series as tidy DataFrames (pure, also the CSV downloads)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from agentstate.ui.schema import TraceSummary

COST_COLUMNS = ["bucket", "key", "cost_usd", "input_tokens", "output_tokens", "calls"]
USAGE_COLUMNS = [
    "bucket",
    "key",
    "spans",
    "errors",
    "error_rate",
    "input_tokens",
    "output_tokens",
    "p50_ms",
    "p95_ms",
    "p99_ms",
]


def _frame(points: Sequence[dict[str, Any]], columns: list[str]) -> pd.DataFrame:
    frame = pd.DataFrame([{c: p.get(c) for c in columns} for p in points], columns=columns)
    frame["bucket"] = pd.to_datetime(frame["bucket"], utc=True)
    frame["key"] = frame["key"].fillna("").replace("", "(none)")
    return frame


def cost_frame(points: Sequence[dict[str, Any]]) -> pd.DataFrame:
    """Cost and tokens per bucket and group."""
    return _frame(points, COST_COLUMNS)


def usage_frame(points: Sequence[dict[str, Any]]) -> pd.DataFrame:
    """Volume, errors and latency percentiles per bucket and group."""
    return _frame(points, USAGE_COLUMNS)


def tokens_long(cost: pd.DataFrame) -> pd.DataFrame:
    """Input and output tokens per bucket, long format for a stacked chart."""
    melted = cost.melt(
        id_vars=["bucket"], value_vars=["input_tokens", "output_tokens"], var_name="direction", value_name="tokens"
    )
    return melted.groupby(["bucket", "direction"], as_index=False)["tokens"].sum()


def latency_long(usage: pd.DataFrame) -> pd.DataFrame:
    """Span-weighted mean of each percentile per bucket across groups, long format (one line per pXX)."""
    if usage.empty:
        return pd.DataFrame(columns=["bucket", "percentile", "ms"])
    rows = []
    for bucket, group in usage.groupby("bucket"):
        weight = group["spans"].clip(lower=1)
        for p in ("p50_ms", "p95_ms", "p99_ms"):
            rows.append(
                {
                    "bucket": bucket,
                    "percentile": p.removesuffix("_ms"),
                    "ms": float((group[p] * weight).sum() / weight.sum()),
                }
            )
    return pd.DataFrame(rows, columns=["bucket", "percentile", "ms"])


def error_rate(usage: pd.DataFrame) -> pd.DataFrame:
    """Errors / spans per bucket across groups."""
    if usage.empty:
        return pd.DataFrame(columns=["bucket", "spans", "errors", "error_rate"])
    out = usage.groupby("bucket", as_index=False)[["spans", "errors"]].sum()
    out["error_rate"] = out["errors"] / out["spans"].clip(lower=1)
    return out


def top_costs(cost: pd.DataFrame, n: int = 10) -> pd.DataFrame:
    """Total cost, tokens and calls per group, most expensive first."""
    out = cost.groupby("key", as_index=False)[["cost_usd", "input_tokens", "output_tokens", "calls"]].sum()
    return out.sort_values("cost_usd", ascending=False).head(n).reset_index(drop=True)


def top_traces(items: Sequence[TraceSummary], n: int = 10) -> pd.DataFrame:
    """The most expensive traces."""
    ranked = sorted(items, key=lambda t: t["cost_usd"], reverse=True)[:n]
    return pd.DataFrame(
        [
            {
                "trace_id": t["trace_id"],
                "trace": t["root_span_name"],
                "start": t["start_time"],
                "cost_usd": t["cost_usd"],
                "tokens": t["total_tokens"],
                "duration_ms": t["duration_ms"],
                "project": t["project_id"],
            }
            for t in ranked
        ],
        columns=["trace_id", "trace", "start", "cost_usd", "tokens", "duration_ms", "project"],
    )
