"""``agentstate up`` says "running" only once every component answers its health check (it used to
print the banner ~1.3 s before the API listened)."""

from __future__ import annotations

import signal
import time
import urllib.request
from pathlib import Path

import pytest

from agentstate.cli.up import health_urls
from tests.integration.test_faults import _ports, _up

pytestmark = pytest.mark.slow


def test_health_urls_cover_every_component() -> None:
    assert [n for n, _ in health_urls("4318", "8000", "8501")] == ["receiver", "api", "ui"]
    assert [n for n, _ in health_urls("4318", "8000", None)] == ["receiver", "api"]
    assert dict(health_urls("1", "2", None))["api"] == "http://127.0.0.1:2/readyz"


def test_banner_comes_after_the_api_answers(tmp_path: Path) -> None:
    ports = _ports()
    log = tmp_path / "up.log"
    up = _up(tmp_path / "data", ports, log)
    try:
        deadline = time.monotonic() + 120
        while "AgentState is running" not in log.read_text() and time.monotonic() < deadline:
            assert up.poll() is None, log.read_text()
            time.sleep(0.05)
        text = log.read_text()
        assert "AgentState is running" in text and "not ready yet" not in text, text[-3000:]
        with urllib.request.urlopen(f"http://127.0.0.1:{ports['AGENTSTATE_API_PORT']}/readyz", timeout=5) as r:
            assert r.status == 200
    finally:
        up.send_signal(signal.SIGINT)
        up.wait(60)
