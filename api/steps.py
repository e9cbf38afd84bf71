"""The Time Machine: a run as ordered steps, each with what changed since the previous one.

Pure: takes spans (already decoded) and returns step dicts. A step's *state* is what it took in and
gave out (input, messages, tool arguments and result, output, model); ``changes`` lists the state
fields that differ from the previous step's, and ``new_messages`` the input messages an LLM step
sees that the previous LLM step did not (the conversation's growth).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

_STATE_FIELDS = (
    "type",
    "name",
    "model",
    "agent_name",
    "tool_name",
    "input",
    "output",
    "input_messages",
    "output_messages",
    "tool_arguments",
    "tool_result",
    "status_code",
)


def _canon(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def execution_order(spans: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Spans by start time; ties broken parent-first, then by span id, so the order is stable."""
    depth: dict[str, int] = {}
    by_id = {s["span_id"]: s for s in spans}

    def level(span_id: str) -> int:
        seen: set[str] = set()
        n, cur = 0, by_id.get(span_id)
        while cur is not None and cur["parent_span_id"] in by_id and cur["span_id"] not in seen:
            seen.add(cur["span_id"])
            n += 1
            cur = by_id[cur["parent_span_id"]]
        return n

    for s in spans:
        depth[s["span_id"]] = level(s["span_id"])
    return sorted(spans, key=lambda s: (s["start_ns"], depth[s["span_id"]], s["span_id"]))


def new_messages(previous: Any, current: Any) -> list[Any]:
    """Messages in ``current`` that were not in ``previous`` (both lists of messages, or None)."""
    if not isinstance(current, list):
        return []
    if not isinstance(previous, list):
        return list(current)
    seen = {_canon(m) for m in previous}
    return [m for m in current if _canon(m) not in seen]


def diff(before: Mapping[str, Any] | None, after: Mapping[str, Any]) -> list[dict[str, Any]]:
    """State fields whose value differs between two steps (every non-empty field for the first)."""
    out: list[dict[str, Any]] = []
    for field in _STATE_FIELDS:
        old = before.get(field) if before is not None else None
        new = after.get(field)
        if _canon(old) != _canon(new):
            out.append({"field": field, "before": old, "after": new})
    return out


def build_steps(spans: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Return the run's steps in execution order, with ``changes`` and ``new_messages``.

    Each span mapping needs ``span_id``, ``parent_span_id``, ``start_ns`` and the state fields.
    """
    steps: list[dict[str, Any]] = []
    previous: Mapping[str, Any] | None = None
    last_llm_messages: Any = None
    for index, span in enumerate(execution_order(spans)):
        step = dict(span)
        step["index"] = index
        step["changes"] = diff(previous, span)
        if span.get("type") == "llm":
            step["new_messages"] = new_messages(last_llm_messages, span.get("input_messages"))
            last_llm_messages = span.get("input_messages")
        else:
            step["new_messages"] = []
        steps.append(step)
        previous = span
    return steps
