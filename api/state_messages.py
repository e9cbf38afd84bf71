"""The messages of a LangChain / LangGraph state, read from a span's generic input or output.

Graph, node and agent spans (OpenInference ``CHAIN`` / ``AGENT``, OpenLLMetry workflow and task
spans) carry the state that reached them as JSON, e.g. ``{"messages": [...]}``. OpenInference also
flattens it into ``llm.input_messages``, but only the state's *first* message (it expects a batch of
conversations there), so a graph whose state starts with a system prompt shows that prompt and drops
the user's question. The state itself holds every message; this module reads them into OpenAI-style
dicts (``role``, ``content``, ``tool_calls``, ``tool_call_id``), a shape the chat view already reads.
Pure: parsed JSON in, messages out.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final

_ROLES: Final = {
    "human": "user",
    "user": "user",
    "ai": "assistant",
    "assistant": "assistant",
    "system": "system",
    "developer": "system",
    "tool": "tool",
    "function": "tool",
}
"""LangChain message types (and class names without ``Message``/``MessageChunk``) -> chat role."""

_WRAPPERS: Final = ("inputs", "outputs", "state")
"""Keys under which some instrumentations nest the state (OpenLLMetry entity I/O, LangGraph ``Send``)."""


def _role(kind: Any) -> str | None:
    text = str(kind or "").lower()
    for suffix in ("messagechunk", "message"):
        if text.endswith(suffix) and text != suffix:
            text = text[: -len(suffix)]
    return _ROLES.get(text)


def _tool_calls(calls: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for call in calls if isinstance(calls, list) else []:
        if not isinstance(call, Mapping):
            continue
        if isinstance(call.get("function"), Mapping):  # already OpenAI-shaped
            out.append(dict(call))
            continue
        args = call.get("args", call.get("arguments"))
        fn = {"name": call.get("name", ""), "arguments": args}
        out.append({"id": call.get("id") or "", "type": "function", "function": fn})
    return out


def _from_fields(role: str, fields: Mapping[str, Any]) -> dict[str, Any]:
    msg: dict[str, Any] = {"role": role, "content": fields.get("content")}
    if fields.get("name"):
        msg["name"] = fields["name"]
    calls = _tool_calls(fields.get("tool_calls"))
    if calls:
        msg["tool_calls"] = calls
    if role == "tool" and fields.get("tool_call_id"):
        msg["tool_call_id"] = fields["tool_call_id"]
    return msg


def to_message(item: Any) -> dict[str, Any] | None:
    """One message of any LangChain serialisation, as an OpenAI-style dict (None if it is not one).

    Reads ``message_to_dict`` output (``{"type": "human", "data": {...}}``), ``dumpd`` output
    (``{"lc": 1, "id": [..., "HumanMessage"], "kwargs": {...}}``), a ``model_dump`` (``{"type":
    "human", "content": ...}``), ``(role, content)`` pairs, OpenAI dicts and bare strings (the user).
    """
    if isinstance(item, str):
        return {"role": "user", "content": item}
    if isinstance(item, list) and len(item) == 2 and isinstance(item[0], str):
        role = _role(item[0])
        return {"role": role, "content": item[1]} if role else None
    if not isinstance(item, Mapping):
        return None
    if item.get("lc") == 1 and isinstance(item.get("kwargs"), Mapping):
        ident = item.get("id")
        role = _role(ident[-1] if isinstance(ident, list) and ident else None) or _role(item["kwargs"].get("type"))
        return _from_fields(role, item["kwargs"]) if role else None
    if isinstance(item.get("data"), Mapping) and "type" in item:
        role = _role(item["type"])
        return _from_fields(role, item["data"]) if role else None
    if "role" in item and ("content" in item or "tool_calls" in item):
        return dict(item)
    if "type" in item and "content" in item:
        role = _role(item["type"])
        return _from_fields(role, item) if role else None
    return None


def _message_list(value: Any) -> list[Any] | None:
    """The ``messages`` list of a state (possibly nested under a wrapper key), else None."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return None
    if not isinstance(value, Mapping):
        return None
    found = value.get("messages")
    if isinstance(found, list):
        return found
    for key in _WRAPPERS:
        inner = value.get(key)
        if isinstance(inner, Mapping) and isinstance(inner.get("messages"), list):
            return list(inner["messages"])
    return None


def state_messages(value: Any) -> list[dict[str, Any]]:
    """Every message of a state's ``messages`` list, in order; [] when ``value`` holds none.

    A list of lists (a chat model's batch of conversations) yields its first conversation.
    """
    items = _message_list(value)
    if not items:
        return []
    first = items[0]
    if isinstance(first, list) and not (len(first) == 2 and isinstance(first[0], str)):
        items = first
    out: list[dict[str, Any]] = []
    for item in items:
        msg = to_message(item)
        if msg is None:  # not a message list after all: show nothing rather than a guess
            return []
        out.append(msg)
    return out


def tool_message_content(value: Any) -> Any:
    """A tool's result: the content of a serialised tool message, else ``value`` unchanged."""
    if isinstance(value, Mapping):
        msg = to_message(value)
        if msg is not None and msg["role"] == "tool":
            return msg.get("content")
    return value
