"""``agentstate users create``: add a user to the API's store from the command line."""

from __future__ import annotations

import argparse
import getpass
import os

from agentstate.api import repo
from agentstate.api.passwords import hash_password
from agentstate.api.roles import Role
from agentstate.api.settings import ApiSettings
from agentstate.api.sqldb import Database, migrate

PASSWORD_ENV = "AGENTSTATE_NEW_USER_PASSWORD"  # noqa: S105  # nosec B105 - a variable name


def create(args: argparse.Namespace) -> int:
    """Create the user (password from $AGENTSTATE_NEW_USER_PASSWORD or a prompt)."""
    password = os.environ.get(PASSWORD_ENV) or getpass.getpass("Password (>= 8 characters): ")
    if len(password) < 8:
        print("password must be at least 8 characters")
        return 2
    db = Database(ApiSettings().database_url)
    try:
        migrate(db)
        try:
            user = repo.create_user(db, args.email, hash_password(password), args.superuser)
        except repo.AlreadyExists:
            print(f"user {args.email} already exists")
            return 1
        if repo.get_project(db, args.project) is None:
            repo.create_project(db, args.project, args.project, None)
        repo.put_member(db, args.project, user.id, Role(args.role))
        print(f"created {user.email} ({'superuser, ' if user.is_superuser else ''}{args.role} of {args.project})")
        return 0
    finally:
        db.close()
