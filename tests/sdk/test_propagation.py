"""Parent links and ``propagate_attributes`` across nesting, asyncio tasks, threads and thread pools."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from opentelemetry import trace

import agentstate
from agentstate import observe, propagate_attributes
from tests.sdk.conftest import Captured

SESSION = {"session.id": "s-1", "gen_ai.conversation.id": "s-1"}


@observe
def child(x: int) -> int:
    return x


def _in_pool(fn: Callable[[], object]) -> None:
    with ThreadPoolExecutor(max_workers=2) as pool:
        pool.submit(fn).result()


def _in_thread(fn: Callable[[], object]) -> None:
    thread = threading.Thread(target=fn)
    thread.start()
    thread.join()


class _Worker(threading.Thread):
    """A Thread subclass overriding run(): the context must still follow."""

    def run(self) -> None:
        child(2)


def _in_thread_subclass(fn: Callable[[], object]) -> None:
    worker = _Worker()
    worker.start()
    worker.join()


def _in_run_in_executor(fn: Callable[[], object]) -> None:
    async def go() -> None:
        await asyncio.get_running_loop().run_in_executor(None, fn)

    asyncio.run(go())


def _in_task(fn: Callable[[], object]) -> None:
    async def go() -> None:
        async def task() -> None:
            fn()

        await asyncio.gather(asyncio.create_task(task()), asyncio.create_task(task()))

    asyncio.run(go())


@pytest.mark.parametrize(
    "run",
    [
        pytest.param(_in_pool, id="thread-pool"),
        pytest.param(_in_thread, id="thread"),
        pytest.param(_in_thread_subclass, id="thread-subclass"),
        pytest.param(_in_run_in_executor, id="run-in-executor"),
        pytest.param(_in_task, id="asyncio-tasks"),
    ],
)
def test_parent_and_attributes_follow_the_work(sdk: Captured, run: Callable[[Callable[[], object]], None]) -> None:
    @observe
    def parent() -> None:
        with propagate_attributes(session_id="s-1", tags=["t"]):
            run(lambda: child(1))

    parent()
    spans = sdk.dicts()
    root = next(s for s in spans if s["name"].endswith("parent"))
    children = [s for s in spans if s["name"] == "child"]
    assert children
    for span in children:
        assert span["parent"] == root["span_id"]
        assert span["trace_id"] == root["trace_id"]
        assert {k: span["attributes"][k] for k in (*SESSION, "agentstate.tags")} == {
            **SESSION,
            "agentstate.tags": ["t"],
        }


def test_nothing_is_carried_into_threads_outside_a_span(sdk: Captured) -> None:
    seen: list[object] = []
    _in_pool(lambda: seen.append(trace.get_current_span()))
    assert seen == [trace.INVALID_SPAN]


def test_scopes_nest_and_apply_to_the_enclosing_span(sdk: Captured) -> None:
    @observe
    def root() -> None:
        with propagate_attributes(session_id="s-1", user_id="u-1", tags=["a"], metadata={"plan": "pro"}):
            child(1)
            with propagate_attributes(user_id="u-2", tags=["b", "a"], metadata={"n": 3, "obj": {"k": [1]}}):
                child(2)
        child(3)

    root()
    by_input = {s["attributes"].get("input.value"): s["attributes"] for s in sdk.dicts()}
    base = {**SESSION, "agentstate.metadata.plan": "pro"}
    assert {
        k: v
        for k, v in by_input['{"x":1}'].items()
        if k.startswith(("session", "gen_ai.conv", "user", "agentstate.t", "agentstate.m"))
    } == {
        **base,
        "user.id": "u-1",
        "agentstate.tags": ["a"],
    }
    assert {
        k: v
        for k, v in by_input['{"x":2}'].items()
        if k.startswith(("session", "gen_ai.conv", "user", "agentstate.t", "agentstate.m"))
    } == {
        **base,
        "user.id": "u-2",
        "agentstate.tags": ["a", "b"],
        "agentstate.metadata.n": 3,
        "agentstate.metadata.obj": '{"k":[1]}',
    }
    assert not any(k.startswith(("session.", "user.", "agentstate.tags")) for k in by_input['{"x":3}'])
    assert by_input["{}"]["session.id"] == "s-1"  # the enclosing root span got them too


def test_plain_otel_spans_in_scope_get_the_attributes(sdk: Captured) -> None:
    tracer = sdk.provider.get_tracer("other-instrumentation")
    with propagate_attributes(user_id="u-9"), tracer.start_as_current_span("http GET"):
        pass
    assert sdk.dicts()[0]["attributes"] == {"user.id": "u-9"}


def test_scope_without_init_is_harmless() -> None:
    agentstate.shutdown()
    with propagate_attributes(session_id="s"):
        assert child(4) == 4
