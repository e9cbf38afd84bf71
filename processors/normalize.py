"""Span normalisation: any attribute dialect in, one :class:`NormalizedSpan` out.

Generated from the dialect table (``agentstate.semconv.dialects``), like the ClickHouse column
DEFAULT expressions: each canonical field is read from the table's ordered list of keys, the dialect
and the operation from its detection and operation rules. Only the content fields (messages,
documents) need code of their own (``normalize_messages``). The attributes are never modified.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Final

from agentstate.processors import normalize_messages as msgs
from agentstate.processors.attr_values import (
    Attributes,
    FirstOf,
    as_float,
    as_int,
    as_str,
    as_str_list,
    flattened_roots,
)
from agentstate.semconv import dialects as D
from agentstate.semconv.attributes import REDACTED
from agentstate.semconv.redacted import parse_redacted
from agentstate.semconv.span_record import Dialect, NormalizedSpan, Operation

_OPERATIONS: Final = {alias: Operation(op) for alias, op in D.OPERATION_ALIASES.items()}
"""Span-name words → operation."""

_FOLD: Final[dict[str, Callable[[str], str]]] = {"lower": str.lower, "upper": str.upper, "": str}


_Extra = tuple[
    tuple[tuple[re.Pattern[str], Operation], ...],
    tuple[tuple[str, Operation], ...],
    Operation,
    tuple[tuple[Operation, str, Operation], ...],
]


def _compile(rule: D.OperationRule) -> tuple[str, Callable[[str], str], dict[str, Operation], bool, _Extra | None]:
    """One table rule as ``(key, fold, values, decisive, extra)``; ``extra`` only when needed (speed)."""
    extra = (
        tuple((re.compile(rx), Operation(op)) for rx, op in rule.patterns),
        tuple((suffix, Operation(op)) for suffix, op in rule.suffixes),
        Operation(rule.default),
        tuple((Operation(a), prefix, Operation(b)) for a, prefix, b in rule.refine),
    )
    needed = rule.decisive or rule.patterns or rule.suffixes or rule.refine
    values = {value: Operation(op) for value, op in rule.values.items()}
    return rule.key, _FOLD[rule.fold], values, rule.decisive, extra if needed else None


_RULES: Final = tuple(_compile(rule) for rule in D.OPERATION_RULES)
"""The table's operation rules, compiled, in the order they are tried."""

_SPAN_NAME_OP: Final = re.compile("|".join(D.SPAN_NAME_PATTERNS))


def _detection() -> tuple[tuple[Dialect, tuple[str, ...], tuple[str, ...]], ...]:
    """The table's detection rules, consecutive ones of the same dialect merged (one pass over keys)."""
    merged: list[tuple[Dialect, tuple[str, ...], tuple[str, ...]]] = []
    for dialect, keys, prefixes in D.DETECTION:
        if merged and merged[-1][0].value == dialect:
            _, held_keys, held_prefixes = merged.pop()
            keys, prefixes = held_keys + keys, held_prefixes + prefixes
        merged.append((Dialect(dialect), keys, prefixes))
    return tuple(merged)


_DETECTION: Final = _detection()
_CONTENT_PREFIXES: Final = D.CONTENT_PREFIXES
_FIELDS: Final = FirstOf(D.FIELD_KEYS)
"""Every canonical field read from the table's list of keys (first non-empty wins), in one pass."""
_PROVIDERS: Final = dict(D.PROVIDER_ALIASES)
_AGENT_KIND: Final = D.ENTITY_FALLBACKS["agent_name"]
_TOOL_KIND: Final = D.ENTITY_FALLBACKS["tool_name"]
_ENTITY_KIND: Final = D.ENTITY_KIND_KEY
_ENTITY_NAME: Final = D.ENTITY_NAME_KEY
_PROVIDER_HEADS: Final = frozenset(D.PROVIDER_HEADS)
_SPAN_NAME_IS_WORKFLOW: Final = D.SPAN_NAME_IS_WORKFLOW
_TOKENS_MEAN_CHAT: Final = D.TOKENS_MEAN_CHAT

Got = Callable[[str], object]
"""``dict.get`` of :meth:`FirstOf.pick`'s result."""


def detect_dialect(attributes: Attributes) -> Dialect:
    """Return the attribute dialect: the first detection rule of the dialect table that matches."""
    for dialect, keys, prefixes in _DETECTION:
        for key in keys:
            if key in attributes:
                return dialect
        if prefixes:
            for key in attributes:
                if key.startswith(prefixes):
                    return dialect
    return Dialect.UNKNOWN


