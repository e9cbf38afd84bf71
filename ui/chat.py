"""LLM messages of any dialect as one chat shape: role, texts, tool calls and tool results.

The API passes messages on as the span carried them: OTel GenAI ``parts``, OpenAI-style
``content``/``tool_calls``, or OpenInference/OpenLLMetry attributes unflattened into dicts with
dotted keys (``tool_calls.0.tool_call.function.name``). Pure; the page renders the result as text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from agentstate.ui.format import as_text


@dataclass(frozen=True)
class ToolCall:
    """The model asking for a tool."""

    name: str
    arguments: Any = None
    call_id: str = ""


@dataclass(frozen=True)
class ToolResult:
    """What a tool returned to the model."""

    content: Any
    call_id: str = ""


@dataclass
class ChatMessage:
    """One message of a conversation."""

    role: str
    texts: list[str] = field(default_factory=list)
    tool_calls: list[ToolCall] = field(default_factory=list)
    tool_results: list[ToolResult] = field(default_factory=list)
    finish_reason: str = ""


_FLAT_CALL = re.compile(r"^tool_calls\.(\d+)\.(?:tool_call\.)?(?:function\.)?(name|arguments|id)$")


def _text_of(content: Any) -> list[str]:
    if content is None or content == "":
        return []
    if isinstance(content, str):
        return [content]
    if isinstance(content, list):
        out: list[str] = []
        for item in content:
            if isinstance(item, dict):
                value = item.get("text", item.get("content"))
                out.extend(_text_of(value) if value is not None else [as_text(item)])
            else:
                out.extend(_text_of(item))
        return out
    return [as_text(content)]


def _from_parts(msg: ChatMessage, parts: list[Any]) -> None:
    for part in parts:
        if not isinstance(part, dict):
            msg.texts.extend(_text_of(part))
            continue
        kind = str(part.get("type", "text"))
        if kind == "tool_call":
            msg.tool_calls.append(ToolCall(str(part.get("name", "")), part.get("arguments"), str(part.get("id", ""))))
        elif kind == "tool_call_response":
            msg.tool_results.append(ToolResult(part.get("response", part.get("result")), str(part.get("id", ""))))
        else:
            msg.texts.extend(_text_of(part.get("content", part.get("text"))))


def _openai_calls(msg: ChatMessage, calls: list[Any]) -> None:
    for call in calls:
        if not isinstance(call, dict):
            continue
        inner = call.get("function")
        fn: dict[str, Any] = inner if isinstance(inner, dict) else call
        msg.tool_calls.append(ToolCall(str(fn.get("name", "")), fn.get("arguments"), str(call.get("id", ""))))


def _flat_calls(msg: ChatMessage, raw: dict[str, Any]) -> None:
    calls: dict[int, dict[str, Any]] = {}
    for key, value in raw.items():
        m = _FLAT_CALL.match(key)
        if m:
            calls.setdefault(int(m.group(1)), {})[m.group(2)] = value
    for i in sorted(calls):
        c = calls[i]
        msg.tool_calls.append(ToolCall(str(c.get("name", "")), c.get("arguments"), str(c.get("id", ""))))


def to_message(raw: Any, default_role: str = "user") -> ChatMessage:
    """One message of any dialect (a bare string is a message of ``default_role``)."""
    if not isinstance(raw, dict):
        return ChatMessage(role=default_role, texts=_text_of(raw))
    msg = ChatMessage(role=str(raw.get("role") or default_role), finish_reason=str(raw.get("finish_reason") or ""))
    if isinstance(raw.get("parts"), list):
        _from_parts(msg, raw["parts"])
    else:
        content = raw.get("content", raw.get("contents", raw.get("text")))
        if msg.role == "tool":
            msg.tool_results.append(ToolResult(content, str(raw.get("tool_call_id", ""))))
        else:
            msg.texts.extend(_text_of(content))
        if isinstance(raw.get("tool_calls"), list):
            _openai_calls(msg, raw["tool_calls"])
        _flat_calls(msg, raw)
    return msg


def to_messages(raw: Any, default_role: str = "user") -> list[ChatMessage]:
    """A message list of any dialect (one message or a JSON string is wrapped)."""
    if raw is None or raw == "":
        return []
    items = raw if isinstance(raw, list) else [raw]
    return [to_message(item, default_role) for item in items]


def system_messages(instructions: Any) -> list[ChatMessage]:
    """``gen_ai.system_instructions`` (a string or a list of parts) as system messages."""
    texts = _text_of(instructions)
    return [ChatMessage(role="system", texts=texts)] if texts else []


def conversation(system: Any, inputs: Any, outputs: Any) -> list[ChatMessage]:
    """The whole exchange of an LLM call: system instructions, what it was asked, what it answered."""
    return system_messages(system) + to_messages(inputs, "user") + to_messages(outputs, "assistant")


AVATARS = {"system": "⚙️", "user": "user", "assistant": "assistant", "tool": "🔧"}
"""``st.chat_message`` avatar per role (``user``/``assistant`` are Streamlit's built-in ones)."""


def avatar(role: str) -> str:
    """The avatar for a role (unknown roles get the assistant's)."""
    return AVATARS.get(role, "assistant")
