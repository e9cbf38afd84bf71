"""Our one LangChain hook: make OpenInference's LLM and tool spans current while they run.

OpenInference's LangChain tracer opens a span per run from callbacks but never makes it the current
OpenTelemetry span (on purpose: a callback may fail between attach and detach). Work done *inside*
a run then loses its parent: the OpenAI client's ``chat`` span of a ``ChatOpenAI`` call starts a
trace of its own, and ``@observe`` spans inside a tool hang off the wrong node. The model call
(``BaseChatModel._generate_with_cache``) and a structured tool's body (``StructuredTool._run``)
receive their run's ``run_manager``; wrapping them makes that run's span current for exactly the
duration of the call, with a guaranteed detach.
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

    def wrap(original: Callable[..., Any]) -> Callable[..., Any]:
        if inspect.iscoroutinefunction(original):

            @functools.wraps(original)
            async def awrapper(*args: Any, **kwargs: Any) -> Any:
                span = span_of(kwargs)
                if span is None:
                    return await original(*args, **kwargs)
                with trace.use_span(span, end_on_exit=False):
                    return await original(*args, **kwargs)

            return awrapper

        @functools.wraps(original)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            span = span_of(kwargs)
            if span is None:
                return original(*args, **kwargs)
            with trace.use_span(span, end_on_exit=False):
                return original(*args, **kwargs)

        return wrapper

    targets = [
        (BaseChatModel, "_generate_with_cache"),
        (BaseChatModel, "_agenerate_with_cache"),
        (StructuredTool, "_run"),
        (StructuredTool, "_arun"),
    ]
    originals = [(owner, name, owner.__dict__[name]) for owner, name in targets if name in owner.__dict__]
    for owner, name, original in originals:
        setattr(owner, name, wrap(original))

    def undo() -> None:
        for owner, name, original in originals:
            setattr(owner, name, original)

    return undo
