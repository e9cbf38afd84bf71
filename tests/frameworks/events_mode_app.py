"""Run ``examples/plain_openai.py`` with the OpenAI instrumentation in events mode.

``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=EVENT_ONLY`` makes openai-v2 leave the
messages off its ``chat`` spans and send them as OTLP log events instead (tied to the span by trace
and span ID). The application registers the global ``LoggerProvider`` with an OTLP/HTTP log exporter
to the same collector and key as ``init()`` uses, as an application would; the instrumentation emits
through it. Arguments are the example's.
"""

from __future__ import annotations

import os
import runpy
import sys
from pathlib import Path

from opentelemetry._logs import set_logger_provider
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
from opentelemetry.sdk.resources import Resource

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "plain_openai.py"


def main() -> None:
    os.environ["OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"] = "EVENT_ONLY"
    exporter = OTLPLogExporter(
        endpoint=os.environ["AGENTSTATE_COLLECTOR_URL"].rstrip("/") + "/v1/logs",
        headers={"authorization": f"Bearer {os.environ['AGENTSTATE_API_KEY']}"},
    )
    provider = LoggerProvider(resource=Resource.create({"service.name": "example-plain-openai"}))
    provider.add_log_record_processor(BatchLogRecordProcessor(exporter))
    set_logger_provider(provider)
    sys.path.insert(0, str(EXAMPLE.parent))
    sys.argv = [str(EXAMPLE), *sys.argv[1:]]
    try:
        runpy.run_path(str(EXAMPLE), run_name="__main__")
    finally:
        provider.shutdown()


if __name__ == "__main__":
    main()
