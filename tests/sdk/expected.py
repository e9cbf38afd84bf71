"""Expected span dicts for ``@observe`` tests (the shape ``agentstate.testing.span_dicts`` returns)."""

from __future__ import annotations

from typing import Any

S = 1_000_000_000
"""One tick of ``deterministic_clock``, in nanoseconds."""
JSON = "application/json"


def span(
    name: str,
    span_id: int,
    start: int,
    end: int,
    attributes: dict[str, Any],
    *,
    parent: int | None = None,
    trace_id: int = 1,
    kind: str = "INTERNAL",
    status: str = "UNSET",
    description: str | None = None,
    events: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The dict ``span_dicts`` produces for one span; ``start``/``end`` in clock ticks."""
    return {
        "name": name,
        "kind": kind,
        "span_id": span_id,
        "trace_id": trace_id,
        "parent": parent,
        "start": start * S,
        "end": end * S,
        "status": status,
        "status_description": description,
        "attributes": attributes,
        "events": events or [],
    }


def plain(qualname: str, inputs: str | None, output: str | None, **extra: Any) -> dict[str, Any]:
    """Attributes of a ``kind="span"`` span with the given captured JSON."""
    attrs: dict[str, Any] = {"agentstate.span.kind": "span", "code.function.name": qualname}
    if inputs is not None:
        attrs.update({"input.value": inputs, "input.mime_type": JSON})
    attrs.update(extra)
    if output is not None:
        attrs.update({"output.value": output, "output.mime_type": JSON})
    return attrs


def exception_event(type_name: str, message: str) -> dict[str, Any]:
    return {
        "name": "exception",
        "attributes": {
            "exception.type": type_name,
            "exception.message": message,
            "exception.stacktrace": f"{type_name}: {message}",
        },
    }
