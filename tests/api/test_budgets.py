"""Budgets managed per project over the API: validation, roles, the Redis mirror the cost workers read,
and spend against each budget from the real cost calculator's rows."""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from agentstate.semconv.streams import BUDGETS_HASH
from tests.api import otlp
from tests.api.conftest import Api
from tests.conftest import spawn, stop_proc


@pytest.fixture(scope="module")
def cost_worker(api: Api, tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The real cost calculator (``agentstate worker cost``) on the platform's streams."""
    log = tmp_path_factory.mktemp("cost") / "cost.log"
    env = {**os.environ, "AGENTSTATE_REDIS_URL": api.platform.redis_url, "AGENTSTATE_CONSUMER_NAME": "budget-test"}
    proc = spawn(["worker", "cost"], env, log)
    yield
    stop_proc(proc)


def _post(api: Api, project: str, body: dict[str, Any], token: str | None = None) -> Any:
    with api.http(token or api.admin) as c:
        return c.post(f"/projects/{project}/budgets", json=body)


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"scope": "user", "limit_usd": 1, "period": "session"}, id="session-period-needs-session-scope"),
        pytest.param({"scope": "project", "limit_usd": 1, "key": "x"}, id="project-takes-no-key"),
        pytest.param({"scope": "user", "limit_usd": 0}, id="zero-limit"),
        pytest.param({"scope": "team", "limit_usd": 1}, id="unknown-scope"),
        pytest.param({"scope": "user", "limit_usd": 1, "extra": 1}, id="unknown-field"),
    ],
)
def test_bad_budgets_are_refused(api: Api, body: dict[str, Any]) -> None:
    project = api.new_project("budget-bad")
    assert _post(api, project, body).status_code == 422


def test_roles_and_lifecycle(api: Api) -> None:
    project = api.new_project("budget-roles")
    _, viewer = api.new_user(project, "viewer")
    _, member = api.new_user(project, "member")
    assert _post(api, project, {"scope": "project", "limit_usd": 5}, token=member).status_code == 403
    created = _post(
        api, project, {"scope": "session", "limit_usd": "0.25", "period": "session", "key": "s-1", "severity": "medium"}
    )
    assert created.status_code == 201, created.text
    budget = created.json()
    assert (budget["limit_usd"], budget["period"], budget["key"], budget["spent_usd"]) == (0.25, "session", "s-1", 0)
    mirror = redis.Redis.from_url(api.platform.redis_url).hgetall(BUDGETS_HASH)
    assert json.loads(mirror[budget["id"].encode()]) == {
        "id": budget["id"],
        "project_id": project,
        "scope": "session",
        "limit_usd": "0.25",
        "period": "session",
        "key": "s-1",
        "severity": "medium",
    }
    with api.http(viewer) as c:
        assert [b["id"] for b in c.get(f"/projects/{project}/budgets").json()] == [budget["id"]]
        assert c.delete(f"/projects/{project}/budgets/{budget['id']}").status_code == 403
    with api.http(api.admin) as c:
        assert c.delete(f"/projects/{project}/budgets/{budget['id']}").status_code == 204
        assert c.delete(f"/projects/{project}/budgets/{budget['id']}").status_code == 404
        assert c.get(f"/projects/{project}/budgets").json() == []
    assert budget["id"].encode() not in redis.Redis.from_url(api.platform.redis_url).hgetall(BUDGETS_HASH)


def test_other_projects_budgets_are_invisible(api: Api) -> None:
    a, b = api.new_project("budget-a"), api.new_project("budget-b")
    _, member_of_a = api.new_user(a, "admin")
    # outsiders get 404, as for every project route: a project's existence is not disclosed
    assert _post(api, b, {"scope": "project", "limit_usd": 1}, token=member_of_a).status_code == 404
    made = _post(api, b, {"scope": "project", "limit_usd": 1}).json()
    with api.http(member_of_a) as c:
        assert c.get(f"/projects/{b}/budgets").status_code == 404
        assert c.delete(f"/projects/{a}/budgets/{made['id']}").status_code == 404


