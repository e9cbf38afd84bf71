"""``@observe`` on generators and async generators: timed until exhausted or closed, send/throw
semantics kept, and the span current only while the generator's own body runs."""

from __future__ import annotations

import asyncio
import typing
from collections.abc import AsyncIterator, Generator, Iterator

import pytest

from agentstate import observe
from tests.sdk.conftest import Captured
from tests.sdk.expected import plain, span


@observe
def count_up(n: int) -> Iterator[int]:
    """Yield 0 … n-1."""
    yield from range(n)


@observe
def count_and_return(n: int) -> Generator[int, None, str]:
    """Yield 0 … n-1, then return a value."""
    yield from range(n)
    return "done"


@observe
async def count_up_async(n: int) -> AsyncIterator[int]:
    """Yield 0 … n-1 asynchronously."""
    for i in range(n):
        await asyncio.sleep(0)
        yield i


@observe
def fail_midway(n: int) -> Iterator[int]:
    """Yield once, then raise."""
    yield n
    raise KeyError("gone")


@observe
def leaf(x: int) -> int:
    return x + 1


@observe
def add(a: int, b: int) -> int:
    return a + b


# --- tests ---------------------------------------------------------------------------------------


def test_generator_is_timed_until_exhausted(sdk: Captured) -> None:
    assert list(count_up(3)) == [0, 1, 2]
    attrs = plain("count_up", '{"n":3}', "[0,1,2]", **{"agentstate.generator.items": 3})
    assert sdk.dicts() == [span("count_up", 1, 1, 2, attrs)]


def test_generator_closed_early_ends_its_span(sdk: Captured) -> None:
    gen = count_up(10)
    assert (next(gen), next(gen)) == (0, 1)
    assert sdk.dicts() == []  # still open
    gen.close()
    attrs = plain("count_up", '{"n":10}', "[0,1]", **{"agentstate.generator.items": 2})
    assert sdk.dicts() == [span("count_up", 1, 1, 2, attrs)]


def test_generator_return_value_is_kept(sdk: Captured) -> None:
    def consume() -> Generator[int, None, str]:
        return (yield from count_and_return(2))

    gen = consume()
    assert list(gen) == [0, 1]
    with pytest.raises(StopIteration) as info:
        next(count_and_return(0))
    assert info.value.value == "done"


def test_generator_send_and_throw_reach_the_body(sdk: Captured) -> None:
    @observe
    def echo() -> Generator[str, str, None]:
        received = "start"
        while True:
            try:
                received = yield f"got {received}"
            except KeyError:
                received = "caught"

    gen = echo()
    assert next(gen) == "got start"
    assert gen.send("a") == "got a"
    assert gen.throw(KeyError("k")) == "got caught"
    gen.close()
    (only,) = sdk.dicts()
    assert only["attributes"]["output.value"] == '["got start","got a","got caught"]'


def test_generator_exception_marks_the_span(sdk: Captured) -> None:
    gen = fail_midway(7)
    assert next(gen) == 7
    with pytest.raises(KeyError):
        next(gen)
    (only,) = sdk.dicts()
    assert (only["status"], only["attributes"]["error.type"]) == ("ERROR", "KeyError")


def test_generator_parent_only_while_its_body_runs(sdk: Captured) -> None:
    @observe
    def producer() -> Iterator[int]:
        yield leaf(0)  # runs inside the generator body: child of producer

    for _ in producer():
        add(1, 1)  # runs in the consumer between items: not a child
    spans = sdk.by_name()
    assert spans["leaf"]["parent"] == spans["producer"]["span_id"]
    assert spans["add"]["parent"] is None


def test_async_generator_is_timed_until_exhausted(sdk: Captured) -> None:
    async def consume() -> list[int]:
        return [i async for i in count_up_async(3)]

    assert asyncio.run(consume()) == [0, 1, 2]
    attrs = plain("count_up_async", '{"n":3}', "[0,1,2]", **{"agentstate.generator.items": 3})
    assert sdk.dicts() == [span("count_up_async", 1, 1, 2, attrs)]


def test_async_generator_closed_early_ends_its_span(sdk: Captured) -> None:
    async def consume() -> int:
        agen = count_up_async(10)
        first = await agen.__anext__()
        await agen.aclose()
        return first

    assert asyncio.run(consume()) == 0
    attrs = plain("count_up_async", '{"n":10}', "[0]", **{"agentstate.generator.items": 1})
    assert sdk.dicts() == [span("count_up_async", 1, 1, 2, attrs)]


def test_async_generator_asend_and_athrow(sdk: Captured) -> None:
    @observe
    async def echo() -> typing.AsyncGenerator[str, str]:
        received = "start"
        while True:
            try:
                received = yield f"got {received}"
            except KeyError:
                received = "caught"

    async def drive() -> list[str]:
        agen = echo()
        out = [await agen.__anext__(), await agen.asend("a"), await agen.athrow(KeyError("k"))]
        await agen.aclose()
        return out

    assert asyncio.run(drive()) == ["got start", "got a", "got caught"]
    assert len(sdk.dicts()) == 1
