"""Build OTLP/JSON trace requests for the API tests (hex IDs, nanosecond strings)."""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any


def _value(v: Any) -> dict[str, Any]:
    if isinstance(v, bool):
        return {"boolValue": v}
    if isinstance(v, int):
        return {"intValue": str(v)}
    if isinstance(v, float):
        return {"doubleValue": v}
    if isinstance(v, (dict, list)):
        return {"stringValue": json.dumps(v)}
    return {"stringValue": str(v)}


def attrs(d: dict[str, Any]) -> list[dict[str, Any]]:
    """OTLP key/value list."""
    return [{"key": k, "value": _value(v)} for k, v in d.items()]


def new_trace_id() -> str:
    return secrets.token_hex(16)


def new_span_id() -> str:
    return secrets.token_hex(8)


@dataclass
class Span:
    """One span to send."""

    name: str
    trace_id: str
    span_id: str = field(default_factory=new_span_id)
    parent: str = ""
    start_ns: int = field(default_factory=time.time_ns)
    duration_ns: int = 1_000_000
    attributes: dict[str, Any] = field(default_factory=dict)
    error: bool = False
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    links: list[tuple[str, str]] = field(default_factory=list)
    kind: int = 1

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "traceId": self.trace_id,
            "spanId": self.span_id,
            "name": self.name,
            "kind": self.kind,
            "startTimeUnixNano": str(self.start_ns),
            "endTimeUnixNano": str(self.start_ns + self.duration_ns),
            "attributes": attrs(self.attributes),
            "status": {"code": 2, "message": "boom"} if self.error else {"code": 1},
            "events": [
                {"timeUnixNano": str(self.start_ns + 1000), "name": n, "attributes": attrs(a)} for n, a in self.events
            ],
            "links": [{"traceId": t, "spanId": s} for t, s in self.links],
        }
        if self.parent:
            out["parentSpanId"] = self.parent
        return out


def request(spans: list[Span], service: str = "svc", resource: dict[str, Any] | None = None) -> bytes:
    """An ExportTraceServiceRequest as OTLP/JSON."""
    res = {"service.name": service, **(resource or {})}
    body = {
        "resourceSpans": [
            {
                "resource": {"attributes": attrs(res)},
                "scopeSpans": [{"scope": {"name": "tests"}, "spans": [s.to_json() for s in spans]}],
            }
        ]
    }
    return json.dumps(body).encode()


def agent_run(
    trace_id: str,
    start_ns: int,
    *,
    model: str = "gpt-4o",
    session: str = "",
    user: str = "",
    agent: str = "planner",
    error: bool = False,
) -> list[Span]:
    """A small agent run: root agent span, two LLM calls and a tool call between them."""
    root_attrs = {
        "gen_ai.operation.name": "invoke_agent",
        "gen_ai.agent.name": agent,
        "input.value": "What is 2+2?",
        "output.value": "4",
        "session.id": session,
        "user.id": user,
    }
    root = Span(
        "agent.run",
        trace_id,
        start_ns=start_ns,
        duration_ns=50_000_000,
        attributes={k: v for k, v in root_attrs.items() if v},
    )
    q = [{"role": "user", "parts": [{"type": "text", "content": "What is 2+2?"}]}]
    call = [{"role": "assistant", "parts": [{"type": "tool_call", "name": "calc", "arguments": {"e": "2+2"}}]}]
    llm1 = Span(
        "chat " + model,
        trace_id,
        parent=root.span_id,
        start_ns=start_ns + 1_000_000,
        duration_ns=10_000_000,
        attributes={
            "gen_ai.operation.name": "chat",
            "gen_ai.provider.name": "openai",
            "gen_ai.request.model": model,
            "gen_ai.usage.input_tokens": 100,
            "gen_ai.usage.output_tokens": 20,
            "gen_ai.input.messages": q,
            "gen_ai.output.messages": call,
        },
    )
    tool = Span(
        "execute_tool calc",
        trace_id,
        parent=root.span_id,
        start_ns=start_ns + 12_000_000,
        duration_ns=2_000_000,
        error=error,
        attributes={
            "gen_ai.operation.name": "execute_tool",
            "gen_ai.tool.name": "calc",
            "gen_ai.tool.call.arguments": {"e": "2+2"},
            "gen_ai.tool.call.result": "4",
        },
    )
    q2 = [*q, *call, {"role": "tool", "parts": [{"type": "tool_call_response", "response": "4"}]}]
    llm2 = Span(
        "chat " + model,
        trace_id,
        parent=root.span_id,
        start_ns=start_ns + 15_000_000,
        duration_ns=10_000_000,
        attributes={
            "gen_ai.operation.name": "chat",
            "gen_ai.provider.name": "openai",
            "gen_ai.request.model": model,
            "gen_ai.usage.input_tokens": 150,
            "gen_ai.usage.output_tokens": 5,
            "gen_ai.input.messages": q2,
            "gen_ai.output.messages": [{"role": "assistant", "parts": [{"type": "text", "content": "4"}]}],
        },
        events=[("gen_ai.choice", {"index": 0})],
    )
    return [root, llm1, tool, llm2]
