"""GenAI log events as normalised spans, so the security engine scans them like span messages.

Instrumentations in "events" mode send a model call's messages as OTLP log records tied to the
call's span (trace and span ID) instead of span attributes: on the v1.30 conventions one event per
message (``gen_ai.system.message``, ``gen_ai.user.message``, ``gen_ai.assistant.message``,
``gen_ai.tool.message``) and one ``gen_ai.choice`` per answer; on the latest conventions one
``gen_ai.client.inference.operation.details`` event carrying ``gen_ai.input.messages`` /
``gen_ai.output.messages`` / ``gen_ai.system_instructions`` as attributes.

The log writer decodes each log entry once (:func:`otlp_rows.logs_to_arrow`); this module groups one
entry's GenAI events by span and turns them into the attributes such a span would carry, which the
one normaliser reads. The result keeps the span's own IDs, so the engine's one alert per trace and
rule, and its loop counts keyed by span, hold whichever of span and events arrives first. Its
operation stays unknown: it is not billed (the span carries the usage) and feeds no baseline.
Pure: events in, attributes out.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

import orjson

from agentstate.processors.attr_values import as_json
from agentstate.processors.pricing import SpanRef
from agentstate.semconv import dialects as D

EventSeen = tuple[SpanRef, str, str, dict[str, str]]
"""One decoded log record with a span: its place (``SpanRef``, start = the record's time), event
name, body (as stored, before scrubbing) and attributes."""

_ROLE_EVENTS: Final = {f"gen_ai.{role}.message": role for role in ("system", "user", "assistant", "tool")}
_CHOICE: Final = "gen_ai.choice"
_EVENT_NAME_ATTRIBUTE: Final = "event.name"
_INPUT, _OUTPUT = D.API_MESSAGE_LISTS["input"][0], D.API_MESSAGE_LISTS["output"][0]
_LIST_KEYS: Final = (_INPUT, _OUTPUT, D.SYSTEM_INSTRUCTIONS_KEY)


def event_name(name: str, attributes: dict[str, str]) -> str:
    """The record's event name: the OTLP field, else the older ``event.name`` attribute."""
    return name or attributes.get(_EVENT_NAME_ATTRIBUTE, "")


def is_genai(name: str) -> bool:
    """Whether a record with this event name carries GenAI content."""
    return name.startswith("gen_ai.")


def _body(text: str) -> dict[str, Any]:
    parsed = as_json(text)
    return parsed if isinstance(parsed, dict) else {"content": text}


def _message(role: str, body: dict[str, Any]) -> dict[str, Any]:
    """An OpenAI-shaped message (the normaliser's tolerant parser reads it)."""
    msg: dict[str, Any] = {"role": body.get("role") or role, "content": body.get("content")}
    if body.get("tool_calls"):
        msg["tool_calls"] = body["tool_calls"]
    if role == "tool" and body.get("id"):
        msg["tool_call_id"] = body["id"]
    return msg


def span_attributes(events: Sequence[tuple[str, str, dict[str, str]]]) -> dict[str, str]:
    """The GenAI attributes one span's events stand for (``(event name, body, attributes)``, in order)."""
    attributes: dict[str, str] = {}
    inputs: list[dict[str, Any]] = []
    outputs: list[dict[str, Any]] = []
    for name, body, attrs in events:
        if name in _ROLE_EVENTS:
            inputs.append(_message(_ROLE_EVENTS[name], _body(body)))
        elif name == _CHOICE:
            choice = _body(body)
            message = choice.get("message") if isinstance(choice.get("message"), dict) else {}
            out = _message("assistant", message or {})
            if choice.get("finish_reason"):
                out["finish_reason"] = choice["finish_reason"]
            outputs.append(out)
        else:
            attributes.update({k: attrs[k] for k in _LIST_KEYS if attrs.get(k)})
    if inputs and _INPUT not in attributes:
        attributes[_INPUT] = orjson.dumps(inputs).decode()
    if outputs and _OUTPUT not in attributes:
        attributes[_OUTPUT] = orjson.dumps(outputs).decode()
    return attributes


def by_span(events: Sequence[EventSeen]) -> list[tuple[SpanRef, dict[str, str]]]:
    """One entry's GenAI events grouped per span (first seen first; events in time order)."""
    groups: dict[tuple[str, str, str], list[EventSeen]] = {}
    for event in events:
        ref = event[0]
        groups.setdefault((ref.project_id, ref.trace_id, ref.span_id), []).append(event)
    out = []
    for group in groups.values():
        group.sort(key=lambda e: e[0].start_time_unix_nano)
        attributes = span_attributes([(name, body, attrs) for _, name, body, attrs in group])
        if attributes:
            out.append((group[0][0], attributes))
    return out
