"""``@observe`` on every function shape: whole span dicts (names, kinds, attributes, parents, times)."""

from __future__ import annotations

import asyncio
import inspect
import typing
from collections.abc import Callable
from typing import Any

import pytest

from agentstate import observe
from tests.sdk.conftest import Captured
from tests.sdk.expected import JSON, exception_event, plain, span
from tests.sdk.test_observe_generators import count_up, count_up_async

# --- functions under test, decorated at import time, before any init() ---------------------------


@observe
def add(a: int, b: int = 2) -> int:
    """Add two numbers."""
    return a + b


@observe
async def add_async(a: int, b: int) -> int:
    """Add two numbers, asynchronously."""
    await asyncio.sleep(0)
    return a + b


@observe
def fail(message: str) -> None:
    """Raise ValueError."""
    raise ValueError(message)


@observe
async def fail_async(message: str) -> None:
    """Raise ValueError, asynchronously."""
    await asyncio.sleep(0)
    raise ValueError(message)


@observe
def leaf(x: int) -> int:
    return x + 1


@observe
def middle(x: int) -> int:
    return leaf(x) * 2


@observe
def outer(x: int) -> int:
    return middle(x) + 1


class Calculator:
    """Methods of every flavour."""

    def __init__(self, base: int) -> None:
        self.base = base

    def __repr__(self) -> str:
        return f"Calculator({self.base})"

    @observe
    def plus(self, x: int) -> int:
        return self.base + x

    @classmethod
    @observe
    def make(cls, base: int) -> Calculator:
        return cls(base)

    @observe  # type: ignore[arg-type]
    @classmethod
    def make_outer(cls, base: int) -> Calculator:
        return cls(base)

    @staticmethod
    @observe
    def double(x: int) -> int:
        return 2 * x

    @observe  # type: ignore[arg-type]
    @staticmethod
    def triple(x: int) -> int:
        return 3 * x


# --- tests ---------------------------------------------------------------------------------------


def test_sync_function(sdk: Captured) -> None:
    assert add(1, b=3) == 4
    assert sdk.dicts() == [span("add", 1, 1, 2, plain("add", '{"a":1,"b":3}', "4"))]


def test_async_function(sdk: Captured) -> None:
    assert asyncio.run(add_async(2, 3)) == 5
    assert sdk.dicts() == [span("add_async", 1, 1, 2, plain("add_async", '{"a":2,"b":3}', "5"))]


def test_nested_calls_build_a_tree(sdk: Captured) -> None:
    assert outer(1) == 5
    assert sdk.dicts() == [
        span("leaf", 3, 3, 4, plain("leaf", '{"x":1}', "2"), parent=2),
        span("middle", 2, 2, 5, plain("middle", '{"x":1}', "4"), parent=1),
        span("outer", 1, 1, 6, plain("outer", '{"x":1}', "5")),
    ]


def test_exception_is_recorded_and_reraised_unchanged(sdk: Captured) -> None:
    with pytest.raises(ValueError, match=r"^boom$") as info:
        fail("boom")
    assert type(info.value) is ValueError
    assert sdk.dicts() == [
        span(
            "fail",
            1,
            1,
            3,
            plain("fail", '{"message":"boom"}', None, **{"error.type": "ValueError"}),
            status="ERROR",
            description="ValueError: boom",
            events=[exception_event("ValueError", "boom")],
        )
    ]


def test_async_exception_is_recorded_and_reraised(sdk: Captured) -> None:
    with pytest.raises(ValueError, match=r"^late$"):
        asyncio.run(fail_async("late"))
    (only,) = sdk.dicts()
    assert (only["status"], only["status_description"]) == ("ERROR", "ValueError: late")


def test_the_same_exception_object_propagates(sdk: Captured) -> None:
    error = RuntimeError("original")

    @observe
    def raise_it() -> None:
        raise error

    with pytest.raises(RuntimeError) as info:
        raise_it()
    assert info.value is error


@pytest.mark.parametrize(
    ("call", "name", "inputs", "output"),
    [
        pytest.param(lambda: Calculator(5).plus(1), "Calculator.plus", '{"x":1}', "6", id="method"),
        pytest.param(lambda: Calculator.make(3), "Calculator.make", '{"base":3}', '"Calculator(3)"', id="classmethod"),
        pytest.param(
            lambda: Calculator.make_outer(4),
            "Calculator.make_outer",
            '{"base":4}',
            '"Calculator(4)"',
            id="observe-over-classmethod",
        ),
        pytest.param(lambda: Calculator.double(4), "Calculator.double", '{"x":4}', "8", id="staticmethod"),
        pytest.param(
            lambda: Calculator(0).triple(2), "Calculator.triple", '{"x":2}', "6", id="observe-over-staticmethod"
        ),
    ],
)
def test_methods(sdk: Captured, call: Callable[[], Any], name: str, inputs: str, output: str) -> None:
    call()
    assert sdk.dicts() == [span(name, 1, 1, 2, plain(name, inputs, output))]


def _work(query: str) -> str:
    return query.upper()


