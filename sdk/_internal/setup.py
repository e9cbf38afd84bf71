"""``init``, ``flush``, ``shutdown``: build the export pipeline on stock OpenTelemetry parts.

The pipeline is ``AgentStateSpanProcessor`` → ``BatchSpanProcessor`` → ``ScrubbingExporter`` →
``SpoolingOTLPExporter`` (or a given exporter). It is added to the application's
``TracerProvider`` when there is one, so plain OTel spans and ``@observe`` spans travel together;
otherwise the SDK creates and registers a provider. ``init`` never raises: bad settings are logged
and the SDK stays (or becomes) a no-op.
"""

from __future__ import annotations

import atexit
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter

from agentstate._internal import integrations as _integrations
from agentstate._internal import threads
from agentstate._internal.config import DEFAULT_SERVICE_NAME, Config, IntegrationsArg, resolve_config
from agentstate._internal.errors import handle_internal_errors, logger
from agentstate._internal.exporter import SpoolingOTLPExporter
from agentstate._internal.processor import AgentStateSpanProcessor
from agentstate._internal.scrub import ScrubbingExporter, SpanScrubber
from agentstate._internal.state import STATE
from agentstate._internal.stats import STATS
from agentstate._internal.version import VERSION
from agentstate.semconv import attributes as A

INSTRUMENTATION_NAME: Final = "agentstate"
"""Instrumentation scope name of ``@observe`` spans."""


@dataclass
class Pipeline:
    """What one ``init`` built, kept to flush and shut it down."""

    config: Config
    provider: TracerProvider
    processor: AgentStateSpanProcessor
    head: ScrubbingExporter
    exporter: SpoolingOTLPExporter | None
    key: tuple[object, ...]


_pipeline: Pipeline | None = None
_atexit_registered = False


def _provider(config: Config, given: TracerProvider | None) -> TracerProvider:
    if given is not None:
        return given
    current = trace.get_tracer_provider()
    if isinstance(current, TracerProvider):
        if config.service_name != DEFAULT_SERVICE_NAME:
            existing = current.resource.attributes.get(A.SERVICE_NAME)
            if existing != config.service_name:
                logger.info(
                    "Using the application's TracerProvider (service.name=%r); service_name=%r not applied",
                    existing,
                    config.service_name,
                )
        return current
    attributes = {} if config.service_name == DEFAULT_SERVICE_NAME else {A.SERVICE_NAME: config.service_name}
    provider = TracerProvider(resource=Resource.create(attributes))
    if isinstance(current, trace.ProxyTracerProvider):
        trace.set_tracer_provider(provider)
    else:
        logger.warning("The global TracerProvider is not an SDK provider; @observe spans use a private one")
    return provider


def _scrubber(config: Config) -> SpanScrubber | None:
    if not config.scrub:
        return None
    from agentstate.semconv.redaction import DEFAULT_REDACTOR, Redactor

    redactor = Redactor(extra_patterns=config.scrub_patterns) if config.scrub_patterns else DEFAULT_REDACTOR
    return SpanScrubber(redactor, config.scrub_exempt_keys)


def _build(
    config: Config, provider: TracerProvider, exporter: SpanExporter | None, key: tuple[object, ...]
) -> Pipeline:
    spooling = SpoolingOTLPExporter(config) if exporter is None else None
    final: SpanExporter = spooling if spooling is not None else exporter  # type: ignore[assignment]
    head = ScrubbingExporter(final, _scrubber(config))
    processor = AgentStateSpanProcessor(BatchSpanProcessor(head), head)
    provider.add_span_processor(processor)
    return Pipeline(config, provider, processor, head, spooling, key)


