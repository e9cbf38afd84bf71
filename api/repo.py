"""Data access for users, projects, memberships, API keys and alert acknowledgements.

Plain functions over :class:`~agentstate.api.sqldb.Database`; every statement is parameterised.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timezone

from agentstate.api.account_models import KeyOut
from agentstate.api.roles import Role
from agentstate.api.sqldb import Database, IntegrityError


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@dataclass(frozen=True)
class User:
    """A person who can log in."""

    id: str
    email: str
    is_superuser: bool
    token_version: int
    created_at: str


@dataclass(frozen=True)
class Project:
    """A tenant; its ``id`` is the ``ProjectId`` of its spans in ClickHouse."""

    id: str
    name: str
    created_at: str


@dataclass(frozen=True)
class Member:
    """A user's role in a project."""

    user_id: str
    email: str
    role: Role
    created_at: str


def _user(row: tuple[object, ...]) -> User:
    return User(str(row[0]), str(row[1]), bool(row[2]), int(str(row[3])), str(row[4]))


class AlreadyExists(Exception):
    """The thing to create exists already."""


def create_user(db: Database, email: str, password_hash: str, superuser: bool = False) -> User:
    """Insert a user; raise :class:`AlreadyExists` if the email is taken."""
    user = User(uuid.uuid4().hex, email.lower(), superuser, 0, _now())
    try:
        with db.tx() as t:
            t.execute(
                "INSERT INTO users (id, email, is_superuser, token_version, created_at, password_hash) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (user.id, user.email, int(superuser), 0, user.created_at, password_hash),
            )
    except IntegrityError:
        raise AlreadyExists(email) from None
    return user


def get_user(db: Database, user_id: str) -> User | None:
    """The user with ``user_id``, if any."""
    rows = db.fetch("SELECT id, email, is_superuser, token_version, created_at FROM users WHERE id = ?", (user_id,))
    return _user(rows[0]) if rows else None


def find_login(db: Database, email: str) -> tuple[User, str] | None:
    """The user with ``email`` and their password hash, if any."""
    rows = db.fetch(
        "SELECT id, email, is_superuser, token_version, created_at, password_hash FROM users WHERE email = ?",
        (email.lower(),),
    )
    return (_user(rows[0]), str(rows[0][5])) if rows else None


def set_password(db: Database, user_id: str, password_hash: str) -> None:
    """Change a password and invalidate every token issued before."""
    with db.tx() as t:
        t.execute(
            "UPDATE users SET password_hash = ?, token_version = token_version + 1 WHERE id = ?",
            (password_hash, user_id),
        )


def list_users(db: Database) -> list[User]:
    """Every user, by email."""
    rows = db.fetch("SELECT id, email, is_superuser, token_version, created_at FROM users ORDER BY email")
    return [_user(r) for r in rows]


def create_project(db: Database, project_id: str, name: str, owner: str | None) -> Project:
    """Insert a project, with ``owner`` (a user id) as its admin."""
    project = Project(project_id, name, _now())
    try:
        with db.tx() as t:
            t.execute(
                "INSERT INTO projects (id, name, created_at) VALUES (?, ?, ?)",
                (project.id, project.name, project.created_at),
            )
            if owner:
                t.execute(
                    "INSERT INTO memberships (project_id, user_id, role, created_at) VALUES (?, ?, ?, ?)",
                    (project.id, owner, Role.ADMIN.value, project.created_at),
                )
    except IntegrityError:
        raise AlreadyExists(project_id) from None
    return project


def get_project(db: Database, project_id: str) -> Project | None:
    """The project with ``project_id``, if any."""
    rows = db.fetch("SELECT id, name, created_at FROM projects WHERE id = ?", (project_id,))
    return Project(*map(str, rows[0])) if rows else None


def projects_of(db: Database, user: User) -> list[tuple[Project, Role]]:
    """The projects ``user`` may read, with their role (superusers: every project, as admin)."""
    if user.is_superuser:
        rows = db.fetch("SELECT id, name, created_at, 'admin' FROM projects ORDER BY name, id")
    else:
        rows = db.fetch(
            "SELECT p.id, p.name, p.created_at, m.role FROM projects p JOIN memberships m "
            "ON m.project_id = p.id WHERE m.user_id = ? ORDER BY p.name, p.id",
            (user.id,),
        )
    return [(Project(str(r[0]), str(r[1]), str(r[2])), Role(str(r[3]))) for r in rows]


def role_in(db: Database, user: User, project_id: str) -> Role | None:
    """``user``'s role in ``project_id``, or None when they may not see it (or it does not exist)."""
    if user.is_superuser:
        return Role.ADMIN if get_project(db, project_id) else None
    rows = db.fetch("SELECT role FROM memberships WHERE project_id = ? AND user_id = ?", (project_id, user.id))
    return Role(str(rows[0][0])) if rows else None


