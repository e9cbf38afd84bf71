"""Versioned schema migrations of the relational store, applied in order by :func:`sqldb.migrate`.

Append new ``(version, statements)`` pairs; never edit an applied one. Statements are portable
between SQLite and PostgreSQL.
"""

from __future__ import annotations

MIGRATIONS: list[tuple[int, list[str]]] = [
    (
        1,
        [
            """CREATE TABLE users (
            id TEXT PRIMARY KEY,
            email TEXT NOT NULL UNIQUE,
            password_hash TEXT NOT NULL,
            is_superuser INTEGER NOT NULL DEFAULT 0,
            token_version INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL
        )""",
            """CREATE TABLE projects (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            created_at TEXT NOT NULL
        )""",
            """CREATE TABLE memberships (
            project_id TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
            user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            role TEXT NOT NULL,
            created_at TEXT NOT NULL,
            PRIMARY KEY (project_id, user_id)
        )""",
            """CREATE TABLE api_keys (
            id TEXT PRIMARY KEY,
            project_id TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
            name TEXT NOT NULL,
            prefix TEXT NOT NULL,
            key_hash TEXT NOT NULL UNIQUE,
            display TEXT NOT NULL,
            created_by TEXT,
            created_at TEXT NOT NULL,
            revoked_at TEXT
        )""",
            "CREATE INDEX api_keys_project ON api_keys (project_id)",
        ],
    ),
    (
        2,
        [
            """CREATE TABLE alert_acks (
            project_id TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
            alert_id TEXT NOT NULL,
            user_id TEXT NOT NULL,
            acked_at TEXT NOT NULL,
            PRIMARY KEY (project_id, alert_id)
        )""",
        ],
    ),
    (
        3,
        [
            """CREATE TABLE budgets (
            id TEXT PRIMARY KEY,
            project_id TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
            scope TEXT NOT NULL,
            limit_usd TEXT NOT NULL,
            period TEXT NOT NULL,
            budget_key TEXT,
            severity TEXT NOT NULL,
            created_by TEXT,
            created_at TEXT NOT NULL
        )""",
            "CREATE INDEX budgets_project ON budgets (project_id)",
        ],
    ),
]
