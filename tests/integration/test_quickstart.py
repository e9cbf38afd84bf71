"""The quick start: `agentstate up --demo` on a fresh data dir gives a working platform whose API
shows the demo agent's traces (the plain-Python example agent's), logging in with the credentials
`up` prints."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from agentstate.cli.demo_agent import ANSWER_MODEL, ROUTER_MODEL, SERVICE_NAME
from tests.conftest import free_ports, wait_http

pytestmark = pytest.mark.slow


def _get(url: str, token: str) -> object:
    req = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read())


def test_up_demo_then_api_lists_the_demo_traces(tmp_path: Path) -> None:
    names = ("AGENTSTATE_HTTP_PORT", "AGENTSTATE_GRPC_PORT", "AGENTSTATE_API_PORT")
    ports = {name: str(port) for name, port in zip(names, free_ports(3), strict=True)}
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGENTSTATE_")}
    env.update(ports)
    log = tmp_path / "up.log"
    with open(log, "wb") as out:
        up = subprocess.Popen(
            [sys.executable, "-m", "agentstate.cli", "up", "--data-dir", str(tmp_path / "d"), "--no-ui", "--demo"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 120
        while "demo traces sent" not in log.read_text() and time.monotonic() < deadline:
            assert up.poll() is None, log.read_text()
            time.sleep(0.3)
        text = log.read_text()
        assert "demo traces sent and stored" in text, text
        email, password = re.search(r"Log in as\s+(\S+) / (\S+)", text).groups()  # type: ignore[union-attr]
        api = f"http://127.0.0.1:{ports['AGENTSTATE_API_PORT']}"
        wait_http(api + "/healthz", 30)
        req = urllib.request.Request(
            api + "/api/v1/auth/login",
            method="POST",
            data=json.dumps({"email": email, "password": password}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=10) as resp:
            token = json.loads(resp.read())["access_token"]
        page = _get(api + "/api/v1/traces?limit=50", token)
        items = page["items"]  # type: ignore[index]
        assert len(items) == 5
        assert {t["root_span_name"] for t in items} == {"invoke_agent travel-assistant"}
        assert all(t["span_count"] == 4 and t["total_tokens"] > 0 for t in items)
        assert sum(1 for t in items if t["error"]) == 1
        # The traces are the plain-Python example agent's (examples/plain_python.py): its service
        # name, both its models, and answers from its scripted model, whose response IDs only it makes.
        assert {t["service_name"] for t in items} == {SERVICE_NAME}
        assert all(sorted(t["models"]) == sorted([ROUTER_MODEL, ANSWER_MODEL]) for t in items)
        (failed,) = [t for t in items if t["error"]]
        detail = _get(api + f"/api/v1/traces/{failed['trace_id']}", token)
        spans = {s["name"]: s for s in detail["spans"]}  # type: ignore[index]
        assert all(s["genai"]["session_id"] == failed["session_id"] for s in spans.values())
        refused = spans["execute_tool read_file"]
        assert refused["status_code"] == "Error"
        assert "system_prompt.txt is not one of the user's files" in refused["status_message"]
        chats = [s for name, s in spans.items() if name.startswith("chat ")]
        assert len(chats) == 2
        assert all(s["attributes"]["gen_ai.response.id"].startswith("chatcmpl-demo-") for s in chats)
    finally:
        up.send_signal(signal.SIGTERM)
        assert up.wait(90) == 0, log.read_text()
