"""The spool across processes: kill -9 with the collector down, restart, every span arrives once;
and a normal exit stays prompt when the collector hangs (stand-in collector, real subprocesses)."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.sdk.standin import stand_in
from tests.sdk.test_exporter import closed_port

APP = Path(__file__).with_name("crash_app.py")


def _spooled_spans(folder: Path) -> int:
    total = 0
    for path in folder.glob("*.sqlite3"):
        with sqlite3.connect(path) as db:
            total += db.execute("SELECT coalesce(sum(spans), 0) FROM batches").fetchone()[0]
    return total


def _app(url: str, spool: Path, *args: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AGENTSTATE_", "OTEL_"))}
    return subprocess.Popen(
        [sys.executable, str(APP), url, str(spool), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


@pytest.mark.slow
def test_kill_9_then_restart_delivers_every_span_exactly_once(tmp_path: Path) -> None:
    port = closed_port()
    url, spool = f"http://127.0.0.1:{port}", tmp_path / "spool"
    app = _app(url, spool, "emit", "5000")
    try:
        line = app.stdout.readline() if app.stdout else ""
        stats = json.loads(line)
        assert stats["spans_spooled"] == 5000, stats
        assert _spooled_spans(spool) == 5000
        os.kill(app.pid, signal.SIGKILL)
    finally:
        if app.poll() is None:
            app.kill()
        app.communicate(timeout=10)  # reap it and close its pipes
    with stand_in(port=port) as collector:
        again = _app(url, spool, "drain")
        out, err = again.communicate(timeout=90)
        stats = json.loads(out.strip().splitlines()[-1])
        ids = collector.span_ids()
    assert stats["spans_replayed"] == 5000, err
    assert len(ids) == 5000
    assert len(set(ids)) == 5000
    assert _spooled_spans(spool) == 0
    assert all(r.headers.get("authorization") == "Bearer as_test" for r in collector.requests)


@pytest.mark.slow
def test_exit_is_prompt_when_the_collector_hangs(tmp_path: Path) -> None:
    spool = tmp_path / "spool"
    with stand_in(hang=True) as collector:
        started = time.monotonic()
        app = _app(collector.url, spool, "exit", "300")
        _, err = app.communicate(timeout=60)
        took = time.monotonic() - started
    assert app.returncode == 0, err
    assert took < 10, f"exit took {took:.1f}s"
    assert _spooled_spans(spool) == 300
