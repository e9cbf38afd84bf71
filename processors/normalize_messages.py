"""Chat messages and retrieved documents, read from any attribute dialect.

Where they are read from is the dialect table's (``agentstate.semconv.dialects``); first found wins:

* input: ``gen_ai.input.messages`` (+ ``gen_ai.system_instructions``), OpenInference
  ``llm.input_messages.*``, OpenLLMetry ``gen_ai.prompt.*``, OpenInference ``llm.prompts.*``,
  Vercel ``ai.prompt.messages`` / ``ai.prompt``;
* output: ``gen_ai.output.messages``, ``llm.output_messages.*``, ``gen_ai.completion.*``,
  ``llm.choices.*``, Vercel ``ai.response.text`` / ``ai.response.object`` / ``ai.response.toolCalls``.

One tolerant message parser accepts the OTel parts schema, the OpenAI shape, OpenInference's
``message``/``contents``/``tool_call`` nesting and the Vercel content parts.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, Final

from agentstate.processors.attr_values import Attributes, as_json, as_str, get_path, unflatten
from agentstate.semconv import dialects as D
from agentstate.semconv.span_record import Message, ToolCall

_TEXT_PARTS: Final = frozenset({"text", "input_text", "output_text"})
_CALL_PARTS: Final = frozenset({"tool_call", "tool-call", "function_call", "tool_use"})
_RESULT_PARTS: Final = frozenset({"tool_call_response", "tool-result", "tool_result", "function_call_output"})
_PROMPTS: Final = D.PROMPT_TEXT_LIST + "."
_CHOICES: Final = D.CHOICE_TEXT_LIST + "."
_DOCUMENTS: Final = tuple(key + "." for key in D.DOCUMENT_LISTS)
_INPUT_LISTS: Final = tuple(key + "." for key in D.INPUT_MESSAGE_LISTS)
_OUTPUT_LISTS: Final = tuple(key + "." for key in D.OUTPUT_MESSAGE_LISTS)
_TEXT_KEY, _OBJECT_KEY = D.VERCEL_OUTPUT_TEXT_KEYS
_LEGACY_PROMPT: Final = D.LEGACY_PROMPT_TEXT
_LEGACY_COMPLETION: Final = D.LEGACY_COMPLETION_TEXT
_VERCEL_PROMPT: Final = D.VERCEL_PROMPT
_VERCEL_CALLS: Final = D.VERCEL_TOOL_CALLS
_VERCEL_FINISH: Final = D.VERCEL_FINISH_REASON
_DOCUMENTS_JSON: Final = D.DOCUMENTS_JSON
_SYSTEM: Final = D.SYSTEM_INSTRUCTIONS_KEY
# module-level names: the table's constants are read on every span


def _lists_present(lists: tuple[str, ...], keys: Collection[str], roots: frozenset[str]) -> bool:
    """Whether :func:`~.attr_values.unflatten` can find anything under one of the ``lists`` prefixes."""
    return any(prefix[:-1] in keys or prefix in roots for prefix in lists)


def sources(keys: Collection[str], roots: frozenset[str]) -> tuple[bool, bool, bool]:
    """Whether a span of these attribute ``keys`` (``roots``: ``attr_values.flattened_roots``) can hold
    input messages, output messages and documents: what each reader below looks at, from the keys alone.

    The normaliser works it out once per key shape and skips the readers that would find nothing.
    """
    has_input = _lists_present((*_INPUT_LISTS, _PROMPTS), keys, roots) or any(
        key in keys for key in (_SYSTEM, _LEGACY_PROMPT, _VERCEL_PROMPT)
    )
    has_output = _lists_present((*_OUTPUT_LISTS, _CHOICES), keys, roots) or any(
        key in keys for key in (_LEGACY_COMPLETION, _TEXT_KEY, _OBJECT_KEY, _VERCEL_CALLS)
    )
    return has_input, has_output, _lists_present(_DOCUMENTS, keys, roots) or _DOCUMENTS_JSON in keys


def input_messages(
    attributes: Attributes, roots: frozenset[str] | None = None, *, turn: bool = False
) -> tuple[Message, ...]:
    """Return the messages sent to the model, system instructions first (``roots``: see ``unflatten``).

    ``turn``: only the call's new turn, ``span_record.new_turn`` of the whole, found before the
    messages are parsed: agents resend their history with every call, and the history's messages
    would be parsed only to be dropped (the writer's batches carry the new turn alone).
    """
    system = _system_instructions(attributes)
    for prefix in _INPUT_LISTS:
        raw = unflatten(attributes, prefix, roots)
        if raw:
            if turn and (at := _last_answer(raw)) >= 0:
                return _messages(raw[at + 1 :])
            return system + _messages(raw)
    prompts = unflatten(attributes, _PROMPTS, roots)
    if prompts:
        texts = (as_str(get_path(p, "prompt", "text")) if isinstance(p, dict) else as_str(p) for p in prompts)
        return system + tuple(Message("user", t) for t in texts if t)
    legacy = attributes.get(_LEGACY_PROMPT)
    if isinstance(legacy, str) and legacy:
        return (*system, Message("user", legacy))
    vercel = as_json(attributes.get(_VERCEL_PROMPT))
    if isinstance(vercel, dict):
        out = [Message("system", s)] if isinstance(s := vercel.get("system"), str) and s else []
        if isinstance(listed := vercel.get("messages"), list):
            if turn and (at := _last_answer(listed)) >= 0:
                return _messages(listed[at + 1 :])
            out.extend(_messages(listed))
        elif isinstance(p := vercel.get("prompt"), str) and p:
            out.append(Message("user", p))
        return system + tuple(out)
    return system


def output_messages(attributes: Attributes, roots: frozenset[str] | None = None) -> tuple[Message, ...]:
    """Return the messages the model produced."""
    for prefix in _OUTPUT_LISTS:
        raw = unflatten(attributes, prefix, roots)
        if raw:
            return tuple(m if m.role != "user" else _as_assistant(m) for m in _messages(raw))
    choices = unflatten(attributes, _CHOICES, roots)
    if choices:
        texts = (as_str(get_path(c, "completion", "text")) if isinstance(c, dict) else as_str(c) for c in choices)
        return tuple(Message("assistant", t) for t in texts if t)
    legacy = attributes.get(_LEGACY_COMPLETION)
    if isinstance(legacy, str) and legacy:
        return (Message("assistant", legacy),)
    text = as_str(attributes.get(_TEXT_KEY) or attributes.get(_OBJECT_KEY))
    calls = _tool_calls(as_json(attributes.get(_VERCEL_CALLS)))
    if text or calls:
        reason = as_str(attributes.get(_VERCEL_FINISH))
        return (Message("assistant", text or "", calls, finish_reason=reason),)
    return ()


def documents(attributes: Attributes, roots: frozenset[str] | None = None) -> tuple[str, ...]:
    """Return the text of retrieved documents (OpenInference and OTel GenAI retrieval spans)."""
    out: list[str] = []
    for doc in unflatten(attributes, _DOCUMENTS[0], roots) or unflatten(attributes, _DOCUMENTS[1], roots):
        text = get_path(doc, "document", "content") if isinstance(doc, dict) else doc
        if (s := as_str(text)) is not None:
            out.append(s)
    raw = as_json(attributes.get(_DOCUMENTS_JSON))
    for doc in raw if isinstance(raw, list) else ():
        text = _first_text(doc, "content", "text", "page_content") if isinstance(doc, dict) else doc
        if (s := as_str(text)) is not None:
            out.append(s)
    return tuple(out)


def _system_instructions(attributes: Attributes) -> tuple[Message, ...]:
    raw = attributes.get(_SYSTEM)
    if raw is None:
        return ()
    parsed = as_json(raw)
    if parsed is None:
        text = as_str(raw)
        return (Message("system", text),) if text else ()
    content, _, _ = _parts(parsed if isinstance(parsed, list) else [parsed])
    return (Message("system", content),) if content else ()


def _messages(raw: list[Any]) -> tuple[Message, ...]:
    return tuple(m for m in (_message(item) for item in raw) if m is not None)


def _last_answer(raw: list[Any]) -> int:
    """Index of the last item :func:`_message` reads as the model's answer (role ``assistant``), or -1."""
    for i in range(len(raw) - 1, -1, -1):
        item = raw[i]
        if isinstance(item, dict):
            if isinstance(nested := item.get("message"), dict):  # OpenInference nesting, as in _message
                item = nested
            if as_str(item.get("role")) == "assistant":
                return i
    return -1


def _message(item: Any) -> Message | None:
    """Parse one message in any of the supported shapes."""
    if isinstance(item, str):
        return Message("user", item)
    if not isinstance(item, dict):
        return None
    if isinstance(item.get("message"), dict):  # OpenInference nesting
        item = item["message"]
    role = as_str(item.get("role")) or "user"
    calls = _tool_calls(item.get("tool_calls"))
    call_id = as_str(item.get("tool_call_id") or item.get("toolCallId"))
    content = ""
    if isinstance(item.get("parts"), list):
        content, part_calls, part_call_id = _parts(item["parts"])
        calls, call_id = calls + part_calls, call_id or part_call_id
    elif isinstance(item.get("contents"), list):  # OpenInference multimodal contents
        texts = (as_str(get_path(c, "message_content", "text")) for c in item["contents"])
        content = "\n".join(t for t in texts if t)
    else:
        raw = item.get("content")
        parsed = as_json(raw) if isinstance(raw, str) else raw
        if isinstance(parsed, list) and all(isinstance(p, dict) for p in parsed):
            content, part_calls, part_call_id = _parts(parsed)
            calls, call_id = calls + part_calls, call_id or part_call_id
        else:
            content = as_str(raw) or ""
    reason = as_str(item.get("finish_reason"))
    return Message(role, content, calls, call_id, as_str(item.get("name")), reason)


def _as_assistant(message: Message) -> Message:
    """OpenLLMetry completions may omit the role; outputs come from the assistant."""
    return Message("assistant", message.content, message.tool_calls, message.tool_call_id, message.name,
                   message.finish_reason)  # fmt: skip


def _parts(parts: list[Any]) -> tuple[str, tuple[ToolCall, ...], str | None]:
    """Return (joined text, tool calls, tool-call ID of a result part) of a content-parts list."""
    texts: list[str] = []
    calls: list[ToolCall] = []
    call_id: str | None = None
    for part in parts:
        if isinstance(part, str):
            texts.append(part)
            continue
        if not isinstance(part, dict):
            continue
        kind = part.get("type", "text")
        if kind in _TEXT_PARTS:
            if (text := as_str(_first_text(part, "content", "text"))) is not None:
                texts.append(text)
        elif kind in _CALL_PARTS:
            calls.extend(_tool_calls([part]))
        elif kind in _RESULT_PARTS:
            result = _first_text(part, "response", "result", "output", "content")
            if (text := as_str(result)) is not None:
                texts.append(text)
            call_id = as_str(part.get("id") or part.get("toolCallId") or part.get("tool_call_id")) or call_id
    return "\n".join(texts), tuple(calls), call_id


def _tool_calls(raw: Any) -> tuple[ToolCall, ...]:
    """Parse tool calls in the OpenAI, OpenInference, OpenLLMetry, OTel-part or Vercel shape."""
    if not isinstance(raw, list):
        return ()
    calls: list[ToolCall] = []
    for call in raw:
        if not isinstance(call, dict):
            continue
        if isinstance(call.get("tool_call"), dict):
            call = call["tool_call"]
        function = call.get("function") if isinstance(call.get("function"), dict) else call
        name = as_str(function.get("name") or call.get("toolName"))
        if not name:
            continue
        args = _first_text(function, "arguments", "args", "input")
        call_id = as_str(call.get("id") or call.get("toolCallId"))
        calls.append(ToolCall(name, as_str(args) or "", call_id))
    return tuple(calls)


def _first_text(node: dict[str, Any], *keys: str) -> Any:
    for key in keys:
        value = node.get(key)
        if value is not None:
            return value
    return None
