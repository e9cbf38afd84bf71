"""What a run's state looked like after each step, and what one step changed, as readable lines.

The API lists, per step, the raw fields that differ from the step before (a tool step "removes" the
previous LLM call's messages and model, because it has none). Readers want the run's *state* instead:
the conversation so far, the tool results gathered so far, and named values (the run's input and
output, the model in use, failures). This module folds the steps into that state and compares the
state before and after a step. Pure; the Time Machine page renders the lines as text.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from agentstate.ui.chat import ChatMessage, to_message
from agentstate.ui.kinds import is_error
from agentstate.ui.schema import Step

MESSAGES: Final = "Messages added"
TOOLS: Final = "Tool results"
VARIABLES: Final = "Variables"
SECTIONS: Final = (MESSAGES, TOOLS, VARIABLES)
"""Section titles, in the order the page shows them."""
TEXT_LIMIT = 600
"""Characters of one value shown in a line; longer values end with a count of what was left out."""


@dataclass(frozen=True)
class StateChange:
    """One line of "what changed": a message added, a tool result, or a variable set or changed."""

    section: str
    op: str
    """``+`` new, ``~`` changed, ``-`` gone."""
    label: str
    before: str = ""
    after: str = ""

    def line(self) -> str:
        """The change as one readable line."""
        if self.op == "+":
            return f"+ {self.label}: {self.after}"
        if self.op == "-":
            return f"- {self.label} (was {self.before})"
        return f"~ {self.label}: {self.before} → {self.after}"


@dataclass
class RunState:
    """The state of a run after some of its steps."""

    messages: list[str] = field(default_factory=list)
    """Canonical JSON of each message of the conversation, in order."""
    raw_messages: dict[str, Any] = field(default_factory=dict)
    tools: dict[str, str] = field(default_factory=dict)
    """``tool(arguments)`` → what it returned."""
    variables: dict[str, str] = field(default_factory=dict)


def _canon(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str, ensure_ascii=False)


def short(value: Any, limit: int = TEXT_LIMIT) -> str:
    """A value as one line of at most ``limit`` characters (strings as they are, structures as compact JSON)."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + f" … (+{len(text) - limit} characters)"


def describe(message: ChatMessage) -> str:
    """A chat message in words: its text, the tools it calls, the results it carries."""
    parts = [short(t) for t in message.texts if t]
    parts += [
        f"calls {call.name or '?'}({short(call.arguments, 200) if call.arguments is not None else ''})"
        for call in message.tool_calls
    ]
    parts += [f"tool result {short(r.content, 200)}" for r in message.tool_results]
    return " · ".join(parts) or "(empty)"


def _messages(step: Step) -> list[Any]:
    out: list[Any] = []
    for raw in (step.get("input_messages"), step.get("output_messages")):
        if isinstance(raw, list):
            out.extend(raw)
        elif raw not in (None, ""):
            out.append(raw)
    return out


def apply(state: RunState, step: Step) -> RunState:
    """The state after ``step``: a new object, ``state`` is left as it was."""
    new = RunState(list(state.messages), dict(state.raw_messages), dict(state.tools), dict(state.variables))
    if step["type"] == "llm":
        for raw in _messages(step):  # a conversation grows; a message seen before is not new
            key = _canon(raw)
            if key not in new.raw_messages:
                new.messages.append(key)
                new.raw_messages[key] = raw
        if step.get("model"):
            new.variables["model"] = step["model"]
    if step["type"] == "tool" or step.get("tool_name"):
        args = step.get("tool_arguments")
        label = f"{step.get('tool_name') or step['name']}({short(args, 120) if args is not None else ''})"
        new.tools[label] = short(step.get("tool_result")) if step.get("tool_result") is not None else "(no result)"
    for name in ("input", "output"):
        if step.get(name) is not None and step["type"] not in ("llm", "tool"):
            new.variables[f"{step['name']} {name}"] = short(step[name])
    if step.get("agent_name"):
        new.variables["agent"] = step["agent_name"]
    if is_error(step["status_code"]):
        new.variables[f"{step['name']} status"] = "failed"
    return new


def state_after(steps: Sequence[Step], index: int) -> RunState:
    """The run's state once ``steps[index]`` has run (the empty state for a negative index)."""
    state = RunState()
    for step in steps[: max(0, index + 1)]:
        state = apply(state, step)
    return state


def _dict_changes(section: str, before: dict[str, str], after: dict[str, str]) -> list[StateChange]:
    out: list[StateChange] = []
    for key, value in after.items():
        if key not in before:
            out.append(StateChange(section, "+", key, after=value))
        elif before[key] != value:
            out.append(StateChange(section, "~", key, before[key], value))
    out += [StateChange(section, "-", key, before=value) for key, value in before.items() if key not in after]
    return out


def changes(steps: Sequence[Step], index: int) -> list[StateChange]:
    """What ``steps[index]`` changed in the run's state, section by section (see :data:`SECTIONS`)."""
    if not 0 <= index < len(steps):
        return []
    before = state_after(steps, index - 1)
    after = apply(before, steps[index])
    seen = set(before.messages)
    added = []
    for key in after.messages:
        if key not in seen:
            message = to_message(after.raw_messages[key])
            added.append(StateChange(MESSAGES, "+", message.role, after=describe(message)))
    return (
        added
        + _dict_changes(TOOLS, before.tools, after.tools)
        + _dict_changes(VARIABLES, before.variables, after.variables)
    )
