"""What an ``@observe`` span looks like, decided once per decorated function, and how it opens
and closes.

Everything that does not depend on the call (name, kind, static attributes, parameter names) is
computed at decoration time into a :class:`SpanSpec`. Per call, :meth:`SpanSpec.open` adds the
captured arguments and starts the span; :meth:`SpanSpec.close` and :meth:`SpanSpec.fail` end it.
All three run inside :data:`handle_internal_errors`: the decorated function is never affected.
"""

from __future__ import annotations

import inspect
import traceback
from collections.abc import Callable, Mapping
from typing import Any, Final

from opentelemetry import context as otel_context
from opentelemetry.trace import Span, SpanKind, Status, StatusCode, Tracer, set_span_in_context
from opentelemetry.util.types import AttributeValue

from agentstate._internal.errors import handle_internal_errors, logger
from agentstate._internal.fastattrs import set_attributes
from agentstate._internal.serialize import args_to_json, to_json
from agentstate._internal.state import STATE
from agentstate.semconv import attributes as A
from agentstate.semconv.attributes import ObserveKind

MAX_STACKTRACE: Final = 32 * 1024
MAX_STATUS: Final = 1024
MAX_GENERATOR_ITEMS: Final = 100

_CLIENT_KINDS: Final = frozenset({ObserveKind.LLM, ObserveKind.EMBEDDING, ObserveKind.RETRIEVAL})
_NAME_ATTRIBUTE: Final[dict[ObserveKind, str]] = {
    ObserveKind.AGENT: A.GEN_AI_AGENT_NAME,
    ObserveKind.TOOL: A.GEN_AI_TOOL_NAME,
    ObserveKind.CHAIN: A.GEN_AI_WORKFLOW_NAME,
    ObserveKind.WORKFLOW: A.GEN_AI_WORKFLOW_NAME,
}

Opened = tuple[Span, object]
"""A started span and the token of its attached context (or the context itself, for generators)."""


def parse_kind(kind: ObserveKind | str) -> ObserveKind:
    """Return ``kind`` as an :class:`ObserveKind`; an unknown string is logged and becomes SPAN."""
    try:
        return ObserveKind(kind)
    except ValueError:
        logger.warning("Unknown @observe kind %r; using 'span'", kind)
        return ObserveKind.SPAN


def _parameters(func: Callable[..., Any]) -> tuple[tuple[str, ...], str | None, int]:
    """Positional parameter names, the ``*args`` name, and how many leading ones to skip."""
    try:
        params = list(inspect.signature(func).parameters.values())
    except (TypeError, ValueError):
        return (), "args", 0
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    names = tuple(p.name for p in params if p.kind in positional)
    varargs = next((p.name for p in params if p.kind is inspect.Parameter.VAR_POSITIONAL), None)
    skip = 1 if names and names[0] in ("self", "cls") else 0
    return names[skip:], varargs, skip


