"""Fixtures for the framework tests: the fake LLM server and one SDK pipeline for the session.

These tests run in the separate framework venv (``make test`` creates ``.venv-frameworks``); in an
environment without a framework, its test module skips. ``init()`` is called once with an in-memory
exporter and no explicit provider, as an application would, so the SDK's provider becomes the global
one (AutoGen traces there) and every integration is switched on by ``init()`` itself.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from typing import Any

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from tests.frameworks.fake_llm import FakeLLMServer


@pytest.fixture(scope="session")
def fake_llm() -> Iterator[FakeLLMServer]:
    server = FakeLLMServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def _session_exporter(fake_llm: FakeLLMServer) -> Iterator[InMemorySpanExporter]:
    import agentstate

    os.environ.setdefault("OPENAI_API_KEY", "sk-fake")
    os.environ.setdefault("ANTHROPIC_API_KEY", "sk-ant-fake")
    os.environ["CREWAI_DISABLE_TELEMETRY"] = "true"
    os.environ["OTEL_SDK_DISABLED"] = "false"
    exporter = InMemorySpanExporter()
    agentstate.init(span_exporter=exporter, spool_dir="off", service_name="framework-tests")
    yield exporter
    agentstate.shutdown()


class Spans:
    """The spans one test produced, flushed on demand."""

    def __init__(self, exporter: InMemorySpanExporter) -> None:
        self._exporter = exporter

    def get(self) -> list[ReadableSpan]:
        import agentstate

        assert agentstate.flush(10)
        return sorted(self._exporter.get_finished_spans(), key=lambda s: (s.start_time or 0, s.name))


@pytest.fixture
def spans(_session_exporter: InMemorySpanExporter) -> Spans:
    _session_exporter.clear()
    return Spans(_session_exporter)


def tree(spans: Sequence[ReadableSpan], keep: Any = None) -> list[str]:
    """``"  " * depth + name`` per span in start order: the trace tree as lines of text.

    Args:
        spans: Finished spans.
        keep: Optional predicate; spans it rejects are left out and their children moved up.
    """
    by_id = {s.context.span_id: s for s in spans if s.context is not None}

    def parent(span: ReadableSpan) -> ReadableSpan | None:
        pid = span.parent.span_id if span.parent is not None else None
        while pid in by_id:
            candidate = by_id[pid]
            if keep is None or keep(candidate):
                return candidate
            pid = candidate.parent.span_id if candidate.parent is not None else None
        return None

    kept = [s for s in spans if keep is None or keep(s)]

    children: dict[int | None, list[ReadableSpan]] = {}
    for span in kept:
        p = parent(span)
        children.setdefault(p.context.span_id if p is not None and p.context else None, []).append(span)
    lines: list[str] = []

    def walk(key: int | None, level: int) -> None:
        for span in children.get(key, []):
            lines.append("  " * level + span.name)
            walk(span.context.span_id if span.context else None, level + 1)

    walk(None, 0)
    return lines


def attrs(span: ReadableSpan) -> dict[str, Any]:
    """The span's attributes as a plain dict."""
    return dict(span.attributes or {})


def one(spans: Sequence[ReadableSpan], name: str) -> ReadableSpan:
    """The only span called ``name``."""
    found = [s for s in spans if s.name == name]
    assert len(found) == 1, [s.name for s in spans]
    return found[0]
