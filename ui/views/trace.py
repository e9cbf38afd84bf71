"""Trace detail: the span tree and the waterfall side by side, then the selected span's panel.

One API call per trace (cached by trace ID and token). A big run opens folded to a readable
outline (:func:`~agentstate.ui.tree.auto_collapse`); folded rows carry their subtree's roll-ups.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from agentstate.ui import data, links, session, waterfall
from agentstate.ui import format as fmt
from agentstate.ui import tree as tree_mod
from agentstate.ui.schema import TraceDetail
from agentstate.ui.tables import tree_frame
from agentstate.ui.views.span_panel import render_span
from agentstate.ui.widgets import run_guarded, tiles

PANE_PX = 640

_TREE_COLUMNS: dict[str, Any] = {
    "span": st.column_config.TextColumn("span", width=250),
    "status": st.column_config.TextColumn("", width=28),
    "duration_ms": st.column_config.NumberColumn("ms", format="%.1f", width=64),
    "subtree_tokens": st.column_config.NumberColumn("Σ tokens", width=70),
    "subtree_cost_usd": st.column_config.NumberColumn("Σ cost", format=fmt.COST_COLUMN_FORMAT, width=84),
}
"""What fits beside the waterfall at 1400 px without a horizontal scroll; a span's own tokens and cost,
its kind and its subtree's span count are in the panel below (and in the frame, for the tests)."""
_TREE_ORDER = list(_TREE_COLUMNS)
_SPLIT = [3, 2]
"""Tree and waterfall widths."""


def _trace_id() -> tuple[str, str | None] | None:
    trace_id = st.query_params.get("trace_id", "")
    if not trace_id:
        st.info("Pick a trace on the Traces page, or paste its ID.")
        typed = st.text_input("Trace ID", key="trace_typed_id")
        if typed.strip():
            st.query_params["trace_id"] = typed.strip().lower()
            st.rerun()
        return None
    return trace_id, st.query_params.get("project_id") or session.project()


def _collapsed(tree: tree_mod.Tree, trace_id: str) -> set[str]:
    key = f"trace_collapsed:{trace_id}"
    if key not in st.session_state:
        st.session_state[key] = tree_mod.auto_collapse(tree)
    folded: set[str] = st.session_state[key]
    return folded


def _header(detail: TraceDetail, tree: tree_mod.Tree) -> None:
    roots = [tree.by_id[r] for r in tree.roots]
    errors = sum(r.subtree_errors for r in roots)
    st.title("Trace " + fmt.short_id(detail["trace_id"], 16))
    tiles(
        [
            ("Duration", fmt.duration(detail["duration_ms"])),
            ("Spans", f"{detail['span_count']:,}"),
            ("Tokens", fmt.tokens(sum(r.subtree_tokens for r in roots))),
            ("Cost", fmt.cost(sum(r.subtree_cost_usd for r in roots))),
            ("Errors", errors),
        ]
    )
    if detail["truncated"]:
        st.warning("This trace has more spans than the API returns at once; the tree shows the first ones.")


def _controls(detail: TraceDetail, tree: tree_mod.Tree, folded: set[str], selected: str) -> None:
    # One row of buttons, each as wide as its caption (fixed columns cut "Show errors (198)" at 1400 px).
    bar = st.container(horizontal=True, vertical_alignment="center")
    node = tree.by_id.get(selected)
    if bar.button("Expand all", key="trace_expand_all"):
        folded.clear()
    if bar.button("Outline", key="trace_outline", help="Fold to a readable overview"):
        folded.clear()
        folded.update(tree_mod.auto_collapse(tree))
    if node is not None and node.children:
        is_folded = selected in folded
        if bar.button("Expand span" if is_folded else "Fold span", key="trace_toggle"):
            (folded.discard if is_folded else folded.add)(selected)
    errors = tree_mod.error_ids(tree.nodes)
    if errors and bar.button(f"Show errors ({len(errors)})", key="trace_errors"):
        for span_id in errors:  # unfold every ancestor of every error
            for anc in tree_mod.ancestors(tree, span_id)[:-1]:
                folded.discard(anc.span_id)
        st.session_state["trace_selected"] = errors[0]
    if bar.button("Open in Time Machine", key="trace_to_tm", icon=":material/history:"):
        links.go(links.TIME_MACHINE, trace_id=detail["trace_id"], project_id=detail["project_id"])
    st.caption("▸ folded (click a row, then *Expand span*) · ❌ error · ⚠️ error below · Σ = whole subtree")


