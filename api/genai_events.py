"""GenAI log events (OTLP log records tied to a span) as the span's messages.

Some instrumentations send a call's messages as log events rather than span attributes: the
official OpenAI instrumentation on the v1.30 conventions emits ``gen_ai.system.message``,
``gen_ai.user.message``, ``gen_ai.assistant.message``, ``gen_ai.tool.message`` and one
``gen_ai.choice`` per answer; on the latest conventions, one
``gen_ai.client.inference.operation.details`` event carrying ``gen_ai.input.messages`` /
``gen_ai.output.messages`` / ``gen_ai.system_instructions``. The writer stores them in ``otel_logs``
with the trace and span IDs. This module turns one span's events into the message shape span
attributes use (OTel GenAI ``{"role", "parts"}``), so the chat view and the Time Machine read both the
same way. Pure: events in, messages out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, NamedTuple

from agentstate.api.genai import parse_value
from agentstate.semconv import dialects as D

_CHOICE: Final = "gen_ai.choice"
_ROLE_EVENTS: Final = {f"gen_ai.{role}.message": role for role in ("system", "user", "assistant", "tool")}
_INPUT_KEY, _OUTPUT_KEY = (D.API_MESSAGE_LISTS[d][0] for d in ("input", "output"))


class LogEvent(NamedTuple):
    """One stored log record of a span: when, its event name, body and attributes (as stored)."""

    time_ns: int
    name: str
    body: str
    attributes: Mapping[str, str]


@dataclass
class EventMessages:
    """What a span's events say it was given and answered (None where they say nothing)."""

    input: list[Any] | None = None
    output: list[Any] | None = None
    system: Any = None


def _text_parts(content: Any) -> list[dict[str, Any]]:
    if content is None or content == "":
        return []
    if isinstance(content, list):  # OpenAI content parts: [{"type": "text", "text": ...}, ...]
        out: list[dict[str, Any]] = []
        for item in content:
            if isinstance(item, dict) and "text" in item:
                out.append({"type": "text", "content": item["text"]})
            else:
                out.append(item if isinstance(item, dict) else {"type": "text", "content": item})
        return out
    return [{"type": "text", "content": content}]


def _tool_call_parts(calls: Any) -> list[dict[str, Any]]:
    if not isinstance(calls, list):
        return []
    out: list[dict[str, Any]] = []
    for call in calls:
        if not isinstance(call, dict):
            continue
        inner = call.get("function")
        fn: dict[str, Any] = inner if isinstance(inner, dict) else call
        arguments = fn.get("arguments")
        out.append(
            {
                "type": "tool_call",
                "id": call.get("id", ""),
                "name": fn.get("name", ""),
                "arguments": parse_value(arguments) if isinstance(arguments, str) else arguments,
            }
        )
    return out


def _message(role: str, body: Mapping[str, Any]) -> dict[str, Any]:
    """A v1.30 message event's body (``content``, ``tool_calls``, ``id``) as a parts message."""
    if role == "tool":
        parts = [{"type": "tool_call_response", "id": body.get("id", ""), "response": body.get("content")}]
    else:
        parts = _text_parts(body.get("content")) + _tool_call_parts(body.get("tool_calls"))
    return {"role": role, "parts": parts}


def _body(event: LogEvent) -> dict[str, Any]:
    value = parse_value(event.body)
    if isinstance(value, dict):
        return value
    return {"content": value} if value is not None else {}


def _choice(body: Mapping[str, Any]) -> dict[str, Any]:
    message = body.get("message")
    msg = _message(str((message or {}).get("role") or "assistant"), message if isinstance(message, dict) else {})
    if body.get("finish_reason"):
        msg["finish_reason"] = body["finish_reason"]
    return msg


def event_messages(events: Sequence[LogEvent]) -> EventMessages:
    """Input, output and system messages from one span's GenAI events, in time order."""
    out = EventMessages()
    inputs: list[Any] = []
    choices: list[tuple[int, dict[str, Any]]] = []
    for event in sorted(events, key=lambda e: e.time_ns):
        attrs = event.attributes
        if attrs.get(_INPUT_KEY) or attrs.get(_OUTPUT_KEY) or attrs.get(D.SYSTEM_INSTRUCTIONS_KEY):
            # one event with the whole call, as the span attributes would carry it
            for key, field in ((_INPUT_KEY, "input"), (_OUTPUT_KEY, "output")):
                value = parse_value(attrs.get(key))
                if isinstance(value, list):
                    setattr(out, field, value)
            out.system = parse_value(attrs.get(D.SYSTEM_INSTRUCTIONS_KEY)) or out.system
        elif event.name in _ROLE_EVENTS:
            body = _body(event)
            inputs.append(_message(str(body.get("role") or _ROLE_EVENTS[event.name]), body))
        elif event.name == _CHOICE:
            body = _body(event)
            index = body.get("index")
            choices.append((index if isinstance(index, int) else len(choices), _choice(body)))
    if inputs:
        out.input = (out.input or []) + inputs
    if choices:
        out.output = (out.output or []) + [msg for _, msg in sorted(choices, key=lambda c: c[0])]
    return out
