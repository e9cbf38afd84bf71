"""Time Machine: step through a past run like a debugger, and compare two runs of the same agent."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from agentstate.ui import data, session, state_diff
from agentstate.ui import format as fmt
from agentstate.ui.chat import to_messages
from agentstate.ui.format import escape_markdown
from agentstate.ui.kinds import is_error, style
from agentstate.ui.rundiff import first_divergence, rows_as_records, side_by_side
from agentstate.ui.schema import Step, TraceSummary
from agentstate.ui.steps import agent_of, clamp, decision_path
from agentstate.ui.tables import steps_frame
from agentstate.ui.widgets import RANGES, chat, run_guarded, since_iso, value

_STEP = "tm_step"
"""Session key of the step shown, numbered from 1."""
_MONEY: dict[str, Any] = {"cost_usd": st.column_config.NumberColumn("cost", format=fmt.COST_COLUMN_FORMAT)}


def _label(t: TraceSummary) -> str:
    return f"{fmt.when(t['start_time'])} · {t['root_span_name']} · {fmt.short_id(t['trace_id'])}"


def _recent(agent: str = "") -> list[TraceSummary]:
    params = {
        "since": since_iso(RANGES["Last 30 days"]),
        "limit": 100,
        "agent": agent or None,
        "project_id": session.project(),
    }
    return data.traces(session.api_url(), session.token() or "", data.freeze(params))["items"]


def _choose_trace() -> tuple[str, str | None] | None:
    trace_id = st.query_params.get("trace_id", "")
    if trace_id:
        return trace_id, st.query_params.get("project_id") or session.project()
    runs = _recent()
    if not runs:
        st.info("No runs in the last 30 days yet.")
        return None
    pick = st.selectbox("Run", runs, format_func=_label, key="tm_pick")
    if st.button("Step through this run", key="tm_load", type="primary") and pick is not None:
        st.query_params["trace_id"] = pick["trace_id"]
        st.query_params["project_id"] = pick["project_id"]
        st.rerun()
    return None


def _move(delta: int | None, n: int, to: int | None = None) -> None:
    current = int(st.session_state.get(_STEP, 1))
    st.session_state[_STEP] = max(1, min(n, to if to is not None else current + (delta or 0)))


def _jump() -> None:
    if st.session_state.get("tm_jump") is not None:
        st.session_state[_STEP] = int(st.session_state["tm_jump"])


def _controls(n: int) -> int:
    """Step buttons, slider and jump box; returns the 0-based index of the chosen step.

    Steps are numbered from 1 on the page (the slider, the heading, the tables, the divergence), so
    the last of 3 steps reads "Step 3 of 3"; the API's ``index`` stays 0-based underneath.
    """
    st.session_state[_STEP] = max(1, min(int(st.session_state.get(_STEP, 1)), n))
    cols = st.columns([1, 1, 6, 1, 1, 2])
    cols[0].button("⏮", key="tm_first", on_click=_move, args=(None, n, 1), help="First step")
    cols[1].button("◀ Prev", key="tm_prev", on_click=_move, args=(-1, n))
    if n > 1:
        cols[2].slider("Step", 1, n, key=_STEP, label_visibility="collapsed")
    cols[3].button("Next ▶", key="tm_next", on_click=_move, args=(1, n))
    cols[4].button("⏭", key="tm_last", on_click=_move, args=(None, n, n), help="Last step")
    cols[5].number_input(
        "Jump to step",
        1,
        n,
        key="tm_jump",
        on_change=_jump,
        placeholder="jump to step",
        value=None,
        label_visibility="collapsed",
    )
    return int(st.session_state[_STEP]) - 1


def _step_io(step: Step) -> None:
    """What went in, what the LLM was asked and answered, which tool ran and what it returned."""
    if step["type"] == "llm" and (step["input_messages"] or step["output_messages"]):
        st.markdown(
            "**The LLM was asked** (new since the previous LLM call)"
            if step["new_messages"]
            else "**The LLM was asked**"
        )
        chat(to_messages(step["new_messages"] or step["input_messages"], "user"))
        st.markdown("**…and answered**")
        chat(to_messages(step["output_messages"], "assistant"))
    elif step["input_messages"] or step["output_messages"]:  # a graph or node: the state it got and added
        st.markdown("**Messages in**")
        chat(to_messages(step["input_messages"], "user"))
        if step["output_messages"]:
            st.markdown("**Messages out**")
            chat(to_messages(step["output_messages"], "assistant"))
    if step["tool_name"] or step["tool_arguments"] is not None or step["tool_result"] is not None:
        st.markdown(f"**Tool ran:** {escape_markdown(step['tool_name'] or step['name'])}")
        value("arguments", step["tool_arguments"])
        value("returned", step["tool_result"])
    value("input", step["input"])
    value("output", step["output"])


_OP_ICON = {"+": "➕", "~": "✏️", "-": "➖"}


def _change_markdown(change: state_diff.StateChange) -> str:
    """One change with its name in bold; every telemetry part escaped."""
    what = (
        escape_markdown(change.after)
        if change.op == "+"
        else f"~~{escape_markdown(change.before)}~~"
        if change.op == "-"
        else f"{escape_markdown(change.before)} → {escape_markdown(change.after)}"
    )
    return f"{_OP_ICON[change.op]} **{escape_markdown(change.label)}**: {what}"


def _changes(steps: list[Step], index: int) -> None:
    """The run's state before and after this step, as lines: messages added, tool results, variables."""
    st.markdown("**What changed since the previous step**")
    lines = state_diff.changes(steps, index)
    if not lines:
        st.caption("Nothing: the conversation, the tool results and the variables are as they were.")
    for section in state_diff.SECTIONS:
        mine = [c for c in lines if c.section == section]
        if mine:
            st.caption(f"{section} ({len(mine)})")
            for change in mine:
                st.markdown(_change_markdown(change))
    if steps[index]["changes"]:
        with st.expander("Raw fields that differ from the previous step"):
            st.json(
                {c["field"]: {"before": c["before"], "after": c["after"]} for c in steps[index]["changes"]}, expanded=1
            )