def init(
    collector_url: str | None = None,
    api_key: str | None = None,
    service_name: str | None = None,
    *,
    capture_io: bool | None = None,
    scrub: bool | None = None,
    scrub_patterns: Mapping[str, str] | None = None,
    scrub_exempt_keys: Iterable[str] = (),
    spool_dir: str | os.PathLike[str] | None = None,
    spool_max_bytes: int | None = None,
    disabled: bool | None = None,
    max_value_length: int | None = None,
    export_timeout: float | None = None,
    flush_timeout: float | None = None,
    propagate_to_threads: bool = True,
    integrations: IntegrationsArg = None,
    tracer_provider: TracerProvider | None = None,
    span_exporter: SpanExporter | None = None,
) -> None:
    """Start sending ``@observe`` spans (and the application's other OTel spans) to AgentState.

    Every argument left to ``None`` is read from ``AGENTSTATE_*`` variables, then the standard
    ``OTEL_*`` ones, then a default. Calling ``init`` again with the same settings does nothing;
    with other settings it flushes the previous pipeline and replaces it. Never raises.

    Args:
        collector_url: Base URL of the receiver (``AGENTSTATE_COLLECTOR_URL``, then
            ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`` as-is or ``OTEL_EXPORTER_OTLP_ENDPOINT``;
            default ``http://127.0.0.1:4318``); spans go to ``{collector_url}/v1/traces``.
        api_key: Ingest key, sent as ``Authorization: Bearer <key>`` (``AGENTSTATE_API_KEY``).
            Other headers come from ``OTEL_EXPORTER_OTLP_HEADERS``.
        service_name: ``service.name`` when the SDK creates the provider
            (``AGENTSTATE_SERVICE_NAME``, ``OTEL_SERVICE_NAME``).
        capture_io: Record arguments and return values by default (``AGENTSTATE_CAPTURE_IO``).
        scrub: Redact PII and secrets before export (``AGENTSTATE_SCRUB``, default on).
        scrub_patterns: Extra ``{TYPE: regex}`` patterns; matches become ``[REDACTED:TYPE]``.
        scrub_exempt_keys: Attribute keys never scrubbed.
        spool_dir: Offline spool folder (``AGENTSTATE_SPOOL_DIR``, default ``~/.agentstate/spool``;
            ``off`` disables it).
        spool_max_bytes: Spool size cap (``AGENTSTATE_SPOOL_MAX_BYTES``, default 64 MiB).
        disabled: Turn the SDK off (``AGENTSTATE_DISABLED``, ``OTEL_SDK_DISABLED``).
        max_value_length: Characters kept per captured value (``AGENTSTATE_MAX_VALUE_LENGTH``).
        export_timeout: Seconds per HTTP attempt (``AGENTSTATE_EXPORT_TIMEOUT``, default 10).
        flush_timeout: Seconds the exit flush may take (``AGENTSTATE_FLUSH_TIMEOUT``, default 5).
        propagate_to_threads: Carry the current span into threads and thread pools.
        integrations: Which framework integrations to switch on (OpenAI, Anthropic, LangChain/
            LangGraph, AutoGen, CrewAI), each when its framework is imported: ``True``/``None`` all
            (``AGENTSTATE_INTEGRATIONS``: ``all``, ``none`` or a comma list), ``False`` none, a list
            of names, or ``{"crewai": False}`` to switch single ones. ``AGENTSTATE_DISABLE_<NAME>=true``
            always turns one off.
        tracer_provider: Add to this provider instead of the global one.
        span_exporter: Export to this instead of OTLP/HTTP (still scrubbed); for tests and
            custom sinks. No spool is used then.
    """
    global _pipeline
    with handle_internal_errors:
        config = resolve_config(
            collector_url=collector_url,
            api_key=api_key,
            service_name=service_name,
            capture_io=capture_io,
            scrub=scrub,
            scrub_patterns=scrub_patterns,
            scrub_exempt_keys=frozenset(scrub_exempt_keys),
            spool_dir=spool_dir,
            spool_max_bytes=spool_max_bytes,
            disabled=disabled,
            max_value_length=max_value_length,
            export_timeout=export_timeout,
            flush_timeout=flush_timeout,
            propagate_to_threads=propagate_to_threads,
            integrations=integrations,
        )
        key = (config, id(tracer_provider), id(span_exporter))
        if _pipeline is not None and _pipeline.key == key:
            logger.debug("agentstate.init() called again with the same settings; nothing to do")
            return
        if _pipeline is not None and span_exporter is not None and span_exporter is _pipeline.head.inner:
            _pipeline.head.forward_shutdown = False  # the caller's exporter lives on in the new pipeline
        shutdown()
        if config.disabled:
            logger.info("AgentState SDK disabled; @observe is a no-op")
            return
        provider = _provider(config, tracer_provider)
        _pipeline = _build(config, provider, span_exporter, key)
        STATE.capture_io = config.capture_io
        STATE.max_value_length = config.max_value_length
        STATE.tracer = provider.get_tracer(INSTRUMENTATION_NAME, VERSION)
        if config.propagate_to_threads:
            threads.install()
        _integrations.activate(provider, config.integrations, config.capture_io)
        _register_atexit()


def _register_atexit() -> None:
    global _atexit_registered
    if not _atexit_registered:
        atexit.register(shutdown)
        _atexit_registered = True


def flush(timeout: float = 30.0) -> bool:
    """Export every span ended so far (to the collector or the spool).

    Args:
        timeout: Seconds to wait at most.

    Returns:
        ``True`` if the flush completed; ``False`` if the SDK is off or it failed.
    """
    with handle_internal_errors:
        if _pipeline is not None:
            return _pipeline.processor.force_flush(int(timeout * 1000))
    return False


def shutdown(timeout: float | None = None) -> None:
    """Flush within ``timeout`` seconds (default: the ``flush_timeout`` setting) and stop.

    Batches that cannot be delivered in time stay in the spool for the next start.
    ``@observe`` becomes a no-op until the next :func:`init`. Registered to run at exit.
    """
    global _pipeline
    with handle_internal_errors:
        pipeline, _pipeline = _pipeline, None
        STATE.tracer = None
        _integrations.deactivate()
        if pipeline is None:
            return
        limit = pipeline.config.flush_timeout if timeout is None else timeout
        if pipeline.exporter is not None:
            pipeline.exporter.begin_shutdown(limit)
        pipeline.processor.shutdown(timeout_millis=limit * 1000)


def stats() -> dict[str, int]:
    """Counters of spans ended, exported, spooled, replayed, dropped (by reason) and evicted.

    Also ``spool_batches``/``spool_spans``/``spool_bytes``: what waits in this process's spool.
    """
    counts = STATS.snapshot()
    with handle_internal_errors:
        spool = _pipeline.exporter.spool if _pipeline is not None and _pipeline.exporter is not None else None
        if spool is not None:
            counts["spool_batches"], counts["spool_spans"], counts["spool_bytes"] = spool.counts()
    return counts


__all__ = ["flush", "init", "shutdown", "stats"]
