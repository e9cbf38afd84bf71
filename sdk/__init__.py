"""AgentState: OpenTelemetry-native observability for AI agents.

Users write ``from agentstate import init, observe``. This package imports no server code: only
``opentelemetry-api``, ``-sdk`` and ``-exporter-otlp-proto-http`` are needed.

Example::

    import agentstate
    from agentstate import observe

    agentstate.init(api_key="as_...", service_name="travel-agent")

    @observe(kind="tool")
    def search_flights(origin: str, destination: str) -> list[dict]: ...

    @observe(kind="agent")
    def plan_trip(request: str) -> str:
        with agentstate.propagate_attributes(session_id="chat-42", user_id="u-7"):
            ...
"""

from __future__ import annotations

from agentstate._internal.llm import LLMCall, LLMFields, LLMResponse, llm_call, record_llm_call
from agentstate._internal.observe import observe
from agentstate._internal.propagation import propagate_attributes
from agentstate._internal.setup import flush, init, shutdown, stats
from agentstate._internal.version import VERSION
from agentstate.semconv.attributes import ObserveKind

__version__ = VERSION
__all__ = [
    "LLMCall",
    "LLMFields",
    "LLMResponse",
    "ObserveKind",
    "__version__",
    "flush",
    "init",
    "llm_call",
    "observe",
    "propagate_attributes",
    "record_llm_call",
    "shutdown",
    "stats",
]
