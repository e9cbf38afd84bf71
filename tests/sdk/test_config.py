"""Settings: arguments, then AGENTSTATE_*, then OTEL_*, then defaults; bad values never raise."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from agentstate._internal.config import Config, parse_otlp_headers, resolve_config


@pytest.mark.parametrize(
    ("env", "kwargs", "field", "expected"),
    [
        pytest.param({}, {}, "traces_endpoint", "http://127.0.0.1:4318/v1/traces", id="endpoint-default"),
        pytest.param(
            {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://otel:4318/"},
            {},
            "traces_endpoint",
            "http://otel:4318/v1/traces",
            id="otel-base",
        ),
        pytest.param(
            {
                "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://otel:4318/custom",
                "OTEL_EXPORTER_OTLP_ENDPOINT": "http://x",
            },
            {},
            "traces_endpoint",
            "http://otel:4318/custom",
            id="otel-traces-as-is",
        ),
        pytest.param(
            {"AGENTSTATE_COLLECTOR_URL": "http://as:4318", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://otel/x"},
            {},
            "traces_endpoint",
            "http://as:4318/v1/traces",
            id="agentstate-beats-otel",
        ),
        pytest.param(
            {"AGENTSTATE_COLLECTOR_URL": "http://as:4318"},
            {"collector_url": "http://arg:1/"},
            "traces_endpoint",
            "http://arg:1/v1/traces",
            id="argument-beats-env",
        ),
        pytest.param({"OTEL_SERVICE_NAME": "svc"}, {}, "service_name", "svc", id="otel-service-name"),
        pytest.param(
            {"OTEL_SERVICE_NAME": "svc", "AGENTSTATE_SERVICE_NAME": "mine"},
            {},
            "service_name",
            "mine",
            id="agentstate-service-name",
        ),
        pytest.param({"AGENTSTATE_CAPTURE_IO": "false"}, {}, "capture_io", False, id="capture-off"),
        pytest.param({"AGENTSTATE_CAPTURE_IO": "maybe"}, {}, "capture_io", True, id="capture-bad-value"),
        pytest.param({"AGENTSTATE_SCRUB": "0"}, {}, "scrub", False, id="scrub-off"),
        pytest.param({"OTEL_SDK_DISABLED": "true"}, {}, "disabled", True, id="otel-disabled"),
        pytest.param({"AGENTSTATE_DISABLED": "1"}, {}, "disabled", True, id="agentstate-disabled"),
        pytest.param({"OTEL_SDK_DISABLED": "true"}, {"disabled": False}, "disabled", False, id="argument-enables"),
        pytest.param({"AGENTSTATE_SPOOL_DIR": "off"}, {}, "spool_dir", None, id="spool-off"),
        pytest.param({"AGENTSTATE_SPOOL_DIR": "/tmp/sp"}, {}, "spool_dir", Path("/tmp/sp"), id="spool-dir"),
        pytest.param({}, {}, "spool_dir", Path("~/.agentstate/spool").expanduser(), id="spool-default"),
        pytest.param({"AGENTSTATE_SPOOL_MAX_BYTES": "1000"}, {}, "spool_max_bytes", 1000, id="spool-max"),
        pytest.param(
            {"AGENTSTATE_SPOOL_MAX_BYTES": "-5"}, {}, "spool_max_bytes", 64 * 1024 * 1024, id="spool-max-negative"
        ),
        pytest.param(
            {"AGENTSTATE_SPOOL_MAX_BYTES": "lots"}, {}, "spool_max_bytes", 64 * 1024 * 1024, id="spool-max-garbage"
        ),
        pytest.param({"AGENTSTATE_EXPORT_TIMEOUT": "2.5"}, {}, "export_timeout", 2.5, id="export-timeout"),
    ],
)
def test_resolution_order(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], kwargs: dict[str, Any], field: str, expected: Any
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert getattr(resolve_config(**kwargs), field) == expected


@pytest.mark.parametrize(
    ("env", "kwargs", "expected"),
    [
        pytest.param({}, {}, {}, id="none"),
        pytest.param({"AGENTSTATE_API_KEY": "as_k"}, {}, {"authorization": "Bearer as_k"}, id="env-key"),
        pytest.param(
            {"AGENTSTATE_API_KEY": "as_k"}, {"api_key": "as_arg"}, {"authorization": "Bearer as_arg"}, id="arg-key"
        ),
        pytest.param(
            {"OTEL_EXPORTER_OTLP_HEADERS": "x-api-key=as_h,x-team=a%20b"},
            {},
            {"x-api-key": "as_h", "x-team": "a b"},
            id="otel-headers",
        ),
        pytest.param(
            {"OTEL_EXPORTER_OTLP_HEADERS": "x-a=1", "OTEL_EXPORTER_OTLP_TRACES_HEADERS": "x-b=2"},
            {"api_key": "k"},
            {"x-b": "2", "authorization": "Bearer k"},
            id="traces-headers-win",
        ),
    ],
)
def test_headers(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], kwargs: dict[str, Any], expected: dict[str, str]
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert dict(resolve_config(**kwargs).headers) == expected


def test_malformed_header_entries_are_skipped(caplog: pytest.LogCaptureFixture) -> None:
    assert parse_otlp_headers("good=1,broken,=x, ,also=2") == {"good": "1", "also": "2"}
    assert "malformed" in caplog.text


def test_bad_value_is_logged(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setenv("AGENTSTATE_SPOOL_MAX_BYTES", "lots")
    resolve_config()
    assert "AGENTSTATE_SPOOL_MAX_BYTES" in caplog.text


def test_config_is_frozen() -> None:
    with pytest.raises(AttributeError):
        Config().scrub = False  # type: ignore[misc]
