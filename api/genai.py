"""What went in and out of a GenAI span, shown as the instrumentation wrote it, and its step kind.

Which attributes hold messages, tool I/O and generic I/O is the dialect table's
(``agentstate.semconv.dialects``), not this module's; the kind of step comes from the normalised
operation column alone. Pure functions on a span's attribute map; nothing here touches I/O.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any, Final

from agentstate.api.state_messages import state_messages, tool_message_content
from agentstate.semconv import dialects as D

_JSON_KEYS: Final = {direction: key for direction, (key, _) in D.API_MESSAGE_LISTS.items()}
_TOOL_ARGUMENTS: Final = tuple(dict.fromkeys(D.API_TOOL_ARGUMENTS[:1] + D.FIELD_KEYS["tool_arguments"]))
_TOOL_DEFINITION: Final = D.API_TOOL_ARGUMENTS[1:]
"""Last resort for a tool's arguments: OpenInference's ``tool.parameters`` is the tool's parameter
schema, so on a tool span the call's own input (``input.value``) is shown before it."""
_TOOL_RESULT: Final = tuple(dict.fromkeys(D.API_TOOL_RESULT + D.FIELD_KEYS["tool_result"]))
_FLAT: Final = {
    direction: tuple(re.compile(rx) for rx in patterns) for direction, (_, patterns) in D.API_MESSAGE_LISTS.items()
}


def parse_value(text: str | None) -> Any:
    """A JSON attribute value decoded, or the string itself when it is not JSON."""
    if text is None or text == "":
        return None
    if text[:1] in '[{"':
        try:
            return json.loads(text)
        except ValueError:
            return text
    return text


def _first(attrs: Mapping[str, str], keys: Sequence[str]) -> str | None:
    """The first non-empty value among ``keys``."""
    for key in keys:
        if value := attrs.get(key):
            return value
    return None


def _unflatten(attrs: Mapping[str, str], patterns: tuple[re.Pattern[str], ...]) -> list[dict[str, Any]]:
    for pattern in patterns:
        messages: dict[int, dict[str, Any]] = {}
        for key, value in attrs.items():
            m = pattern.match(key)
            if m:
                messages.setdefault(int(m.group(1)), {})[m.group(2)] = parse_value(value)
        if messages:
            return [messages[i] for i in sorted(messages)]
    return []


def _state(attrs: Mapping[str, str], direction: str) -> list[dict[str, Any]]:
    """The messages of the state in a span's generic I/O; for output, those its input lacked."""
    found = state_messages(parse_value(_first(attrs, D.API_IO[direction])))
    if direction == "output" and found:
        seen = {json.dumps(m, sort_keys=True, default=str) for m in _state(attrs, "input")}
        found = [m for m in found if json.dumps(m, sort_keys=True, default=str) not in seen]
    return found


def messages(attrs: Mapping[str, str], direction: str) -> Any:
    """Input or output messages of a span (``direction`` is ``input`` or ``output``), or None.

    A span whose generic I/O holds a message state (a LangGraph graph or node) shows the state's
    messages when they are more than the flattened list (OpenInference flattens only the first); its
    output shows the messages the span added.
    """
    raw = attrs.get(_JSON_KEYS[direction])
    if raw:
        return parse_value(raw)
    flat = _unflatten(attrs, _FLAT[direction])
    state = _state(attrs, direction)
    if len(state) > len(flat):
        return state
    return flat or None


def system_instructions(attrs: Mapping[str, str]) -> Any:
    """System instructions given apart from the chat history, or None."""
    return parse_value(attrs.get(D.SYSTEM_INSTRUCTIONS_KEY))


def _is_tool(operation: str) -> bool:
    return step_type(operation) == "tool"


def tool_arguments(attrs: Mapping[str, str], operation: str = "") -> Any:
    """Arguments a tool ran with, or None.

    The tool-call keys of every dialect first; on a tool span (``operation``) without them, its
    generic input (OpenInference ``input.value``, OpenLLMetry entity input).
    """
    raw = _first(attrs, _TOOL_ARGUMENTS)
    if raw is None and _is_tool(operation):
        raw = _first(attrs, D.API_IO["input"])
    if raw is None:
        raw = _first(attrs, _TOOL_DEFINITION)
    return parse_value(raw)


def tool_result(attrs: Mapping[str, str], operation: str = "") -> Any:
    """What a tool returned, or None (on a tool span, its generic output; a tool message's content)."""
    raw = _first(attrs, _TOOL_RESULT)
    if raw is None and _is_tool(operation):
        raw = _first(attrs, D.API_IO["output"])
    return tool_message_content(parse_value(raw))


def io_value(attrs: Mapping[str, str], direction: str) -> Any:
    """Generic input/output of any span (OpenInference ``input.value``, OpenLLMetry entity I/O)."""
    return parse_value(_first(attrs, D.API_IO[direction]))


def step_type(operation: str) -> str:
    """Classify a span for the Time Machine from its normalised GenAI operation (``span`` if none)."""
    return D.STEP_KINDS.get(operation.strip().lower(), "span")
