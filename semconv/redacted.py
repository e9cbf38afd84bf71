"""The ``agentstate.redacted`` attribute: what the SDK redacted, as counts per attribute and type.

The SDK's scrubber writes it (:func:`format_redacted`) on each span it changed; the server reads it
back (:func:`parse_redacted`) into :attr:`~agentstate.semconv.span_record.NormalizedSpan.redacted`, so
the leakage detector can alert on a leak whose value never left the process. Only attribute keys,
type names and counts travel: never a value, never an offset.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Final

MAX_ENTRIES: Final = 256
"""``(key, type)`` pairs read from one attribute at most (a malformed or hostile value stays cheap)."""

MAX_CHARS: Final = 16_384
"""Longest attribute value parsed; a longer one is ignored."""


_COMPACT = json.JSONEncoder(separators=(",", ":"))
"""One encoder: ``json.dumps`` with options builds a new one on every call."""


def format_redacted(counts: Mapping[str, Mapping[str, int]]) -> str:
    """Return the compact JSON form, keys sorted: ``{"gen_ai.output.messages":{"US_SSN":1}}``."""
    return _COMPACT.encode({key: dict(sorted(types.items())) for key, types in sorted(counts.items())})


def parse_redacted(value: object) -> tuple[tuple[str, str, int], ...]:
    """Return ``(attribute key, type, count)`` triples from an attribute value; ``()`` if malformed."""
    if not isinstance(value, str) or not value or len(value) > MAX_CHARS:
        return ()
    try:
        doc = json.loads(value)
    except ValueError:
        return ()
    if not isinstance(doc, dict):
        return ()
    out: list[tuple[str, str, int]] = []
    for key, types in doc.items():
        if not isinstance(types, dict):
            continue
        for kind, count in types.items():
            if isinstance(kind, str) and type(count) is int and count > 0:
                out.append((str(key), kind, count))
                if len(out) == MAX_ENTRIES:
                    return tuple(out)
    return tuple(out)
