"""Two runs of the same agent side by side, and the first step where they part ways.

Runs are compared step by step in execution order on each step's *decision*: what kind of step it
is, its name, the tool it called and the arguments it passed, the model it asked. Timings, tokens
and free-text wording are not decisions, so they never count as a divergence; a different answer
from an LLM shows up as a different next decision (another tool, other arguments).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from agentstate.ui.schema import Step


def decision(step: Step) -> tuple[str, str, str, str, str]:
    """What a step decided, as a comparable tuple."""
    args = json.dumps(step.get("tool_arguments"), sort_keys=True, default=str)
    return (step["type"], step["name"], step.get("tool_name", ""), args, step.get("model", ""))


def first_divergence(a: Sequence[Step], b: Sequence[Step]) -> int | None:
    """Index of the first step whose decision differs (or where one run ends early); None if equal."""
    for i in range(min(len(a), len(b))):
        if decision(a[i]) != decision(b[i]):
            return i
    return None if len(a) == len(b) else min(len(a), len(b))


@dataclass(frozen=True)
class PairRow:
    """One line of the side-by-side view."""

    index: int
    left: str
    right: str
    same: bool
    diverges: bool


def _label(step: Step | None) -> str:
    if step is None:
        return "—"
    what = step.get("tool_name") or step.get("model") or ""
    return f"{step['type']}: {step['name']}" + (f" ({what})" if what and what not in step["name"] else "")


def side_by_side(a: Sequence[Step], b: Sequence[Step]) -> list[PairRow]:
    """Both runs aligned by step index, each line flagged same/different and the divergence marked."""
    first = first_divergence(a, b)
    rows = []
    for i in range(max(len(a), len(b))):
        left, right = (a[i] if i < len(a) else None), (b[i] if i < len(b) else None)
        same = left is not None and right is not None and decision(left) == decision(right)
        rows.append(PairRow(i, _label(left), _label(right), same, i == first))
    return rows


def rows_as_records(rows: Sequence[PairRow]) -> list[dict[str, Any]]:
    """Rows for a table, steps numbered from 1 as the page shows them; a marker points at the divergence."""
    return [
        {
            "step": r.index + 1,
            "": "▶ diverges" if r.diverges else ("=" if r.same else "≠"),
            "run A": r.left,
            "run B": r.right,
        }
        for r in rows
    ]
