"""The Time Machine's "what changed": the run's state before and after a step, as readable lines."""

from __future__ import annotations

from typing import Any, cast

import pytest

from agentstate.ui.schema import Step
from agentstate.ui.state_diff import MESSAGES, TOOLS, VARIABLES, StateChange, changes, short, state_after
from tests.ui.factories import step

Q = [{"role": "user", "parts": [{"type": "text", "content": "What is 2+2?"}]}]
CALL = [{"role": "assistant", "parts": [{"type": "tool_call", "name": "calc", "arguments": {"e": "2+2"}}]}]
RESULT = [{"role": "tool", "parts": [{"type": "tool_call_response", "response": "4"}]}]
ANSWER = [{"role": "assistant", "parts": [{"type": "text", "content": "It is 4."}]}]


def _run() -> list[Step]:
    """The shape of a real agent run: agent, LLM asks for a tool, the tool, LLM answers (history repeated)."""
    steps: list[dict[str, Any]] = [
        step(0, "agent", "agent.run", agent_name="planner", input="What is 2+2?", output="4"),
        step(1, "llm", "chat gpt-4o", parent="s0", model="gpt-4o", input_messages=Q, output_messages=CALL),
        step(2, "tool", "execute_tool calc", parent="s0", tool="calc", args={"e": "2+2"}, tool_result="4"),
        step(
            3,
            "llm",
            "chat gpt-4o",
            parent="s0",
            model="gpt-4o",
            input_messages=[*Q, *CALL, *RESULT],
            output_messages=ANSWER,
        ),
    ]
    return cast(list[Step], steps)


def _lines(index: int) -> list[tuple[str, str, str, str]]:
    return [(c.section, c.op, c.label, c.after or c.before) for c in changes(_run(), index)]


@pytest.mark.parametrize(
    ("index", "expected"),
    [
        pytest.param(
            0,
            [
                (VARIABLES, "+", "agent.run input", "What is 2+2?"),
                (VARIABLES, "+", "agent.run output", "4"),
                (VARIABLES, "+", "agent", "planner"),
            ],
            id="agent-sets-the-run-variables",
        ),
        pytest.param(
            1,
            [
                (MESSAGES, "+", "user", "What is 2+2?"),
                (MESSAGES, "+", "assistant", 'calls calc({"e": "2+2"})'),
                (VARIABLES, "+", "model", "gpt-4o"),
            ],
            id="first-llm-call-adds-its-messages",
        ),
        # The raw API diff of this step lists the LLM's messages and model as gone; the state keeps them.
        pytest.param(2, [(TOOLS, "+", 'calc({"e": "2+2"})', "4")], id="tool-adds-only-its-result"),
        # The second call repeats the whole history: only the tool's answer and the final reply are new.
        pytest.param(
            3,
            [(MESSAGES, "+", "tool", "tool result 4"), (MESSAGES, "+", "assistant", "It is 4.")],
            id="history-is-not-new",
        ),
        pytest.param(4, [], id="past-the-end"),
    ],
)
def test_changes_per_step(index: int, expected: list[tuple[str, str, str, str]]) -> None:
    assert _lines(index) == expected


def test_changed_and_failed_values() -> None:
    run = _run()
    again = cast(Step, {**step(4, "llm", "chat gpt-4o-mini", model="gpt-4o-mini"), "status_code": "Error"})
    lines = changes([*run, again], 4)
    assert StateChange(VARIABLES, "~", "model", "gpt-4o", "gpt-4o-mini") in lines
    assert StateChange(VARIABLES, "+", "chat gpt-4o-mini status", after="failed") in lines
    assert [c.line() for c in lines if c.label == "model"] == ["~ model: gpt-4o → gpt-4o-mini"]
    assert StateChange(VARIABLES, "-", "x", before="1").line() == "- x (was 1)"


def test_state_accumulates_and_values_stay_readable() -> None:
    state = state_after(_run(), 3)
    assert len(state.messages) == 4 and state.tools == {'calc({"e": "2+2"})': "4"}
    assert state_after(_run(), -1).messages == []
    long = short({"text": "x" * 1000}, limit=50)
    assert long.startswith('{"text": "xxx') and long.endswith("(+962 characters)")
    assert short("a\n  b\tc") == "a b c"
