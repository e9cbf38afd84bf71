"""Process-wide SDK state read by ``@observe`` on every call.

Kept to a few slots on one object so the hot path does attribute loads only: no environment
reads, no locks. ``tracer is None`` means the SDK is off and decorated functions run bare.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from agentstate._internal.config import DEFAULT_MAX_VALUE_LENGTH

if TYPE_CHECKING:
    from opentelemetry.trace import Tracer


class State:
    """What the decorator needs per call, set by ``init`` and cleared by ``shutdown``."""

    __slots__ = ("capture_io", "max_value_length", "tracer")

    def __init__(self) -> None:
        self.tracer: Tracer | None = None
        self.capture_io: bool = True
        self.max_value_length: int = DEFAULT_MAX_VALUE_LENGTH


STATE = State()
"""The single instance; never rebound, only mutated."""
