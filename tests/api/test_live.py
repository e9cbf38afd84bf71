"""``WS /live``: authenticated, project-scoped, and fast (within 2 s of ingest)."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from tests.api import otlp
from tests.api.conftest import Api, Dataset


def _ws(api: Api, token: str | None, project: str | None = None, header: bool = True) -> ClientConnection:
    url = api.url.replace("http://", "ws://") + "/api/v1/live" + (f"?project_id={project}" if project else "")
    headers = {"Authorization": f"Bearer {token}"} if token and header else None
    return connect(url, additional_headers=headers, open_timeout=10)


def _until(ws: ClientConnection, pred: Any, timeout: float) -> list[dict[str, Any]]:
    got: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            msg = json.loads(ws.recv(timeout=max(0.01, deadline - time.monotonic())))
        except TimeoutError:
            break
        got.append(msg)
        if pred(msg):
            break
    return got


@pytest.mark.parametrize("header", [True, False], ids=["bearer-header", "first-message"])
def test_pushes_new_traces_of_own_project_within_2s(api: Api, dataset: Dataset, header: bool) -> None:
    project = api.new_project("live")
    key = api.new_key(project)
    _, viewer = api.new_user(project, "viewer")
    with _ws(api, viewer, header=header) as ws:
        if not header:
            ws.send(json.dumps({"token": viewer}))
        ready = json.loads(ws.recv(timeout=10))
        assert ready == {"kind": "ready", "projects": [project]}
        tid_b, tid_a = otlp.new_trace_id(), otlp.new_trace_id()
        api.ingest(dataset.key_b, otlp.agent_run(tid_b, time.time_ns()))
        t0 = time.monotonic()
        api.ingest(key, otlp.agent_run(tid_a, time.time_ns()))
        got = _until(ws, lambda m: m["kind"] == "spans" and tid_a in m["trace_ids"], 10)
        elapsed = time.monotonic() - t0
    kinds = [(m["kind"], m.get("trace_id")) for m in got]
    assert ("trace", tid_a) in kinds
    assert got[-1]["kind"] == "spans" and got[-1]["count"] >= 4 and got[-1]["project"] == project
    assert elapsed < 2.0, elapsed
    assert all(m.get("project") == project for m in got)
    assert tid_b not in json.dumps(got)


@pytest.mark.parametrize(
    ("token", "project"),
    [
        pytest.param(None, None, id="no-token"),
        pytest.param("garbage", None, id="bad-token"),
        pytest.param("OUTSIDER", "A", id="other-project"),
    ],
)
def test_refuses_unauthorised_subscribers(api: Api, dataset: Dataset, token: str | None, project: str | None) -> None:
    if token == "OUTSIDER":
        token = api.new_user(dataset.project_b, "admin")[1]
    with _ws(api, token, dataset.project_a if project else None) as ws:
        if token is None:
            ws.send(json.dumps({"hello": 1}))
        with pytest.raises(ConnectionClosed) as info:
            ws.recv(timeout=10)
    assert info.value.rcvd is not None and info.value.rcvd.code == 1008
