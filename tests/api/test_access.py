"""Tenant isolation (S1) and the role x route matrix generated from OpenAPI (S7)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.api import otlp
from tests.api.alerts import insert_alert
from tests.api.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, Api, Dataset

ROLES = ("anonymous", "outsider", "viewer", "member", "admin", "superuser")

# Least privilege needed for each route. A new route without an entry fails test_matrix_covers_every_route.
MATRIX: dict[tuple[str, str], str] = {
    ("POST", "/api/v1/auth/login"): "anonymous",
    ("GET", "/healthz"): "anonymous",
    ("GET", "/readyz"): "anonymous",
    ("GET", "/api/v1/users/me"): "outsider",
    ("PATCH", "/api/v1/users/me"): "outsider",
    ("GET", "/api/v1/users"): "superuser",
    ("POST", "/api/v1/users"): "superuser",
    ("GET", "/api/v1/projects"): "outsider",
    ("POST", "/api/v1/projects"): "superuser",
    ("GET", "/api/v1/projects/{project_id}"): "viewer",
    ("GET", "/api/v1/projects/{project_id}/members"): "viewer",
    ("PUT", "/api/v1/projects/{project_id}/members"): "admin",
    ("DELETE", "/api/v1/projects/{project_id}/members/{user_id}"): "admin",
    ("GET", "/api/v1/projects/{project_id}/api-keys"): "member",
    ("POST", "/api/v1/projects/{project_id}/api-keys"): "admin",
    ("DELETE", "/api/v1/projects/{project_id}/api-keys/{key_id}"): "admin",
    ("GET", "/api/v1/projects/{project_id}/budgets"): "viewer",
    ("POST", "/api/v1/projects/{project_id}/budgets"): "admin",
    ("DELETE", "/api/v1/projects/{project_id}/budgets/{budget_id}"): "admin",
    ("GET", "/api/v1/traces"): "viewer",
    ("GET", "/api/v1/traces/{trace_id}"): "viewer",
    ("GET", "/api/v1/traces/{trace_id}/steps"): "viewer",
    ("GET", "/api/v1/sessions"): "viewer",
    ("GET", "/api/v1/sessions/{session_id}"): "viewer",
    ("GET", "/api/v1/analytics/cost"): "viewer",
    ("GET", "/api/v1/analytics/usage"): "viewer",
    ("GET", "/api/v1/alerts"): "viewer",
    ("POST", "/api/v1/alerts/{alert_id}/ack"): "member",
}


def _routes(api: Api) -> list[tuple[str, str]]:
    spec = httpx.get(api.url + "/openapi.json").json()
    return sorted((m.upper(), p) for p, ops in spec["paths"].items() for m in ops)


def test_matrix_covers_every_route(api: Api) -> None:
    routes = _routes(api)
    missing = [r for r in routes if r not in MATRIX]
    assert not missing, f"routes without an RBAC matrix entry: {missing}"
    assert not [r for r in MATRIX if r not in routes], "stale matrix entries"


@dataclass
class World:
    """Project A with one user per role, an alert, and project B's IDs."""

    tokens: dict[str, str | None]
    ids: dict[str, str]


@pytest.fixture(scope="module")
def world(api: Api, dataset: Dataset) -> World:
    tokens: dict[str, str | None] = {"anonymous": None, "superuser": api.admin}
    for role in ("viewer", "member", "admin"):
        tokens[role] = api.new_user(dataset.project_a, role)[1]
    tokens["outsider"] = api.new_user(dataset.project_b, "admin")[1]
    with api.http(api.admin) as c:
        key_b = c.get(f"/projects/{dataset.project_b}/api-keys").json()[0]["id"]
        members_b = c.get(f"/projects/{dataset.project_b}/members").json()
    ids = {
        "project_id": dataset.project_a,
        "trace_id": dataset.traces_a[0],
        "session_id": dataset.session,
        "alert_id": insert_alert(api, dataset.project_a, dataset.traces_a[0]),
        "b_project_id": dataset.project_b,
        "b_trace_id": dataset.trace_b,
        "b_key_id": key_b,
        "b_user_id": members_b[0]["user_id"],
        "b_alert_id": insert_alert(api, dataset.project_b, dataset.trace_b),
    }
    return World(tokens, ids)


ALLOWED_STATUS: dict[tuple[str, str], int] = {
    # The body names a wrong current password, so the matrix changes no one's password (which would end
    # the caller's sessions); the route's own 400 for it shows the call got past authorisation.
    ("PATCH", "/api/v1/users/me"): 400,
}
"""Routes whose allowed call answers other than 2xx with the bodies below; every other route must succeed."""


def _body(method: str, path: str) -> dict[str, Any] | None:
    bodies: dict[tuple[str, str], Callable[[], dict[str, Any]]] = {
        ("POST", "/api/v1/auth/login"): lambda: {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD},
        ("PATCH", "/api/v1/users/me"): lambda: {"current_password": "wrong-password", "new_password": "n" * 10},
        ("POST", "/api/v1/users"): lambda: {"email": f"m-{uuid.uuid4().hex[:8]}@example.com", "password": "p" * 10},
        ("POST", "/api/v1/projects"): lambda: {"name": "matrix"},
        ("PUT", "/api/v1/projects/{project_id}/members"): lambda: {"email": "admin@example.com", "role": "admin"},
        ("POST", "/api/v1/projects/{project_id}/api-keys"): lambda: {"name": "matrix"},
        ("POST", "/api/v1/projects/{project_id}/budgets"): lambda: {"scope": "project", "limit_usd": 1},
    }
    make = bodies.get((method, path))
    return make() if make else None


