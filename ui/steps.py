"""Time Machine helpers on a run's steps: the decision path of a step, and where its run input is."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from agentstate.ui.schema import Step


@dataclass(frozen=True)
class PathEntry:
    """One span on the way from the run's root down to a step."""

    index: int
    name: str
    type: str
    siblings: int
    """How many steps share this entry's parent (including itself): the branching at that level."""


def decision_path(steps: Sequence[Step], index: int) -> list[PathEntry]:
    """Root-to-step path of ``steps[index]`` through its ancestors (parent span IDs)."""
    by_span = {s["span_id"]: s for s in steps}
    fanout: dict[str, int] = {}
    for s in steps:
        fanout[s["parent_span_id"]] = fanout.get(s["parent_span_id"], 0) + 1
    path: list[PathEntry] = []
    seen: set[str] = set()
    current: Step | None = steps[index] if 0 <= index < len(steps) else None
    while current is not None and current["span_id"] not in seen:
        seen.add(current["span_id"])
        path.append(
            PathEntry(current["index"], current["name"], current["type"], fanout.get(current["parent_span_id"], 1))
        )
        current = by_span.get(current["parent_span_id"])
    return list(reversed(path))


def clamp(index: int, steps: Sequence[Step]) -> int:
    """A valid step index (0 for an empty run)."""
    return max(0, min(index, len(steps) - 1)) if steps else 0


def agent_of(steps: Sequence[Step]) -> str:
    """The run's agent: the first step naming one ("" if none does)."""
    return next((s["agent_name"] for s in steps if s.get("agent_name")), "")
