"""Login and user accounts."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from agentstate.api import repo, tokens
from agentstate.api.account_models import LoginIn, PasswordChange, TokenOut, UserCreate, UserOut
from agentstate.api.deps import CurrentUser, State, Superuser, client_ip
from agentstate.api.live import access_changed
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


def _wait(seconds: int) -> JSONResponse:
    return JSONResponse(_LOCKED, 429, headers={"Retry-After": str(seconds)})


@router.post(
    "/auth/login",
    response_model=TokenOut,
    responses={401: {"description": "Bad credentials"}, 429: {"description": "Too many failures"}},
)
async def login(body: LoginIn, request: Request, state: State) -> TokenOut | JSONResponse:
    """Exchange email and password for an access token (24 h).

    Unknown email and wrong password get the same answer. Failures are limited per client IP, per
    (email, IP) with exponential back-off and per email (see :mod:`agentstate.api.limits`): a limited
    attempt gets 429 with ``Retry-After`` before its password is checked, even the right one.
    """
    ip = client_ip(request)
    wait = await state.logins.wait_for(body.email, ip)
    if wait:
        return _wait(wait)
    user = await run_in_threadpool(_check, state.db, body.email, body.password)
    if user is None:
        wait = await state.logins.failed(body.email, ip)
        if wait:
            return _wait(wait)
        return JSONResponse(_BAD_LOGIN, 401, headers={"WWW-Authenticate": "Bearer"})
    await state.logins.succeeded(body.email, ip)
    token = tokens.issue(state.jwt_key, user.id, user.token_version, state.settings.jwt_ttl_seconds)
    return TokenOut(access_token=token, expires_at=tokens.verify(state.jwt_key, token).expires_at)


@router.get("/users/me", response_model=UserOut)
def me(user: CurrentUser) -> UserOut:
    """The caller."""
    return user_out(user)


@router.patch(
    "/users/me",
    response_model=UserOut,
    responses={
        400: {"description": "Current password is wrong"},
        429: {"description": "Too many wrong current passwords"},
    },
)
async def change_password(
    body: PasswordChange, user: CurrentUser, request: Request, state: State
) -> UserOut | JSONResponse:
    """Change the caller's password; every token issued before stops working, open live feeds too.

    A wrong current password counts as a failed login of the caller's email from this IP.
    """
    ip = client_ip(request)
    wait = await state.logins.wait_for(user.email, ip)
    if wait:
        return _wait(wait)
    if await run_in_threadpool(_check, state.db, user.email, body.current_password) is None:
        wait = await state.logins.failed(user.email, ip)
        if wait:
            return _wait(wait)
        raise HTTPException(400, "current password is wrong")
    await state.logins.succeeded(user.email, ip)
    new_hash = await run_in_threadpool(hash_password, body.new_password)
    await run_in_threadpool(repo.set_password, state.db, user.id, new_hash)
    await access_changed(state.redis, state.live, user.id)
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
