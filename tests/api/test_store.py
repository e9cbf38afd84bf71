"""The relational store on SQLite and on a real PostgreSQL server (when one answers on 127.0.0.1)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from agentstate.api import repo
from agentstate.api.migrations import MIGRATIONS
from agentstate.api.roles import Role
from agentstate.api.settings import ApiSettings
from agentstate.api.sqldb import Database, migrate

PG_ADMIN_URL = os.environ.get("AGENTSTATE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def _postgres(tmp: Path) -> Iterator[str]:
    psycopg = pytest.importorskip("psycopg")
    try:
        admin = psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=2)
    except psycopg.OperationalError as exc:
        pytest.skip(f"no PostgreSQL reachable at {PG_ADMIN_URL}: {exc}")
    name = f"agentstate_test_{uuid.uuid4().hex[:8]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    if request.param == "sqlite":
        urls: Iterator[str] = iter([f"sqlite:///{tmp_path / 'store.db'}"])
    else:
        urls = _postgres(tmp_path)
    url = next(urls)
    database = Database(url)
    yield database
    database.close()
    for _ in urls:  # run the generator's cleanup
        pass


def test_migrations_are_idempotent(db: Database) -> None:
    assert migrate(db) == MIGRATIONS[-1][0]
    assert migrate(db) == MIGRATIONS[-1][0]
    assert len(db.fetch("SELECT version FROM schema_migrations")) == len(MIGRATIONS)


def test_users_projects_members_keys(db: Database) -> None:
    migrate(db)
    alice = repo.create_user(db, "Alice@Example.com", "hash-a")
    bob = repo.create_user(db, "bob@example.com", "hash-b")
    with pytest.raises(repo.AlreadyExists):
        repo.create_user(db, "alice@example.com", "hash-c")
    assert repo.find_login(db, "ALICE@example.com") == (alice, "hash-a")
    p = repo.create_project(db, "proj-1", "One", alice.id)
    with pytest.raises(repo.AlreadyExists):
        repo.create_project(db, "proj-1", "Again", None)
    assert repo.role_in(db, alice, p.id) is Role.ADMIN
    assert repo.role_in(db, bob, p.id) is None
    assert repo.put_member(db, p.id, bob.id, Role.VIEWER) is not None
    assert repo.put_member(db, p.id, "missing", Role.VIEWER) is None
    assert [(m.email, m.role) for m in repo.list_members(db, p.id)] == [
        ("alice@example.com", Role.ADMIN),
        ("bob@example.com", Role.VIEWER),
    ]
    key = repo.create_key(db, p.id, "ci", "hash-1", "as_12345678", "as_12345678_…abcd", alice.id)
    assert repo.revoke_key(db, "other-project", key.id) is None
    assert repo.revoke_key(db, p.id, key.id) == "hash-1"
    active, revoked = repo.key_hashes(db)
    assert (active, revoked) == ({}, ["hash-1"])
    assert repo.ack_alert(db, p.id, "a1", bob.id) == repo.ack_alert(db, p.id, "a1", alice.id)
    assert set(repo.acked_alerts(db, p.id)) == {"a1"}
    repo.set_password(db, bob.id, "hash-new")
    assert repo.get_user(db, bob.id).token_version == 1  # type: ignore[union-attr]
    assert repo.remove_member(db, p.id, bob.id) and not repo.remove_member(db, p.id, bob.id)


def test_bootstrap_creates_default_admin_and_key(db: Database) -> None:
    from agentstate.api.bootstrap import prepare_store
    from agentstate.semconv.apikeys import hash_key

    settings = ApiSettings(
        secret_key="s" * 32,
        database_url=db.url,
        admin_email="root@example.com",
        admin_password="password-1",
        bootstrap_api_key="as_abcdef12_secretsecret",
    )
    prepare_store(db, settings)
    prepare_store(db, settings)  # idempotent
    admin = repo.find_login(db, "root@example.com")
    assert admin is not None and admin[0].is_superuser
    assert [m.email for m in repo.list_members(db, "default")] == ["root@example.com"]
    active, _ = repo.key_hashes(db)
    assert active == {hash_key("as_abcdef12_secretsecret", b"s" * 32): "default"}
