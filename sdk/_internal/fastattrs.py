"""Put already-valid attributes on an SDK span without re-validating each value.

``Span.set_attributes`` runs every value through ``_clean_attribute_value`` under a lock: about
a microsecond per attribute, which is most of what ``@observe`` would add to a bare span. The
values the decorator writes are known-good (``str``, ``int``, tuples of ``str``), so when the span
is the stock SDK span with no value-length limit and room under its count limit, they go straight
into its attribute dict. Anything else (another SDK, limits set, a full span) takes the public API.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from opentelemetry.attributes import BoundedAttributes
from opentelemetry.trace import Span
from opentelemetry.util.types import AttributeValue


def set_attributes(span: Span, attributes: Mapping[str, AttributeValue]) -> None:
    """Add valid ``attributes`` to ``span``, skipping per-value validation when it is safe."""
    bounded: Any = getattr(span, "_attributes", None)
    if (
        type(bounded) is BoundedAttributes
        and bounded.max_value_len is None
        and not bounded._immutable
        and (bounded.maxlen is None or len(bounded) + len(attributes) <= bounded.maxlen)
    ):
        bounded._dict.update(attributes)
    else:
        span.set_attributes(attributes)
