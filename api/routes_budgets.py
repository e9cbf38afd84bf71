"""``/projects/{id}/budgets``: cost budgets per project, with spend against each (admins manage them).

A budget raises one ``budget.*`` alert when a total first reaches its limit: per project, per user or
per session, per UTC day or over a whole session. The cost workers pick changes up within seconds
(:mod:`agentstate.api.budgets` mirrors them to Redis). ``AGENTSTATE_BUDGETS_FILE`` stays as an optional
seed of budgets that every cost worker reads at start.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Path
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import Field, model_validator

from agentstate.api import budgets
from agentstate.api.account_models import Input, Output
from agentstate.api.deps import Access, State, project_access
from agentstate.api.roles import Role

router = APIRouter(tags=["budgets"])

Viewer = Annotated[Access, project_access(Role.VIEWER)]
Admin = Annotated[Access, project_access(Role.ADMIN)]
BudgetId = Annotated[str, Path(max_length=64)]
Scope = Literal["project", "user", "session"]
Period = Literal["day", "session"]
Severity = Literal["low", "medium", "high", "critical"]


class BudgetIn(Input):
    """A new budget."""

    scope: Scope = Field(description="Counted per project, per user or per session.")
    limit_usd: Decimal = Field(
        gt=0,
        le=10**9,
        max_digits=18,
        decimal_places=6,
        description="Alert when the total reaches this many US dollars.",
    )
    period: Period = Field("day", description="Per UTC day, or over the whole session (scope=session only).")
    key: str | None = Field(
        None,
        min_length=1,
        max_length=256,
        description="One user or session ID; empty: each user or session separately.",
    )
    severity: Severity = "high"

    @model_validator(mode="after")
    def _consistent(self) -> BudgetIn:
        if self.period == "session" and self.scope != "session":
            raise ValueError("period 'session' needs scope 'session'")
        if self.scope == "project" and self.key is not None:
            raise ValueError("a project budget takes no key")
        return self


class BudgetOut(Output):
    """A budget and what has been spent against it in its current period."""

    id: str
    project_id: str
    scope: Scope
    limit_usd: float
    period: Period
    key: str | None
    severity: Severity
    created_at: str
    spent_usd: float = Field(
        description="Spend in the current period (the top spender's, for per-user or "
        "per-session budgets without a key)."
    )
    spent_by: str | None = Field(description="Whose spend ``spent_usd`` is (per-user or per-session budgets).")
    used: float = Field(description="spent_usd / limit_usd.")


async def _out(state: State, b: budgets.BudgetRecord) -> BudgetOut:
    spent = await budgets.spend(state.ch, b)
    limit = float(b.limit_usd)
    return BudgetOut(
        id=b.id,
        project_id=b.project_id,
        scope=b.scope,
        limit_usd=limit,
        period=b.period,
        key=b.key,
        severity=b.severity,
        created_at=b.created_at,
        spent_usd=spent.usd,
        spent_by=spent.key,
        used=spent.usd / limit if limit else 0.0,
    )


@router.get("/projects/{project_id}/budgets", response_model=list[BudgetOut])
async def list_budgets(access: Viewer, state: State) -> list[BudgetOut]:
    """The project's budgets with spend against each."""
    records = await run_in_threadpool(budgets.list_for, state.db, access.project_id)
    return [await _out(state, b) for b in records]


@router.post("/projects/{project_id}/budgets", response_model=BudgetOut, status_code=201)
async def create_budget(body: BudgetIn, access: Admin, state: State) -> BudgetOut:
    """Add a budget (project admins); the cost workers enforce it within seconds."""
    record = await run_in_threadpool(
        budgets.create,
        state.db,
        access.project_id,
        body.scope,
        body.limit_usd,
        body.period,
        body.key,
        body.severity,
        access.user.id,
    )
    await budgets.mirror(state.db, state.redis)
    return await _out(state, record)


@router.delete("/projects/{project_id}/budgets/{budget_id}", status_code=204)
async def delete_budget(budget_id: BudgetId, access: Admin, state: State) -> Response:
    """Remove a budget (project admins)."""
    if not await run_in_threadpool(budgets.delete, state.db, access.project_id, budget_id):
        raise HTTPException(404, "not found")
    await budgets.mirror(state.db, state.redis)
    return Response(status_code=204)
