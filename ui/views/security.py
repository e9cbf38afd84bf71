"""Security: the alert feed with filters; an alert's evidence, a link to its span, acknowledge."""

from __future__ import annotations

import streamlit as st

from agentstate.ui import data, links, session
from agentstate.ui import format as fmt
from agentstate.ui.client import ApiError
from agentstate.ui.format import escape_markdown
from agentstate.ui.schema import Alert
from agentstate.ui.tables import SEVERITY_ICON, alerts_frame
from agentstate.ui.widgets import picked_row, run_guarded, scope, time_range

_ACK = {"all": None, "open": False, "acknowledged": True}


def _label(a: Alert) -> str:
    return f"{a['severity']} · {a['rule_id']} · {a['title']} · {fmt.when(a['time'])}"


def _alert(alert: Alert) -> None:
    st.subheader(escape_markdown(f"{SEVERITY_ICON.get(alert['severity'], '')} {alert['title']}"))
    st.text(
        f"rule {alert['rule_id']} · severity {alert['severity']} · {fmt.when(alert['time'])} · "
        f"trace {alert['trace_id']} · span {alert['span_id']}"
    )
    st.caption("Evidence")
    st.code(alert["detail"] or "(none)", language=None, wrap_lines=True)
    cols = st.columns([1, 1, 4])
    if cols[0].button("Open span", key="alert_open", icon=":material/account_tree:"):
        links.go(links.TRACE, trace_id=alert["trace_id"], project_id=alert["project_id"], span_id=alert["span_id"])
    if alert["acknowledged"]:
        cols[1].success(f"Acknowledged {fmt.when(alert['acknowledged_at'] or '')}")
    elif cols[1].button("Acknowledge", key="alert_ack", type="primary"):
        try:
            session.client().ack_alert(alert["alert_id"], alert["project_id"])
        except ApiError as exc:
            st.error("You need the member role to acknowledge." if exc.status == 403 else escape_markdown(str(exc)))
        else:
            data.alerts.clear()
            st.toast("Alert acknowledged")
            st.rerun()


def _page() -> None:
    st.title("Security")
    cols = st.columns([2, 1, 2, 1])
    since = time_range("alerts_range", default="Last 7 days", container=cols[0])
    severity = cols[1].selectbox("Severity", ["any", "critical", "high", "medium", "low"], key="alerts_severity")
    rule = cols[2].text_input("Rule", key="alerts_rule")
    status = cols[3].selectbox("Status", list(_ACK), index=1, key="alerts_status")
    params = {
        **scope(),
        "since": since,
        "severity": None if severity == "any" else severity,
        "rule_id": rule.strip() or None,
        "acknowledged": _ACK[str(status)],
        "limit": 200,
    }
    page = data.alerts(session.api_url(), session.token() or "", data.freeze(params))
    items = page["items"]
    if not items:
        st.info("No alerts match.")
        return
    frame = alerts_frame(items)
    shown = [c for c in frame.columns if c not in ("alert_id", "project")]
    picked = picked_row(frame, "alerts_table", column_order=shown)
    chosen = st.selectbox("Alert", items, index=picked or 0, format_func=_label)
    if chosen is not None:
        st.divider()
        _alert(chosen)


def render() -> None:
    """The Security page."""
    run_guarded(_page)
