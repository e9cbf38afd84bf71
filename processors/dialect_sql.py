"""ClickHouse expressions generated from the dialect table, one per normalised column.

The twin of ``processors/normalize.py``: both read ``agentstate.semconv.dialects``, so a column's
``DEFAULT`` means what the in-process field means (the golden test checks it span by span). Each
function returns SQL over ``SpanAttributes`` and ``SpanName``, where every attribute value is the
string the writer stored. Expressions never reference other normalised columns: at insert ClickHouse
recomputes a referenced DEFAULT rather than sharing it. Python's "absent" is ClickHouse's ``''``
for strings and ``0`` for counts; the unknown operation is stored as ``''``.

Every literal comes from the table, never from a request; :func:`lit` quotes it anyway.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from agentstate.semconv import dialects as D

_MAP = "SpanAttributes"

READ_KEYS: tuple[str, ...] = tuple(
    sorted(
        {k for keys in D.FIELD_KEYS.values() for k in keys}
        | {rule.key for rule in D.OPERATION_RULES}
        | {k for _, keys, _ in D.DETECTION for k in keys}
        | {D.ENTITY_KIND_KEY, D.ENTITY_NAME_KEY}
    )
)
"""Every attribute the generated expressions look up by key."""
_READ = frozenset(READ_KEYS)


def lit(text: str) -> str:
    """A ClickHouse string literal."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _array(items: Iterable[str]) -> str:
    return "[" + ", ".join(lit(i) for i in items) + "]"


def attr(key: str) -> str:
    """SQL: the value of attribute ``key`` (``''`` when absent); ``key`` must be in :data:`READ_KEYS`."""
    if key not in _READ:
        raise ValueError(f"{key!r} is not in READ_KEYS")
    return f"{_MAP}[{lit(key)}]"


def _bind(values: Sequence[tuple[str, str]], body: str) -> str:
    """SQL: ``body`` with each ``(name, value)`` bound, each value computed once.

    At insert ClickHouse does not share repeated subexpressions of a DEFAULT, so a value used more
    than once is bound by a one-row ``arrayMap`` (its lambda may still read the table's columns).
    """
    names = ", ".join(name for name, _ in values)
    arrays = ", ".join(f"[{value}]" for _, value in values)
    return f"arrayElement(arrayMap(({names}) -> {body}, {arrays}), 1)"


def _transform(value: str, mapping: Mapping[str, str], default: str) -> str:
    return f"transform({value}, {_array(mapping)}, {_array(mapping.values())}, {default})"


def first_nonempty(keys: Sequence[str]) -> str:
    """SQL: the first non-empty value among ``keys``, else ``''`` (first non-empty wins)."""
    parts: list[str] = []
    for key in keys:
        parts += [f"{attr(key)} != ''", attr(key)]
    return f"multiIf({', '.join(parts)}, '')"


def _count(value: str) -> str:
    """SQL: ``value`` (used once) as a count: its integer part when it is a non-negative number, else 0.

    ``as_int``'s meaning without repeating ``value``, which ClickHouse would evaluate once per use at
    insert (it does not share subexpressions of DEFAULTs): ``"12"`` → 12, ``"5.7"`` → 5, ``"-5"``,
    ``"x"``, ``"true"``, ``"Infinity"`` → 0. Exponent forms (``"1e3"``) give 0 where Python gives 1000;
    no instrumentation writes token counts that way.
    """
    return f"toUInt64OrZero(splitByChar('.', trimBoth({value}))[1])"


def tokens(field: str) -> str:
    """SQL: a token column (0 when absent)."""
    return _count(first_nonempty(D.FIELD_KEYS[field]))


def input_tokens() -> str:
    """SQL: input tokens, with the cache added when the instrumentation reported uncached input only.

    The reported value is needed three times, so it is bound once by a one-element ``arrayMap``.
    """
    cached = f"{tokens('cache_read_tokens')} + {tokens('cache_write_tokens')}"
    number = "toFloat64OrNull(trimBoth(s))"
    present = f"ifNull({number} >= 0 AND isFinite({number}), 0)"
    value = _count("s")
    body = f"if({present} AND c > {value}, {value} + c, {value})"
    return f"arrayElement(arrayMap((s, c) -> {body}, [{first_nonempty(D.FIELD_KEYS['input_tokens'])}], [{cached}]), 1)"


def provider() -> str:
    """SQL: the provider, lower-cased and mapped to its OTel name."""
    aliases = D.PROVIDER_ALIASES
    head = "splitByChar('.', p)[1]"  # Vercel "openai.responses", "anthropic.messages"
    body = (
        f"multiIf(has({_array(aliases)}, p), {_transform('p', aliases, lit(''))}, "
        f"has({_array(D.PROVIDER_HEADS)}, {head}), {_transform(head, aliases, head)}, p)"
    )
    return _bind([("p", f"lowerUTF8(trimBoth({first_nonempty(D.FIELD_KEYS['provider'])}))")], body)


