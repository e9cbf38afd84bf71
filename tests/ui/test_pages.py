"""Every page under Streamlit's AppTest, against the real API with real ingested data."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from agentstate.ui import app as app_module
from tests.api.conftest import Api
from tests.ui.conftest import AGENT, BIG_AGENTS, BIG_PER_AGENT, XSS, UiData

TIMEOUT = 120


@pytest.fixture(autouse=True)
def _api_url(api: Api, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("AGENTSTATE_API_URL", api.url)
    yield


def _view(name: str) -> None:
    import importlib

    importlib.import_module(f"agentstate.ui.views.{name}").render()


def page(name: str, token: str, project: str | None = None, **query: str) -> AppTest:
    at = AppTest.from_function(_view, args=(name,), default_timeout=TIMEOUT)
    at.session_state["as_token"] = token
    if project:
        at.session_state["as_project"] = project
    for k, v in query.items():
        at.query_params[k] = v
    return at.run()


def texts(at: AppTest) -> str:
    """Every text-ish element's value, joined (what a user would read)."""
    parts: list[str] = []
    for kind in ("title", "subheader", "markdown", "caption", "text", "code", "info", "warning", "error", "success"):
        parts += [str(e.value) for e in at.get(kind)]
    parts += [f"{m.label}={m.value}" for m in at.metric]
    return "\n".join(parts)


def open_tab(at: AppTest) -> str:
    """The label of the tab the span panel opens on (the tab container's default)."""
    box = at.get("tab_container")[0]
    tab: Any = box.children[box.proto.tab_container.default_tab_index]
    return str(tab.label)


def frames(at: AppTest) -> list[Any]:
    return [d.value for d in at.dataframe]


def ok(at: AppTest) -> AppTest:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def test_login_then_traces_page(ui_data: UiData) -> None:
    at = AppTest.from_file(app_module.__file__, default_timeout=TIMEOUT).run()
    assert at.button[0].label == "Log in" or at.get("form_submit_button")
    at.text_input(key="login_email").input(ui_data.email)
    at.text_input(key="login_password").input(ui_data.password)
    at.get("form_submit_button")[0].click()
    at.run()
    ok(at)
    assert at.session_state["as_token"]
    assert at.title[0].value == "Traces"
    assert ui_data.project in at.sidebar.selectbox[0].options or any(
        ui_data.project in o for o in at.sidebar.selectbox[0].options
    )


def test_login_rejects_a_wrong_password(ui_data: UiData) -> None:
    at = AppTest.from_file(app_module.__file__, default_timeout=TIMEOUT).run()
    at.text_input(key="login_email").input("nobody@example.com")
    at.text_input(key="login_password").input("wrong-password")
    at.get("form_submit_button")[0].click()
    at.run()
    assert [e.value for e in at.error] == ["Invalid email or password."]
    assert "as_token" not in at.session_state


def test_traces_table_filters_and_search(api: Api, ui_data: UiData) -> None:
    at = ok(page("traces", api.admin, ui_data.project))
    table = frames(at)[0]
    assert set(ui_data.runs) <= set(table["trace_id"])
    assert {ui_data.xss_trace, ui_data.big_trace} <= set(table["trace_id"])
    assert list(table["start"]) == sorted(table["start"], reverse=True)  # newest first
    at.selectbox(key="traces_status").select("error").run()
    errors = set(frames(ok(at))[0]["trace_id"])
    assert ui_data.runs[1] in errors and ui_data.runs[0] not in errors
    at.selectbox(key="traces_status").select("any")
    at.text_input(key="traces_q").input("3+3").run()
    assert list(frames(ok(at))[0]["trace_id"]) == [ui_data.runs[2]]
    at.text_input(key="traces_q").input("")
    at.text_input(key="traces_agent").input(AGENT).run()
    assert set(frames(ok(at))[0]["trace_id"]) == set(ui_data.runs)


def test_trace_detail_tree_waterfall_and_panel(api: Api, ui_data: UiData) -> None:
    at = ok(page("trace", api.admin, ui_data.project, trace_id=ui_data.runs[0]))
    tree = frames(at)[0]
    assert len(tree) == 4
    assert tree["kind"].tolist() == ["agent", "LLM", "tool", "LLM"]
    assert tree.loc[0, "subtree_tokens"] == 275  # 120 + 155 rolled up to the root
    assert len(at.get("vega_lite_chart")) == 1
    assert "Spans=4" in texts(at)
    root, llm = tree.loc[0, "span_id"], tree.loc[1, "span_id"]
    assert f"span id: {root}" in texts(at)  # the panel opens on the root
    at.selectbox(key="trace_span_pick").set_value(llm).run()
    body = texts(ok(at))
    assert f"span id: {llm}" in body and f"parent: {root}" in body  # the panel shows the linked span
    assert "model: gpt-4o" in body and "Tokens in / out=100 / 20" in body
    assert open_tab(at) == "Chat" and len(at.chat_message) == 2  # the question and the tool call


