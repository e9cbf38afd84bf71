"""The offline spool: export batches that could not be delivered, kept in SQLite until a 2xx.

One database file per destination (endpoint + API key fingerprint), so a replay never sends one
project's spans with another project's key, and no secret is written to disk. WAL journal with
``synchronous=FULL``: a committed batch survives ``kill -9`` and power loss. The total size is
capped; beyond it the oldest batches are evicted and counted. Each row carries a CRC32 of its body,
and a row that fails it is deleted and counted instead of being sent (or stopping the replay).

Several processes may share a file (a restarted app next to a dying one, pre-fork workers): a
replayer *leases* a row before sending it, and leases of dead processes are released on open.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from agentstate._internal.errors import logger

LEASE_SECONDS: Final = 60.0
"""How long a claimed row stays invisible to other replayers (longer than one send attempt)."""

_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS batches (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created REAL NOT NULL,
    spans INTEGER NOT NULL,
    size INTEGER NOT NULL,
    crc INTEGER NOT NULL,
    body BLOB NOT NULL,
    owner INTEGER NOT NULL DEFAULT 0,
    lease_until REAL NOT NULL DEFAULT 0
)
"""


class SpoolError(Exception):
    """The spool cannot be opened or written (read-only folder, full disk …)."""


@dataclass(frozen=True)
class SpoolRow:
    """One claimed batch.

    Attributes:
        id: Row id, for :meth:`Spool.delete` / :meth:`Spool.release`.
        spans: Number of spans in the batch.
        body: Serialized ``ExportTraceServiceRequest``, or ``None`` if the row is corrupted.
    """

    id: int
    spans: int
    body: bytes | None


def spool_file_name(endpoint: str, api_key: str | None) -> str:
    """File name of the spool for one destination; the key appears only as part of a hash."""
    digest = hashlib.sha256(f"{endpoint}\n{api_key or ''}".encode()).hexdigest()[:16]
    return f"traces-{digest}.sqlite3"


def _pid_alive(pid: int) -> bool:
    if os.name != "posix" or pid <= 0:
        return True  # cannot tell safely; the lease will expire
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Spool:
    """A byte-capped FIFO of export batches in one SQLite file.

    Args:
        path: Database file; its folder is created (mode 0700) if missing.
        max_bytes: Cap on the sum of stored bodies.
        on_evict: Called with the number of spans of each evicted batch.
        clock: Wall clock, for leases (injectable in tests).

    Raises:
        SpoolError: If the folder or database cannot be created or written.
    """

    def __init__(
        self,
        path: Path,
        max_bytes: int,
        on_evict: Callable[[int], None] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.path = path
        self.max_bytes = max_bytes
        self._on_evict = on_evict or (lambda spans: None)
        self._clock = clock
        self._pid = os.getpid()
        self._lock = threading.Lock()
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            self._db = self._open()
        except (OSError, sqlite3.Error) as exc:
            raise SpoolError(f"cannot open spool {path}: {exc}") from exc

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=10.0, isolation_level=None, check_same_thread=False)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        db.execute(_SCHEMA)
        return db

    def _open(self) -> sqlite3.Connection:
        try:
            db = self._connect()
            db.execute("SELECT count(*) FROM batches").fetchone()
        except sqlite3.DatabaseError as exc:
            if isinstance(exc, sqlite3.OperationalError):  # locked, read-only, cannot open: not corruption
                raise
            aside = self.path.with_name(f"{self.path.name}.corrupt-{int(time.time())}")
            logger.warning("Spool %s is not a valid database (%s); moved aside to %s", self.path, exc, aside)
            os.replace(self.path, aside)
            db = self._connect()
        self._release_dead_leases(db)
        return db

    def _release_dead_leases(self, db: sqlite3.Connection) -> None:
        owners = db.execute(
            "SELECT DISTINCT owner FROM batches WHERE lease_until > ? AND owner != ?", (self._clock(), self._pid)
        ).fetchall()
        for (owner,) in owners:
            if not _pid_alive(owner):
                db.execute("UPDATE batches SET lease_until = 0 WHERE owner = ?", (owner,))

    def put(self, body: bytes, spans: int) -> None:
        """Store a batch durably, evicting the oldest batches beyond the byte cap.

        Raises:
            SpoolError: If the write fails.
        """
        size = len(body)
        if size > self.max_bytes:
            logger.warning("Batch of %d bytes exceeds the spool cap of %d; dropped", size, self.max_bytes)
            self._on_evict(spans)
            return
        evicted: list[int] = []
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    self._db.execute(
                        "INSERT INTO batches (created, spans, size, crc, body) VALUES (?, ?, ?, ?, ?)",
                        (self._clock(), spans, size, zlib.crc32(body), body),
                    )
                    total = self._db.execute("SELECT coalesce(sum(size), 0) FROM batches").fetchone()[0]
                    while total > self.max_bytes:
                        oldest = self._db.execute("SELECT id, size, spans FROM batches ORDER BY id LIMIT 1").fetchone()
                        self._db.execute("DELETE FROM batches WHERE id = ?", (oldest[0],))
                        total -= oldest[1]
                        evicted.append(oldest[2])
                    self._db.execute("COMMIT")
                except BaseException:
                    self._db.execute("ROLLBACK")
                    raise
            except sqlite3.Error as exc:
                raise SpoolError(f"cannot write spool {self.path}: {exc}") from exc
        if evicted:
            logger.warning("Spool full (%d bytes): evicted %d oldest batches", self.max_bytes, len(evicted))
            for count in evicted:
                self._on_evict(count)

    def claim(self) -> SpoolRow | None:
        """Lease the oldest unleased batch to this process; ``None`` if there is none."""
        now = self._clock()
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                row = self._db.execute(
                    "SELECT id, spans, crc, body FROM batches WHERE lease_until < ? ORDER BY id LIMIT 1", (now,)
                ).fetchone()
                if row is not None:
                    self._db.execute(
                        "UPDATE batches SET owner = ?, lease_until = ? WHERE id = ?",
                        (self._pid, now + LEASE_SECONDS, row[0]),
                    )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        if row is None:
            return None
        row_id, spans, crc, body = row
        if not isinstance(body, bytes) or zlib.crc32(body) != crc or not isinstance(spans, int):
            return SpoolRow(row_id, spans if isinstance(spans, int) else 0, None)
        return SpoolRow(row_id, spans, body)

    def delete(self, row_id: int) -> None:
        """Remove a batch for good (after a 2xx, a final rejection, or corruption)."""
        with self._lock:
            self._db.execute("DELETE FROM batches WHERE id = ?", (row_id,))

    def release(self, row_id: int) -> None:
        """Give a leased batch back, to be retried later."""
        with self._lock:
            self._db.execute("UPDATE batches SET lease_until = 0 WHERE id = ? AND owner = ?", (row_id, self._pid))

    def counts(self) -> tuple[int, int, int]:
        """``(batches, spans, bytes)`` currently stored."""
        with self._lock:
            row = self._db.execute(
                "SELECT count(*), coalesce(sum(spans), 0), coalesce(sum(size), 0) FROM batches"
            ).fetchone()
        return int(row[0]), int(row[1]), int(row[2])

    def close(self) -> None:
        """Close the database; this object is unusable afterwards."""
        with self._lock:
            self._db.close()