def _path(steps: list[Step], index: int) -> None:
    st.markdown("**Where this step sits on the decision path**")
    for depth, entry in enumerate(decision_path(steps, index)):
        here = "👉 " if entry.index == index else ""
        branch = f"  (1 of {entry.siblings} at this level)" if entry.siblings > 1 else ""
        st.text(f"{'   ' * depth}{here}{style(entry.type).icon} #{entry.index + 1} {entry.name}{branch}")


def _step(steps: list[Step], index: int) -> None:
    step = steps[index]
    kind = style(step["type"])
    st.subheader(escape_markdown(f"Step {index + 1} of {len(steps)}: {kind.icon} {step['name']}"))
    facts = [
        step["type"],
        fmt.duration(step["duration_ms"]),
        f"{step['input_tokens'] + step['output_tokens']} tokens",
        fmt.cost(step["cost_usd"]),
        step["model"],
        step["agent_name"],
    ]
    st.text(" · ".join(f for f in facts if f))
    if is_error(step["status_code"]):
        st.error("This step failed.")
    left, right = st.columns([3, 2])
    with left:
        _step_io(step)
    with right:
        _changes(steps, index)
        _path(steps, index)


def _compare(steps: list[Step], trace_id: str) -> None:
    agent = agent_of(steps)
    st.subheader(escape_markdown(f"Compare with another run{' of ' + agent if agent else ''}"))
    others = [t for t in _recent(agent) if t["trace_id"] != trace_id]
    if not others:
        st.caption("No other run of this agent in the last 30 days.")
        return
    other = st.selectbox(
        "Other run", [None, *others], key="tm_other", format_func=lambda t: "—" if t is None else _label(t)
    )
    if other is None:
        return
    theirs = data.steps(session.api_url(), session.token() or "", other["trace_id"], other["project_id"])["steps"]
    first = first_divergence(steps, theirs)
    if first is None:
        st.success("The two runs took the same decisions at every step.")
    else:
        st.warning(f"The runs diverge at step {first + 1}.")
        st.button("Go to the divergence", key="tm_goto_div", on_click=_move, args=(None, len(steps), first + 1))
    st.dataframe(pd.DataFrame(rows_as_records(side_by_side(steps, theirs))), hide_index=True, width="stretch")
    if first is not None:
        a, b = st.columns(2)
        for col, run, name in ((a, steps, "this run"), (b, theirs, "other run")):
            with col:
                st.markdown(f"**Step {first + 1} in {name}**")
                if first < len(run):
                    st.text(f"{run[first]['type']}: {run[first]['name']}")
                    _step_io(run[first])
                else:
                    st.caption("This run had already ended.")


def _page() -> None:
    st.title("Time Machine")
    picked = _choose_trace()
    if picked is None:
        return
    trace_id, project_id = picked
    run: Any = data.steps(session.api_url(), session.token() or "", trace_id, project_id)
    steps: list[Step] = run["steps"]
    st.caption(f"Run {trace_id} · {len(steps)} steps" + (" (truncated)" if run["truncated"] else ""))
    if not steps:
        st.info("This run has no steps.")
        return
    index = clamp(_controls(len(steps)), steps)
    _step(steps, index)
    with st.expander("All steps", expanded=False):
        st.dataframe(steps_frame(steps, index), hide_index=True, width="stretch", column_config=_MONEY)
    st.divider()
    _compare(steps, trace_id)


def render() -> None:
    """The Time Machine page."""
    run_guarded(_page)