@pytest.mark.parametrize(
    ("kind", "span_name", "otel_kind", "static"),
    [
        pytest.param(
            "agent",
            "invoke_agent planner",
            "INTERNAL",
            {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "planner"},
            id="agent",
        ),
        pytest.param(
            "tool",
            "execute_tool planner",
            "INTERNAL",
            {"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "planner", "gen_ai.tool.type": "function"},
            id="tool",
        ),
        pytest.param("llm", "chat planner", "CLIENT", {"gen_ai.operation.name": "chat"}, id="llm"),
        pytest.param(
            "retrieval", "retrieval planner", "CLIENT", {"gen_ai.operation.name": "retrieval"}, id="retrieval"
        ),
        pytest.param(
            "embedding", "embeddings planner", "CLIENT", {"gen_ai.operation.name": "embeddings"}, id="embedding"
        ),
        pytest.param(
            "chain",
            "invoke_workflow planner",
            "INTERNAL",
            {"gen_ai.operation.name": "invoke_workflow", "gen_ai.workflow.name": "planner"},
            id="chain",
        ),
        pytest.param(
            "workflow",
            "invoke_workflow planner",
            "INTERNAL",
            {"gen_ai.operation.name": "invoke_workflow", "gen_ai.workflow.name": "planner"},
            id="workflow",
        ),
        pytest.param("span", "planner", "INTERNAL", {}, id="span"),
    ],
)
def test_kinds_map_to_genai_conventions(
    sdk: Captured, kind: Any, span_name: str, otel_kind: str, static: dict[str, str]
) -> None:
    assert observe(kind=kind, name="planner")(_work)("hi") == "HI"
    attrs: dict[str, Any] = {"agentstate.span.kind": kind, "code.function.name": "_work", **static}
    attrs.update({"input.value": '{"query":"hi"}'})
    if kind == "tool":
        attrs["gen_ai.tool.call.arguments"] = '{"query":"hi"}'
    attrs["input.mime_type"] = JSON
    attrs["output.value"] = '"HI"'
    if kind == "tool":
        attrs["gen_ai.tool.call.result"] = '"HI"'
    attrs["output.mime_type"] = JSON
    assert sdk.dicts() == [span(span_name, 1, 1, 2, attrs, kind=otel_kind)]


def test_default_name_of_a_kind_is_the_function_name(sdk: Captured) -> None:
    observe(kind="agent")(_work)("x")
    assert [s["name"] for s in sdk.dicts()] == ["invoke_agent _work"]


def test_unknown_kind_falls_back_to_span(sdk: Captured, caplog: pytest.LogCaptureFixture) -> None:
    observe(kind="nonsense")(_work)("x")  # type: ignore[arg-type]
    assert sdk.dicts()[0]["attributes"]["agentstate.span.kind"] == "span"
    assert "Unknown @observe kind" in caplog.text


def test_static_attributes_are_added(sdk: Captured) -> None:
    observe(attributes={"team": "search", "version": 3})(_work)("x")
    attrs = sdk.dicts()[0]["attributes"]
    assert (attrs["team"], attrs["version"]) == ("search", 3)


@pytest.mark.parametrize(
    ("decorator_kwargs", "global_capture", "has_input", "has_output"),
    [
        pytest.param({}, True, True, True, id="default-on"),
        pytest.param({"capture_input": False}, True, False, True, id="input-off"),
        pytest.param({"capture_output": False}, True, True, False, id="output-off"),
        pytest.param({}, False, False, False, id="global-off"),
        pytest.param({"capture_input": True}, False, True, False, id="decorator-overrides-global"),
    ],
)
def test_capture_switches(
    decorator_kwargs: dict[str, bool], global_capture: bool, has_input: bool, has_output: bool
) -> None:
    from tests.sdk.conftest import start_sdk

    sdk = start_sdk(capture_io=global_capture)
    observe(**decorator_kwargs)(_work)("x")
    attrs = sdk.dicts()[0]["attributes"]
    assert ("input.value" in attrs, "input.mime_type" in attrs) == (has_input, has_input)
    assert ("output.value" in attrs, "output.mime_type" in attrs) == (has_output, has_output)


@pytest.mark.parametrize(
    ("wrapped", "predicate"),
    [
        pytest.param(add, inspect.isfunction, id="sync"),
        pytest.param(add_async, inspect.iscoroutinefunction, id="async"),
        pytest.param(count_up, inspect.isgeneratorfunction, id="generator"),
        pytest.param(count_up_async, inspect.isasyncgenfunction, id="async-generator"),
    ],
)
def test_wrapper_keeps_shape_name_signature_and_hints(wrapped: Any, predicate: Callable[[Any], bool]) -> None:
    original = wrapped.__wrapped__
    assert predicate(wrapped)
    assert (wrapped.__name__, wrapped.__qualname__, wrapped.__doc__) == (
        original.__name__,
        original.__qualname__,
        original.__doc__,
    )
    assert inspect.signature(wrapped) == inspect.signature(original)
    assert typing.get_type_hints(wrapped) == typing.get_type_hints(original)


def test_extra_positional_and_keyword_arguments_are_captured(sdk: Captured) -> None:
    @observe
    def variadic(first: int, *rest: int, **options: str) -> int:
        return first + sum(rest)

    assert variadic(1, 2, 3, mode="fast") == 6
    assert sdk.dicts()[0]["attributes"]["input.value"] == '{"first":1,"rest":[2,3],"mode":"fast"}'
