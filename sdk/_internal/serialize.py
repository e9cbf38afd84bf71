"""Turn arbitrary Python values into bounded JSON strings for span attributes.

Arguments and return values can be anything: recursive lists, objects whose ``__repr__`` raises,
a 100 MB string. :func:`to_json` walks the value once with a character budget, so the work and the
output are bounded by ``max_length`` whatever the input; cycles become ``"<cycle>"``; unknown
objects become their (capped) ``repr``. The common case of a few small primitives takes the short
path through C ``json`` encoding.
"""

from __future__ import annotations

import dataclasses
import datetime
import enum
import itertools
import json
import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final

_MAX_DEPTH: Final = 8
_MAX_ITEMS: Final = 100
_ELLIPSIS: Final = "…"
TRUNCATED_MARK: Final = "…[truncated]"
"""Appended to a captured JSON string that had to be cut at ``max_length``."""

_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False).encode
_escape: Callable[[str], str] = json.encoder.encode_basestring  # the C implementation when available


class _Walker:
    """One bounded walk: ``budget`` counts the characters still allowed in the output."""

    __slots__ = ("budget", "stack")

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.stack: set[int] = set()

    def str_(self, value: str) -> str:
        if len(value) > self.budget:
            value = value[: max(self.budget, 0)] + _ELLIPSIS
        self.budget -= len(value) + 2
        return value

    def walk(self, value: Any, depth: int) -> Any:
        t = type(value)
        if t is str:
            return self.str_(value)
        if t is bool or value is None:
            self.budget -= 5
            return value
        if t is int:
            self.budget -= 8
            return value if value.bit_length() <= 256 else f"<int of {value.bit_length()} bits>"
        if t is float:
            self.budget -= 8
            return value if math.isfinite(value) else str(value)
        if self.budget <= 0:
            return _ELLIPSIS
        if depth >= _MAX_DEPTH:
            return self.str_(f"<{t.__name__}>")
        try:
            if t is dict or (t is not list and t is not tuple and isinstance(value, Mapping)):
                return self.container(value, depth, self.mapping)
            if t is list or t is tuple or isinstance(value, (list, tuple, set, frozenset)):
                return self.container(value, depth, self.sequence)
            return self.other(value, depth)
        except Exception:  # a user object misbehaving (raising __len__, property, items() …)
            return self.str_(f"<{t.__name__} object>")

    def container(self, value: Any, depth: int, walk_items: Callable[[Any, int], Any]) -> Any:
        key = id(value)
        if key in self.stack:
            return "<cycle>"
        self.stack.add(key)
        try:
            return walk_items(value, depth)
        finally:
            self.stack.discard(key)

    def mapping(self, value: Mapping[Any, Any], depth: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for i, (k, v) in enumerate(value.items()):
            if i >= _MAX_ITEMS or self.budget <= 0:
                out[_ELLIPSIS] = f"{len(value) - i} more"
                break
            name = k if type(k) is str else self.scalar_text(k)
            self.budget -= len(name) + 3
            out[name] = self.walk(v, depth + 1)
        return out

    def sequence(self, value: Any, depth: int) -> list[Any]:
        out: list[Any] = []
        for i, item in enumerate(value):
            if i >= _MAX_ITEMS or self.budget <= 0:
                out.append(f"{_ELLIPSIS}{len(value) - i} more")
                break
            self.budget -= 1
            out.append(self.walk(item, depth + 1))
        return out

    def scalar_text(self, value: Any) -> str:
        if isinstance(value, enum.Enum):
            return str(value.value)
        if isinstance(value, (str, int, float, bool)) or value is None:
            return str(value)
        return safe_repr(value, 200)

    def other(self, value: Any, depth: int) -> Any:
        if isinstance(value, enum.Enum):
            return self.walk(value.value, depth)
        # Subclasses of builtins: call the base slot so an overridden __str__/__int__ never runs.
        if isinstance(value, str):
            return self.str_(str.__str__(value))
        if isinstance(value, int):
            return self.walk(int.__int__(value), depth)
        if isinstance(value, float):
            return self.walk(float.__float__(value), depth)
        if isinstance(value, (bytes, bytearray, memoryview)):
            return self.str_(f"<{len(value)} bytes>")
        if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
            return self.str_(value.isoformat())
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            fields = {f.name: getattr(value, f.name, None) for f in dataclasses.fields(value)}
            return self.walk(fields, depth)
        dump = getattr(type(value), "model_dump", None)  # pydantic v2 models
        if callable(dump):
            return self.walk(dump(value), depth)
        return self.str_(safe_repr(value, max(self.budget, 16)))


def safe_repr(value: object, limit: int) -> str:
    """``repr(value)`` cut to ``limit`` characters; a placeholder if ``repr`` itself fails."""
    try:
        text = repr(value)
    except Exception:
        return f"<{type(value).__name__} object>"
    return text if len(text) <= limit else text[:limit] + _ELLIPSIS


def _scalar(value: Any, budget: int) -> str | None:
    """JSON of a plain scalar (or a string within ``budget``); ``None`` for anything else."""
    t = type(value)
    if t is str:
        return _escape(value) if len(value) <= budget else None
    if t is int:
        return int.__repr__(value) if -(2**63) <= value < 2**63 else None
    if value is None:
        return "null"
    if t is bool:
        return "true" if value else "false"
    if t is float:
        return float.__repr__(value) if math.isfinite(value) else None
    return None


def _flat_object(pairs: Iterable[tuple[str, Any]], budget: int) -> str | None:
    """JSON object of ``pairs`` if every value is a plain scalar and it fits ``budget``, else ``None``.

    Built by hand in one pass: for the common call with a few small arguments this is several
    times cheaper than ``json`` plus a separate type check.
    """
    parts = []
    for key, value in pairs:
        text = _scalar(value, budget)
        if text is None:
            return None
        budget -= len(text)
        parts.append(f"{_escape(key)}:{text}")
    return "{" + ",".join(parts) + "}"


def to_json(value: Any, max_length: int) -> str:
    """Serialize ``value`` to a JSON string of at most about ``max_length`` characters.

    Args:
        value: Anything.
        max_length: Character budget; a longer result is cut and ends in :data:`TRUNCATED_MARK`.

    Returns:
        A JSON document, or a cut one ending in :data:`TRUNCATED_MARK` when the budget ran out.
    """
    text = _scalar(value, max_length)
    if text is not None:
        return text
    text = _encode(_Walker(max_length).walk(value, 0))
    if len(text) > max_length:
        return text[:max_length] + TRUNCATED_MARK
    return text


def args_to_json(
    names: tuple[str, ...],
    varargs: str | None,
    args: tuple[Any, ...],
    kwargs: Mapping[str, Any],
    max_length: int,
) -> str:
    """Serialize a call's arguments as one JSON object keyed by parameter name.

    Args:
        names: Names of the positional parameters, in order (``self``/``cls`` already removed).
        varargs: Name of the ``*args`` parameter, if any; extra positionals are listed under it.
        args: Positional arguments of the call (``self``/``cls`` already removed).
        kwargs: Keyword arguments of the call.
        max_length: Character budget, as for :func:`to_json`.
    """
    if len(args) <= len(names):
        pairs = zip(names, args, strict=False)
        text = _flat_object(itertools.chain(pairs, kwargs.items()) if kwargs else pairs, max_length // 2)
        if text is not None:
            return text
    bound: dict[str, Any] = dict(zip(names, args, strict=False))  # extra positionals go to varargs
    if len(args) > len(names):
        bound[varargs or "args"] = args[len(names) :]
    if kwargs:
        bound.update(kwargs)
    return to_json(bound, max_length)
