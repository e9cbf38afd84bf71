"""Runaway loops: identical tool calls per trace."""

from __future__ import annotations

import pytest

from agentstate.processors.detectors.loops import LoopTracker, canonical_arguments
from agentstate.semconv.span_record import Message, NormalizedSpan, Operation, ToolCall


def _tool(args: str, name: str = "search") -> NormalizedSpan:
    return NormalizedSpan(operation=Operation.EXECUTE_TOOL, tool_name=name, tool_arguments=args)


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        pytest.param('{"q": "x", "n": 1}', '{"n":1,"q":"x"}', True, id="json-key-order"),
        pytest.param('{"q": "x"}', '{"q": "y"}', False, id="different-values"),
        pytest.param(" plain ", "plain", True, id="text-stripped"),
        pytest.param("{broken", "{broken", True, id="invalid-json-as-text"),
    ],
)
def test_canonical_arguments(a: str, b: str, same: bool) -> None:
    assert (canonical_arguments(a) == canonical_arguments(b)) is same


def test_alert_fires_once_when_the_threshold_is_crossed() -> None:
    tracker = LoopTracker(threshold=3)
    fired = [len(tracker.detect("p", "t1", _tool('{"q": 1}'))) for _ in range(6)]
    assert fired == [0, 0, 0, 1, 0, 0]


def test_traces_tools_and_arguments_are_counted_apart() -> None:
    tracker = LoopTracker(threshold=2)
    for span, trace in [(_tool("a"), "t1"), (_tool("a"), "t2"), (_tool("b"), "t1"), (_tool("a", "other"), "t1")]:
        assert tracker.detect("p", trace, span) == []
    assert tracker.detect("p", "t1", _tool("a")) == []
    (alert,) = tracker.detect("p", "t1", _tool("a"))
    assert alert.rule_id == "runaway_loop" and alert.score == 3.0


def test_model_requested_tool_calls_count_too() -> None:
    tracker = LoopTracker(threshold=1)
    span = NormalizedSpan(operation=Operation.CHAT, output_messages=(
        Message("assistant", "", (ToolCall("lookup", '{"id": 1}'), ToolCall("lookup", '{"id": 1}'))),))  # fmt: skip
    assert [a.rule_id for a in tracker.detect("p", "t", span)] == ["runaway_loop"]