def test_trace_detail_opens_on_the_error(api: Api, ui_data: UiData) -> None:
    at = page("trace", api.admin, ui_data.project, trace_id=ui_data.runs[1])
    assert not at.exception
    assert any("Error" in e.value for e in at.error)  # the failing tool span is selected and flagged
    assert "🔧 execute\\_tool calc" in texts(at)  # Markdown-escaped name
    assert "Errors=1" in texts(at)


def test_llm_span_shows_chat_and_telemetry_only_as_text(api: Api, ui_data: UiData) -> None:
    at = page("trace", api.admin, ui_data.project, trace_id=ui_data.xss_trace)
    tree = frames(at)[0]
    llm = tree.loc[tree["kind"] == "LLM", "span_id"].iloc[0]
    assert len(at.chat_message) == 0  # the root (an agent span) has no chat
    assert open_tab(at) == "Attributes"
    at.selectbox(key="trace_span_pick").set_value(llm).run()
    assert len(ok(at).chat_message) >= 2  # the question and the answer
    assert open_tab(at) == "Chat"  # an LLM span opens on its conversation, not on raw attributes
    linked = ok(page("trace", api.admin, ui_data.project, trace_id=ui_data.xss_trace, span_id=llm))
    assert len(linked.chat_message) == len(at.chat_message)  # a link with span_id opens on that span
    shown = [m.value for m in at.markdown]
    assert any(m.startswith("&lt;script&gt;window\\.\\_\\_xss = 1&lt;/script&gt; \\*\\*not bold") for m in shown), shown
    assert not any("<script" in m for m in shown)
    assert all(not getattr(m.proto, "allow_html", False) for m in at.markdown)
    root = ok(page("trace", api.admin, ui_data.project, trace_id=ui_data.xss_trace))
    attributes = next(f for f in frames(root) if "attribute" in f.columns)
    assert XSS in attributes["value"].tolist()  # shown as a plain table cell
    tool = tree.loc[tree["kind"] == "tool", "span_id"].iloc[0]
    root.selectbox(key="trace_span_pick").set_value(tool).run()
    assert open_tab(ok(root)) == "Tool"  # a tool span opens on its arguments and result


def test_big_trace_opens_folded_and_fast(api: Api, ui_data: UiData) -> None:
    t = time.perf_counter()
    at = page("trace", api.admin, ui_data.project, trace_id=ui_data.big_trace)
    assert not at.exception
    assert [e.value for e in at.error] == ["Error\\: boom"]  # opens on the first failed tool call
    elapsed = time.perf_counter() - t
    tree = frames(at)[0]
    # The root and its sub-agents, all folded but the one holding the first failure, which is selected.
    assert len(tree) == 2 + BIG_AGENTS + BIG_PER_AGENT
    assert tree["span"].str.contains("▸").sum() == BIG_AGENTS - 1
    assert "Spans=2,000" in texts(at)
    assert tree.loc[1, "subtree_spans"] == BIG_PER_AGENT + 1
    # Failures below a folded row still show on it.
    assert (tree.loc[tree["kind"] == "agent", "status"] == "⚠️").sum() == BIG_AGENTS + 1
    at.button(key="trace_expand_all").click().run()
    assert not at.exception
    assert len(frames(at)[0]) == 2000
    assert elapsed < 20  # a loose bound here; the browser test measures the real render time


def test_time_machine_steps_and_compare(api: Api, ui_data: UiData) -> None:
    at = ok(page("time_machine", api.admin, ui_data.project, trace_id=ui_data.runs[0]))
    assert "4 steps" in texts(at)
    assert at.subheader[0].value.startswith("Step 1 of 4")  # numbered from 1, as the caption counts
    at.button(key="tm_next").click().run()
    assert at.subheader[0].value.startswith("Step 2 of 4")
    assert "The LLM was asked" in texts(at) and "What changed since the previous step" in texts(at)
    assert "➕ **user**: What is 2\\+2?" in texts(at)  # a message added, in words, not cut-off JSON
    at.button(key="tm_last").click().run()
    assert at.subheader[0].value.startswith("Step 4 of 4")
    at.slider(key="tm_step").set_value(3).run()
    body = texts(ok(at))
    assert "Tool ran:" in body and "Where this step sits on the decision path" in body
    assert 'calc\\(\\{"e"\\: "2\\+2"\\}\\)**: 4' in body  # the tool result joins the state
    others = at.selectbox(key="tm_other").options
    pick = next(o for o in others if ui_data.runs[2][:8] in o)
    at.selectbox(key="tm_other").select_index(others.index(pick)).run()
    assert "The runs diverge at step 3." in texts(ok(at))