def _call(
    api: Api, token: str | None, method: str, path: str, ids: dict[str, str], fresh: dict[str, str] | None = None
) -> int:
    values = {**ids, **(fresh or {})}
    url = re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), "00" * 8), path)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    r = httpx.request(method, api.url + url, json=_body(method, path), headers=headers, timeout=30)
    return r.status_code


def _fresh_targets(api: Api, project: str) -> dict[str, str]:
    """A throwaway member and key in ``project`` for DELETE routes (so every call has a real target)."""
    uid, _ = api.new_user(project, "viewer")
    with api.http(api.admin) as c:
        key_id = c.post(f"/projects/{project}/api-keys", json={"name": "victim"}).json()["id"]
        budget_id = c.post(f"/projects/{project}/budgets", json={"scope": "project", "limit_usd": 1}).json()["id"]
    return {"user_id": uid, "key_id": key_id, "budget_id": budget_id}


@pytest.mark.parametrize("role", ROLES)
def test_role_route_matrix(api: Api, world: World, role: str) -> None:
    failures = []
    for method, path in _routes(api):
        needed = MATRIX[(method, path)]
        fresh = _fresh_targets(api, world.ids["project_id"]) if method == "DELETE" else None
        status = _call(api, world.tokens[role], method, path, world.ids, fresh)
        allowed = ROLES.index(role) >= ROLES.index(needed)
        if needed == "superuser":
            allowed = role == "superuser"
        project_scoped = needed in ("viewer", "member", "admin")
        if allowed:  # a 404 or 422 would mean the call never reached the route's work
            expected = ALLOWED_STATUS.get((method, path))
            ok = status == expected if expected else 200 <= status < 300
        elif role == "anonymous":
            ok = status == 401
        elif role == "outsider" and project_scoped:
            ok = status in (404, 200)  # invisible project: 404; list routes answer with nothing of A
        else:
            ok = status == 403
        if not ok:
            failures.append((method, path, status))
    assert not failures, f"{role}: {failures}"


def test_outsider_lists_see_nothing_of_other_projects(api: Api, world: World) -> None:
    token = world.tokens["outsider"]
    with api.http(token) as c:
        traces = c.get("/traces").json()["items"]
        sessions = c.get("/sessions").json()["items"]
        projects = [p["id"] for p in c.get("/projects").json()]
    assert {t["project_id"] for t in traces} <= {world.ids["b_project_id"]}
    assert sessions == []
    assert world.ids["project_id"] not in projects


def test_every_id_route_answers_404_across_tenants(api: Api, world: World) -> None:
    """A member of A addressing B's IDs through every route with a path parameter gets 404."""
    b_ids = {k.removeprefix("b_"): v for k, v in world.ids.items() if k.startswith("b_")}
    b_ids["session_id"] = "no-such-session"
    checked = 0
    for method, path in _routes(api):
        if "{" not in path:
            continue
        status = _call(api, world.tokens["admin"], method, path, b_ids)
        assert status == 404, (method, path, status)
        checked += 1
    assert checked >= 10
    with api.http(world.tokens["admin"]) as c:
        for path in (
            "/traces",
            "/sessions",
            "/alerts",
            "/analytics/cost",
            "/analytics/usage",
            f"/traces/{world.ids['trace_id']}",
        ):
            assert c.get(path, params={"project_id": world.ids["b_project_id"]}).status_code == 404, path


def test_payload_cannot_choose_its_project(api: Api) -> None:
    """A span claiming project B in its attributes lands in the key's project A."""
    project_a, project_b = api.new_project("claims-a"), api.new_project("claims-b")
    tid = otlp.new_trace_id()
    claims = {"project_id": project_b, "agentstate.project": project_b, "ProjectId": project_b}
    api.ingest(api.new_key(project_a), [otlp.Span("claims-b", tid, attributes=claims)], resource=claims)
    sql = f"SELECT ProjectId FROM {api.platform.database}.otel_traces WHERE TraceId = {{t:String}}"
    assert api.platform.wait_rows(f"SELECT count() FROM ({sql})", {"t": tid}, 1) == 1
    assert api.platform.query(sql, {"t": tid}) == [(project_a,)]
    _, b_admin = api.new_user(project_b, "admin")
    with api.http(b_admin) as c:
        assert c.get(f"/traces/{tid}").status_code == 404
    with api.http(api.admin) as c:
        assert c.get(f"/traces/{tid}").json()["project_id"] == project_a


def test_ack_marks_alert_acknowledged(api: Api, world: World) -> None:
    alert_id = world.ids["alert_id"]
    with api.http(world.tokens["member"]) as c:
        r = c.post(f"/alerts/{alert_id}/ack")
        assert r.status_code == 200
        page = c.get("/alerts", params={"project_id": world.ids["project_id"]}).json()
        unacked = c.get("/alerts", params={"project_id": world.ids["project_id"], "acknowledged": False}).json()
    mine = [a for a in page["items"] if a["alert_id"] == alert_id]
    assert mine and mine[0]["acknowledged"] and mine[0]["severity"] == "high"
    assert alert_id not in [a["alert_id"] for a in unacked["items"]]
    with api.http(world.tokens["admin"]) as c:
        summary = c.get("/traces", params={"project_id": world.ids["project_id"], "limit": 1000}).json()
    counts = {t["trace_id"]: t["alert_count"] for t in summary["items"]}
    assert counts[world.ids["trace_id"]] >= 1
