"""``examples/plain_python.py`` run on its own, offline, against a running platform: its question
reaches its scripted model, the tool the model picks runs, and the whole trace is stored."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from agentstate.cli.demo_agent import SERVICE_NAME
from tests.conftest import Platform

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "plain_python.py"


def test_plain_python_example_sends_its_trace(platform: Platform, tmp_path: Path) -> None:
    project, key = platform.new_project()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AGENTSTATE_", "OTEL_", "OPENAI_"))}
    env |= {"AGENTSTATE_COLLECTOR_URL": platform.otlp_http_url, "AGENTSTATE_API_KEY": key}
    env |= {"AGENTSTATE_SPOOL_DIR": "off"}
    done = subprocess.run(
        [sys.executable, str(EXAMPLE), "Is the weather in Lisbon good today?"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert '-> Here is what I found: {"city": "Lisbon"' in done.stdout
    count = "SELECT count() FROM agentstate.otel_traces FINAL WHERE ProjectId = {p:String}"
    assert platform.wait_rows(count, {"p": project}, 4) == 4
    rows = platform.query(
        "SELECT ServiceName, SpanName, uniqExact(TraceId) OVER (), SpanAttributes['gen_ai.tool.call.arguments'], "
        "SpanAttributes['gen_ai.response.id'] FROM agentstate.otel_traces FINAL WHERE ProjectId = {p:String} "
        "ORDER BY Timestamp",
        {"p": project},
    )
    assert {r[0] for r in rows} == {SERVICE_NAME} and {r[2] for r in rows} == {1}
    assert [r[1] for r in rows] == [
        "invoke_agent travel-assistant",
        "chat gpt-4o-mini",
        "execute_tool get_weather",
        "chat gpt-4o",
    ]
    assert json.loads(rows[2][3]) == {"city": "Lisbon"}
    assert all(r[4].startswith("chatcmpl-demo-") for r in rows if r[1].startswith("chat "))