def list_members(db: Database, project_id: str) -> list[Member]:
    """Members of a project, by email."""
    rows = db.fetch(
        "SELECT u.id, u.email, m.role, m.created_at FROM memberships m JOIN users u ON u.id = m.user_id "
        "WHERE m.project_id = ? ORDER BY u.email",
        (project_id,),
    )
    return [Member(str(r[0]), str(r[1]), Role(str(r[2])), str(r[3])) for r in rows]


def put_member(db: Database, project_id: str, user_id: str, role: Role) -> Member | None:
    """Add a member or change their role; None if the user does not exist."""
    with db.tx() as t:
        if not t.fetch("SELECT 1 FROM users WHERE id = ?", (user_id,)):
            return None
        t.execute("DELETE FROM memberships WHERE project_id = ? AND user_id = ?", (project_id, user_id))
        t.execute(
            "INSERT INTO memberships (project_id, user_id, role, created_at) VALUES (?, ?, ?, ?)",
            (project_id, user_id, role.value, _now()),
        )
    return next((m for m in list_members(db, project_id) if m.user_id == user_id), None)


def remove_member(db: Database, project_id: str, user_id: str) -> bool:
    """Remove a member; False if they were not one."""
    with db.tx() as t:
        return t.execute("DELETE FROM memberships WHERE project_id = ? AND user_id = ?", (project_id, user_id)) > 0


def _key(row: tuple[object, ...]) -> KeyOut:
    return KeyOut(
        id=str(row[0]),
        project_id=str(row[1]),
        name=str(row[2]),
        display=str(row[3]),
        created_at=str(row[4]),
        revoked_at=str(row[5]) if row[5] else None,
    )


def create_key(
    db: Database, project_id: str, name: str, key_hash: str, prefix: str, display: str, created_by: str | None
) -> KeyOut:
    """Record a new ingest key by its keyed hash."""
    record = KeyOut(
        id=uuid.uuid4().hex, project_id=project_id, name=name, display=display, created_at=_now(), revoked_at=None
    )
    with db.tx() as t:
        t.execute(
            "INSERT INTO api_keys (id, project_id, name, prefix, key_hash, display, created_by, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (record.id, project_id, name, prefix, key_hash, display, created_by, record.created_at),
        )
    return record


def ensure_key(db: Database, project_id: str, name: str, key_hash: str, prefix: str, display: str) -> None:
    """Record a key unless its hash is already known (bootstrap key of ``up``)."""
    if not db.fetch("SELECT 1 FROM api_keys WHERE key_hash = ?", (key_hash,)):
        create_key(db, project_id, name, key_hash, prefix, display, None)


def list_keys(db: Database, project_id: str) -> list[KeyOut]:
    """A project's keys, newest first (masked; the key itself is never stored)."""
    rows = db.fetch(
        "SELECT id, project_id, name, display, created_at, revoked_at FROM api_keys WHERE project_id = ? "
        "ORDER BY created_at DESC, id",
        (project_id,),
    )
    return [_key(r) for r in rows]


def revoke_key(db: Database, project_id: str, key_id: str) -> str | None:
    """Mark a key revoked; return its hash (to drop from the registry), or None if not in the project."""
    with db.tx() as t:
        rows = t.fetch("SELECT key_hash FROM api_keys WHERE id = ? AND project_id = ?", (key_id, project_id))
        if not rows:
            return None
        t.execute("UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", (_now(), key_id))
        return str(rows[0][0])


def key_hashes(db: Database) -> tuple[dict[str, str], list[str]]:
    """``({active hash: project}, [revoked hashes])`` for the registry resync."""
    rows = db.fetch("SELECT key_hash, project_id, revoked_at FROM api_keys")
    active = {str(r[0]): str(r[1]) for r in rows if r[2] is None}
    return active, [str(r[0]) for r in rows if r[2] is not None]


def ack_alert(db: Database, project_id: str, alert_id: str, user_id: str) -> str:
    """Acknowledge an alert (idempotent); return when it was first acknowledged."""
    with db.tx() as t:
        rows = t.fetch("SELECT acked_at FROM alert_acks WHERE project_id = ? AND alert_id = ?", (project_id, alert_id))
        if rows:
            return str(rows[0][0])
        at = _now()
        t.execute(
            "INSERT INTO alert_acks (project_id, alert_id, user_id, acked_at) VALUES (?, ?, ?, ?)",
            (project_id, alert_id, user_id, at),
        )
        return at


def acked_alerts(db: Database, project_id: str) -> dict[str, str]:
    """``{alert id: acknowledged at}`` of a project."""
    rows = db.fetch("SELECT alert_id, acked_at FROM alert_acks WHERE project_id = ?", (project_id,))
    return {str(r[0]): str(r[1]) for r in rows}
