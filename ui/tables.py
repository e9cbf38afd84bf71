"""Rows of the pages' tables, built from API objects (pure; the pages only display them)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from agentstate.ui.format import cost_value, when
from agentstate.ui.kinds import style
from agentstate.ui.schema import Alert, SessionSummary, Step, TraceSummary
from agentstate.ui.tree import Node

SEVERITY_ICON = {"critical": "🟥", "high": "🟧", "medium": "🟨", "low": "🟦"}


def traces_frame(items: Sequence[TraceSummary]) -> pd.DataFrame:
    """The trace table, newest first as the API sent it."""
    return pd.DataFrame(
        [
            {
                "status": "❌" if t["error"] else "✅",
                "start": when(t["start_time"]),
                "trace": t["root_span_name"],
                "service": t["service_name"],
                "duration_ms": round(t["duration_ms"], 1),
                "spans": t["span_count"],
                "tokens": t["total_tokens"],
                "cost_usd": cost_value(t["cost_usd"]),
                "alerts": t["alert_count"],
                "models": ", ".join(t["models"]),
                "session": t["session_id"],
                "user": t["user_id"],
                "trace_id": t["trace_id"],
                "project": t["project_id"],
            }
            for t in items
        ],
        columns=[
            "status",
            "start",
            "trace",
            "service",
            "duration_ms",
            "spans",
            "tokens",
            "cost_usd",
            "alerts",
            "models",
            "session",
            "user",
            "trace_id",
            "project",
        ],
    )


def tree_frame(rows: Sequence[Node], collapsed: set[str]) -> pd.DataFrame:
    """The span tree as a table: indented names, kind icons, own and subtree numbers."""
    records: list[dict[str, Any]] = []
    for n in rows:
        folded = n.span_id in collapsed and bool(n.children)
        marker = ("▸ " if folded else "▾ ") if n.children else "  "
        status = "❌" if n.error else ("⚠️" if n.subtree_errors else "")
        records.append(
            {
                "span": "\u2003" * n.depth
                + marker
                + style(n.kind).icon
                + " "
                + n.name
                + (f"  ({n.subtree_spans - 1:,} below)" if folded else ""),  # the Σ spans column is not shown
                "status": status,
                "kind": style(n.kind).label,
                "duration_ms": round(n.duration_ms, 2),
                "tokens": n.tokens,
                "cost_usd": cost_value(n.cost_usd),
                "subtree_tokens": n.subtree_tokens,
                "subtree_cost_usd": cost_value(n.subtree_cost_usd),
                "subtree_spans": n.subtree_spans,
                "span_id": n.span_id,
            }
        )
    return pd.DataFrame(
        records,
        columns=[
            "span",
            "status",
            "kind",
            "duration_ms",
            "tokens",
            "cost_usd",
            "subtree_tokens",
            "subtree_cost_usd",
            "subtree_spans",
            "span_id",
        ],
    )


def steps_frame(steps: Sequence[Step], current: int) -> pd.DataFrame:
    """The Time Machine's step list with the current step (a 0-based index) pointed at; steps shown from 1."""
    return pd.DataFrame(
        [
            {
                "": "👉" if s["index"] == current else "",
                "step": s["index"] + 1,
                "kind": style(s["type"]).icon + " " + s["type"],
                "name": s["name"],
                "status": "❌" if s["status_code"].lower() == "error" else "",
                "duration_ms": round(s["duration_ms"], 2),
                "tokens": s["input_tokens"] + s["output_tokens"],
                "cost_usd": cost_value(s["cost_usd"]),
            }
            for s in steps
        ],
        columns=["", "step", "kind", "name", "status", "duration_ms", "tokens", "cost_usd"],
    )


def sessions_frame(items: Sequence[SessionSummary]) -> pd.DataFrame:
    """The session list."""
    return pd.DataFrame(
        [
            {
                "session": s["session_id"],
                "user": s["user_id"],
                "first seen": when(s["first_seen"]),
                "last seen": when(s["last_seen"]),
                "traces": s["trace_count"],
                "spans": s["span_count"],
                "tokens": s["input_tokens"] + s["output_tokens"],
                "errors": s["error_count"],
                "cost_usd": cost_value(s["cost_usd"]),
                "project": s["project_id"],
            }
            for s in items
        ],
        columns=[
            "session",
            "user",
            "first seen",
            "last seen",
            "traces",
            "spans",
            "tokens",
            "errors",
            "cost_usd",
            "project",
        ],
    )


def alerts_frame(items: Sequence[Alert]) -> pd.DataFrame:
    """The alert feed."""
    return pd.DataFrame(
        [
            {
                "severity": SEVERITY_ICON.get(a["severity"], "▫️") + " " + a["severity"],
                "time": when(a["time"]),
                "rule": a["rule_id"],
                "title": a["title"],
                "evidence": a["detail"][:200],
                "acknowledged": "✔" if a["acknowledged"] else "",
                "trace_id": a["trace_id"],
                "span_id": a["span_id"],
                "alert_id": a["alert_id"],
                "project": a["project_id"],
            }
            for a in items
        ],
        columns=[
            "severity",
            "time",
            "rule",
            "title",
            "evidence",
            "acknowledged",
            "trace_id",
            "span_id",
            "alert_id",
            "project",
        ],
    )
