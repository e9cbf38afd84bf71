"""Settings → Budgets: a project's cost budgets, spend against each, and (admins) add or remove one."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from agentstate.ui import format as fmt
from agentstate.ui import session
from agentstate.ui.client import ApiError
from agentstate.ui.format import escape_markdown
from agentstate.ui.schema import Budget

_SCOPES = {"project": "the whole project", "user": "each user", "session": "each session"}
_PERIODS = {"day": "per UTC day", "session": "over the whole session"}


def budgets_frame(budgets: list[Budget]) -> pd.DataFrame:
    """One row per budget: what it limits, its limit, and the spend in its current period."""
    rows = []
    for b in budgets:
        who = b["key"] or _SCOPES.get(b["scope"], b["scope"])
        spent = fmt.cost(b["spent_usd"]) + (f" ({b['spent_by']})" if b["spent_by"] and not b["key"] else "")
        rows.append(
            {
                "budget": f"{who}, {_PERIODS.get(b['period'], b['period'])}",
                "limit": fmt.cost(b["limit_usd"]),
                "spent": spent,
                "used": f"{b['used']:.0%}",
                "severity": b["severity"],
                "id": b["id"],
            }
        )
    return pd.DataFrame(rows, columns=["budget", "limit", "spent", "used", "severity", "id"])


def budget_body(scope: str, limit_usd: float, period: str, key: str, severity: str) -> dict[str, Any]:
    """The ``POST`` body for the form's values (a blank key means each user or session separately)."""
    body: dict[str, Any] = {
        "scope": scope,
        "limit_usd": str(limit_usd),
        "severity": severity,
        "period": period if scope == "session" else "day",
    }
    if key.strip() and scope != "project":
        body["key"] = key.strip()
    return body


def _add(project_id: str) -> None:
    with st.form("new_budget", clear_on_submit=True):
        cols = st.columns([2, 2, 2, 3, 2])
        scope = str(cols[0].selectbox("Limit", list(_SCOPES), format_func=lambda v: _SCOPES[v], key="budget_scope"))
        limit = float(
            cols[1].number_input("USD", min_value=0.000001, value=10.0, step=1.0, format="%.6f", key="budget_limit")
        )
        period = str(
            cols[2].selectbox(
                "Period",
                list(_PERIODS),
                format_func=lambda v: _PERIODS[v],
                key="budget_period",
                help="'Over the whole session' applies to session budgets only.",
            )
        )
        key = cols[3].text_input("One user or session ID (optional)", key="budget_key")
        severity = str(cols[4].selectbox("Severity", ["high", "critical", "medium", "low"], key="budget_severity"))
        if st.form_submit_button("Add budget", type="primary"):
            try:
                session.client().create_budget(project_id, budget_body(scope, limit, period, key, severity))
            except ApiError as exc:
                st.error("Only project admins can add budgets." if exc.status == 403 else escape_markdown(str(exc)))
            else:
                st.toast("Budget added; cost workers enforce it within seconds.")
                st.rerun()


def _remove(project_id: str, budgets: list[Budget]) -> None:
    if not budgets:
        return
    cols = st.columns([3, 1])
    frame = budgets_frame(budgets)
    labels = dict(zip(frame["id"], frame["budget"], strict=True))
    victim = cols[0].selectbox(
        "Remove a budget", list(labels), format_func=lambda v: str(labels[v]), key="budget_remove_pick"
    )
    if cols[1].button("Remove", key="budget_remove") and victim is not None:
        try:
            session.client().delete_budget(project_id, str(victim))
        except ApiError as exc:
            st.error("Only project admins can remove budgets." if exc.status == 403 else escape_markdown(str(exc)))
        else:
            st.rerun()


def section(project_id: str) -> None:
    """The budgets section of the Settings page."""
    st.subheader(f"Budgets of {project_id}")
    st.caption("A budget raises one alert when spend first reaches its limit (Security page and the live feed).")
    try:
        budgets = session.client().budgets(project_id)
    except ApiError as exc:
        if exc.status not in (403, 404):
            raise
        st.info("Members of the project can see its budgets.")
        return
    if budgets:
        st.dataframe(budgets_frame(budgets).drop(columns=["id"]), hide_index=True, width="stretch")
    else:
        st.caption("No budgets yet.")
    _add(project_id)
    _remove(project_id, budgets)
