"""Request and response bodies of the accounts API (users, projects, members, keys).

Inputs forbid unknown fields (mass assignment, OWASP API3); outputs carry no secret field: no
password hash, no key hash. The only secret ever returned is a new ingest key, once, at creation.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from agentstate.api.roles import Role

Email = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=3, max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")
]
Password = Annotated[str, StringConstraints(min_length=8, max_length=1024)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")]


class Input(BaseModel):
    """Base of request bodies: unknown fields are an error."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Output(BaseModel):
    """Base of response bodies."""

    model_config = ConfigDict(extra="forbid")


class LoginIn(Input):
    """Credentials for ``POST /auth/login``."""

    email: Annotated[str, StringConstraints(max_length=254)]
    password: Annotated[str, StringConstraints(max_length=1024)]


class TokenOut(Output):
    """An access token (Bearer)."""

    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth token type, not a secret
    expires_at: int = Field(description="Unix seconds.")


class UserCreate(Input):
    """A new user (superusers only)."""

    email: Email
    password: Password
    is_superuser: bool = False


class PasswordChange(Input):
    """``PATCH /users/me``: the only change a user may make to themself."""

    current_password: Annotated[str, StringConstraints(max_length=1024)]
    new_password: Password


class UserOut(Output):
    """A user, without credentials."""

    id: str
    email: str
    is_superuser: bool
    created_at: str


class ProjectCreate(Input):
    """A new project; ``id`` (a slug) becomes the ProjectId of its spans."""

    name: Name
    id: Slug | None = None


class ProjectOut(Output):
    """A project and the caller's role in it."""

    id: str
    name: str
    created_at: str
    role: Role


class MemberPut(Input):
    """Add a member (by user id or email) or change their role."""

    user_id: Annotated[str, StringConstraints(max_length=64)] | None = None
    email: Email | None = None
    role: Role


class MemberOut(Output):
    """A member of a project."""

    user_id: str
    email: str
    role: Role
    created_at: str


class KeyCreate(Input):
    """A new ingest key."""

    name: Name


class KeyOut(Output):
    """An ingest key as stored and listed: masked, never the key itself (the store returns these)."""

    id: str
    project_id: str
    name: str
    display: str
    created_at: str
    revoked_at: str | None


class KeyCreated(KeyOut):
    """A new ingest key: ``key`` is shown this once and can never be fetched again."""

    key: str


class Health(Output):
    """Liveness/readiness."""

    status: str
    checks: dict[str, bool] = Field(default_factory=dict)
