"""Our one AutoGen hook: tool arguments and results on AutoGen's own ``execute_tool`` spans.

AutoGen (autogen-core >= 0.4) opens ``execute_tool {name}`` around ``BaseTool.run_json`` but records
neither the arguments nor the result, so the platform's Tool view would be empty. ``FunctionTool.run``
(what ``AssistantAgent(tools=[a_function])`` builds) runs inside that span; wrapping it lets us write
``gen_ai.tool.call.arguments`` and ``gen_ai.tool.call.result`` on the current span.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any, Final

from opentelemetry import trace

from agentstate._internal.errors import handle_internal_errors
from agentstate._internal.integrations.catalog import Undo
from agentstate._internal.serialize import to_json
from agentstate._internal.state import STATE
from agentstate.semconv import attributes as A

_SPAN_PREFIX: Final = "execute_tool"
_MARK: Final = "_agentstate_wrapped"

Run = Callable[..., Awaitable[Any]]


def _tool_span() -> trace.Span | None:
    span = trace.get_current_span()
    name = getattr(span, "name", "")
    if span.is_recording() and isinstance(name, str) and name.startswith(_SPAN_PREFIX):
        return span
    return None


def _wrap(original: Run, capture: bool) -> Run:
    @functools.wraps(original)
    async def run(self: Any, args: Any, cancellation_token: Any) -> Any:
        span = None
        with handle_internal_errors:
            span = _tool_span() if capture else None
            if span is not None:
                dump = getattr(args, "model_dump", None)
                span.set_attribute(
                    A.GEN_AI_TOOL_CALL_ARGUMENTS, to_json(dump() if dump else args, STATE.max_value_length)
                )
        result = await original(self, args, cancellation_token)
        with handle_internal_errors:
            if span is not None:
                text = self.return_value_as_string(result)
                span.set_attribute(
                    A.GEN_AI_TOOL_CALL_RESULT,
                    text[: STATE.max_value_length] if isinstance(text, str) else to_json(text, STATE.max_value_length),
                )
        return result

    setattr(run, _MARK, original)
    return run


def install(capture: bool) -> Undo | None:
    """Wrap ``FunctionTool.run``; returns the undo, or ``None`` when content capture is off."""
    if not capture:
        return None
    from autogen_core.tools import FunctionTool

    original = FunctionTool.run
    if hasattr(original, _MARK):
        return None
    FunctionTool.run = _wrap(original, capture)

    def undo() -> None:
        FunctionTool.run = original

    return undo
