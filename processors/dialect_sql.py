"""ClickHouse expressions generated from the dialect table, one per normalised column.

The twin of ``processors/normalize.py``: both read ``agentstate.semconv.dialects``, so a column's
``DEFAULT`` means what the in-process field means (the golden test checks it span by span). Each
function returns SQL over ``SpanAttributes`` (and ``SpanName``, and other normalised columns), where
every attribute value is the string the writer stored. Python's "absent" is ClickHouse's ``''``
for strings and ``0`` for counts; the unknown operation is stored as ``''``.

Every literal comes from the table, never from a request; :func:`lit` quotes it anyway.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from agentstate.semconv import dialects as D

_MAP = "SpanAttributes"


def lit(text: str) -> str:
    """A ClickHouse string literal."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _array(items: Iterable[str]) -> str:
    return "[" + ", ".join(lit(i) for i in items) + "]"


def attr(key: str) -> str:
    """SQL: the value of attribute ``key`` (``''`` when absent)."""
    return f"{_MAP}[{lit(key)}]"


def _let(name: str, value: str, body: str) -> str:
    """SQL: ``body`` with ``name`` bound to ``value`` (evaluated once)."""
    return f"arrayElement(arrayMap({name} -> {body}, [{value}]), 1)"


def _transform(value: str, mapping: Mapping[str, str], default: str) -> str:
    return f"transform({value}, {_array(mapping)}, {_array(mapping.values())}, {default})"


def first_nonempty(keys: Sequence[str]) -> str:
    """SQL: the first non-empty value among ``keys``, else ``''`` (first non-empty wins)."""
    parts: list[str] = []
    for key in keys:
        parts += [f"{attr(key)} != ''", attr(key)]
    return f"multiIf({', '.join(parts)}, '')"


def count(keys: Sequence[str]) -> str:
    """SQL: the picked value as a non-negative count, else NULL (``as_int``: digits, or a float >= 0)."""
    body = (
        "if(match(s, '^[0-9]+$'), toUInt64OrNull(s), "
        "if(toFloat64OrNull(s) >= 0 AND isFinite(toFloat64OrNull(s)), toUInt64(toFloat64OrNull(s)), NULL))"
    )
    return _let("s", f"trimBoth({first_nonempty(keys)})", body)


def tokens(field: str) -> str:
    """SQL: a token column (0 when absent)."""
    return f"ifNull({count(D.FIELD_KEYS[field])}, 0)"


def input_tokens(cache_read: str, cache_write: str) -> str:
    """SQL: input tokens, with the cache added when the instrumentation reported uncached input only."""
    cached = f"({cache_read} + {cache_write})"
    body = f"if(isNull(p), 0, if({cached} > assumeNotNull(p), assumeNotNull(p) + {cached}, assumeNotNull(p)))"
    return _let("p", count(D.FIELD_KEYS["input_tokens"]), body)


def provider() -> str:
    """SQL: the provider, lower-cased and mapped to its OTel name."""
    aliases = D.PROVIDER_ALIASES
    head = "splitByChar('.', p)[1]"  # Vercel "openai.responses", "anthropic.messages"
    body = (
        f"multiIf(has({_array(aliases)}, p), {_transform('p', aliases, lit(''))}, "
        f"has({_array(D.PROVIDER_HEADS)}, {head}), {_transform(head, aliases, head)}, p)"
    )
    return _let("p", f"lowerUTF8(trimBoth({first_nonempty(D.FIELD_KEYS['provider'])}))", body)


def entity_fallback(field: str, extra_condition: str = "") -> str:
    """SQL: a name field, else the OpenLLMetry entity name on spans of the matching entity kind."""
    kind = f"{attr(D.ENTITY_KIND_KEY)} = {lit(D.ENTITY_FALLBACKS[field])}"
    first = first_nonempty(D.FIELD_KEYS[field])
    return f"multiIf({first} != '', {first}, {kind}{extra_condition}, {attr(D.ENTITY_NAME_KEY)}, '')"


def _fold(rule: D.OperationRule, value: str) -> str:
    return {"lower": f"lowerUTF8({value})", "upper": f"upperUTF8({value})"}.get(rule.fold, value)


def _rule(rule: D.OperationRule) -> tuple[str, str]:
    """SQL ``(condition, operation)`` of one table rule."""
    raw = attr(rule.key)
    found = _transform(_fold(rule, raw), rule.values, lit(""))
    branches = [f"{found} != ''", found]
    for rx, op in rule.patterns:
        branches += [f"match({raw}, {lit(rx)})", lit(op)]
    for suffix, op in rule.suffixes:
        branches += [f"endsWith({raw}, {lit(suffix)})", lit(op)]
    found = f"multiIf({', '.join(branches)}, '')" if len(branches) > 2 else found
    refined = "o"
    for when, prefix, then in rule.refine:
        has_prefix = f"arrayExists(k -> startsWith(k, {lit(prefix)}), mapKeys({_MAP}))"
        refined = f"if({refined} = {lit(when)} AND {has_prefix}, {lit(then)}, {refined})"
    if rule.decisive:
        return f"mapContains({_MAP}, {lit(rule.key)})", _let("o", found, f"if(o = '', {lit(rule.default)}, {refined})")
    return f"{found} != ''", _let("o", found, refined) if rule.refine else found


def dialect_known() -> str:
    """SQL: whether any dialect's detection key or prefix is present."""
    keys = [k for _, ks, _ in D.DETECTION for k in ks]
    prefixes = [p for _, _, ps in D.DETECTION for p in ps]
    has_key = f"hasAny(mapKeys({_MAP}), {_array(keys)})"
    has_prefix = " OR ".join(f"startsWith(k, {lit(p)})" for p in prefixes)
    return f"({has_key} OR arrayExists(k -> {has_prefix}, mapKeys({_MAP})))"


def operation() -> str:
    """SQL: the operation, by the table's rules, then the span name, then "tokens mean chat"."""
    branches: list[str] = []
    for rule in D.OPERATION_RULES:
        branches += list(_rule(rule))
    for rx in D.SPAN_NAME_PATTERNS:
        word = f"extract(SpanName, {lit(rx)})"
        branches += [f"match(SpanName, {lit(rx)})", _transform(word, D.OPERATION_ALIASES, lit(D.UNKNOWN_OPERATION))]
    if D.TOKENS_MEAN_CHAT:
        has_tokens = f"{first_nonempty(D.FIELD_KEYS['input_tokens'])} != ''"
        branches += [f"{has_tokens} AND {dialect_known()}", lit("chat")]
    chosen = f"multiIf({', '.join(branches)}, {lit(D.UNKNOWN_OPERATION)})"
    return _let("op", chosen, f"if(op = {lit(D.UNKNOWN_OPERATION)}, '', op)")
