"""Fixtures for SDK tests: a real ``init`` on a private provider with an in-memory exporter,
deterministic IDs and clock, and a clean environment."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import agentstate
from agentstate._internal import errors, threads
from agentstate.testing import IncrementingIdGenerator, deterministic_clock, span_dicts


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No AGENTSTATE_*/OTEL_* variable leaks in; every test ends with the SDK shut down."""
    for name in list(os.environ):
        if name.startswith(("AGENTSTATE_", "OTEL_")):
            monkeypatch.delenv(name)
    yield
    agentstate.shutdown()


@pytest.fixture(scope="session", autouse=True)
def restore_threads() -> Iterator[None]:
    """``init`` patches thread pools for the whole process; undo it after the session."""
    yield
    threads.uninstall()


@pytest.fixture
def swallow_internal_errors() -> Iterator[None]:
    """Behave as in production: internal SDK errors are logged, not re-raised (tests that break
    the SDK on purpose)."""
    previous = errors.set_reraise(False)
    yield
    errors.set_reraise(previous)


class Captured:
    """The in-memory exporter of a test, with helpers to read what it received."""

    def __init__(self, exporter: InMemorySpanExporter, provider: TracerProvider) -> None:
        self.exporter = exporter
        self.provider = provider

    def dicts(self) -> list[dict[str, Any]]:
        """Flush, then every finished span as a dict (see ``agentstate.testing.span_dicts``)."""
        agentstate.flush()
        return span_dicts(self.exporter.get_finished_spans())

    def by_name(self) -> dict[str, dict[str, Any]]:
        """Finished spans keyed by the last dotted part of their name (unique in the test)."""
        return {span["name"].rsplit(".", 1)[-1]: span for span in self.dicts()}


def start_sdk(**init_kwargs: Any) -> Captured:
    """``agentstate.init`` on a fresh provider with deterministic IDs and an in-memory exporter."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider(id_generator=IncrementingIdGenerator(), resource=Resource({"service.name": "test"}))
    agentstate.init(tracer_provider=provider, span_exporter=exporter, **init_kwargs)
    return Captured(exporter, provider)


@pytest.fixture
def sdk() -> Iterator[Captured]:
    """The SDK initialised with default settings, a deterministic clock and in-memory export."""
    with deterministic_clock():
        yield start_sdk()
