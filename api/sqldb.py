"""The relational store of users, projects, memberships and API keys: SQLite or PostgreSQL.

Both speak the same portable SQL (TEXT/INTEGER columns, ``?`` placeholders rewritten to ``%s`` for
psycopg). Calls are synchronous and serialised by a lock; routes run them in the thread pool.
Spans, alerts and costs are not here: they live in ClickHouse.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

from agentstate.api.migrations import MIGRATIONS

Row = tuple[Any, ...]


class _Cursor(Protocol):
    def execute(self, sql: str, params: Sequence[Any] = ...) -> Any: ...
    def fetchall(self) -> list[Any]: ...
    @property
    def rowcount(self) -> int: ...


class IntegrityError(Exception):
    """A uniqueness or foreign-key constraint was violated."""


class Database:
    """One connection, used under a lock; ``tx()`` is one transaction."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.is_postgres = url.startswith(("postgresql://", "postgres://"))
        self._lock = threading.RLock()
        self._conn: Any = self._connect()

    def _connect(self) -> Any:
        if self.is_postgres:
            import psycopg

            return psycopg.connect(self.url, autocommit=False)
        path = self.url.removeprefix("sqlite:///").removeprefix("sqlite://")
        if path not in ("", ":memory:"):
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path or ":memory:", check_same_thread=False, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA busy_timeout=5000")
        return conn

    def _sql(self, sql: str) -> str:
        return sql.replace("?", "%s") if self.is_postgres else sql

    @contextmanager
    def tx(self) -> Iterator[Transaction]:
        """Run statements in one transaction (committed on success, rolled back on error)."""
        with self._lock:
            if not self.is_postgres:
                self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield Transaction(self, self._conn.cursor())
            except BaseException:
                self._conn.rollback() if self.is_postgres else self._conn.execute("ROLLBACK")
                raise
            self._conn.commit() if self.is_postgres else self._conn.execute("COMMIT")

    def fetch(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """Run one read-only statement and return its rows."""
        with self.tx() as t:
            return t.fetch(sql, params)

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._conn.close()


class Transaction:
    """Statements inside one :meth:`Database.tx` block."""

    def __init__(self, db: Database, cursor: _Cursor) -> None:
        self._db = db
        self._cur = cursor

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run a statement; return the number of rows it changed."""
        try:
            self._cur.execute(self._db._sql(sql), tuple(params))
        except Exception as exc:
            if type(exc).__name__ in ("IntegrityError", "UniqueViolation", "ForeignKeyViolation"):
                raise IntegrityError(str(exc)) from exc
            raise
        return int(self._cur.rowcount)

    def fetch(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """Run a query and return every row."""
        self.execute(sql, params)
        return [tuple(r) for r in self._cur.fetchall()]


def migrate(db: Database) -> int:
    """Apply pending schema migrations in order; return the schema version reached."""
    with db.tx() as t:
        t.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT)")
        done = {int(r[0]) for r in t.fetch("SELECT version FROM schema_migrations")}
    version = max(done, default=0)
    for number, statements in MIGRATIONS:
        if number in done:
            continue
        with db.tx() as t:
            for statement in statements:
                t.execute(statement)
            t.execute("INSERT INTO schema_migrations (version, applied_at) VALUES (?, CURRENT_TIMESTAMP)", (number,))
        version = number
    return version
