"""The trace table's filters as API query parameters (pure, so the mapping is tested without a UI)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class TraceFilters:
    """What the user typed into the trace table's filter bar."""

    since: str
    project_id: str | None = None
    status: str = "any"
    service: str = ""
    model: str = ""
    agent: str = ""
    session_id: str = ""
    user_id: str = ""
    search: str = ""
    min_cost: float = 0.0
    min_duration_ms: float = 0.0
    sort: str = "start"
    limit: int = 50

    def params(self, cursor: str | None = None) -> dict[str, Any]:
        """``GET /traces`` parameters: empty filters are left out, text is trimmed."""
        out: dict[str, Any] = {
            "since": self.since,
            "project_id": self.project_id,
            "sort": self.sort,
            "order": "desc",
            "limit": self.limit,
            "cursor": cursor,
            "status": self.status if self.status in ("ok", "error") else None,
            "service": self.service.strip() or None,
            "model": self.model.strip() or None,
            "agent": self.agent.strip() or None,
            "session_id": self.session_id.strip() or None,
            "user_id": self.user_id.strip() or None,
            "q": self.search.strip() or None,
            "min_cost": self.min_cost or None,
            "min_duration_ms": self.min_duration_ms or None,
        }
        return {k: v for k, v in out.items() if v is not None}