def _default_selection(tree: tree_mod.Tree, trace_id: str) -> str:
    if st.session_state.get("trace_selected_for") != trace_id:
        st.session_state["trace_selected_for"] = trace_id
        wanted = st.query_params.get("span_id", "")
        errors = tree_mod.error_ids(tree.nodes)
        st.session_state["trace_selected"] = (
            wanted if wanted in tree.by_id else errors[0] if errors else tree.nodes[0].span_id
        )
    selected: str = st.session_state["trace_selected"]
    return selected


def _reveal(tree: tree_mod.Tree, folded: set[str], span_id: str) -> None:
    for anc in tree_mod.ancestors(tree, span_id)[:-1]:
        folded.discard(anc.span_id)


def _pick_row(table_key: str) -> None:
    """Table selection callback: runs only when the selection changes, before the rerun."""
    rows = st.session_state[table_key]["selection"]["rows"]
    shown: list[str] = st.session_state.get("trace_rows", [])
    if rows and rows[0] < len(shown):
        st.session_state["trace_selected"] = shown[rows[0]]


def _pick_bar(chart_key: str) -> None:
    """Waterfall click callback."""
    clicked = waterfall.selected_span(st.session_state[chart_key])
    if clicked:
        st.session_state["trace_selected"] = clicked


def _tree_and_waterfall(tree: tree_mod.Tree, folded: set[str], trace_id: str) -> None:
    rows = tree_mod.visible(tree, folded)
    st.session_state["trace_rows"] = [n.span_id for n in rows]
    st.caption(f"{len(rows):,} of {len(tree.nodes):,} spans shown · timeline in ms since the trace start")
    # Keys change with the visible rows, so a stale row selection never points at another span.
    table_key, chart_key = f"tree:{trace_id}:{len(rows)}", f"waterfall:{trace_id}:{len(rows)}"
    table_px = waterfall.HEADER_PX + len(rows) * waterfall.ROW_PX + 1  # header and rows, border included
    synced = waterfall.row_px(len(rows)) == waterfall.ROW_PX
    # Tree and chart share one scroll box, so their rows stay side by side while scrolling; only a tree
    # too tall for one chart (thousands of rows, thinner bars) scrolls the two apart.
    with st.container(height=PANE_PX if synced and table_px > PANE_PX else "content", border=False):
        left, right = st.columns(_SPLIT, gap="small")
        with left:
            st.dataframe(
                tree_frame(rows, folded),
                hide_index=True,
                width="stretch",
                column_config=_TREE_COLUMNS,
                height=table_px if synced else min(PANE_PX, table_px),
                key=table_key,
                on_select=lambda: _pick_row(table_key),
                selection_mode="single-row",
                column_order=_TREE_ORDER,
                row_height=waterfall.ROW_PX,
            )
        with right, st.container(height="content" if synced else PANE_PX, border=False):
            st.vega_lite_chart(
                waterfall.frame(rows, folded),
                waterfall.spec(len(rows)),
                width="stretch",
                on_select=lambda: _pick_bar(chart_key),
                key=chart_key,
            )


def _span_picker(tree: tree_mod.Tree, folded: set[str]) -> None:
    """Pick the panel's span by name (keyboard-friendly; the table and the chart select too)."""
    options = [n.span_id for n in tree_mod.visible(tree, folded)]
    if st.session_state["trace_selected"] not in options:
        options.insert(0, st.session_state["trace_selected"])
    labels = {n.span_id: f"{'· ' * n.depth}{n.name}  [{fmt.short_id(n.span_id)}]" for n in tree.nodes}
    st.session_state["trace_span_pick"] = st.session_state["trace_selected"]  # follows table and chart clicks
    st.selectbox(
        "Span", options, key="trace_span_pick", format_func=lambda i: labels.get(i, i), on_change=_pick_from_box
    )


def _pick_from_box() -> None:
    st.session_state["trace_selected"] = st.session_state["trace_span_pick"]


def _page() -> None:
    picked = _trace_id()
    if picked is None:
        return
    trace_id, project_id = picked
    detail = data.trace(session.api_url(), session.token() or "", trace_id, project_id)
    tree = tree_mod.build_tree(detail)
    folded = _collapsed(tree, trace_id)
    selected = _default_selection(tree, trace_id)
    _header(detail, tree)
    _controls(detail, tree, folded, selected)
    selected = st.session_state["trace_selected"]
    _reveal(tree, folded, selected)
    _tree_and_waterfall(tree, folded, trace_id)
    spans = {s["span_id"]: s for s in detail["spans"]}
    st.divider()
    _span_picker(tree, folded)
    selected = st.session_state["trace_selected"]
    if selected in spans:
        render_span(spans[selected], tree.by_id[selected], tree)


def render() -> None:
    """The Trace detail page."""
    run_guarded(_page)
