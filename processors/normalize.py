"""Span normalisation: any attribute dialect in, one :class:`NormalizedSpan` out.

Generated from the dialect table (``agentstate.semconv.dialects``), like the ClickHouse column
DEFAULT expressions: each canonical field is read from the table's ordered list of keys, the dialect
and the operation from its detection and operation rules. Only the content fields (messages,
documents) need code of their own (``normalize_messages``). The attributes are never modified.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import fields as dataclass_fields
from typing import Any, Final

from agentstate.processors import normalize_messages as msgs
from agentstate.processors.attr_values import (
    Attributes,
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
_PROVIDERS: Final = dict(D.PROVIDER_ALIASES)
_AGENT_KIND: Final = D.ENTITY_FALLBACKS["agent_name"]
_TOOL_KIND: Final = D.ENTITY_FALLBACKS["tool_name"]
_ENTITY_KIND: Final = D.ENTITY_KIND_KEY
_ENTITY_NAME: Final = D.ENTITY_NAME_KEY
_PROVIDER_HEADS: Final = frozenset(D.PROVIDER_HEADS)
_SPAN_NAME_IS_WORKFLOW: Final = D.SPAN_NAME_IS_WORKFLOW
_TOKENS_MEAN_CHAT: Final = D.TOKENS_MEAN_CHAT

Got = Callable[[str], object]
"""``dict.get`` of the fields a span supplies (first non-empty key of each, :class:`_Plan`)."""


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


class _Plan:
    """What :func:`normalize` derives from a span's attribute keys alone, worked out once per key shape.

    Spans of one instrumentation carry the same keys in the same order, so the dialect, whether any
    content needs extracting and which present keys feed which field are looked up once per distinct
    key tuple; each span then only reads the values its plan names.
    """

    __slots__ = ("content", "counts", "dialect", "entity", "fields", "plain", "roots", "sources")

    def __init__(self, keys: tuple[str, ...]) -> None:
        present = dict.fromkeys(keys)
        self.content = any(key.startswith(_CONTENT_PREFIXES) for key in keys)
        self.roots = flattened_roots(present) if self.content else frozenset()
        """Prefixes of the lists flattened into the keys (``attr_values.unflatten``)."""
        self.sources = msgs.sources(present, self.roots)
        """Whether the shape can hold input messages, output messages, documents."""
        self.dialect = detect_dialect(present)
        found: dict[str, list[tuple[int, str]]] = {}
        for key in present:  # a pass over the span's keys, not over every field's candidates
            for name, rank in _FIELD_INDEX.get(key, ()):
                found.setdefault(name, []).append((rank, key))
        self.fields = tuple(
            (name, (ranked[0][1],) if len(ranked) == 1 else tuple([key for _, key in sorted(ranked)]))
            for name, ranked in found.items()
        )
        """``(field, its keys present in precedence order)`` for every field the shape can supply."""
        supplied = {name for name, _ in self.fields}
        self.counts = not supplied.isdisjoint(_COUNTS)
        self.plain = tuple((name, convert) for name, convert in _PLAIN if name in supplied)
        self.entity = _ENTITY_KIND in present or _ENTITY_NAME in present


def _field_index() -> dict[str, tuple[tuple[str, int], ...]]:
    index: dict[str, list[tuple[str, int]]] = {}
    for name, keys in D.FIELD_KEYS.items():
        for rank, key in enumerate(keys):
            index.setdefault(key, []).append((name, rank))
    return {key: tuple(fields) for key, fields in index.items()}


_FIELD_INDEX: Final = _field_index()
"""Attribute key -> ``(field, rank)`` of every field it can supply (the dialect table inverted)."""
_PLANS: dict[tuple[str, ...], _Plan] = {}
_MAX_PLANS: Final = 1024
"""Key shapes remembered; past it the memo starts over (a flood of distinct shapes only costs speed)."""
_MAX_SHAPE_KEYS: Final = 256
"""Shapes with more keys are planned for their span alone: the memo holds each shape's keys, so it stays
under ~20 MB whatever clients send (agents' real shapes number in the tens to hundreds, most under 100
keys; a span of thousands of keys costs a plan of its own, as it cost a full pass before plans)."""


def _plan(attributes: Attributes) -> _Plan:
    keys = tuple(attributes)
    plan = _PLANS.get(keys)
    if plan is None:
        plan = _Plan(keys)
        if len(keys) <= _MAX_SHAPE_KEYS:
            if len(_PLANS) >= _MAX_PLANS:
                _PLANS.clear()
            _PLANS[keys] = plan
    return plan


def normalize(attributes: Mapping[str, object], span_name: str = "", *, content: bool = True) -> NormalizedSpan:
    """Return the canonical GenAI fields of one span.

    Args:
        attributes: Span attributes (values as decoded from OTLP; JSON strings are parsed).
        span_name: The span name, used when the operation is not in the attributes.
        content: Also extract messages, documents, tool I/O and generic I/O (the costly part). The
            cost calculator passes ``False``; finish reasons then come from attributes only.
    """
    return NormalizedSpan(**_fields(attributes, span_name, content))


COLUMN_DEFAULTS: Final = {f.name: f.default for f in dataclass_fields(NormalizedSpan)}
"""Every :class:`NormalizedSpan` field and its default (what :func:`normalize_columns` fills)."""


def normalize_columns(spans: Sequence[tuple[Attributes, str]]) -> dict[str, list[Any]]:
    """:func:`normalize` of each ``(attributes, span name)``, as one list per :class:`NormalizedSpan` field.

    The writer's path: a span sets only the fields it has (most are absent on any one span), and no
    record is built per span, since the batch is made of columns anyway (``span_batch.build_columns``).
    ``input_messages`` holds the call's new turn only (``span_record.new_turn``), all the batch carries.
    """
    n = len(spans)
    cols: dict[str, list[Any]] = {name: [default] * n for name, default in COLUMN_DEFAULTS.items()}
    for i, (attributes, span_name) in enumerate(spans):
        for name, value in _fields(attributes, span_name, True, turn=True).items():
            cols[name][i] = value
    return cols


def _fields(attributes: Attributes, span_name: str, content: bool, *, turn: bool = False) -> dict[str, Any]:
    """The fields of :func:`normalize`'s record that differ from their defaults (dialect and operation always;
    ``turn``: the input messages of the call's new turn only)."""
    plan = _plan(attributes)
    got_: dict[str, object] = {}
    for name, keys in plan.fields:  # the first key present with a non-empty value wins
        for key in keys:
            value = attributes[key]
            if value is not None and value != "" and value != []:
                got_[name] = value
                break
    content = content and plan.content  # nothing to extract (DB, HTTP, embedding spans …): far cheaper
    dialect = plan.dialect
    operation = _operation(attributes, span_name, dialect, "input_tokens" in got_)
    out: dict[str, Any] = {"dialect": dialect, "operation": operation}
    tool_like = operation is Operation.EXECUTE_TOOL
    tl_kind = tl_entity = None
    if plan.entity:
        tl_kind = as_str(attributes.get(_ENTITY_KIND))
        tl_entity = as_str(attributes.get(_ENTITY_NAME))
    got = got_.get
    if plan.counts:
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
        if input_tokens is not None:
            out["input_tokens"] = input_tokens
        if output_tokens is not None:
            out["output_tokens"] = output_tokens
        if cache_read is not None:
            out["cache_read_tokens"] = cache_read
        if cache_write is not None:
            out["cache_write_tokens"] = cache_write
        if total is not None:
            out["total_tokens"] = total
    if "provider" in got_:
        out["provider"] = _provider(as_str(got_["provider"]))
    if "reported_cost_usd" in got_:
        out["reported_cost_usd"] = as_float(got_["reported_cost_usd"])
    for name, convert in plan.plain:
        if name in got_:
            out[name] = convert(got_[name])
    agent = as_str(got("agent_name")) or (tl_entity if tl_kind == _AGENT_KIND else None)
    if agent is not None:
        out["agent_name"] = agent
    workflow = _workflow(attributes, got, span_name, operation)
    if workflow is not None:
        out["workflow_name"] = workflow
    tool = _tool_name(got, tl_kind, tl_entity, tool_like)
    if tool is not None:
        out["tool_name"] = tool
    finish = as_str_list(got_["finish_reasons"]) if "finish_reasons" in got_ else ()
    if content:
        roots = plan.roots
        has_input, has_output, has_documents = plan.sources
        output_messages = msgs.output_messages(attributes, roots) if has_output else ()
        finish = finish or tuple(m.finish_reason for m in output_messages if m.finish_reason)
        for name, value in (
            ("tool_arguments", _tool_io(got, "tool_arguments", "tool_input", tool_like)),
            ("tool_result", _tool_io(got, "tool_result", "tool_output", tool_like)),
            ("input_messages", msgs.input_messages(attributes, roots, turn=turn) if has_input else ()),
            ("output_messages", output_messages),
            ("documents", msgs.documents(attributes, roots) if has_documents else ()),
            ("input_text", as_str(got("input_text"))),
            ("output_text", as_str(got("output_text"))),
        ):
            if value:  # None or empty: the default
                out[name] = value
    if finish:
        out["finish_reasons"] = finish
    redacted = attributes.get(REDACTED)
    if redacted is not None:
        out["redacted"] = parse_redacted(redacted)
    return out


_PLAIN: Final[tuple[tuple[str, Callable[[object], object]], ...]] = (
    *((name, as_str) for name in ("request_model", "response_model", "response_id", "session_id", "user_id",
                                  "tool_call_id")),
    *((name, as_int) for name in ("reasoning_tokens", "request_max_tokens")),
)  # fmt: skip
"""Fields read as text or as a count with no rule of their own."""
_COUNTS: Final = frozenset({"input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens", "total_tokens"})
"""Fields the token arithmetic reads."""


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
