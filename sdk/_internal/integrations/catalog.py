"""The integrations ``init()`` knows: which module triggers each, and how it is switched on.

Each entry names the top-level modules whose import means "the framework is in use" and a function
that instruments it on the SDK's tracer provider and returns how to undo that. Nothing here is
imported before its trigger module is: the instrumentation packages import the framework, and a
framework that the application never imports must cost nothing.

Where a maintained OpenTelemetry instrumentation exists it is used as-is (the official
``opentelemetry-instrumentation-openai-v2``, OpenLLMetry's Anthropic instrumentation, OpenInference's
LangChain and CrewAI instrumentations); AutoGen traces itself on the global provider.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider

from agentstate._internal.errors import logger

Undo = Callable[[], None]
"""Reverts what an instrument function did."""

Instrument = Callable[[TracerProvider, bool], "Undo | None"]
"""``(provider, capture_content) -> undo``; ``None`` when there was nothing to do."""


@dataclass(frozen=True)
class Integration:
    """One framework or client library that ``init()`` instruments.

    Attributes:
        name: The name used in ``integrations=`` and ``AGENTSTATE_DISABLE_<NAME>``.
        triggers: Top-level modules whose import activates the integration.
        package: The distribution to install when the instrumentation is missing.
        instrument: Switches it on; see :data:`Instrument`.
        off_switches: Environment variables that turn off the library's *own* tracing, set while
            the integration is disabled (a library that traces itself on the global provider
            would otherwise still reach AgentState). A variable the user set is left alone.
    """

    name: str
    triggers: tuple[str, ...]
    package: str
    instrument: Instrument
    off_switches: tuple[tuple[str, str], ...] = ()


def _base_instrumentor(instrumentor: Any, provider: TracerProvider, **kwargs: Any) -> Undo | None:
    """Instrument with an OTel ``BaseInstrumentor`` unless the application already did."""
    if instrumentor.is_instrumented_by_opentelemetry:
        logger.info("%s was already instrumented by the application; left as is", type(instrumentor).__name__)
        return None
    instrumentor.instrument(tracer_provider=provider, **kwargs)
    return lambda: instrumentor.uninstrument()


def _openai(provider: TracerProvider, capture: bool) -> Undo | None:
    # openai-v2 reads the content mode from the environment only. SPAN_ONLY puts messages on the
    # span (gen_ai.input/output.messages), where the platform reads them; the default mode
    # records none, and EVENT_ONLY sends them as log events. An explicit setting wins.
    if capture:
        os.environ.setdefault("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "SPAN_ONLY")
    from opentelemetry.instrumentation.openai_v2 import OpenAIInstrumentor

    from agentstate._internal.integrations import openai_usage

    undo = _base_instrumentor(OpenAIInstrumentor(), provider)
    if undo is None:
        return None
    undo_usage = openai_usage.install()

    def undo_both() -> None:
        if undo_usage is not None:
            undo_usage()
        undo()

    return undo_both


def _warn_unless_global(provider: TracerProvider, framework: str) -> None:
    if trace.get_tracer_provider() is not provider:
        logger.warning(
            "%s traces to the global TracerProvider, and init() was given another one: "
            "its spans will not reach AgentState",
            framework,
        )


def _anthropic(provider: TracerProvider, capture: bool) -> Undo | None:
    # The anthropic SDK (2.x) traces its own calls on the global provider: one CLIENT span per
    # call, GenAI attributes, messages in content mode, correct parents. Adding OpenLLMetry on
    # top would record every call twice (and count its tokens twice), so it is only the fallback
    # for SDKs without tracing.
    import importlib.util

    if importlib.util.find_spec("anthropic._tracing") is not None:
        if capture:
            os.environ.setdefault("ANTHROPIC_OPEN_TELEMETRY_TRACES_CONTENT_MODE", "content")
        _warn_unless_global(provider, "The anthropic SDK")
        return lambda: None
    if not capture:
        os.environ.setdefault("TRACELOOP_TRACE_CONTENT", "false")
    from opentelemetry.instrumentation.anthropic import AnthropicInstrumentor

    return _base_instrumentor(AnthropicInstrumentor(), provider)


def _openinference(module: str, cls: str) -> Instrument:
    def instrument(provider: TracerProvider, capture: bool) -> Undo | None:
        import importlib

        from openinference.instrumentation import TraceConfig

        instrumentor = getattr(importlib.import_module(module), cls)()
        config = TraceConfig(hide_inputs=not capture, hide_outputs=not capture)
        return _base_instrumentor(instrumentor, provider, config=config)

    return instrument


def _langchain(provider: TracerProvider, capture: bool) -> Undo | None:
    undo = _openinference("openinference.instrumentation.langchain", "LangChainInstrumentor")(provider, capture)
    if undo is None:
        return None
    from agentstate._internal.integrations import langchain_context

    undo_context = langchain_context.install()

    def undo_both() -> None:
        undo_context()
        undo()

    return undo_both


def _autogen(provider: TracerProvider, capture: bool) -> Undo | None:
    # autogen-core and autogen-agentchat (>= 0.4) trace themselves with the global tracer
    # provider: invoke_agent / execute_tool / create_agent spans and the runtime's messaging
    # spans. There is nothing to patch; the spans reach AgentState only if our pipeline is on
    # the global provider, so say so when it is not.
    _warn_unless_global(provider, "AutoGen")
    from agentstate._internal.integrations import autogen_tools

    return autogen_tools.install(capture) or (lambda: None)


INTEGRATIONS: Final = (
    Integration("openai", ("openai",), "opentelemetry-instrumentation-openai-v2", _openai),
    Integration(
        "anthropic",
        ("anthropic",),
        "opentelemetry-instrumentation-anthropic",
        _anthropic,
        off_switches=(("ANTHROPIC_OPEN_TELEMETRY", "false"),),
    ),
    Integration("langchain", ("langchain_core",), "openinference-instrumentation-langchain", _langchain),
    Integration(
        "autogen",
        ("autogen_core",),
        "autogen-core",
        _autogen,
        off_switches=(("AUTOGEN_DISABLE_RUNTIME_TRACING", "true"),),
    ),
    Integration(
        "crewai",
        ("crewai",),
        "openinference-instrumentation-crewai",
        _openinference("openinference.instrumentation.crewai", "CrewAIInstrumentor"),
    ),
)
"""Every integration, in the order they are switched on when several are already imported."""

NAMES: Final = tuple(i.name for i in INTEGRATIONS)
"""The integration names, for ``integrations=`` and ``AGENTSTATE_INTEGRATIONS``."""

ALIASES: Final = {"langgraph": "langchain", "autogen_agentchat": "autogen", "autogen-agentchat": "autogen"}
"""Other names users reach for; LangGraph is traced through LangChain's callbacks."""
