"""Record an LLM call made with a client AgentState does not instrument.

``llm_call`` times the call as a ``chat {model}`` span; ``record_llm_call`` writes one after the
fact; :meth:`LLMCall.current` annotates the span of an ``@observe(kind="llm")`` function. All write
the OTel GenAI attributes the server computes cost from (model, provider, the five token counts),
and messages in the OTel parts format, converting OpenAI-style ``{"role", "content"}`` dicts.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, Final

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import Span, SpanKind, set_span_in_context
from opentelemetry.util.types import AttributeValue
from typing_extensions import TypedDict, Unpack

from agentstate._internal.errors import handle_internal_errors
from agentstate._internal.serialize import to_json
from agentstate._internal.spanspec import record_exception
from agentstate._internal.state import STATE
from agentstate.semconv import attributes as A
from agentstate.semconv.attributes import ObserveKind

Messages = str | Sequence[Mapping[str, Any]]
"""A prompt string, or chat messages (OpenAI-style ``{"role", "content"}`` or OTel ``{"role", "parts"}``)."""


class LLMResponse(TypedDict, total=False):
    """What can be recorded about an LLM call besides model and provider; every field is optional.

    ``input_tokens`` includes cached tokens and ``output_tokens`` includes reasoning tokens, as
    the OTel GenAI conventions define them.
    """

    response_model: str
    response_id: str
    input_messages: Messages
    output_messages: Messages
    system_instructions: str
    finish_reasons: Sequence[str]
    input_tokens: int
    output_tokens: int
    cache_read_tokens: int
    cache_write_tokens: int
    reasoning_tokens: int


class LLMFields(LLMResponse, total=False):
    """:class:`LLMResponse` plus the requested model and the provider."""

    model: str
    provider: str


_STRING_KEYS: Final = {
    "model": A.GEN_AI_REQUEST_MODEL,
    "provider": A.GEN_AI_PROVIDER_NAME,
    "response_model": A.GEN_AI_RESPONSE_MODEL,
    "response_id": A.GEN_AI_RESPONSE_ID,
}
_TOKEN_KEYS: Final = {
    "input_tokens": A.GEN_AI_USAGE_INPUT_TOKENS,
    "output_tokens": A.GEN_AI_USAGE_OUTPUT_TOKENS,
    "cache_read_tokens": A.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS,
    "cache_write_tokens": A.GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS,
    "reasoning_tokens": A.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS,
}


def _parts(content: Any) -> list[dict[str, Any]]:
    if content is None:
        return []
    if isinstance(content, str):
        return [{"type": "text", "content": content}]
    if isinstance(content, Sequence):
        parts: list[dict[str, Any]] = []
        for item in content:
            if isinstance(item, Mapping) and item.get("type") == "text" and "text" in item:
                parts.append({"type": "text", "content": item["text"]})
            elif isinstance(item, Mapping):
                parts.append(dict(item))
            else:
                parts.append({"type": "text", "content": str(item)})
        return parts
    return [{"type": "text", "content": str(content)}]


def to_otel_messages(messages: Messages, default_role: str, finish_reasons: Sequence[str] = ()) -> list[dict[str, Any]]:
    """Convert messages to the OTel GenAI parts format.

    Args:
        messages: A string (one message of ``default_role``) or a list of message dicts.
        default_role: Role of a bare string, ``user`` for input and ``assistant`` for output.
        finish_reasons: For output messages: the finish reason of each, by position.

    Returns:
        ``[{"role": ..., "parts": [...]}, ...]``; output messages also carry ``finish_reason``.
    """
    items: Sequence[Any] = [{"role": default_role, "content": messages}] if isinstance(messages, str) else messages
    out: list[dict[str, Any]] = []
    for i, message in enumerate(items):
        message = message if isinstance(message, Mapping) else {"role": default_role, "content": message}
        role = str(message.get("role", default_role))
        parts = list(message["parts"]) if "parts" in message else _parts(message.get("content"))
        for call in message.get("tool_calls") or ():
            function = call.get("function", {})
            parts.append(
                {
                    "type": "tool_call",
                    "id": call.get("id"),
                    "name": function.get("name"),
                    "arguments": function.get("arguments"),
                }
            )
        if role == "tool" and "tool_call_id" in message:
            parts = [{"type": "tool_call_response", "id": message["tool_call_id"], "response": message.get("content")}]
        converted: dict[str, Any] = {"role": role, "parts": parts}
        if "name" in message:
            converted["name"] = message["name"]
        if finish_reasons or default_role == "assistant":
            reason = message.get("finish_reason") or (finish_reasons[i] if i < len(finish_reasons) else "stop")
            converted["finish_reason"] = reason
        out.append(converted)
    return out


def llm_attributes(**fields: Unpack[LLMFields]) -> dict[str, AttributeValue]:
    """The GenAI attributes for the values given; ``None`` values are left out."""
    attrs: dict[str, AttributeValue] = {}
    for name, key in _STRING_KEYS.items():
        text = fields.get(name)
        if text:
            attrs[key] = str(text)
    for name, key in _TOKEN_KEYS.items():
        count = fields.get(name)
        if count is not None:
            attrs[key] = int(count)  # type: ignore[call-overload]
    limit = STATE.max_value_length
    input_messages = fields.get("input_messages")
    if input_messages is not None:
        attrs[A.GEN_AI_INPUT_MESSAGES] = to_json(to_otel_messages(input_messages, "user"), limit)
    system_instructions = fields.get("system_instructions")
    if system_instructions is not None:
        attrs[A.GEN_AI_SYSTEM_INSTRUCTIONS] = to_json([{"type": "text", "content": system_instructions}], limit)
    finish_reasons = fields.get("finish_reasons")
    output_messages = fields.get("output_messages")
    if output_messages is not None:
        converted = to_otel_messages(output_messages, "assistant", finish_reasons or ())
        attrs[A.GEN_AI_OUTPUT_MESSAGES] = to_json(converted, limit)
        if finish_reasons is None:
            finish_reasons = [str(m["finish_reason"]) for m in converted]
    if finish_reasons is not None:
        attrs[A.GEN_AI_RESPONSE_FINISH_REASONS] = tuple(str(r) for r in finish_reasons)
    return attrs


class LLMCall:
    """Handle on an LLM span, to record what the model answered.

    Args:
        span: The span to annotate (a non-recording span makes every method a no-op).
    """

    __slots__ = ("_span",)

    def __init__(self, span: Span) -> None:
        self._span = span

    @classmethod
    def current(cls) -> LLMCall:
        """A handle on the current span, e.g. inside an ``@observe(kind="llm")`` function."""
        return cls(trace.get_current_span())

    def record(self, **fields: Unpack[LLMFields]) -> None:
        """Set model, usage and messages on the span; only the values given are written.

        Setting ``model`` on an ``@observe(kind="llm")`` span that has none yet renames it
        ``chat {model}``. See :class:`LLMFields` for the fields.
        """
        with handle_internal_errors:
            span = self._span
            if not span.is_recording():
                return
            attrs = llm_attributes(**fields)
            model = fields.get("model")
            existing = getattr(span, "attributes", None) or {}
            if model and existing.get(A.SPAN_KIND) == ObserveKind.LLM.value and A.GEN_AI_REQUEST_MODEL not in existing:
                span.update_name(f"{existing.get(A.GEN_AI_OPERATION_NAME, 'chat')} {model}")
            span.set_attributes(attrs)


def _start_llm_span(
    model: str, provider: str | None, operation: str, start_time: int | None, extra: dict[str, AttributeValue]
) -> Span:
    tracer = STATE.tracer
    if tracer is None:
        return trace.INVALID_SPAN
    fields: LLMFields = {"model": model}
    if provider:
        fields["provider"] = provider
    attrs: dict[str, AttributeValue] = {
        A.SPAN_KIND: ObserveKind.LLM.value,
        A.GEN_AI_OPERATION_NAME: operation,
        **llm_attributes(**fields),
        **extra,
    }
    return tracer.start_span(f"{operation} {model}", kind=SpanKind.CLIENT, attributes=attrs, start_time=start_time)


@contextmanager
def llm_call(
    model: str,
    provider: str | None = None,
    *,
    input_messages: Messages | None = None,
    system_instructions: str | None = None,
    operation: str = "chat",
    attributes: Mapping[str, AttributeValue] | None = None,
) -> Iterator[LLMCall]:
    """Time an LLM call as a ``chat {model}`` span and record its answer.

    Example::

        with llm_call("gpt-4o", "openai", input_messages=messages) as call:
            reply = my_client.complete(messages)
            call.record(output_messages=reply.text, input_tokens=reply.usage.prompt,
                        output_tokens=reply.usage.completion)

    Args:
        model: Requested model name.
        provider: Provider name as in the GenAI conventions (``openai``, ``anthropic`` …).
        input_messages: The prompt: a string or chat messages.
        system_instructions: System prompt given apart from the messages.
        operation: ``chat`` (default), ``text_completion``, ``generate_content`` or ``embeddings``.
        attributes: Extra attributes for the span.

    Yields:
        An :class:`LLMCall` to record the response on; an exception in the block is recorded
        on the span and propagates unchanged.
    """
    span: Span = trace.INVALID_SPAN
    token = None
    with handle_internal_errors:
        prompt: LLMFields = {}
        if input_messages is not None:
            prompt["input_messages"] = input_messages
        if system_instructions is not None:
            prompt["system_instructions"] = system_instructions
        extra = llm_attributes(**prompt)
        extra.update(attributes or {})
        span = _start_llm_span(model, provider, operation, None, extra)
        token = otel_context.attach(set_span_in_context(span))
    try:
        yield LLMCall(span)
    except BaseException as exc:
        with handle_internal_errors:
            record_exception(span, exc)
        raise
    finally:
        with handle_internal_errors:
            if token is not None:
                otel_context.detach(token)
            span.end()


def record_llm_call(
    model: str,
    provider: str | None = None,
    *,
    start_time_ns: int | None = None,
    end_time_ns: int | None = None,
    operation: str = "chat",
    attributes: Mapping[str, AttributeValue] | None = None,
    **response: Unpack[LLMResponse],
) -> None:
    """Write a finished LLM call as one ``chat {model}`` span, child of the current span.

    Example::

        record_llm_call("claude-sonnet-4", "anthropic", input_tokens=1200, output_tokens=310,
                        cache_read_tokens=1000, start_time_ns=t0, end_time_ns=t1)

    Args:
        model: Requested model name.
        provider: Provider name as in the GenAI conventions.
        start_time_ns: When the call started (``time.time_ns()``); defaults to now.
        end_time_ns: When it ended; defaults to now.
        operation: GenAI operation name, ``chat`` by default.
        attributes: Extra attributes for the span.
        **response: Usage, messages, response model …: see :class:`LLMResponse`.
    """
    with handle_internal_errors:
        span = _start_llm_span(model, provider, operation, start_time_ns, dict(attributes or {}))
        LLMCall(span).record(**response)
        span.end(end_time=end_time_ns)
