"""``agentstate up`` on one machine (issue 14, items 7 and 8).

* Item 8: the supervisor restarted every child but embedded Valkey; after a kill -9 it was left
  defunct and ingest answered 503 until a full restart.
* Item 7: Valkey had no password although it holds every tenant's raw spans, the data directory
  was 0755 and ``agentstate.db`` 0644, and every child (Streamlit included) got every secret.
"""

from __future__ import annotations

import os
import signal
import stat
import time
from pathlib import Path

import pytest
import redis

from tests.integration.test_faults import (
    UP_KEY,
    _ports,
    _ready_and_send,
    _redis_url,
    _up,
    chdb_rows,
    make_request,
)
from tests.integration.test_ingest import _post

pytestmark = pytest.mark.slow


def _children(pid: int) -> dict[str, int]:
    """Child processes of ``pid`` by component: ``receiver``, ``writer``, ``security``, ``cost``, ``valkey``."""
    found: dict[str, int] = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            ppid = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
            argv = (proc / "cmdline").read_bytes().split(b"\0")
        except (OSError, IndexError, ValueError):
            continue
        if ppid != pid:
            continue
        words = [a.decode(errors="replace") for a in argv if a]
        if any("valkey" in w for w in words[:1]):
            found["valkey"] = int(proc.name)
        elif "receiver" in words:
            found["receiver"] = int(proc.name)
        elif "worker" in words:
            found[words[words.index("worker") + 1]] = int(proc.name)
    return found


def _environ(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return dict(item.decode(errors="replace").split("=", 1) for item in raw if b"=" in item)


def _alive(pid: int) -> bool:
    """Running (a zombie, i.e. exited but never reaped, does not count)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _send_until_accepted(url: str, trace: int, spans: int, timeout: float = 60) -> None:
    """A client honouring 503 + Retry-After (shortened): resend until the receiver takes it."""
    deadline = time.monotonic() + timeout
    code, body = 0, b""
    while time.monotonic() < deadline:
        code, body, _ = _post(
            url + "/v1/traces",
            make_request(trace, spans),
            {"Content-Type": "application/x-protobuf", "Authorization": f"Bearer {UP_KEY}"},
        )
        if code == 200:
            return
        assert code == 503, body
        time.sleep(0.5)
    raise AssertionError(f"still {code} after {timeout} s: {body!r}")


def test_up_restarts_embedded_valkey_after_kill_9(tmp_path: Path) -> None:
    from agentstate.cli.demo import wait_until_persisted

    ports = _ports()
    data, log = tmp_path / "data", tmp_path / "up.log"
    url = f"http://127.0.0.1:{ports['AGENTSTATE_HTTP_PORT']}"
    up = _up(data, ports, log, group=True)
    try:
        _ready_and_send(url, range(1, 3), 100)
        redis_url = _redis_url(log)
        assert wait_until_persisted(redis_url, 60)  # stored before the crash
        pid_file = data / "redis" / "agentstate-valkey.pid"
        old = int(pid_file.read_text())
        os.kill(old, signal.SIGKILL)
        deadline = time.monotonic() + 30
        new = old
        while time.monotonic() < deadline and (new == old or not _alive(new)):
            time.sleep(0.2)
            new = int(pid_file.read_text())
        assert new != old and _alive(new), log.read_text()
        assert not _alive(old), "the killed Valkey was left defunct"
        for t in range(10, 13):
            _send_until_accepted(url, t, 100)
        assert wait_until_persisted(redis_url, 60)
        assert "valkey exited" in log.read_text()
        os.killpg(up.pid, signal.SIGINT)
        assert up.wait(60) == 0, log.read_text()
    finally:
        if up.poll() is None:
            os.killpg(up.pid, signal.SIGKILL)
    rows = chdb_rows(data / "clickhouse", "SELECT count(), uniqExact(SpanId) FROM agentstate.otel_traces FINAL")
    assert rows[0] == [500, 500]


SECRETS = ("AGENTSTATE_SECRET_KEY", "AGENTSTATE_ADMIN_PASSWORD", "AGENTSTATE_BOOTSTRAP_API_KEY")


def test_up_locks_down_valkey_files_and_child_secrets(tmp_path: Path) -> None:
    ports = _ports()
    data, log = tmp_path / "data", tmp_path / "up.log"
    url = f"http://127.0.0.1:{ports['AGENTSTATE_HTTP_PORT']}"
    up = _up(data, ports, log, group=True)
    try:
        _ready_and_send(url, range(1, 2), 10)
        redis_url = _redis_url(log)
        deadline = time.monotonic() + 60
        while not (data / "agentstate.db").exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        children = _children(up.pid)
        envs = {name: _environ(pid) for name, pid in children.items() if name != "valkey"}
        # Valkey: a password, which the children's URL carries
        assert "@" in redis_url, f"Valkey has no password: {redis_url}"
        host, port = redis_url.rsplit("@", 1)[1].split("/")[0].split(":")
        bare = redis.Redis(host=host, port=int(port))
        with pytest.raises(redis.AuthenticationError):
            bare.ping()
        bare.close()
        assert redis.Redis.from_url(redis_url).ping()
        os.killpg(up.pid, signal.SIGINT)
        assert up.wait(60) == 0, log.read_text()
    finally:
        if up.poll() is None:
            os.killpg(up.pid, signal.SIGKILL)
    assert {"receiver", "writer", "security", "cost"} <= set(envs), children
    assert all(env["AGENTSTATE_REDIS_URL"] == redis_url for env in envs.values())
    # each child only the secrets it needs
    assert all(k in envs["writer"] for k in SECRETS)  # the API: JWTs, first admin, bootstrap key
    assert "AGENTSTATE_SECRET_KEY" in envs["receiver"]  # ingest-key pepper
    assert not any(k in envs["receiver"] for k in SECRETS[1:])
    for name in ("security", "cost"):
        assert not any(k in envs[name] for k in SECRETS), name
    # files: the data directory is the owner's alone
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    for path in [data / "agentstate.db", data / "secret.key", data / "admin.password", data / "redis"]:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode & 0o077 == 0, f"{path.name} is {oct(mode)}"
