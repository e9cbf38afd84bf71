"""ClickHouse connection: a real server over HTTP(S), or embedded chDB — the same ``Client`` API.

chDB allows one process per data directory. We take an exclusive ``flock`` on the directory before
opening it, so a second process fails at once with a clear message instead of corrupting data.
"""

from __future__ import annotations

import atexit
import fcntl
import os
from pathlib import Path
from typing import IO, Any, Final

import clickhouse_connect
from clickhouse_connect.driver.client import Client

from agentstate.processors.clickhouse_schema import ddl
from agentstate.processors.cluster_ddl import clusterize

_locks: dict[str, IO[str]] = {}

_MIB = 1024 * 1024
CHDB_CACHES: Final = {
    "mark_cache_size": str(128 * _MIB),
    "index_mark_cache_size": str(32 * _MIB),
    "primary_index_cache_size": str(64 * _MIB),
    "query_condition_cache_size": str(32 * _MIB),
    "uncompressed_cache_size": "0",
}
"""Server settings of embedded chDB: its caches capped for a laptop (ClickHouse's defaults are sized
for a server: 5 GiB each for marks, index marks and primary indexes). The writer process holds
chDB and, under ``agentstate up``, answers the API's queries, which fill these caches; uncapped,
its memory grew with every page of the UI. Same spirit as ``deploy/clickhouse/config.d``."""


def _release_all() -> None:
    for handle in _locks.values():
        handle.close()
    _locks.clear()


atexit.register(_release_all)


class DataDirInUse(SystemExit):
    """Another process holds the chDB directory."""


def chdb_path(url: str) -> str | None:
    """Return the directory of a ``chdb://`` URL, or None for a server URL."""
    if url.startswith("chdb://"):
        return url[len("chdb://") :] or ":memory:"
    return None


def lock_directory(path: str, what: str = "ClickHouse data directory") -> None:
    """Hold an exclusive lock on ``path`` for the life of the process, or exit with a clear message."""
    real = os.path.realpath(path)
    if real in _locks:
        return
    Path(real).mkdir(parents=True, exist_ok=True)
    handle = open(Path(real) / ".agentstate.lock", "a+")  # noqa: SIM115 - held for the process lifetime
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.seek(0)
        owner = handle.read().strip() or "another process"
        handle.close()
        raise DataDirInUse(
            f"{what} {real} is in use by {owner}. Only one AgentState process may open it: "
            "stop the other one, or pass a different --data-dir."
        ) from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"pid {os.getpid()}")
    handle.flush()
    _locks[real] = handle


def connect(url: str, database: str | None = None) -> Client:
    """Open a client for ``url`` (``chdb:///dir`` or ``http(s)://user:pass@host:8123``)."""
    path = chdb_path(url)
    if path is not None:
        if path != ":memory:":
            lock_directory(path)
        return clickhouse_connect.get_client(dsn=url, database=database, chdb_options=CHDB_CACHES)
    settings: dict[str, Any] = {"async_insert": 1, "wait_for_async_insert": 1}
    return clickhouse_connect.get_client(dsn=url, database=database, settings=settings)


def migrate(
    client: Client, database: str, retention_days: int = 0, extra: list[str] | None = None, cluster: str = ""
) -> None:
    """Create every table idempotently (``cluster``: replicated shards behind distributed tables)."""
    statements = ddl(database, retention_days) + (extra or [])
    for statement in clusterize(statements, cluster) if cluster else statements:
        client.command(statement)
