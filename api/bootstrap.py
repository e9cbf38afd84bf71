"""Start-up: schema migrations, project ``default``, the first admin, and the key registry resync."""

from __future__ import annotations

import contextlib
import logging

from redis.asyncio import Redis

from agentstate.api import repo
from agentstate.api.passwords import hash_password
from agentstate.api.roles import Role
from agentstate.api.settings import ApiSettings
from agentstate.api.sqldb import Database, migrate
from agentstate.semconv.apikeys import display_key, hash_key, key_prefix, register_keys, revoke_keys

log = logging.getLogger(__name__)

DEFAULT_PROJECT = "default"


def prepare_store(db: Database, settings: ApiSettings) -> None:
    """Migrate the schema and make sure ``default``, the admin and the bootstrap key exist (idempotent)."""
    version = migrate(db)
    log.info("API store at schema version %d", version)
    if repo.get_project(db, DEFAULT_PROJECT) is None:
        with contextlib.suppress(repo.AlreadyExists):  # another replica won the race
            repo.create_project(db, DEFAULT_PROJECT, "Default", None)
    if settings.admin_email and settings.admin_password:
        found = repo.find_login(db, settings.admin_email)
        if found is None:
            try:
                admin = repo.create_user(db, settings.admin_email, hash_password(settings.admin_password), True)
            except repo.AlreadyExists:
                admin = repo.find_login(db, settings.admin_email)[0]  # type: ignore[index]
        else:
            admin = found[0]
        if all(m.user_id != admin.id for m in repo.list_members(db, DEFAULT_PROJECT)):
            repo.put_member(db, DEFAULT_PROJECT, admin.id, Role.ADMIN)
    if settings.bootstrap_api_key:
        key = settings.bootstrap_api_key
        repo.ensure_key(
            db,
            DEFAULT_PROJECT,
            "bootstrap",
            hash_key(key, settings.secret_key.encode()),
            key_prefix(key),
            display_key(key),
        )


async def resync_registry(db: Database, redis: Redis) -> None:
    """Mirror the SQL truth into the receiver's registry: add every active key, drop every revoked one.

    Hashes unknown to SQL are left alone (``up`` registers its bootstrap key before the API starts).
    """
    active, revoked = repo.key_hashes(db)
    if active:
        await register_keys(redis, active)
    if revoked:
        await revoke_keys(redis, revoked)
    log.info("key registry synced: %d active, %d revoked", len(active), len(revoked))
