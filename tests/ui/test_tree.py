"""The trace tree view model: order, roll-ups, folding, paths."""

from __future__ import annotations

import time
from typing import Any, cast

import pytest

from agentstate.ui.schema import TraceDetail
from agentstate.ui.tree import ancestors, auto_collapse, build_tree, error_ids, visible
from tests.ui.factories import detail, span


def _tree(spans: list[dict[str, Any]]):  # type: ignore[no-untyped-def]
    return build_tree(cast(TraceDetail, detail(spans)))


def sample() -> list[dict[str, Any]]:
    return [
        span("root", op="invoke_agent", dur_ms=100),
        span("llm1", "root", start_ms=1, op="chat", tokens=(100, 20), cost=0.01),
        span("tool", "root", start_ms=20, op="execute_tool", error=True),
        span("sub", "tool", start_ms=21, dur_ms=200, op="chat", tokens=(5, 5), cost=0.002),
        span("llm2", "root", start_ms=50, op="chat", tokens=(150, 5), cost=0.02),
    ]


def test_depth_first_order_and_depths() -> None:
    tree = _tree(sample())
    assert [(n.span_id, n.depth) for n in tree.nodes] == [
        ("root", 0),
        ("llm1", 1),
        ("tool", 1),
        ("sub", 2),
        ("llm2", 1),
    ]
    assert tree.roots == ["root"]
    assert [n.kind for n in tree.nodes] == ["agent", "llm", "tool", "llm", "llm"]


def test_subtree_roll_ups() -> None:
    tree = _tree(sample())
    root, tool = tree.by_id["root"], tree.by_id["tool"]
    assert root.subtree_tokens == 100 + 20 + 10 + 155
    assert root.subtree_cost_usd == pytest.approx(0.032)
    assert root.subtree_errors == 1 and root.subtree_spans == 5
    assert tool.subtree_tokens == 10 and tool.subtree_cost_usd == pytest.approx(0.002)
    assert tool.subtree_end_ms == pytest.approx(221)  # the child outlives its parent


def test_orphans_become_roots_and_cycles_do_not_hang() -> None:
    tree = _tree([span("a", "missing"), span("b", "c"), span("c", "b")])
    assert {n.span_id for n in tree.nodes} == {"a", "b", "c"}
    assert "a" in tree.roots


def test_visible_hides_folded_subtrees_only() -> None:
    tree = _tree(sample())
    assert [n.span_id for n in visible(tree, {"tool"})] == ["root", "llm1", "tool", "llm2"]
    assert [n.span_id for n in visible(tree, {"root"})] == ["root"]
    assert len(visible(tree, set())) == 5
    assert [n.span_id for n in visible(tree, {"llm1"})] == ["root", "llm1", "tool", "sub", "llm2"]  # a leaf


def big(n_agents: int = 20, per_agent: int = 99) -> list[dict[str, Any]]:
    spans = [span("root", op="invoke_agent")]
    for a in range(n_agents):
        spans.append(span(f"a{a}", "root", start_ms=a, op="invoke_agent"))
        spans += [span(f"a{a}-{i}", f"a{a}", start_ms=a + i / 1000, op="chat", tokens=(1, 1)) for i in range(per_agent)]
    return spans


def test_auto_collapse_keeps_a_2000_span_run_readable() -> None:
    tree = _tree(big())
    assert len(tree.nodes) == 2001
    folded = auto_collapse(tree, budget=150)
    shown = visible(tree, folded)
    assert len(shown) == 21  # the root and its 20 agents, each folded with its 99 calls
    assert tree.by_id["a0"].subtree_tokens == 198


def test_auto_collapse_small_tree_folds_nothing() -> None:
    tree = _tree(sample())
    assert visible(tree, auto_collapse(tree)) == tree.nodes


def test_build_tree_is_fast_on_10k_spans() -> None:
    spans = big(100, 99)
    t = time.perf_counter()
    tree = _tree(spans)
    visible(tree, auto_collapse(tree))
    assert time.perf_counter() - t < 1.0
    assert len(tree.nodes) == 10_001


def test_ancestors_and_errors() -> None:
    tree = _tree(sample())
    assert [n.span_id for n in ancestors(tree, "sub")] == ["root", "tool", "sub"]
    assert ancestors(tree, "nope") == []
    assert error_ids(tree.nodes) == ["tool"]
