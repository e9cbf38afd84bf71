"""Sessions, analytics and alerts against ingested data."""

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


def test_sessions_list_and_detail(api: Api, dataset: Dataset) -> None:
    page = _get(api, "/sessions", project_id=dataset.project_a)
    assert [s["session_id"] for s in page["items"]] == [dataset.session]
    s = page["items"][0]
    assert (s["trace_count"], s["user_id"], s["project_id"]) == (3, "alice", dataset.project_a)
    detail = _get(api, f"/sessions/{dataset.session}")
    assert [t["trace_id"] for t in detail["traces"]] == dataset.traces_a[:3]
    assert _get(api, "/sessions", project_id=dataset.project_a, user_id="bob")["items"] == []


def test_session_totals_cover_every_span_of_its_traces(api: Api, dataset: Dataset) -> None:
    """Only the root agent span carries ``session.id``; its LLM children carry the tokens."""
    (s,) = _get(api, "/sessions", project_id=dataset.project_a)["items"]
    # 3 runs of root + 2 chats + tool: 250 input / 25 output tokens per run, on the chat spans only
    assert (s["span_count"], s["input_tokens"], s["output_tokens"]) == (12, 750, 75)
    detail = _get(api, f"/sessions/{dataset.session}")
    assert (detail["session"]["span_count"], detail["session"]["input_tokens"]) == (12, 750)
    assert s["cost_usd"] == pytest.approx(sum(t["cost_usd"] for t in detail["traces"]))


def test_unknown_session_is_404(api: Api, dataset: Dataset) -> None:
    with api.http(api.admin) as c:
        assert c.get("/sessions/nope-nope").status_code == 404


@pytest.mark.parametrize(
    ("group_by", "expected"),
    [
        pytest.param("model", {"gpt-4o": 6, "claude-3": 6}, id="model"),
        pytest.param("provider", {"openai": 12}, id="provider"),
        pytest.param("service", {"shop": 12}, id="service"),
    ],
)
def test_cost_groups_llm_calls(api: Api, dataset: Dataset, group_by: str, expected: dict[str, int]) -> None:
    series = _get(api, "/analytics/cost", project_id=dataset.project_a, group_by=group_by, bucket="day")
    calls: dict[str, int] = {}
    for p in series["points"]:
        calls[p["key"]] = calls.get(p["key"], 0) + p["calls"]
    # GenAI spans: root (invoke_agent), 2 chats, 1 tool per run -> only spans with a key count
    counted = {k: v for k, v in calls.items() if k}
    if group_by == "model":
        assert counted == expected
    else:
        assert sum(counted.values()) >= sum(expected.values())
    tokens = sum(p["input_tokens"] for p in series["points"])
    assert tokens == 6 * 250


def test_usage_has_percentiles_and_error_rate(api: Api, dataset: Dataset) -> None:
    series = _get(api, "/analytics/usage", project_id=dataset.project_a, group_by="service", bucket="week")
    (point,) = series["points"]
    assert point["key"] == "shop" and point["spans"] == 24 and point["errors"] == 1
    assert point["error_rate"] == pytest.approx(1 / 24)
    assert point["p50_ms"] <= point["p95_ms"] <= point["p99_ms"]
    assert 1.0 <= point["p50_ms"] <= 50.0


def test_alerts_empty_for_a_project_without_alerts(api: Api) -> None:
    page = _get(api, "/alerts", project_id=api.new_project("quiet"))
    assert page == {"items": [], "next_cursor": None}


@pytest.mark.parametrize(
    ("model", "family"),
    [
        pytest.param("gpt-4o-mini-2024-07-18", "gpt-4o-mini", id="openai-dated"),
        pytest.param("gpt-4o-mini", "gpt-4o-mini", id="openai-alias"),
        pytest.param("gpt-4-0613", "gpt-4", id="openai-mmdd"),
        pytest.param("claude-3-5-sonnet-20241022", "claude-3-5-sonnet", id="anthropic"),
        pytest.param("claude-3-7-sonnet-latest", "claude-3-7-sonnet", id="latest"),
        pytest.param("anthropic.claude-3-haiku-20240307-v1:0", "anthropic.claude-3-haiku", id="bedrock"),
        pytest.param("gemini-2.0-flash-001", "gemini-2.0-flash-001", id="gemini-kept"),
        pytest.param("llama-3.1-8b-instant", "llama-3.1-8b-instant", id="llama-kept"),
        pytest.param("o1-preview-2024-09-12", "o1-preview", id="o1"),
    ],
)
def test_model_family_expression(api: Api, model: str, family: str) -> None:
    from agentstate.api.analytics import MODEL_FAMILY

    rows = api.platform.query(f"SELECT {MODEL_FAMILY} FROM (SELECT {{m:String}} AS GenAiRequestModel)", {"m": model})
    assert rows[0][0] == family


def test_cost_by_model_groups_versions_with_the_exact_one_a_click_away(api: Api) -> None:
    from tests.api import otlp

    project = api.new_project("versions")
    key = api.new_key(project)
    base = time.time_ns() - 600_000_000_000
    spans = otlp.agent_run(otlp.new_trace_id(), base, model="gpt-4o-mini")
    spans += otlp.agent_run(otlp.new_trace_id(), base + 1_000_000_000, model="gpt-4o-mini-2024-07-18")
    api.ingest(key, spans)
    api.wait_spans(project, len(spans))

    def calls(group_by: str) -> dict[str, int]:
        out: dict[str, int] = {}
        for p in _get(api, "/analytics/cost", project_id=project, group_by=group_by, bucket="day")["points"]:
            out[p["key"]] = out.get(p["key"], 0) + p["calls"]
        return out

    assert calls("model") == {"gpt-4o-mini": 4}
    assert calls("model_version") == {"gpt-4o-mini": 2, "gpt-4o-mini-2024-07-18": 2}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        pytest.param({"since": "0500-02-11T07:00:01Z", "until": "0001-01-01T00:00+00:02"}, "until", id="until-year-0"),
        pytest.param({"since": "0001-01-01T00:00:00+00:02"}, "since", id="since-year-0"),
        pytest.param({"until": "0001-01-01T00:30:00Z"}, "until", id="no-default-window-before"),
        pytest.param({"until": "9999-12-31T23:59:00-01:00"}, "until", id="until-year-10000"),
    ],
)
def test_windows_outside_the_calendar_are_422_not_500(api: Api, params: dict[str, str], field: str) -> None:
    # found by the API fuzz test: a UTC offset pushed the date out of datetime's years 1-9999
    with api.http(api.admin) as c:
        for path in ("/analytics/cost", "/analytics/usage", "/alerts"):
            r = c.get(path, params={"project_id": api.new_project("dates"), **params})
            assert r.status_code == 422, (path, r.status_code, r.text)
            assert r.json()["detail"][0]["loc"] == ["query", field], r.text