def entity_fallback(field: str) -> str:
    """SQL: a name field, else the OpenLLMetry entity name on spans of the matching entity kind
    (``tool_name`` only when the span is an ``execute_tool`` one)."""
    kind = f"{attr(D.ENTITY_KIND_KEY)} = {lit(D.ENTITY_FALLBACKS[field])}"
    if field == "tool_name":
        kind += f" AND {_operation_until(D.ENTITY_KIND_KEY)} = 'execute_tool'"
    first = first_nonempty(D.FIELD_KEYS[field])
    return f"multiIf({first} != '', {first}, {kind}, {attr(D.ENTITY_NAME_KEY)}, '')"


def _fold(rule: D.OperationRule, value: str) -> str:
    return {"lower": f"lowerUTF8({value})", "upper": f"upperUTF8({value})"}.get(rule.fold, value)


def _rule(rule: D.OperationRule, i: int) -> tuple[list[tuple[str, str]], list[str]]:
    """One table rule: the values it binds (``o{i}``: what it found, ``h{i}``: key present) and its
    ``multiIf`` branches ``[condition, operation]`` over them."""
    raw = attr(rule.key)
    found = _transform(_fold(rule, raw), rule.values, lit(""))
    branches = [f"{found} != ''", found]
    for rx, op in rule.patterns:
        branches += [f"match({raw}, {lit(rx)})", lit(op)]
    for suffix, op in rule.suffixes:
        branches += [f"endsWith({raw}, {lit(suffix)})", lit(op)]
    found = f"multiIf({', '.join(branches)}, '')" if len(branches) > 2 else found
    o, h = f"o{i}", f"h{i}"
    refined = o
    for when, prefix, then in rule.refine:
        has_prefix = f"arrayExists(k -> startsWith(k, {lit(prefix)}), mapKeys({_MAP}))"
        refined = f"if({refined} = {lit(when)} AND {has_prefix}, {lit(then)}, {refined})"
    if rule.decisive:
        bound = [(o, found), (h, f"mapContains({_MAP}, {lit(rule.key)})")]
        return bound, [h, f"if({o} = '', {lit(rule.default)}, {refined})"]
    return [(o, found)], [f"{o} != ''", refined]


def dialect_known() -> str:
    """SQL: whether any dialect's detection key or prefix is present."""
    keys = [k for _, ks, _ in D.DETECTION for k in ks]
    prefixes = [p for _, _, ps in D.DETECTION for p in ps]
    has_key = f"hasAny(mapKeys({_MAP}), {_array(keys)})"
    has_prefix = " OR ".join(f"startsWith(k, {lit(p)})" for p in prefixes)
    return f"({has_key} OR arrayExists(k -> {has_prefix}, mapKeys({_MAP})))"


def _rules(rules: Sequence[D.OperationRule]) -> tuple[list[tuple[str, str]], list[str]]:
    bound: list[tuple[str, str]] = []
    branches: list[str] = []
    for i, rule in enumerate(rules):
        values, parts = _rule(rule, i)
        bound += values
        branches += parts
    return bound, branches


def _operation_until(key: str) -> str:
    """SQL: the operation as far as the rules up to the one reading ``key`` decide it (that rule
    decides on the spans it matches, so there it equals :func:`operation`)."""
    rank = next(rule.rank for rule in D.OPERATION_RULES if rule.key == key)
    bound, branches = _rules([rule for rule in D.OPERATION_RULES if rule.rank <= rank])
    return _bind(bound, f"multiIf({', '.join(branches)}, {lit(D.UNKNOWN_OPERATION)})")


def operation() -> str:
    """SQL: the operation, by the table's rules, then the span name, then "tokens mean chat"."""
    bound, branches = _rules(D.OPERATION_RULES)
    for j, rx in enumerate(D.SPAN_NAME_PATTERNS):
        word = f"w{j}"  # '' when the pattern does not match: every pattern has one group
        bound.append((word, f"extract(SpanName, {lit(rx)})"))
        branches += [f"{word} != ''", _transform(word, D.OPERATION_ALIASES, lit(D.UNKNOWN_OPERATION))]
    if D.TOKENS_MEAN_CHAT:
        has_tokens = f"{first_nonempty(D.FIELD_KEYS['input_tokens'])} != ''"
        branches += [f"{has_tokens} AND {dialect_known()}", lit("chat")]
    chosen = f"multiIf({', '.join(branches)}, {lit(D.UNKNOWN_OPERATION)})"
    return f"ifNull(nullIf({_bind(bound, chosen)}, {lit(D.UNKNOWN_OPERATION)}), '')"
