"""ClickHouse connection: a real server over HTTP(S), or embedded chDB — the same ``Client`` API.

chDB allows one process per data directory. We take an exclusive ``flock`` on the directory before
opening it, so a second process fails at once with a clear message instead of corrupting data.
"""

from __future__ import annotations

import atexit
import fcntl
import os
import re
import threading
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, Final

import clickhouse_connect
import pyarrow as pa
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


ArrowInsert = Callable[[str, pa.Table, str], None]
"""Inserts an Arrow table into a table (``database.table``) with an insert-deduplication token."""
_TOKEN: Final = re.compile(r"[0-9A-Za-z:_.-]+")


def arrow_insert(client: Client, url: str) -> ArrowInsert:
    """How the writer inserts its Arrow batches into the ClickHouse at ``url`` (``client`` is connected to it).

    A server gets them over HTTP in Arrow format (``Client.insert_arrow``). Embedded chDB reads the table
    in place, through its ``Python()`` table function on a handle of its own: clickhouse-connect's chDB
    backend would write the table as an Arrow file, copy it to ``bytes`` and write those to a temporary
    file for ``INSERT ... FROM INFILE``. In process (40 inserts of 10k bench spans, conversion included,
    two runs each) that path cost 57.9 µs/span of CPU and a VmHWM of 824-856 MB, this one 55.5-56.3 µs
    and 781-802 MB; the stored rows are the same (``tests/processors/test_arrow_insert.py``).
    """
    path = chdb_path(url)
    if path is None or path == ":memory:":  # an in-memory engine has no path to open a second handle on

        def over_http(table: str, data: pa.Table, token: str) -> None:
            client.insert_arrow(table, data, settings={"insert_deduplication_token": token})

        return over_http
    import chdb

    conn = chdb.connect(path)  # type: ignore[no-untyped-call]  # chDB hosts one engine per process: this is a second handle on the client's
    lock = threading.Lock()  # one query at a time per handle (as clickhouse-connect's backend does)

    def in_place(table: str, data: pa.Table, token: str) -> None:
        if not _TOKEN.fullmatch(token):
            raise ValueError(f"unexpected insert-deduplication token {token!r}")
        columns = ", ".join(f"`{name}`" for name in data.column_names)
        # the table comes from validated settings, the columns from our own schema, the token is checked
        query = (f"INSERT INTO {table} ({columns}) SELECT * FROM Python(_arrow_rows) "  # nosec B608  # noqa: S608
                 f"SETTINGS insert_deduplication_token = '{token}'")  # fmt: skip
        _arrow_rows = data  # read by name by chDB's Python() table function
        with lock:
            conn.query(query)

    return in_place


def migrate(
    client: Client, database: str, retention_days: int = 0, extra: list[str] | None = None, cluster: str = ""
) -> None:
    """Create every table idempotently (``cluster``: replicated shards behind distributed tables)."""
    statements = ddl(database, retention_days) + (extra or [])
    for statement in clusterize(statements, cluster) if cluster else statements:
        client.command(statement)
