"""The UI's only door to the platform: a small typed client of the AgentState API over HTTP.

Every page goes through :class:`ApiClient`; nothing in the UI imports server code or talks to
ClickHouse. Errors come back as :class:`ApiError` carrying the HTTP status and the API's ``detail``.
"""

from __future__ import annotations

import os
from typing import Any, cast
from urllib.parse import quote

import httpx

from agentstate.ui.schema import (
    AlertPage,
    ApiKey,
    Budget,
    CostSeries,
    NewApiKey,
    Project,
    SessionDetail,
    SessionPage,
    Steps,
    TraceDetail,
    TracePage,
    UsageSeries,
)

DEFAULT_API_URL = "http://127.0.0.1:8000"
API_PREFIX = "/api/v1"
TIMEOUT_SECONDS = 30.0

Params = dict[str, Any]


def api_url_from_env() -> str:
    """The API base URL: ``AGENTSTATE_API_URL`` or the local default, without a trailing slash."""
    return (os.environ.get("AGENTSTATE_API_URL") or DEFAULT_API_URL).rstrip("/")


class ApiError(Exception):
    """An API call that did not succeed (or could not reach the API: ``status`` 0)."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(f"{status}: {detail}" if status else detail)
        self.status = status
        self.detail = detail


def _clean(params: Params | None) -> Params:
    """Drop unset filters so the API applies its defaults; booleans as ``true``/``false``."""
    out = {k: v for k, v in (params or {}).items() if v is not None and v != ""}
    return {k: ("true" if v else "false") if isinstance(v, bool) else v for k, v in out.items()}


def _seg(value: str) -> str:
    """One URL path segment: an ID from telemetry may contain ``/`` or ``?``."""
    return quote(value, safe="")


def _detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200] or response.reason_phrase
    detail = body.get("detail") if isinstance(body, dict) else None
    return str(detail) if detail is not None else response.reason_phrase


class ApiClient:
    """Typed calls to ``/api/v1``; ``token`` is the Bearer access token (None before login)."""

    def __init__(self, base_url: str, token: str | None = None, http: httpx.Client | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self._http = http or httpx.Client(timeout=TIMEOUT_SECONDS)

    def _request(self, method: str, path: str, *, params: Params | None = None, body: Any = None) -> Any:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        try:
            response = self._http.request(
                method, self.base_url + API_PREFIX + path, params=_clean(params), json=body, headers=headers
            )
        except httpx.HTTPError as exc:
            raise ApiError(0, f"cannot reach the API at {self.base_url}: {exc}") from exc
        if response.status_code >= 400:
            raise ApiError(response.status_code, _detail(response))
        return response.json() if response.content else None

    # --- accounts -------------------------------------------------------------------------------

    def login(self, email: str, password: str) -> str:
        """Exchange credentials for an access token (also kept on this client)."""
        token = str(self._request("POST", "/auth/login", body={"email": email, "password": password})["access_token"])
        self.token = token
        return token

    def me(self) -> dict[str, Any]:
        """The logged-in user."""
        return cast(dict[str, Any], self._request("GET", "/users/me"))

    def projects(self) -> list[Project]:
        """Projects the caller can read."""
        return cast(list[Project], self._request("GET", "/projects"))

    def api_keys(self, project_id: str) -> list[ApiKey]:
        """A project's ingest keys, masked."""
        return cast(list[ApiKey], self._request("GET", f"/projects/{_seg(project_id)}/api-keys"))

    def create_api_key(self, project_id: str, name: str) -> NewApiKey:
        """Create an ingest key; the returned ``key`` is never shown again."""
        return cast(NewApiKey, self._request("POST", f"/projects/{_seg(project_id)}/api-keys", body={"name": name}))

    def revoke_api_key(self, project_id: str, key_id: str) -> None:
        """Revoke an ingest key."""
        self._request("DELETE", f"/projects/{_seg(project_id)}/api-keys/{_seg(key_id)}")

    def budgets(self, project_id: str) -> list[Budget]:
        """A project's cost budgets with spend against each."""
        return cast(list[Budget], self._request("GET", f"/projects/{_seg(project_id)}/budgets"))

    def create_budget(self, project_id: str, body: dict[str, Any]) -> Budget:
        """Add a budget (project admins)."""
        return cast(Budget, self._request("POST", f"/projects/{_seg(project_id)}/budgets", body=body))

    def delete_budget(self, project_id: str, budget_id: str) -> None:
        """Remove a budget (project admins)."""
        self._request("DELETE", f"/projects/{_seg(project_id)}/budgets/{_seg(budget_id)}")

    # --- traces ---------------------------------------------------------------------------------

    def traces(self, params: Params | None = None) -> TracePage:
        """A page of trace summaries (filters as in ``GET /traces``)."""
        return cast(TracePage, self._request("GET", "/traces", params=params))

    def trace(self, trace_id: str, project_id: str | None = None) -> TraceDetail:
        """A whole trace as a tree."""
        return cast(TraceDetail, self._request("GET", f"/traces/{_seg(trace_id)}", params={"project_id": project_id}))

    def steps(self, trace_id: str, project_id: str | None = None) -> Steps:
        """A run as Time Machine steps."""
        return cast(Steps, self._request("GET", f"/traces/{_seg(trace_id)}/steps", params={"project_id": project_id}))

    # --- sessions, analytics, alerts ------------------------------------------------------------

    def sessions(self, params: Params | None = None) -> SessionPage:
        """A page of sessions, most recently active first."""
        return cast(SessionPage, self._request("GET", "/sessions", params=params))

    def session(self, session_id: str, params: Params | None = None) -> SessionDetail:
        """A session and its traces in order."""
        return cast(SessionDetail, self._request("GET", f"/sessions/{_seg(session_id)}", params=params))

    def cost(self, params: Params | None = None) -> CostSeries:
        """Cost and tokens per bucket and group."""
        return cast(CostSeries, self._request("GET", "/analytics/cost", params=params))

    def usage(self, params: Params | None = None) -> UsageSeries:
        """Volume, latency percentiles and error rate per bucket and group."""
        return cast(UsageSeries, self._request("GET", "/analytics/usage", params=params))

    def alerts(self, params: Params | None = None) -> AlertPage:
        """A page of security alerts, newest first."""
        return cast(AlertPage, self._request("GET", "/alerts", params=params))

    def ack_alert(self, alert_id: str, project_id: str | None = None) -> dict[str, Any]:
        """Acknowledge an alert."""
        return cast(
            dict[str, Any], self._request("POST", f"/alerts/{_seg(alert_id)}/ack", params={"project_id": project_id})
        )
