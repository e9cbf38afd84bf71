"""One span's panel: its numbers, LLM messages as a chat, tool I/O, attributes, events, exceptions."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import streamlit as st

from agentstate.ui import format as fmt
from agentstate.ui import tree as tree_mod
from agentstate.ui.chat import conversation
from agentstate.ui.format import escape_markdown
from agentstate.ui.kinds import style
from agentstate.ui.schema import Span
from agentstate.ui.widgets import chat, tiles, value

_EXCEPTION = "exception"


def _attributes_frame(attrs: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame(sorted(attrs.items()), columns=["attribute", "value"])


def _path(tree: tree_mod.Tree, node: tree_mod.Node) -> str:
    return " › ".join(style(n.kind).icon + " " + n.name for n in tree_mod.ancestors(tree, node.span_id))


def _numbers(span: Span, node: tree_mod.Node) -> None:
    genai = span["genai"]
    tiles(
        [
            ("Duration", fmt.duration(node.duration_ms)),
            ("Tokens in / out", f"{fmt.tokens(node.input_tokens)} / {fmt.tokens(node.output_tokens)}"),
            ("Cost", fmt.cost(node.cost_usd)),
            ("Σ subtree tokens", fmt.tokens(node.subtree_tokens)),
            ("Σ subtree cost", fmt.cost(node.subtree_cost_usd)),
            ("Σ subtree spans", node.subtree_spans),
        ]
    )
    facts = {
        "kind": style(node.kind).label,
        "span kind": span["kind"],
        "service": span["service_name"],
        "model": genai["response_model"] or genai["request_model"],
        "provider": genai["provider"],
        "agent": genai["agent_name"],
        "tool": genai["tool_name"],
        "span id": span["span_id"],
        "parent": span["parent_span_id"],
        "start": fmt.when(span["start_time"]),
    }
    st.text("  ·  ".join(f"{k}: {v}" for k, v in facts.items() if v))


def _exceptions(span: Span) -> None:
    for event in span["events"]:
        if event["name"] != _EXCEPTION:
            continue
        a = event["attributes"]
        st.error(escape_markdown(f"{a.get('exception.type', 'Exception')}: {a.get('exception.message', '')}"))
        if a.get("exception.stacktrace"):
            st.code(a["exception.stacktrace"], language=None)


def first_tab(kind: str, names: Sequence[str]) -> str:
    """The tab a span opens on: the chat of an LLM call, the I/O of a tool call, else the first tab."""
    wanted = {"llm": "Chat", "tool": "Tool"}.get(kind, "")
    return wanted if wanted in names else names[0]


def render_span(span: Span, node: tree_mod.Node, tree: tree_mod.Tree) -> None:
    """The panel of the selected span."""
    kind = style(node.kind)
    st.subheader(escape_markdown(f"{kind.icon} {span['name']}"))
    st.caption(escape_markdown(_path(tree, node)))
    if node.error:
        st.error(escape_markdown("Error" + (f": {span['status_message']}" if span["status_message"] else "")))
    _numbers(span, node)
    genai = span["genai"]
    messages = conversation(genai["system_instructions"], genai["input_messages"], genai["output_messages"])
    has_tool = genai["tool_arguments"] is not None or genai["tool_result"] is not None
    names = (
        (["Chat"] if messages else [])
        + (["Tool"] if has_tool else [])
        + ["Attributes", f"Events ({len(span['events'])})", "Resource"]
    )
    # A key per span: the tabs are drawn afresh for each span, so the default applies to every pick
    # (with one key, the browser would keep whatever tab was open for the previous span).
    tabs = dict(
        zip(names, st.tabs(names, default=first_tab(node.kind, names), key=f"span_tabs_{span['span_id']}"), strict=True)
    )
    if "Chat" in tabs:
        with tabs["Chat"]:
            chat(messages)
    if "Tool" in tabs:
        with tabs["Tool"]:
            st.text(f"tool: {genai['tool_name'] or span['name']}")
            value("arguments", genai["tool_arguments"])
            value("result", genai["tool_result"])
    with tabs["Attributes"]:
        st.dataframe(_attributes_frame(span["attributes"]), hide_index=True, width="stretch")
    with tabs[names[-2]]:
        _exceptions(span)
        for event in span["events"]:
            st.text(f"{fmt.when(event['time'])}  {event['name']}")
            if event["attributes"] and event["name"] != _EXCEPTION:
                st.dataframe(_attributes_frame(event["attributes"]), hide_index=True, width="stretch")
        if not span["events"]:
            st.caption("No events.")
    with tabs["Resource"]:
        st.dataframe(_attributes_frame(span["resource_attributes"]), hide_index=True, width="stretch")
