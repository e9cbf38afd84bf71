"""Trace list, detail and Time Machine steps against data ingested through the receiver."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.api.conftest import Api, Dataset


def _get(api: Api, path: str, **params: Any) -> Any:
    with api.http(api.admin) as c:
        r = c.get(path, params=params)
    assert r.status_code == 200, r.text
    return r.json()


def test_list_returns_summaries_newest_first(api: Api, dataset: Dataset) -> None:
    page = _get(api, "/traces", project_id=dataset.project_a)
    ids = [t["trace_id"] for t in page["items"]]
    assert ids == list(reversed(dataset.traces_a))
    first = page["items"][0]
    assert first["root_span_name"] == "agent.run"
    assert first["service_name"] == "shop"
    assert first["span_count"] == 4
    assert (first["input_tokens"], first["output_tokens"], first["total_tokens"]) == (250, 25, 275)
    assert first["error"] is True  # trace 5 has a failing tool call
    assert first["duration_ms"] == pytest.approx(50.0)
    assert page["next_cursor"] is None


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        pytest.param({"model": "gpt-4o"}, [1, 3, 5], id="model"),
        pytest.param({"session_id": "SESSION"}, [0, 1, 2], id="session"),
        pytest.param({"user_id": "bob"}, [3, 4, 5], id="user"),
        pytest.param({"status": "error"}, [5], id="status-error"),
        pytest.param({"status": "ok"}, [0, 1, 2, 3, 4], id="status-ok"),
        pytest.param({"service": "shop", "model": "claude-3"}, [0, 2, 4], id="two-filters"),
        pytest.param({"service": "nope"}, [], id="no-match"),
        pytest.param({"agent": "planner", "min_duration_ms": 49}, [0, 1, 2, 3, 4, 5], id="agent-duration"),
        pytest.param({"min_duration_ms": 51}, [], id="too-long"),
        pytest.param({"q": "CALC"}, [0, 1, 2, 3, 4, 5], id="free-text-name"),
        pytest.param({"q": "2+2"}, [0, 1, 2, 3, 4, 5], id="free-text-attribute"),
        pytest.param({"q": "zebra"}, [], id="free-text-miss"),
        pytest.param({"min_cost": 0}, [0, 1, 2, 3, 4, 5], id="min-cost-zero"),
    ],
)
def test_filters(api: Api, dataset: Dataset, params: dict[str, Any], expected: list[int]) -> None:
    if params.get("session_id") == "SESSION":
        params = {**params, "session_id": dataset.session}
    page = _get(api, "/traces", project_id=dataset.project_a, **params)
    got = sorted(dataset.traces_a.index(t["trace_id"]) for t in page["items"])
    assert got == expected


@pytest.mark.parametrize("sort", ["start", "duration"])
@pytest.mark.parametrize("order", ["asc", "desc"])
def test_cursor_pagination_visits_every_trace_once(api: Api, dataset: Dataset, sort: str, order: str) -> None:
    seen: list[str] = []
    cursor = None
    for _ in range(10):
        params: dict[str, Any] = {"project_id": dataset.project_a, "limit": 4, "sort": sort, "order": order}
        if cursor:
            params["cursor"] = cursor
        page = _get(api, "/traces", **params)
        seen += [t["trace_id"] for t in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(dataset.traces_a)
    if sort == "start":
        assert seen == (dataset.traces_a if order == "asc" else list(reversed(dataset.traces_a)))


def test_detail_is_a_tree_with_genai_fields(api: Api, dataset: Dataset) -> None:
    tid = dataset.traces_a[5]
    detail = _get(api, f"/traces/{tid}")
    assert detail["project_id"] == dataset.project_a
    assert detail["span_count"] == 4
    spans = detail["spans"]
    root = spans[0]
    assert root["depth"] == 0 and detail["root_span_ids"] == [root["span_id"]]
    assert [s["depth"] for s in spans] == [0, 1, 1, 1]
    assert root["child_ids"] == [s["span_id"] for s in spans[1:]]
    llm = spans[1]
    assert llm["genai"]["operation"] == "chat"
    assert llm["genai"]["request_model"] == "gpt-4o"
    assert llm["genai"]["provider"] == "openai"
    assert llm["genai"]["input_tokens"] == 100
    assert llm["genai"]["input_messages"][0]["role"] == "user"
    tool = spans[2]
    assert tool["genai"]["tool_name"] == "calc"
    assert tool["genai"]["tool_arguments"] == {"e": "2+2"}
    assert tool["status_code"] == "Error"
    assert spans[3]["events"][0]["name"] == "gen_ai.choice"
    assert root["resource_attributes"]["service.name"] == "shop"


def test_steps_show_io_and_changes(api: Api, dataset: Dataset) -> None:
    steps = _get(api, f"/traces/{dataset.traces_a[0]}/steps")["steps"]
    assert [s["type"] for s in steps] == ["agent", "llm", "tool", "llm"]
    assert steps[0]["input"] == "What is 2+2?" and steps[0]["output"] == "4"
    assert steps[2]["tool_arguments"] == {"e": "2+2"} and steps[2]["tool_result"] == "4"
    # The second LLM call sees the tool call and its result as new messages.
    assert [m["role"] for m in steps[3]["new_messages"]] == ["assistant", "tool"]
    changed = {c["field"] for c in steps[3]["changes"]}
    assert {"type", "input_messages", "output_messages", "model"} <= changed
    assert [s["index"] for s in steps] == [0, 1, 2, 3]


def test_unknown_trace_is_404(api: Api, dataset: Dataset) -> None:
    with api.http(api.admin) as c:
        assert c.get("/traces/" + "ab" * 16).status_code == 404
        assert c.get("/traces/" + "ab" * 16 + "/steps").status_code == 404


def test_detail_found_before_the_trace_window_row_lands(api: Api) -> None:
    """``otel_traces_trace_id_ts`` is filled by a materialized view committed just after the spans:
    a trace read in between (simulated by deleting its window row) still returns every span."""
    from tests.api import otlp

    project = api.new_project("window")
    key = api.new_key(project)
    tid = otlp.new_trace_id()
    api.ingest(key, otlp.agent_run(tid, time.time_ns(), model="gpt-4o"), service="shop")
    api.wait_spans(project, 4)
    api.platform.query("DELETE FROM agentstate.otel_traces_trace_id_ts WHERE TraceId = {t:String}", {"t": tid})
    assert api.platform.query(
        "SELECT count() FROM agentstate.otel_traces_trace_id_ts WHERE TraceId = {t:String}", {"t": tid}
    ) == [(0,)]
    detail = _get(api, f"/traces/{tid}")
    assert detail["span_count"] == 4 and len(detail["spans"]) == 4