def normalize(attributes: Mapping[str, object], span_name: str = "", *, content: bool = True) -> NormalizedSpan:
    """Return the canonical GenAI fields of one span.

    Args:
        attributes: Span attributes (values as decoded from OTLP; JSON strings are parsed).
        span_name: The span name, used when the operation is not in the attributes.
        content: Also extract messages, documents, tool I/O and generic I/O (the costly part). The
            cost calculator passes ``False``; finish reasons then come from attributes only.
    """
    if content:
        for key in attributes:  # a plain loop: a generator here cost ~1 µs on every span
            if key.startswith(_CONTENT_PREFIXES):
                break
        else:
            content = False  # nothing to extract (DB, HTTP, embedding spans …): same record, far cheaper
    dialect = detect_dialect(attributes)
    got = _FIELDS.pick(attributes).get
    operation = _operation(attributes, span_name, dialect, got("input_tokens") is not None)
    tool_like = operation is Operation.EXECUTE_TOOL
    tl_kind = as_str(attributes.get(_ENTITY_KIND))
    tl_entity = as_str(attributes.get(_ENTITY_NAME))

    input_tokens = as_int(got("input_tokens"))
    output_tokens = as_int(got("output_tokens"))
    cache_read = as_int(got("cache_read_tokens"))
    cache_write = as_int(got("cache_write_tokens"))
    cached = (cache_read or 0) + (cache_write or 0)
    if input_tokens is not None and cached > input_tokens:
        input_tokens += cached  # the instrumentation reported uncached input only (Anthropic style)
    total = as_int(got("total_tokens"))
    if total is None and input_tokens is not None and output_tokens is not None:
        total = input_tokens + output_tokens

    roots = flattened_roots(attributes) if content else frozenset()
    output_messages = msgs.output_messages(attributes, roots) if content else ()
    finish = as_str_list(got("finish_reasons")) or tuple(m.finish_reason for m in output_messages if m.finish_reason)

    return NormalizedSpan(
        dialect=dialect,
        operation=operation,
        provider=_provider(as_str(got("provider"))),
        request_model=as_str(got("request_model")),
        response_model=as_str(got("response_model")),
        response_id=as_str(got("response_id")),
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        cache_read_tokens=cache_read,
        cache_write_tokens=cache_write,
        reasoning_tokens=as_int(got("reasoning_tokens")),
        total_tokens=total,
        finish_reasons=finish,
        request_max_tokens=as_int(got("request_max_tokens")),
        session_id=as_str(got("session_id")),
        user_id=as_str(got("user_id")),
        agent_name=as_str(got("agent_name")) or (tl_entity if tl_kind == _AGENT_KIND else None),
        workflow_name=_workflow(attributes, got, span_name, operation),
        tool_name=_tool_name(got, tl_kind, tl_entity, tool_like),
        tool_call_id=as_str(got("tool_call_id")),
        tool_arguments=_tool_io(got, "tool_arguments", "tool_input", tool_like) if content else None,
        tool_result=_tool_io(got, "tool_result", "tool_output", tool_like) if content else None,
        input_messages=msgs.input_messages(attributes, roots) if content else (),
        output_messages=output_messages,
        documents=msgs.documents(attributes, roots) if content else (),
        input_text=as_str(got("input_text")) if content else None,
        output_text=as_str(got("output_text")) if content else None,
        reported_cost_usd=as_float(got("reported_cost_usd")),
        redacted=parse_redacted(attributes.get(REDACTED)),
    )


def _operation(attributes: Attributes, span_name: str, dialect: Dialect, has_input_tokens: bool) -> Operation:
    for key, fold, values, decisive, extra in _RULES:
        raw = attributes.get(key)
        if raw is None:
            continue
        text = raw if raw.__class__ is str else (as_str(raw) or "")
        op = values.get(fold(text)) if text or decisive else None
        if extra is None:
            if op is not None:
                return op
            continue
        patterns, suffixes, default, refine = extra
        if op is None:
            for rx, o in patterns:
                if rx.search(text):
                    op = o
                    break
            else:
                for suffix, o in suffixes:
                    if text.endswith(suffix):
                        op = o
                        break
        if op is not None:
            for when, prefix, then in refine:
                if op is when and any(k.startswith(prefix) for k in attributes):
                    return then
            return op
        if decisive:
            return default
    match = _SPAN_NAME_OP.search(span_name)
    if match is not None:
        word = next(g for g in match.groups() if g)
        return _OPERATIONS.get(word, Operation.UNKNOWN)
    if _TOKENS_MEAN_CHAT and dialect is not Dialect.UNKNOWN and has_input_tokens:
        return Operation.CHAT
    return Operation.UNKNOWN


def _provider(raw: str | None) -> str | None:
    if not raw:
        return None
    name = raw.strip().lower()
    if name in _PROVIDERS:
        return _PROVIDERS[name]
    head = name.split(".", 1)[0]  # Vercel "openai.responses", "anthropic.messages"
    if head in _PROVIDER_HEADS:
        return _PROVIDERS.get(head, head)
    return name


def _workflow(attributes: Attributes, got: Got, span_name: str, operation: Operation) -> str | None:
    name = as_str(got("workflow_name"))
    if name is None and operation is Operation.INVOKE_WORKFLOW and _SPAN_NAME_IS_WORKFLOW in attributes:
        return span_name or None
    return name


def _tool_name(got: Got, tl_kind: str | None, tl_entity: str | None, tool_like: bool) -> str | None:
    name = as_str(got("tool_name"))
    if name is None and tool_like and tl_kind == _TOOL_KIND:
        return tl_entity
    return name


def _tool_io(got: Got, field: str, generic: str, tool_like: bool) -> str | None:
    """Tool arguments or result; generic I/O (``input.value`` …) only counts on tool spans."""
    value = as_str(got(field))
    if value is None and tool_like:
        value = as_str(got(generic))
    return value
