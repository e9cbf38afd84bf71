"""Login and user accounts."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from agentstate.api import repo, tokens
from agentstate.api.deps import CurrentUser, State, Superuser
from agentstate.api.models import LoginIn, PasswordChange, TokenOut, UserCreate, UserOut
from agentstate.api.passwords import hash_password, verify_password
from agentstate.api.repo import User
from agentstate.api.sqldb import Database

router = APIRouter(tags=["auth"])

_BAD_LOGIN = {"detail": "invalid email or password"}
_LOCKED = {"detail": "too many failed logins; try again later"}


def user_out(user: User) -> UserOut:
    """The public view of a user."""
    return UserOut(id=user.id, email=user.email, is_superuser=user.is_superuser, created_at=user.created_at)


def _check(db: Database, email: str, password: str) -> User | None:
    found = repo.find_login(db, email)
    ok = verify_password(found[1] if found else None, password)
    return found[0] if ok and found else None


@router.post("/auth/login", response_model=TokenOut,
             responses={401: {"description": "Bad credentials"}, 429: {"description": "Locked"}})
async def login(body: LoginIn, state: State) -> TokenOut | JSONResponse:
    """Exchange email and password for an access token (24 h).

    Unknown email and wrong password get the same answer. After 5 failures in 15 minutes the email
    is locked for the window (429 with ``Retry-After``), even for the right password.
    """
    locked = await state.logins.locked_for(body.email)
    if locked:
        return JSONResponse(_LOCKED, 429, headers={"Retry-After": str(locked)})
    user = await run_in_threadpool(_check, state.db, body.email, body.password)
    if user is None:
        locked = await state.logins.failed(body.email)
        if locked:
            return JSONResponse(_LOCKED, 429, headers={"Retry-After": str(locked)})
        return JSONResponse(_BAD_LOGIN, 401, headers={"WWW-Authenticate": "Bearer"})
    await state.logins.succeeded(body.email)
    token = tokens.issue(state.jwt_key, user.id, user.token_version, state.settings.jwt_ttl_seconds)
    return TokenOut(access_token=token, expires_at=tokens.verify(state.jwt_key, token).expires_at)


@router.get("/users/me", response_model=UserOut)
def me(user: CurrentUser) -> UserOut:
    """The caller."""
    return user_out(user)


@router.patch("/users/me", response_model=UserOut, responses={400: {"description": "Current password is wrong"}})
def change_password(body: PasswordChange, user: CurrentUser, state: State) -> UserOut:
    """Change the caller's password; every token issued before stops working."""
    if _check(state.db, user.email, body.current_password) is None:
        raise HTTPException(400, "current password is wrong")
    repo.set_password(state.db, user.id, hash_password(body.new_password))
    return user_out(user)


@router.get("/users", response_model=list[UserOut])
def list_users(state: State, _: Superuser) -> list[UserOut]:
    """Every user (superusers only)."""
    return [user_out(u) for u in repo.list_users(state.db)]


@router.post("/users", response_model=UserOut, status_code=201, responses={409: {"description": "Email taken"}})
def create_user(body: UserCreate, state: State, _: Superuser) -> UserOut:
    """Create a user (superusers only)."""
    try:
        return user_out(repo.create_user(state.db, body.email, hash_password(body.password), body.is_superuser))
    except repo.AlreadyExists:
        raise HTTPException(409, "email already registered") from None
