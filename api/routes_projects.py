"""Projects, their members and their ingest keys."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from agentstate.api import repo
from agentstate.api.account_models import (
    KeyCreate,
    KeyCreated,
    KeyOut,
    MemberOut,
    MemberPut,
    ProjectCreate,
    ProjectOut,
)
from agentstate.api.deps import Access, CurrentUser, State, Superuser, project_access
from agentstate.api.live import access_changed
from agentstate.api.roles import Role
from agentstate.api.state import ApiState
from agentstate.semconv.apikeys import display_key, generate_key, hash_key, key_prefix, register_keys, revoke_keys

router = APIRouter(tags=["projects"])

Viewer = Annotated[Access, project_access(Role.VIEWER)]
Admin = Annotated[Access, project_access(Role.ADMIN)]
UserId = Annotated[str, Path(max_length=64)]
KeyId = Annotated[str, Path(max_length=64)]


@router.get("/projects", response_model=list[ProjectOut])
def list_projects(user: CurrentUser, state: State) -> list[ProjectOut]:
    """Projects the caller can read, with their role."""
    return [
        ProjectOut(id=p.id, name=p.name, created_at=p.created_at, role=r) for p, r in repo.projects_of(state.db, user)
    ]


@router.post(
    "/projects", response_model=ProjectOut, status_code=201, responses={409: {"description": "Project id taken"}}
)
def create_project(body: ProjectCreate, user: Superuser, state: State) -> ProjectOut:
    """Create a project (superusers); the creator becomes its admin."""
    project_id = body.id or f"p-{uuid.uuid4().hex[:12]}"
    try:
        p = repo.create_project(state.db, project_id, body.name, user.id)
    except repo.AlreadyExists:
        raise HTTPException(409, "project id already taken") from None
    return ProjectOut(id=p.id, name=p.name, created_at=p.created_at, role=Role.ADMIN)


@router.get("/projects/{project_id}", response_model=ProjectOut)
def get_project(access: Viewer, state: State) -> ProjectOut:
    """One project."""
    p = repo.get_project(state.db, access.project_id)
    if p is None:
        raise HTTPException(404, "not found")
    return ProjectOut(id=p.id, name=p.name, created_at=p.created_at, role=access.role)


@router.get("/projects/{project_id}/members", response_model=list[MemberOut])
def list_members(access: Viewer, state: State) -> list[MemberOut]:
    """Members of the project."""
    return [
        MemberOut(user_id=m.user_id, email=m.email, role=m.role, created_at=m.created_at)
        for m in repo.list_members(state.db, access.project_id)
    ]


def _put_member(state: ApiState, project_id: str, body: MemberPut) -> repo.Member | None:
    user_id = body.user_id
    if user_id is None and body.email is not None:
        found = repo.find_login(state.db, body.email)
        user_id = found[0].id if found else None
    return repo.put_member(state.db, project_id, user_id, body.role) if user_id else None


@router.put("/projects/{project_id}/members", response_model=MemberOut)
async def put_member(body: MemberPut, access: Admin, state: State) -> MemberOut:
    """Add a member or change a member's role (project admins)."""
    member = await run_in_threadpool(_put_member, state, access.project_id, body)
    if member is None:
        raise HTTPException(404, "no such user")
    await access_changed(state.redis, state.live, member.user_id)
    return MemberOut(user_id=member.user_id, email=member.email, role=member.role, created_at=member.created_at)


@router.delete("/projects/{project_id}/members/{user_id}", status_code=204)
async def remove_member(user_id: UserId, access: Admin, state: State) -> Response:
    """Remove a member (project admins); their open live feeds of the project close."""
    if not await run_in_threadpool(repo.remove_member, state.db, access.project_id, user_id):
        raise HTTPException(404, "not found")
    await access_changed(state.redis, state.live, user_id)
    return Response(status_code=204)


@router.get("/projects/{project_id}/api-keys", response_model=list[KeyOut])
def list_keys(access: Annotated[Access, project_access(Role.MEMBER)], state: State) -> list[KeyOut]:
    """The project's ingest keys, masked."""
    return repo.list_keys(state.db, access.project_id)


@router.post("/projects/{project_id}/api-keys", response_model=KeyCreated, status_code=201)
async def create_key(body: KeyCreate, access: Admin, state: State) -> KeyCreated:
    """Create an ingest key (project admins). The key is in this response only; it is never stored."""
    key = generate_key()
    digest = hash_key(key, state.pepper)
    record = await run_in_threadpool(
        repo.create_key,
        state.db,
        access.project_id,
        body.name,
        digest,
        key_prefix(key),
        display_key(key),
        access.user.id,
    )
    await register_keys(state.redis, {digest: access.project_id})
    return KeyCreated(**record.model_dump(), key=key)


@router.delete("/projects/{project_id}/api-keys/{key_id}", status_code=204)
async def revoke_key(key_id: KeyId, access: Admin, state: State) -> Response:
    """Revoke an ingest key (project admins); receivers stop accepting it within their cache TTL (<= 60 s)."""
    digest = await run_in_threadpool(repo.revoke_key, state.db, access.project_id, key_id)
    if digest is None:
        raise HTTPException(404, "not found")
    await revoke_keys(state.redis, [digest])
    return Response(status_code=204)
