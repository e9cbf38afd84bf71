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

from agentstate.semconv import dialects as D

_JSON_KEYS: Final = {direction: key for direction, (key, _) in D.API_MESSAGE_LISTS.items()}
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


def messages(attrs: Mapping[str, str], direction: str) -> Any:
    """Input or output messages of an LLM span (``direction`` is ``input`` or ``output``), or None."""
    raw = attrs.get(_JSON_KEYS[direction])
    if raw:
        return parse_value(raw)
    flat = _unflatten(attrs, _FLAT[direction])
    return flat or None


def system_instructions(attrs: Mapping[str, str]) -> Any:
    """System instructions given apart from the chat history, or None."""
    return parse_value(attrs.get(D.SYSTEM_INSTRUCTIONS_KEY))


def tool_arguments(attrs: Mapping[str, str]) -> Any:
    """Arguments a tool ran with, or None."""
    return parse_value(_first(attrs, D.API_TOOL_ARGUMENTS))


def tool_result(attrs: Mapping[str, str]) -> Any:
    """What a tool returned, or None."""
    return parse_value(_first(attrs, D.API_TOOL_RESULT))


def io_value(attrs: Mapping[str, str], direction: str) -> Any:
    """Generic input/output of any span (OpenInference ``input.value``, OpenLLMetry entity I/O)."""
    return parse_value(_first(attrs, D.API_IO[direction]))


def step_type(operation: str) -> str:
    """Classify a span for the Time Machine from its normalised GenAI operation (``span`` if none)."""
    return D.STEP_KINDS.get(operation.strip().lower(), "span")