def test_spend_against_each_budget(api: Api, cost_worker: None) -> None:
    project = api.new_project("budget-spend")
    key = api.new_key(project)
    spans = []
    for user, model in (("alice", "gpt-4o"), ("alice", "gpt-4o"), ("bob", "gpt-4o-mini")):
        run = otlp.agent_run(
            otlp.new_trace_id(),
            time.time_ns() - 5_000_000_000,
            model=model,
            user=user,
            session=f"s-{uuid.uuid4().hex[:4]}",
        )
        for span in run:
            span.attributes["user.id"] = user  # as SDKs that propagate the user do (@observe, OpenLLMetry)
        spans += run
    api.ingest(key, spans)
    api.wait_spans(project, len(spans))  # the writer has migrated every table by then
    db = api.platform.database
    n = api.platform.wait_rows(
        f"SELECT uniqExact(SpanId) FROM {db}.cost_metrics WHERE ProjectId = {{p:String}}", {"p": project}, 6, timeout=60
    )
    assert n == 6, "the cost worker priced 6 chat spans"
    per_user = dict(
        api.platform.query(
            f"SELECT UserId, sum(c) FROM (SELECT any(UserId) AS UserId, any(CostUsd) AS c FROM {db}.cost_metrics "
            "WHERE ProjectId = {p:String} GROUP BY SpanId) GROUP BY UserId",
            {"p": project},
        )
    )
    assert per_user["alice"] > per_user["bob"] > 0
    ids = [
        _post(api, project, body).json()["id"]
        for body in (
            {"scope": "project", "limit_usd": "0.000001"},
            {"scope": "user", "limit_usd": 100},
            {"scope": "user", "limit_usd": 100, "key": "bob"},
        )
    ]
    deadline = time.monotonic() + 45  # the API caches the table list for 30 s: cost_metrics may be new to it
    with api.http(api.admin) as c:
        while True:
            listed = {b["id"]: b for b in c.get(f"/projects/{project}/budgets").json()}
            if listed[ids[0]]["spent_usd"] > 0 or time.monotonic() > deadline:
                break
            time.sleep(1)
    whole, each_user, bob = (listed[i] for i in ids)
    assert whole["spent_usd"] == pytest.approx(sum(per_user.values())) and whole["used"] > 1
    assert (each_user["spent_by"], each_user["spent_usd"]) == ("alice", pytest.approx(per_user["alice"]))
    assert (bob["spent_by"], bob["spent_usd"]) == ("bob", pytest.approx(per_user["bob"]))


def test_mirror_is_rebuilt_at_start(api: Api, tmp_path: Path) -> None:
    project = api.new_project("budget-resync")
    made = _post(api, project, {"scope": "project", "limit_usd": 3}).json()
    r = redis.Redis.from_url(api.platform.redis_url)
    r.delete(BUDGETS_HASH)
    import asyncio

    from redis.asyncio import Redis as AsyncRedis

    from agentstate.api import budgets

    async def resync() -> int:
        client = AsyncRedis.from_url(api.platform.redis_url)
        try:
            return await budgets.mirror(api.server.app.state.api.db, client)
        finally:
            await client.aclose()

    assert asyncio.run(resync()) >= 1
    assert made["id"].encode() in r.hgetall(BUDGETS_HASH)


def test_a_budget_set_in_the_api_alerts_from_the_cost_worker(api: Api, cost_worker: None) -> None:
    project = api.new_project("budget-enforced")
    key = api.new_key(project)
    made = _post(api, project, {"scope": "project", "limit_usd": "0.000001", "severity": "critical"})
    assert made.status_code == 201
    time.sleep(6)  # the cost worker re-reads the mirror every 5 s
    api.ingest(key, otlp.agent_run(otlp.new_trace_id(), time.time_ns() - 1_000_000_000, model="gpt-4o"))
    db = api.platform.database
    api.wait_spans(project, 4)
    n = api.platform.wait_rows(
        f"SELECT count() FROM {db}.security_alerts FINAL WHERE ProjectId = {{p:String}} "
        "AND RuleId = 'budget.project.day'",
        {"p": project},
        1,
        timeout=60,
    )
    assert n == 1
    severity, message = api.platform.query(
        f"SELECT Severity, Message FROM {db}.security_alerts FINAL WHERE ProjectId = {{p:String}} "
        "AND RuleId = 'budget.project.day'",
        {"p": project},
    )[0]
    assert severity == "critical" and "budget $0.000001" in message
