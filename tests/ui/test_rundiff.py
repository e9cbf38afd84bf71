"""Comparing two runs and finding where they diverge; the decision path of a step."""

from __future__ import annotations

from typing import Any, cast

from agentstate.ui.rundiff import first_divergence, rows_as_records, side_by_side
from agentstate.ui.schema import Step
from agentstate.ui.steps import agent_of, clamp, decision_path
from tests.ui.factories import step


def run(*steps: dict[str, Any]) -> list[Step]:
    return cast(list[Step], list(steps))


A = run(
    step(0, "agent", "plan", agent_name="planner"),
    step(1, "llm", "chat", parent="s0", model="m"),
    step(2, "tool", "execute_tool search", parent="s0", tool="search", args={"q": "paris"}),
    step(3, "llm", "chat", parent="s0", model="m"),
)


def test_identical_runs_do_not_diverge_even_with_other_timings() -> None:
    b = run(*[{**s, "duration_ms": 99.0, "output": "different words"} for s in A])
    assert first_divergence(A, b) is None


def test_other_tool_arguments_diverge_there() -> None:
    b = run(*A[:2], step(2, "tool", "execute_tool search", parent="s0", tool="search", args={"q": "rome"}), A[3])
    assert first_divergence(A, b) == 2
    rows = side_by_side(A, b)
    assert [r.diverges for r in rows] == [False, False, True, False]
    records = rows_as_records(rows)
    assert records[2][""] == "▶ diverges"
    assert [r["step"] for r in records] == [1, 2, 3, 4]  # numbered as the page numbers steps, from 1


def test_a_shorter_run_diverges_where_it_ends() -> None:
    assert first_divergence(A, A[:2]) == 2
    assert side_by_side(A, A[:2])[3].right == "—"


def test_decision_path_walks_parents() -> None:
    path = decision_path(A, 2)
    assert [(p.index, p.type) for p in path] == [(0, "agent"), (2, "tool")]
    assert path[-1].siblings == 3  # three steps under the agent
    assert decision_path(A, 99) == []


def test_clamp_and_agent() -> None:
    assert clamp(-3, A) == 0 and clamp(10, A) == 3 and clamp(5, []) == 0
    assert agent_of(A) == "planner"