class SpanSpec:
    """The per-function, call-independent part of an ``@observe`` span.

    Args:
        func: The function being decorated (unwrapped from classmethod/staticmethod).
        name: Entity name; defaults to the function's ``__name__`` (``__qualname__`` for plain spans).
        kind: What the function stands for.
        capture_input: Record arguments; ``None`` follows the global setting.
        capture_output: Record the return value; ``None`` follows the global setting.
        attributes: Extra static attributes for every span of this function.
    """

    __slots__ = (
        "attributes",
        "capture_input",
        "capture_output",
        "input_keys",
        "names",
        "otel_kind",
        "output_keys",
        "skip",
        "span_name",
        "varargs",
    )

    def __init__(
        self,
        func: Callable[..., Any],
        name: str | None,
        kind: ObserveKind,
        capture_input: bool | None,
        capture_output: bool | None,
        attributes: Mapping[str, AttributeValue] | None,
    ) -> None:
        qualname = getattr(func, "__qualname__", None) or getattr(func, "__name__", None) or repr(func)
        entity = name or getattr(func, "__name__", qualname)
        operation = A.OPERATION_BY_KIND.get(kind)
        self.span_name: str = f"{operation} {entity}" if operation else (name or qualname)
        self.otel_kind = SpanKind.CLIENT if kind in _CLIENT_KINDS else SpanKind.INTERNAL
        static: dict[str, AttributeValue] = {A.SPAN_KIND: kind.value, A.CODE_FUNCTION: qualname}
        if operation:
            static[A.GEN_AI_OPERATION_NAME] = operation
        if kind in _NAME_ATTRIBUTE:
            static[_NAME_ATTRIBUTE[kind]] = entity
        if kind is ObserveKind.TOOL:
            static[A.GEN_AI_TOOL_TYPE] = "function"
        static.update(attributes or {})
        self.attributes = static
        self.input_keys: tuple[str, ...] = (A.INPUT_VALUE,)
        self.output_keys: tuple[str, ...] = (A.OUTPUT_VALUE,)
        if kind is ObserveKind.TOOL:
            self.input_keys += (A.GEN_AI_TOOL_CALL_ARGUMENTS,)
            self.output_keys += (A.GEN_AI_TOOL_CALL_RESULT,)
        self.capture_input = capture_input
        self.capture_output = capture_output
        self.names, self.varargs, self.skip = _parameters(func)

    def open(self, tracer: Tracer, args: tuple[Any, ...], kwargs: dict[str, Any], attach: bool = True) -> Opened | None:
        """Start the span with its static and captured input attributes.

        Args:
            tracer: The SDK tracer.
            args: Positional arguments of the call.
            kwargs: Keyword arguments of the call.
            attach: Make the span current and return the context token; otherwise return the
                context holding the span, for generators that attach it around each step.

        Returns:
            ``(span, token_or_context)``, or ``None`` if an internal error occurred.
        """
        with handle_internal_errors:
            span = tracer.start_span(self.span_name, kind=self.otel_kind)
            if span.is_recording():  # not sampled out: worth capturing
                attrs = self.attributes
                capture = self.capture_input
                if capture is None:
                    capture = STATE.capture_io
                if capture:
                    attrs = attrs.copy()
                    value = args_to_json(
                        self.names,
                        self.varargs,
                        args[self.skip :] if self.skip else args,
                        kwargs,
                        STATE.max_value_length,
                    )
                    for key in self.input_keys:
                        attrs[key] = value
                    attrs[A.INPUT_MIME_TYPE] = A.JSON_MIME_TYPE
                set_attributes(span, attrs)
            ctx = set_span_in_context(span)
            return (span, otel_context.attach(ctx)) if attach else (span, ctx)
        return None

    def _output(self, span: Span, value: Any, extra: Mapping[str, AttributeValue] | None = None) -> None:
        capture = self.capture_output
        if capture is None:
            capture = STATE.capture_io
        attrs: dict[str, AttributeValue] = dict(extra) if extra else {}
        if capture:
            text = to_json(value, STATE.max_value_length)
            for key in self.output_keys:
                attrs[key] = text
            attrs[A.OUTPUT_MIME_TYPE] = A.JSON_MIME_TYPE
        if attrs:
            set_attributes(span, attrs)

    def close(self, opened: Opened, result: Any) -> None:
        """Record ``result`` as the output, then detach and end the span."""
        span, token = opened
        with handle_internal_errors:
            try:
                if span.is_recording():
                    self._output(span, result)
            finally:
                otel_context.detach(token)  # type: ignore[arg-type]
                span.end()

    def fail(self, opened: Opened, exc: BaseException) -> None:
        """Record ``exc`` on the span (status ERROR), then detach and end it; never raises."""
        span, token = opened
        with handle_internal_errors:
            try:
                record_exception(span, exc)
            finally:
                otel_context.detach(token)  # type: ignore[arg-type]
                span.end()

    def close_iteration(self, span: Span, items: list[Any], count: int, exc: BaseException | None) -> None:
        """End a generator span: the captured items (or the exception) and the item count."""
        with handle_internal_errors:
            try:
                if exc is not None:
                    record_exception(span, exc)
                elif span.is_recording():
                    self._output(span, items, {A.GENERATOR_ITEMS: count})
            finally:
                span.end()


def record_exception(span: Span, exc: BaseException) -> None:
    """Add the semconv ``exception`` event, ``error.type`` and an ERROR status to ``span``.

    Uses :class:`traceback.TracebackException`, which survives an exception whose ``__str__``
    raises, rather than ``Span.record_exception``, which does not.
    """
    if not span.is_recording():
        return
    exc_type = type(exc)
    qualname = f"{exc_type.__module__}.{exc_type.__qualname__}"
    if exc_type.__module__ == "builtins":
        qualname = exc_type.__qualname__
    message = "".join(traceback.format_exception_only(exc)).strip()
    stacktrace = "".join(traceback.format_exception(exc))
    if len(stacktrace) > MAX_STACKTRACE:
        stacktrace = stacktrace[: MAX_STACKTRACE // 2] + "\n…\n" + stacktrace[-MAX_STACKTRACE // 2 :]
    short = message.partition(": ")[2] if ": " in message else ""
    span.add_event(
        A.EXCEPTION_EVENT,
        {A.EXCEPTION_TYPE: qualname, A.EXCEPTION_MESSAGE: short[:MAX_STATUS], A.EXCEPTION_STACKTRACE: stacktrace},
    )
    span.set_attribute(A.ERROR_TYPE, qualname)
    span.set_status(Status(StatusCode.ERROR, message[:MAX_STATUS]))
