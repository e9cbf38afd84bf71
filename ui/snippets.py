"""Copy-paste snippets that point an application at this AgentState instance."""

from __future__ import annotations

import os

PLACEHOLDER_KEY = "<your ingest key>"


def collector_url() -> str:
    """Where applications send OTLP/HTTP: ``AGENTSTATE_COLLECTOR_URL``, else the local receiver's port."""
    explicit = os.environ.get("AGENTSTATE_COLLECTOR_URL")
    if explicit:
        return explicit.rstrip("/")
    host = os.environ.get("AGENTSTATE_HOST", "127.0.0.1")
    if host in ("0.0.0.0", "::"):  # noqa: S104 - a listen address, not a bind
        host = "127.0.0.1"
    return f"http://{host}:{os.environ.get('AGENTSTATE_HTTP_PORT', '4318')}"


def observe_snippet(url: str, key: str = PLACEHOLDER_KEY) -> str:
    """Python using the AgentState SDK's ``@observe``."""
    return f'''import agentstate
from agentstate import observe

agentstate.init(collector_url="{url}", api_key="{key}", service_name="my-agent")


@observe(kind="tool")
def search_flights(origin: str, destination: str) -> list[dict]:
    ...


@observe(kind="agent")
def plan_trip(request: str) -> str:
    with agentstate.propagate_attributes(session_id="chat-42", user_id="u-7"):
        flights = search_flights("PAR", "NYC")
        ...
'''


def otel_env_snippet(url: str, key: str = PLACEHOLDER_KEY) -> str:
    """Environment for any OpenTelemetry SDK's OTLP/HTTP exporter (no AgentState code)."""
    return f'''export OTEL_EXPORTER_OTLP_ENDPOINT="{url}"
export OTEL_EXPORTER_OTLP_PROTOCOL="http/protobuf"
export OTEL_EXPORTER_OTLP_HEADERS="Authorization=Bearer {key}"
export OTEL_SERVICE_NAME="my-agent"
'''


def otel_python_snippet(url: str, key: str = PLACEHOLDER_KEY) -> str:
    """Plain OpenTelemetry Python: a TracerProvider exporting to this instance."""
    return f'''from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

provider = TracerProvider(resource=Resource.create({{"service.name": "my-agent"}}))
provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(
    endpoint="{url}/v1/traces",
    headers={{"Authorization": "Bearer {key}"}},
)))
trace.set_tracer_provider(provider)
'''