def test_sessions_conversation(api: Api, ui_data: UiData) -> None:
    at = ok(page("sessions", api.admin, ui_data.project))
    assert ui_data.session in frames(at)[0]["session"].tolist()
    at = ok(page("sessions", api.admin, ui_data.project, session_id=ui_data.session, project_id=ui_data.project))
    assert f"Session {ui_data.session}" in texts(at)
    assert "Traces=2" in texts(at)
    assert len(at.chat_message) == 4  # two turns: question and answer each


def test_analytics_charts_and_csv(api: Api, ui_data: UiData) -> None:
    at = ok(page("analytics", api.admin, ui_data.project))
    assert len(at.get("vega_lite_chart")) == 4
    assert len(at.get("download_button")) >= 5
    top = frames(at)[0]
    assert len(top) > 0 and {"trace_id", "cost_usd"} <= set(top.columns)
    at.selectbox(key="analytics_bucket").select("day").run()
    ok(at)


def test_security_feed_evidence_and_ack(api: Api, ui_data: UiData) -> None:
    at = ok(page("security", api.admin, ui_data.project))
    assert ui_data.alert_id in frames(at)[0]["alert_id"].tolist()
    assert "matched: " + XSS in [c.value for c in at.code]  # evidence shown verbatim as code text
    at.button(key="alert_ack").click().run()
    at = ok(page("security", api.admin, ui_data.project))  # opens on the open alerts
    open_ids = frames(at)[0]["alert_id"].tolist() if at.dataframe else []
    assert ui_data.alert_id not in open_ids
    assert open_ids or "No alerts match." in texts(at)
    at.selectbox(key="alerts_status").select("acknowledged").run()
    assert ui_data.alert_id in frames(ok(at))[0]["alert_id"].tolist()


def test_settings_keys_and_snippets(api: Api, ui_data: UiData) -> None:
    at = ok(page("settings", api.admin, ui_data.project))
    before = len(frames(at)[0])
    at.text_input(key="settings_key_name").input("from-ui")
    at.get("form_submit_button")[0].click()
    at.run()
    codes = [c.value for c in ok(at).code]
    new_key = next(c for c in codes if c.startswith("as_") and "\n" not in c)
    assert any(f"Bearer {new_key}" in c for c in codes)  # snippets carry the new key
    assert len(frames(at)[0]) == before + 1
    at.button(key="settings_key_done").click().run()
    assert new_key not in [c.value for c in at.code]  # shown once
    options = at.selectbox(key="settings_revoke_pick").options
    at.selectbox(key="settings_revoke_pick").select_index(
        next(i for i, o in enumerate(options) if o.startswith("from-ui"))
    )
    at.button(key="settings_revoke").click().run()
    keys = frames(ok(at))[0]
    assert keys.loc[keys["name"] == "from-ui", "revoked"].iloc[0] != ""


def test_settings_budgets_add_show_spend_and_remove(api: Api, ui_data: UiData) -> None:
    at = ok(page("settings", api.admin, ui_data.project))
    assert "Budgets of" in texts(at)
    at.selectbox(key="budget_scope").select("user")
    at.number_input(key="budget_limit").set_value(0.5)
    at.text_input(key="budget_key").input("alice")
    at.selectbox(key="budget_severity").select("critical")
    next(b for b in at.get("form_submit_button") if b.label == "Add budget").click()
    at.run()
    budgets = next(f for f in frames(ok(at)) if "budget" in f.columns)
    row = budgets.loc[budgets["budget"] == "alice, per UTC day"].iloc[0]
    assert (row["limit"], row["severity"]) == ("$0.50", "critical")
    with api.http(api.admin) as c:
        (made,) = [b for b in c.get(f"/projects/{ui_data.project}/budgets").json() if b["key"] == "alice"]
    assert (made["scope"], made["limit_usd"], made["period"]) == ("user", 0.5, "day")
    at.selectbox(key="budget_remove_pick").select(made["id"])
    at.button(key="budget_remove").click().run()
    with api.http(api.admin) as c:
        assert not [b for b in c.get(f"/projects/{ui_data.project}/budgets").json() if b["key"] == "alice"]


def test_budget_form_values_become_the_api_body() -> None:
    from agentstate.ui.views.budgets import budget_body

    assert budget_body("project", 5.0, "session", "ignored", "high") == {
        "scope": "project",
        "limit_usd": "5.0",
        "severity": "high",
        "period": "day",
    }
    assert budget_body("session", 0.25, "session", " s-1 ", "low") == {
        "scope": "session",
        "limit_usd": "0.25",
        "severity": "low",
        "period": "session",
        "key": "s-1",
    }
