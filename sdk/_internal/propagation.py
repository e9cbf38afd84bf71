"""Session, user, tags and metadata that follow the code: ``propagate_attributes``.

The values live in a :class:`~contextvars.ContextVar`, so they follow nested calls and asyncio
tasks for free, and threads through :mod:`agentstate._internal.threads`. The span processor copies
them onto every span that starts in scope, whichever instrumentation creates it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Final

from opentelemetry import trace
from opentelemetry.util.types import AttributeValue

from agentstate._internal.errors import handle_internal_errors
from agentstate._internal.serialize import to_json
from agentstate.semconv import attributes as A

_MAX_METADATA_VALUE: Final = 1024

PROPAGATED: ContextVar[Mapping[str, AttributeValue] | None] = ContextVar("agentstate_propagated", default=None)
"""Attributes to put on every span started in the current context (``None`` when there are none)."""


def _metadata_value(value: Any) -> AttributeValue:
    if isinstance(value, (str, bool, int, float)):
        return value
    return to_json(value, _MAX_METADATA_VALUE)


def merge_attributes(
    outer: Mapping[str, AttributeValue] | None,
    session_id: str | None,
    user_id: str | None,
    tags: Iterable[str] | None,
    metadata: Mapping[str, Any] | None,
) -> dict[str, AttributeValue]:
    """Combine an enclosing scope's attributes with new ones: tags add up, the rest override.

    Args:
        outer: Attributes of the enclosing scope, if any.
        session_id: Session identifier, written to ``session.id`` and ``gen_ai.conversation.id``.
        user_id: End-user identifier, written to ``user.id``.
        tags: Tags appended to the enclosing ones (duplicates dropped, order kept).
        metadata: Values written to ``agentstate.metadata.<key>``; non-scalars as JSON.
    """
    merged: dict[str, AttributeValue] = dict(outer) if outer else {}
    if session_id is not None:
        merged[A.SESSION_ID] = str(session_id)
        merged[A.GEN_AI_CONVERSATION_ID] = str(session_id)
    if user_id is not None:
        merged[A.USER_ID] = str(user_id)
    if tags:
        previous = merged.get(A.TAGS, ())
        combined = list(previous) if isinstance(previous, (list, tuple)) else []
        combined += [str(tag) for tag in tags if str(tag) not in combined]
        merged[A.TAGS] = tuple(str(tag) for tag in combined)
    for key, value in (metadata or {}).items():
        merged[A.METADATA_PREFIX + str(key)] = _metadata_value(value)
    return merged


@contextmanager
def propagate_attributes(
    *,
    session_id: str | None = None,
    user_id: str | None = None,
    tags: Iterable[str] | None = None,
    metadata: Mapping[str, Any] | None = None,
) -> Iterator[None]:
    """Attach a session, user, tags and metadata to every span in this scope.

    Applies to the span that is current on entry and to every span started inside the block,
    including in child asyncio tasks and (after ``init``) threads and thread pools. Scopes nest:
    inner tags are added to the outer ones, other values override.

    Example::

        with propagate_attributes(session_id="chat-42", user_id="u-7", tags=["beta"]):
            run_agent(question)

    Args:
        session_id: Written to ``session.id`` and ``gen_ai.conversation.id``.
        user_id: Written to ``user.id``.
        tags: Written to the string array ``agentstate.tags``.
        metadata: Each item written to ``agentstate.metadata.<key>``.

    Yields:
        Nothing; the attributes apply until the block exits.
    """
    token = None
    with handle_internal_errors:
        merged = merge_attributes(PROPAGATED.get(), session_id, user_id, tags, metadata)
        token = PROPAGATED.set(merged)
        current = trace.get_current_span()
        if current.is_recording():
            current.set_attributes(merged)
    try:
        yield
    finally:
        if token is not None:
            # ValueError: exited in another context than the one it was entered in
            with handle_internal_errors, contextlib.suppress(ValueError):
                PROPAGATED.reset(token)
