"""Where the cost workers' budgets come from: the API (mirrored in Redis) and an optional JSON seed file.

Admins manage budgets per project in the API, which mirrors them to the Redis hash
:data:`~agentstate.semconv.streams.BUDGETS_HASH`; every cost worker re-reads it every few seconds
(:func:`refresh_budgets`). ``AGENTSTATE_BUDGETS_FILE`` seeds budgets that apply besides those, in the
format ``{"budgets": [{"scope": "user", "limit_usd": "5", "period": "day", "project_id": "p1",
"key": null, "severity": "high"}, ...]}``. A bad file fails the worker at start (fail fast); a bad
mirrored entry is logged and skipped (one admin's typo must not stop every project's cost rows).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path

from redis.asyncio import Redis
from redis.exceptions import RedisError

from agentstate.processors.detectors.alert import Severity
from agentstate.processors.detectors.budgets import Budget, BudgetPeriod, BudgetScope, BudgetTracker
from agentstate.semconv.streams import BUDGETS_HASH

log = logging.getLogger(__name__)

REFRESH_SECONDS = 5.0
"""How often a cost worker re-reads the budgets the API manages."""


def parse_budgets(doc: object) -> tuple[Budget, ...]:
    """Budgets from a parsed document; raises ``ValueError`` with the offending entry."""
    if not isinstance(doc, dict) or not isinstance(doc.get("budgets", []), list):
        raise ValueError('budgets file must be {"budgets": [...]}')
    out = []
    for i, raw in enumerate(doc.get("budgets", [])):
        try:
            out.append(_budget(raw))
        except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
            raise ValueError(f"budget #{i}: {exc!r}") from exc
    return tuple(out)


def _budget(raw: Mapping[str, object]) -> Budget:
    limit = Decimal(str(raw["limit_usd"]))
    if not limit.is_finite() or limit <= 0:
        raise ValueError(f"limit_usd must be a positive number, not {raw['limit_usd']!r}")
    scope, period = BudgetScope(raw["scope"]), BudgetPeriod(raw.get("period", "day"))
    if period is BudgetPeriod.SESSION and scope is not BudgetScope.SESSION:
        raise ValueError("a per-session period needs scope=session")

    def text(name: str) -> str | None:
        value = raw.get(name)
        return None if value is None else str(value)

    return Budget(
        scope=scope,
        limit_usd=limit,
        period=period,
        project_id=text("project_id"),
        key=text("key"),
        severity=Severity(raw.get("severity", "high")),
        id=text("id"),
    )


def mirrored_budgets(entries: Mapping[bytes | str, bytes | str]) -> tuple[Budget, ...]:
    """Budgets from the API's Redis mirror (``HGETALL``); malformed entries are logged and skipped."""
    out = []
    for field, value in sorted(entries.items(), key=lambda kv: str(kv[0])):
        try:
            raw = json.loads(value)
            if not isinstance(raw, dict) or not raw.get("project_id"):
                raise ValueError("not a budget of a project")
            out.append(_budget(raw))
        except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
            log.warning("skipping mirrored budget %r: %r", field, exc)
    return tuple(out)


async def refresh_budgets(
    redis: Redis, tracker: BudgetTracker, seed: Sequence[Budget], stop: asyncio.Event, interval: float = REFRESH_SECONDS
) -> None:
    """Until ``stop``: enforce the seed file's budgets plus the API's, re-read every ``interval`` seconds."""
    while not stop.is_set():
        try:
            entries = await redis.hgetall(BUDGETS_HASH)
        except RedisError as exc:  # keep the last known budgets; the stream consumer reports Redis itself
            log.debug("budgets not refreshed: %r", exc)
        else:
            budgets = (*seed, *mirrored_budgets(entries))
            if budgets != tracker.budgets:
                tracker.replace(budgets)
                log.info("enforcing %d budgets", len(budgets))
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval)


def load_budgets(path: str | None = None) -> tuple[Budget, ...]:
    """Budgets from ``path`` or ``AGENTSTATE_BUDGETS_FILE``; none when unset."""
    path = path or os.environ.get("AGENTSTATE_BUDGETS_FILE")
    if not path:
        return ()
    return parse_budgets(json.loads(Path(path).read_text()))
