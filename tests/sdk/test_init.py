"""``init``: idempotent, adds to an existing provider, off when disabled; the package stays light."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import agentstate
from agentstate import observe
from agentstate._internal.processor import AgentStateSpanProcessor
from agentstate._internal.state import STATE
from tests.sdk.conftest import start_sdk


@observe
def work(x: int) -> int:
    return x * 2


def _agentstate_processors(provider: TracerProvider) -> list[Any]:
    processors = provider._active_span_processor._span_processors
    return [p for p in processors if isinstance(p, AgentStateSpanProcessor)]


def test_without_init_observe_does_nothing() -> None:
    assert STATE.tracer is None
    assert work(2) == 4


def test_init_twice_with_the_same_settings_is_a_no_op() -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    agentstate.init(tracer_provider=provider, span_exporter=exporter)
    agentstate.init(tracer_provider=provider, span_exporter=exporter)
    work(1)
    agentstate.flush()
    assert len(exporter.get_finished_spans()) == 1
    assert len(_agentstate_processors(provider)) == 1


def test_init_again_with_other_settings_replaces_the_pipeline() -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    agentstate.init(tracer_provider=provider, span_exporter=exporter)
    agentstate.init(tracer_provider=provider, span_exporter=exporter, capture_io=False)
    work(1)
    agentstate.flush()
    (only,) = exporter.get_finished_spans()
    assert "input.value" not in (only.attributes or {})


@pytest.mark.parametrize(
    "how",
    [
        pytest.param({"disabled": True}, id="argument"),
        pytest.param({"env": ("OTEL_SDK_DISABLED", "true")}, id="otel-sdk-disabled"),
        pytest.param({"env": ("AGENTSTATE_DISABLED", "1")}, id="agentstate-disabled"),
    ],
)
def test_disabled_sdk_is_a_no_op(monkeypatch: pytest.MonkeyPatch, how: dict[str, Any]) -> None:
    if "env" in how:
        monkeypatch.setenv(*how["env"])
    captured = start_sdk(**{k: v for k, v in how.items() if k != "env"})
    assert work(3) == 6
    assert STATE.tracer is None
    assert captured.dicts() == []


def test_init_adds_to_the_applications_provider(monkeypatch: pytest.MonkeyPatch) -> None:
    app_exporter = InMemorySpanExporter()
    app_provider = TracerProvider()
    app_provider.add_span_processor(SimpleSpanProcessor(app_exporter))
    monkeypatch.setattr(trace, "_TRACER_PROVIDER", app_provider)
    ours = InMemorySpanExporter()
    agentstate.init(span_exporter=ours)
    with app_provider.get_tracer("app").start_as_current_span("plain otel"):
        work(1)
    agentstate.flush()
    assert sorted(s.name for s in app_exporter.get_finished_spans()) == ["plain otel", "work"]
    assert sorted(s.name for s in ours.get_finished_spans()) == ["plain otel", "work"]
    assert trace.get_tracer_provider() is app_provider


def test_shutdown_turns_observe_off() -> None:
    captured = start_sdk()
    agentstate.shutdown()
    work(1)
    assert captured.exporter.get_finished_spans() == ()


def test_disabled_decorator_costs_under_a_microsecond() -> None:
    calls = 20_000
    best = float("inf")
    for _ in range(5):
        start = time.thread_time_ns()
        for _ in range(calls):
            work(1)
        decorated = time.thread_time_ns() - start
        start = time.thread_time_ns()
        for _ in range(calls):
            work.__wrapped__(1)
        bare = time.thread_time_ns() - start
        best = min(best, (decorated - bare) / calls / 1000)
    assert best < 1.0


SERVER_MODULES = [
    "redis", "valkey", "clickhouse_connect", "chdb", "fastapi", "starlette", "uvicorn", "pydantic",
    "pydantic_settings", "streamlit", "httpx", "grpc", "pyarrow", "orjson", "jwt",
    "agentstate.receiver", "agentstate.processors", "agentstate.api", "agentstate.ui",
]  # fmt: skip


def test_import_pulls_in_no_server_module() -> None:
    code = (
        "import sys, json, agentstate\n"
        "agentstate.init(span_exporter=None, spool_dir='off')\n"
        "@agentstate.observe\n"
        "def f(): return 1\n"
        "f(); agentstate.shutdown(0.1)\n"
        "print(json.dumps(sorted(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    loaded = set(json.loads(out.stdout))
    offending = sorted(name for name in loaded if any(name == m or name.startswith(m + ".") for m in SERVER_MODULES))
    assert offending == []
    assert "agentstate._internal.exporter" in loaded


def test_sampled_out_calls_capture_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    from opentelemetry.sdk.trace.sampling import ALWAYS_OFF

    from agentstate._internal import spanspec

    exporter = InMemorySpanExporter()
    agentstate.init(tracer_provider=TracerProvider(sampler=ALWAYS_OFF), span_exporter=exporter)
    monkeypatch.setattr(spanspec, "args_to_json", lambda *a: pytest.fail("captured a sampled-out call"))
    monkeypatch.setattr(spanspec, "to_json", lambda *a: pytest.fail("captured a sampled-out call"))
    assert work(5) == 10
    agentstate.flush()
    assert exporter.get_finished_spans() == ()
