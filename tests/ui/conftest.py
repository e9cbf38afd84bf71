"""UI fixtures: the real API (``tests/api/conftest.py``) over the shared platform, with UI test data.

Data goes in through the real receiver as OTLP, so every page reads what production would store.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import pytest

from tests.api import otlp
from tests.api.alerts import insert_alert
from tests.api.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, Api, api  # noqa: F401 - fixture re-exported

XSS = "<script>window.__xss = 1</script>"
"""Telemetry that must be displayed as these characters, never run."""

AGENT = "ui-planner"
BIG_AGENTS, BIG_PER_AGENT = 18, 110
"""The big trace: a root, 18 sub-agents with 110 calls each, and a final answer = 2,000 spans."""


@dataclass
class UiData:
    """One project with runs for every page."""

    project: str
    key: str
    runs: list[str]
    """Three runs of :data:`AGENT`; the third passes other tool arguments (diverges at its tool step)."""
    session: str
    xss_trace: str
    big_trace: str
    alert_id: str
    email: str = ADMIN_EMAIL
    password: str = ADMIN_PASSWORD


def big_trace(trace_id: str, start_ns: int) -> list[otlp.Span]:
    """A 2,000-span agent run: a root, sub-agents, and LLM and tool calls (every 10th tool fails)."""
    root = otlp.Span(
        "invoke_agent orchestrator",
        trace_id,
        start_ns=start_ns,
        duration_ns=60_000_000_000,
        attributes={"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "orchestrator"},
    )
    spans = [root]
    for a in range(BIG_AGENTS):
        sub_start = start_ns + a * 2_900_000_000
        sub = otlp.Span(
            f"invoke_agent worker-{a}",
            trace_id,
            parent=root.span_id,
            start_ns=sub_start,
            duration_ns=2_800_000_000,
            attributes={"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": f"worker-{a}"},
        )
        spans.append(sub)
        for i in range(BIG_PER_AGENT):
            llm = i % 2 == 0
            attrs: dict[str, Any] = (
                {
                    "gen_ai.operation.name": "chat",
                    "gen_ai.request.model": "gpt-4o-mini",
                    "gen_ai.provider.name": "openai",
                    "gen_ai.usage.input_tokens": 50,
                    "gen_ai.usage.output_tokens": 5,
                }
                if llm
                else {
                    "gen_ai.operation.name": "execute_tool",
                    "gen_ai.tool.name": "lookup",
                    "gen_ai.tool.call.arguments": {"i": i},
                    "gen_ai.tool.call.result": "ok",
                }
            )
            spans.append(
                otlp.Span(
                    ("chat gpt-4o-mini" if llm else "execute_tool lookup"),
                    trace_id,
                    parent=sub.span_id,
                    start_ns=sub_start + i * 28_000_000,
                    duration_ns=25_000_000,
                    attributes=attrs,
                    error=(not llm and i % 10 == 1),
                )
            )
    spans.append(
        otlp.Span(
            "chat gpt-4o",
            trace_id,
            parent=root.span_id,
            start_ns=start_ns + 59_000_000_000,
            duration_ns=900_000_000,
            attributes={
                "gen_ai.operation.name": "chat",
                "gen_ai.request.model": "gpt-4o",
                "gen_ai.usage.input_tokens": 4000,
                "gen_ai.usage.output_tokens": 300,
            },
        )
    )
    return spans


def _xss_run(trace_id: str, start_ns: int) -> list[otlp.Span]:
    spans = otlp.agent_run(trace_id, start_ns, agent="xss-agent")
    spans[0].attributes["note"] = XSS
    spans[1].attributes["gen_ai.input.messages"] = [
        {"role": "user", "parts": [{"type": "text", "content": XSS + " **not bold** [link](javascript:alert(1))"}]}
    ]
    return spans


@dataclass
class UiSpans:
    """What the UI tests send: small runs (one batch) and the 2,000-span trace (in batches)."""

    runs: list[str]
    session: str
    xss_trace: str
    xss_llm_span: str
    big_trace: str
    small: list[otlp.Span]
    big: list[otlp.Span]

    def batches(self, size: int = 400) -> list[list[otlp.Span]]:
        """Request-sized batches of every span."""
        return [self.small] + [self.big[i : i + size] for i in range(0, len(self.big), size)]


def ui_spans(base_ns: int) -> UiSpans:
    """Three runs of :data:`AGENT` (two in one session; the third diverges), the XSS run, the big trace."""
    session = f"ui-sess-{uuid.uuid4().hex[:6]}"
    runs, spans = [], []
    for i in range(3):
        tid = otlp.new_trace_id()
        runs.append(tid)
        run = otlp.agent_run(
            tid, base_ns + i * 30_000_000_000, agent=AGENT, session=session if i < 2 else "", user="alice", error=i == 1
        )
        if i == 2:
            run[2].attributes["gen_ai.tool.call.arguments"] = {"e": "3+3"}
        spans += run
    xss = otlp.new_trace_id()
    xss_spans = _xss_run(xss, base_ns + 100_000_000_000)
    big = otlp.new_trace_id()
    return UiSpans(
        runs, session, xss, xss_spans[1].span_id, big, spans + xss_spans, big_trace(big, base_ns + 200_000_000_000)
    )


def ingest_ui_data(api: Api, project: str, key: str, base_ns: int) -> UiData:  # noqa: F811
    """Send the UI spans through the receiver; insert an alert; wait until all is stored."""
    data = ui_spans(base_ns)
    for batch in data.batches():
        api.ingest(key, batch, service="ui-shop")
    api.wait_spans(project, len(data.small) + len(data.big))
    stored = api.platform.wait_rows(  # distinct: a redelivered batch may count twice in count()
        f"SELECT uniqExact(SpanId) FROM {api.platform.database}.otel_traces WHERE ProjectId = {{p:String}} "
        "AND TraceId = {t:String}",
        {"p": project, "t": data.big_trace},
        len(data.big),
        timeout=60,
    )
    assert stored == len(data.big), stored
    alert = insert_alert(api, project, data.xss_trace, data.xss_llm_span, evidence="matched: " + XSS)
    return UiData(project, key, data.runs, data.session, data.xss_trace, data.big_trace, alert)


@pytest.fixture(scope="session")
def ui_data(api: Api) -> UiData:  # noqa: F811 - the fixture imported above
    """The UI's project and data, ingested once per session."""
    import time

    project = api.new_project("ui")
    key = api.new_key(project)
    return ingest_ui_data(api, project, key, time.time_ns() - 1_800_000_000_000)
