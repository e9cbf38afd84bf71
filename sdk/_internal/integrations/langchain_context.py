"""Our one LangChain hook: OpenInference's run spans become the parent of what runs inside them.

OpenInference's LangChain tracer opens a span per run from callbacks but never makes it the current
OpenTelemetry span (on purpose: a callback may fail between attach and detach). Work done *inside*
a run then loses its parent: ``@observe`` spans inside a tool hang off the wrong node, and the
OpenAI client's ``chat`` span of a ``ChatOpenAI`` call starts a trace of its own. The model call
(``BaseChatModel._generate_with_cache``) and a structured tool's body (``StructuredTool._run``)
receive their run's ``run_manager``; wrapping them sets the context for exactly the duration of
the call, with a guaranteed detach:

- a tool body runs with the tool's span current, so its children nest under it;
- a model call runs under an *unsampled* copy of the LLM span's context. The OpenInference LLM
  span already records model, tokens and messages; the client instrumentation's span for the same
  HTTP call would count the tokens (and the cost) a second time. With the default parent-based
  sampler that duplicate is not recorded; with an always-on sampler it still nests correctly.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

from opentelemetry import trace

from agentstate._internal.integrations.catalog import Undo


def install() -> Undo:
    """Wrap the model and tool entry points; returns the undo."""
    from langchain_core.language_models.chat_models import BaseChatModel
    from langchain_core.tools import StructuredTool
    from openinference.instrumentation.langchain import LangChainInstrumentor

    instrumentor = LangChainInstrumentor()

    def span_of(kwargs: dict[str, Any]) -> trace.Span | None:
        run_id = getattr(kwargs.get("run_manager"), "run_id", None)
        return instrumentor.get_span(run_id) if run_id is not None else None

    def unsampled(kwargs: dict[str, Any]) -> trace.Span | None:
        span = span_of(kwargs)
        if span is None:
            return None
        ctx = span.get_span_context()
        flags = trace.TraceFlags(ctx.trace_flags & ~trace.TraceFlags.SAMPLED)
        copy = trace.SpanContext(ctx.trace_id, ctx.span_id, ctx.is_remote, flags, ctx.trace_state)
        return trace.NonRecordingSpan(copy)

    def wrap(original: Callable[..., Any], parent: Callable[[dict[str, Any]], trace.Span | None]) -> Callable[..., Any]:
        if inspect.iscoroutinefunction(original):

            @functools.wraps(original)
            async def awrapper(*args: Any, **kwargs: Any) -> Any:
                span = parent(kwargs)
                if span is None:
                    return await original(*args, **kwargs)
                with trace.use_span(span, end_on_exit=False):
                    return await original(*args, **kwargs)

            return awrapper

        @functools.wraps(original)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            span = parent(kwargs)
            if span is None:
                return original(*args, **kwargs)
            with trace.use_span(span, end_on_exit=False):
                return original(*args, **kwargs)

        return wrapper

    targets = [
        (BaseChatModel, "_generate_with_cache", unsampled),
        (BaseChatModel, "_agenerate_with_cache", unsampled),
        (StructuredTool, "_run", span_of),
        (StructuredTool, "_arun", span_of),
    ]
    originals = [(owner, name, owner.__dict__[name], how) for owner, name, how in targets if name in owner.__dict__]
    for owner, name, original, how in originals:
        setattr(owner, name, wrap(original, how))

    def undo() -> None:
        for owner, name, original, _ in originals:
            setattr(owner, name, original)

    return undo
