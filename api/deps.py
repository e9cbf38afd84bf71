"""FastAPI dependencies: who is calling, and which projects they may touch with which role.

Anything the caller may not see answers 404, exactly like something that does not exist, so IDs of
other tenants leak nothing (OWASP API1). A visible project with too small a role answers 403.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from agentstate.api import repo, tokens
from agentstate.api.repo import User
from agentstate.api.roles import Role
from agentstate.api.state import ApiState

_bearer = HTTPBearer(auto_error=False, description="Access token from POST /api/v1/auth/login.")

NOT_FOUND = "not found"


def get_state(request: Request) -> ApiState:
    """The app's shared resources."""
    state: ApiState = request.app.state.api
    return state


State = Annotated[ApiState, Depends(get_state)]


def client_ip(request: Request) -> str:
    """The socket peer's address (``X-Forwarded-For`` is not trusted: the API is not told about proxies)."""
    return request.client.host if request.client else "unknown"


def unauthorized(detail: str = "not authenticated") -> HTTPException:
    """401 with the Bearer challenge."""
    return HTTPException(401, detail, headers={"WWW-Authenticate": "Bearer"})


def user_from_token(state: ApiState, token: str) -> User:
    """Verify a token and load its user; raise 401 on any failure."""
    try:
        claims = tokens.verify(state.jwt_key, token)
    except tokens.InvalidToken:
        raise unauthorized("invalid token") from None
    user = repo.get_user(state.db, claims.user_id)
    if user is None or user.token_version != claims.token_version:
        raise unauthorized("invalid token")
    return user


def current_user(state: State, creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> User:
    """The authenticated caller (sync: the store lookup runs in the thread pool)."""
    if creds is None or creds.scheme.lower() != "bearer":
        raise unauthorized()
    return user_from_token(state, creds.credentials)


CurrentUser = Annotated[User, Depends(current_user)]


def superuser(user: CurrentUser) -> User:
    """The caller, who must be a superuser."""
    if not user.is_superuser:
        raise HTTPException(403, "superuser only")
    return user


Superuser = Annotated[User, Depends(superuser)]


def scope_projects(state: ApiState, user: User, project_id: str | None) -> list[str]:
    """Project IDs a query is scoped to: ``project_id`` if readable (else 404), or all readable ones."""
    mine = [p.id for p, _ in repo.projects_of(state.db, user)]
    if project_id is None:
        return mine
    if project_id not in mine:
        raise HTTPException(404, NOT_FOUND)
    return [project_id]


@dataclass(frozen=True)
class Access:
    """A caller's access to the project named in the path."""

    user: User
    project_id: str
    role: Role


def project_access(needed: Role) -> Any:
    """Dependency: the path's ``project_id`` with at least role ``needed`` (404 if invisible, 403 if too low)."""

    def dep(state: State, user: CurrentUser, project_id: Annotated[str, Path(max_length=128)]) -> Access:
        role = repo.role_in(state.db, user, project_id)
        if role is None:
            raise HTTPException(404, NOT_FOUND)
        if not role.allows(needed):
            raise HTTPException(403, f"requires role {needed.value}")
        return Access(user, project_id, role)

    return Depends(dep)


def require_role(state: ApiState, user: User, project_id: str, needed: Role) -> None:
    """Raise 403 unless ``user`` has ``needed`` in ``project_id`` (which they can already see)."""
    role = repo.role_in(state.db, user, project_id)
    if role is None:
        raise HTTPException(404, NOT_FOUND)
    if not role.allows(needed):
        raise HTTPException(403, f"requires role {needed.value}")
