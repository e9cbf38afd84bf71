"""Build API-shaped objects (``TraceDetail`` spans, steps) for the UI's unit tests."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

T0 = datetime(2025, 1, 1, 12, 0, 0, tzinfo=timezone.utc)


def genai(**over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "operation": "",
        "provider": "",
        "request_model": "",
        "response_model": "",
        "input_tokens": 0,
        "output_tokens": 0,
        "cache_read_tokens": 0,
        "cache_write_tokens": 0,
        "reasoning_tokens": 0,
        "cost_usd": 0.0,
        "agent_name": "",
        "tool_name": "",
        "session_id": "",
        "user_id": "",
        "input_messages": None,
        "output_messages": None,
        "system_instructions": None,
        "tool_arguments": None,
        "tool_result": None,
    }
    return {**base, **over}


def span(
    span_id: str,
    parent: str = "",
    *,
    start_ms: float = 0,
    dur_ms: float = 10,
    op: str = "",
    error: bool = False,
    tokens: tuple[int, int] = (0, 0),
    cost: float = 0.0,
    name: str | None = None,
    attributes: dict[str, str] | None = None,
    **gen: Any,
) -> dict[str, Any]:
    return {
        "span_id": span_id,
        "parent_span_id": parent,
        "depth": 0,
        "child_ids": [],
        "name": name or span_id,
        "kind": "Internal",
        "service_name": "svc",
        "start_time": (T0 + timedelta(milliseconds=start_ms)).isoformat(),
        "duration_ms": dur_ms,
        "status_code": "Error" if error else "Ok",
        "status_message": "boom" if error else "",
        "attributes": attributes or {},
        "resource_attributes": {"service.name": "svc"},
        "events": [],
        "links": [],
        "genai": genai(operation=op, input_tokens=tokens[0], output_tokens=tokens[1], cost_usd=cost, **gen),
    }


def detail(spans: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "trace_id": "ab" * 16,
        "project_id": "p",
        "start_time": T0.isoformat(),
        "duration_ms": 100.0,
        "span_count": len(spans),
        "truncated": False,
        "root_span_ids": [],
        "spans": spans,
    }


def step(
    index: int,
    type_: str,
    name: str,
    *,
    span_id: str | None = None,
    parent: str = "",
    tool: str = "",
    args: Any = None,
    model: str = "",
    **over: Any,
) -> dict[str, Any]:
    base: dict[str, Any] = {
        "index": index,
        "span_id": span_id or f"s{index}",
        "parent_span_id": parent,
        "name": name,
        "type": type_,
        "start_time": T0.isoformat(),
        "duration_ms": 1.0,
        "status_code": "Ok",
        "model": model,
        "agent_name": "",
        "tool_name": tool,
        "input": None,
        "output": None,
        "input_messages": None,
        "output_messages": None,
        "tool_arguments": args,
        "tool_result": None,
        "input_tokens": 0,
        "output_tokens": 0,
        "cost_usd": 0.0,
        "new_messages": [],
        "changes": [],
    }
    return {**base, **over}
