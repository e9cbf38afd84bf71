"""``@record``: an immutable value class that is cheap to build.

``@dataclass(frozen=True)`` makes every ``__init__`` assign its fields through
``object.__setattr__``, which costs about a third more than plain assignment. Records built per
span (the normalised span, the processors' span view, cost rows) pay that on every span, so they
are frozen for the type checker (``dataclass_transform(frozen_default=True)``: mypy rejects any
assignment to a field) and plain slotted dataclasses at run time, hashable like frozen ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

from typing_extensions import dataclass_transform  # installed with opentelemetry-api (a base dependency)

T = TypeVar("T")


@dataclass_transform(frozen_default=True)
def record(cls: type[T]) -> type[T]:
    """Decorate ``cls`` as an immutable (statically checked), slotted, hashable dataclass."""
    return dataclass(slots=True, unsafe_hash=True)(cls)
