"""Coercion of decoded OTLP attribute values, and un-flattening of indexed keys.

Attribute values reach the processors as ``str``, ``int``, ``float``, ``bool``, ``list`` or
``dict`` (OTLP ``kvlistValue``), and structured content often arrives as a JSON string. OpenInference
and OpenLLMetry flatten lists into indexed keys (``llm.input_messages.0.message.role``); these helpers
rebuild them. Pure functions; JSON parsing never raises.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any, Final

import orjson

Attributes = Mapping[str, object]
"""Span attributes as decoded by the receiver."""


def first(attributes: Attributes, keys: Iterable[str]) -> object | None:
    """Return the value of the first key present with a non-empty value."""
    if isinstance(keys, tuple) and attributes.keys().isdisjoint(keys):
        return None  # the common case, one C-level pass for a dict: spans carry few of the known keys
    for key in keys:
        value = attributes.get(key)
        if value is not None and value != "" and value != []:
            return value
    return None


def as_str(value: object) -> str | None:
    """Return ``value`` as text: strings as is, structures as compact JSON, ``None`` stays ``None``."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool | int | float):
        return str(value).lower() if isinstance(value, bool) else str(value)
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return str(value)


_MAX_COUNT: Final = 2**63 - 1
"""Largest count the batches and ``otel_traces`` (Int64/UInt64 columns) hold: beyond it a value is
not a token count, and reading it as one would fail the whole request's conversion."""
_MAX_DIGITS: Final = len(str(_MAX_COUNT))


def as_int(value: object) -> int | None:
    """Return a non-negative token count from an int, a float or a numeric string, else ``None``."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value if 0 <= value <= _MAX_COUNT else None
    if isinstance(value, float):
        return int(value) if 0 <= value <= _MAX_COUNT and value == value else None
    if isinstance(value, str):
        text = value if value.isdecimal() else value.strip()  # the writer renders every value as text
        if text.isdecimal():  # not isdigit(): "²" is a digit that int() refuses
            if len(text) > _MAX_DIGITS and len(text.lstrip("0")) > _MAX_DIGITS:
                return None  # past int64, and int() refuses strings of more than 4,300 digits
            count = int(text)
            return count if count <= _MAX_COUNT else None
        try:
            number = float(text)
        except ValueError:
            return None
        return as_int(number)
    return None


def as_float(value: object) -> float | None:
    """Return a finite float from a number or a numeric string, else ``None``."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return None
    else:
        return None
    return number if number == number and abs(number) != float("inf") else None


def as_json(value: object) -> Any:
    """Parse a JSON string (objects and arrays only); return structures as is, ``None`` on failure."""
    if isinstance(value, str):
        text = value.strip()
        if not text or text[0] not in "[{":
            return None
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError:
            return None
    if isinstance(value, list | tuple | dict):
        return value
    return None


def as_str_list(value: object) -> tuple[str, ...]:
    """Return a list attribute (or a JSON array string, or one string) as a tuple of strings."""
    if value is None:
        return ()
    parsed = as_json(value) if isinstance(value, str) else value
    if isinstance(parsed, list | tuple):
        return tuple(s for s in (as_str(v) for v in parsed) if s)
    text = as_str(value)
    return (text,) if text else ()


_INDEX: Final = re.compile(r"\.\d+(?:\.|$)")


def flattened_roots(attributes: Attributes) -> frozenset[str]:
    """Return the prefixes under which lists are flattened (``"llm.input_messages."`` …), for :func:`unflatten`."""
    roots = set()
    for key in attributes:
        m = _INDEX.search(key)
        if m is not None:
            roots.add(key[: m.start() + 1])
    return frozenset(roots)


def unflatten(attributes: Attributes, prefix: str, roots: frozenset[str] | None = None) -> list[Any]:
    """Rebuild the list flattened under ``prefix`` (which ends with ``.``).

    ``{"p.0.message.role": "user", "p.0.message.tool_calls.1.tool_call.id": "x"}`` becomes
    ``[{"message": {"role": "user", "tool_calls": [{}, {"tool_call": {"id": "x"}}]}}]``: numeric
    segments become list positions (ordered by index), other segments nested keys. A value stored
    unflattened under ``prefix[:-1]`` (a list or a JSON string) is returned as is. ``roots``, from
    :func:`flattened_roots`, spares scanning every key when nothing is flattened under ``prefix``.
    """
    raw = attributes.get(prefix[:-1])
    if raw is not None:
        whole = as_json(raw)
        if isinstance(whole, list):
            return whole
    if roots is not None and prefix not in roots:
        return []
    root: dict[str, Any] = {}
    found = False
    for key, value in attributes.items():
        if not key.startswith(prefix):
            continue
        found = True
        node = root
        parts = key[len(prefix) :].split(".")
        for part in parts[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                child = node[part] = {}
            node = child
        node[parts[-1]] = value
    if not found:
        return []
    result = _listify(root)
    return result if isinstance(result, list) else []


def _listify(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    if node and all(k.isdecimal() for k in node):  # not isdigit(): int() refuses "²"
        return [_listify(node[k]) for k in sorted(node, key=int)]
    return {k: _listify(v) for k, v in node.items()}


def get_path(node: Any, *path: str) -> Any:
    """Return ``node[path[0]][path[1]]…`` for nested dicts, ``None`` when any step is missing."""
    for part in path:
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return node
