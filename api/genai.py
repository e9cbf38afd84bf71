"""Pull what went in and out of a GenAI span from its attributes, across the three dialects.

OTel GenAI keeps messages as JSON strings (``gen_ai.input.messages``); OpenInference flattens them
(``llm.input_messages.0.message.content``); OpenLLMetry too (``gen_ai.prompt.0.content``). Pure
functions on a span's attribute map; nothing here touches I/O.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from agentstate.semconv import attributes as A

_FLAT = {
    "input": (re.compile(r"^llm\.input_messages\.(\d+)\.message\.(.+)$"),
              re.compile(r"^gen_ai\.prompt\.(\d+)\.(.+)$")),
    "output": (re.compile(r"^llm\.output_messages\.(\d+)\.message\.(.+)$"),
               re.compile(r"^gen_ai\.completion\.(\d+)\.(.+)$")),
}
_JSON_KEYS = {"input": A.GEN_AI_INPUT_MESSAGES, "output": A.GEN_AI_OUTPUT_MESSAGES}


def parse_value(text: str | None) -> Any:
    """A JSON attribute value decoded, or the string itself when it is not JSON."""
    if text is None or text == "":
        return None
    if text[:1] in "[{\"":
        try:
            return json.loads(text)
        except ValueError:
            return text
    return text


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


def tool_arguments(attrs: Mapping[str, str]) -> Any:
    """Arguments a tool ran with, or None."""
    return parse_value(attrs.get(A.GEN_AI_TOOL_CALL_ARGUMENTS) or attrs.get("tool.parameters"))


def tool_result(attrs: Mapping[str, str]) -> Any:
    """What a tool returned, or None."""
    return parse_value(attrs.get(A.GEN_AI_TOOL_CALL_RESULT))


def io_value(attrs: Mapping[str, str], direction: str) -> Any:
    """Generic input/output of any span (OpenInference ``input.value``, OpenLLMetry entity I/O)."""
    if direction == "input":
        raw = attrs.get(A.INPUT_VALUE) or attrs.get("traceloop.entity.input")
    else:
        raw = attrs.get(A.OUTPUT_VALUE) or attrs.get("traceloop.entity.output")
    return parse_value(raw)


def step_type(operation: str, attrs: Mapping[str, str]) -> str:
    """Classify a span for the Time Machine from its normalised GenAI operation."""
    op = operation.lower()
    if op in ("chat", "text_completion", "generate_content", "completion", "llm"):
        return "llm"
    if op in ("execute_tool", "tool"):
        return "tool"
    if op in ("invoke_agent", "create_agent", "agent"):
        return "agent"
    if op in ("embeddings", "embedding"):
        return "embedding"
    if op in ("retrieval", "retriever"):
        return "retrieval"
    if op in ("invoke_workflow", "workflow", "chain"):
        return "workflow"
    kind = attrs.get(A.SPAN_KIND, "").lower()
    return {"llm": "llm", "tool": "tool", "agent": "agent"}.get(kind, "span")
