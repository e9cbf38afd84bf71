"""The ``@observe`` decorator.

The wrapper shape (plain, coroutine, generator, async generator) is chosen once, at decoration
time, so each call pays for one ``STATE.tracer`` check and nothing else when the SDK is off. All
four shapes open and close spans through the same :class:`SpanSpec`; they differ only in how they
call the function, which is what makes them shapes. Generators keep their span current only while
their own body runs, so spans created by the consumer between two items are not its children.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import AsyncGenerator, Callable, Coroutine, Generator, Mapping
from typing import Any, Literal, ParamSpec, TypeVar, cast, overload

from opentelemetry import context as otel_context
from opentelemetry.util.types import AttributeValue

from agentstate._internal.spanspec import MAX_GENERATOR_ITEMS, SpanSpec, parse_kind
from agentstate._internal.state import STATE
from agentstate.semconv.attributes import ObserveKind

P = ParamSpec("P")
R = TypeVar("R")

KindName = Literal["agent", "llm", "tool", "retrieval", "chain", "workflow", "embedding", "span"]
"""The kinds accepted as plain strings by ``observe(kind=...)``."""


@overload
def observe(func: Callable[P, R], /) -> Callable[P, R]: ...


@overload
def observe(
    *,
    name: str | None = None,
    kind: ObserveKind | KindName = "span",
    capture_input: bool | None = None,
    capture_output: bool | None = None,
    attributes: Mapping[str, AttributeValue] | None = None,
) -> Callable[[Callable[P, R]], Callable[P, R]]: ...


def observe(
    func: Callable[P, R] | None = None,
    /,
    *,
    name: str | None = None,
    kind: ObserveKind | KindName = "span",
    capture_input: bool | None = None,
    capture_output: bool | None = None,
    attributes: Mapping[str, AttributeValue] | None = None,
) -> Callable[P, R] | Callable[[Callable[P, R]], Callable[P, R]]:
    """Trace every call of a function as an OpenTelemetry span.

    Works on plain and ``async`` functions, generators, async generators, methods, class methods
    and static methods; the wrapper keeps the function's name, docstring, signature and type
    hints. Until :func:`agentstate.init` has run (or when the SDK is disabled) the wrapper only
    calls through.

    Example::

        @observe(kind="tool")
        def search(query: str) -> list[str]: ...

    Args:
        func: The function, when used as a bare ``@observe``.
        name: Entity name used in the span name (``execute_tool {name}``); defaults to the
            function's name.
        kind: What the function stands for: ``agent``, ``llm``, ``tool``, ``retrieval``,
            ``chain``, ``workflow``, ``embedding`` or ``span`` (the default).
        capture_input: Record the arguments as JSON; ``None`` follows ``init(capture_io=...)``.
        capture_output: Record the return value as JSON; ``None`` follows ``init(capture_io=...)``.
        attributes: Static attributes added to every span of this function.

    Returns:
        The wrapped function, or a decorator when called with keyword arguments only.
    """

    def decorate(target: Callable[P, R]) -> Callable[P, R]:
        return cast(
            Callable[P, R], _decorate(target, name, parse_kind(kind), capture_input, capture_output, attributes)
        )

    return decorate if func is None else decorate(func)


def _decorate(
    target: Any,
    name: str | None,
    kind: ObserveKind,
    capture_input: bool | None,
    capture_output: bool | None,
    attributes: Mapping[str, AttributeValue] | None,
) -> Any:
    if isinstance(target, (classmethod, staticmethod)):
        inner = _decorate(target.__func__, name, kind, capture_input, capture_output, attributes)
        return type(target)(inner)
    spec = SpanSpec(target, name, kind, capture_input, capture_output, attributes)
    if inspect.isasyncgenfunction(target):
        wrapper: Callable[..., Any] = _async_generator_wrapper(target, spec)
    elif inspect.isgeneratorfunction(target):
        wrapper = _generator_wrapper(target, spec)
    elif inspect.iscoroutinefunction(target):
        wrapper = _coroutine_wrapper(target, spec)
    else:
        wrapper = _function_wrapper(target, spec)
    return functools.wraps(target)(wrapper)


def _function_wrapper(func: Callable[P, R], spec: SpanSpec) -> Callable[P, R]:
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        tracer = STATE.tracer
        if tracer is None:
            return func(*args, **kwargs)
        opened = spec.open(tracer, args, kwargs)
        if opened is None:
            return func(*args, **kwargs)
        try:
            result = func(*args, **kwargs)
        except BaseException as exc:
            spec.fail(opened, exc)
            raise
        spec.close(opened, result)
        return result

    return wrapper


def _coroutine_wrapper(
    func: Callable[P, Coroutine[Any, Any, R]], spec: SpanSpec
) -> Callable[P, Coroutine[Any, Any, R]]:
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        tracer = STATE.tracer
        if tracer is None:
            return await func(*args, **kwargs)
        opened = spec.open(tracer, args, kwargs)
        if opened is None:
            return await func(*args, **kwargs)
        try:
            result = await func(*args, **kwargs)
        except BaseException as exc:
            spec.fail(opened, exc)
            raise
        spec.close(opened, result)
        return result

    return wrapper


def _generator_wrapper(
    func: Callable[P, Generator[Any, Any, R]], spec: SpanSpec
) -> Callable[P, Generator[Any, Any, R]]:
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> Generator[Any, Any, R]:
        tracer = STATE.tracer
        gen = func(*args, **kwargs)
        opened = None if tracer is None else spec.open(tracer, args, kwargs, attach=False)
        if opened is None:
            return (yield from gen)
        span, ctx = opened
        items: list[Any] = []
        count = 0
        sent: Any = None
        thrown: BaseException | None = None
        try:
            while True:
                token = otel_context.attach(cast(otel_context.Context, ctx))
                try:
                    item = gen.send(sent) if thrown is None else gen.throw(thrown)
                finally:
                    otel_context.detach(token)
                thrown = None
                count += 1
                if len(items) < MAX_GENERATOR_ITEMS:
                    items.append(item)
                try:
                    sent = yield item
                except GeneratorExit:
                    raise
                except BaseException as exc:  # thrown in by the consumer: pass it on
                    thrown, sent = exc, None
        except StopIteration as stop:
            spec.close_iteration(span, items, count, None)
            return cast(R, stop.value)
        except GeneratorExit:
            _close_in(gen.close, ctx)
            spec.close_iteration(span, items, count, None)
            raise
        except BaseException as exc:
            spec.close_iteration(span, items, count, exc)
            raise

    return wrapper


def _async_generator_wrapper(
    func: Callable[P, AsyncGenerator[Any, Any]], spec: SpanSpec
) -> Callable[P, AsyncGenerator[Any, Any]]:
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> AsyncGenerator[Any, Any]:
        tracer = STATE.tracer
        agen = func(*args, **kwargs)
        opened = None if tracer is None else spec.open(tracer, args, kwargs, attach=False)
        span = ctx = None
        if opened is not None:
            span, ctx = opened
        items: list[Any] = []
        count = 0
        sent: Any = None
        thrown: BaseException | None = None
        try:
            while True:
                token = None if ctx is None else otel_context.attach(cast(otel_context.Context, ctx))
                try:
                    item = await (agen.asend(sent) if thrown is None else agen.athrow(thrown))
                finally:
                    if token is not None:
                        otel_context.detach(token)
                thrown = None
                count += 1
                if span is not None and len(items) < MAX_GENERATOR_ITEMS:
                    items.append(item)
                try:
                    sent = yield item
                except GeneratorExit:
                    raise
                except BaseException as exc:  # thrown in by the consumer: pass it on
                    thrown, sent = exc, None
        except StopAsyncIteration:
            if span is not None:
                spec.close_iteration(span, items, count, None)
        except GeneratorExit:
            token = None if ctx is None else otel_context.attach(cast(otel_context.Context, ctx))
            try:
                await agen.aclose()
            finally:
                if token is not None:
                    otel_context.detach(token)
            if span is not None:
                spec.close_iteration(span, items, count, None)
            raise
        except BaseException as exc:
            if span is not None:
                spec.close_iteration(span, items, count, exc)
            raise

    return wrapper


def _close_in(close: Callable[[], None], ctx: object) -> None:
    token = otel_context.attach(cast(otel_context.Context, ctx))
    try:
        close()
    finally:
        otel_context.detach(token)
