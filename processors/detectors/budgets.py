"""Budgets: cost thresholds per project, user or session, per UTC day or per whole session.

The cost calculator feeds each :class:`~agentstate.processors.pricing.CostRow` to a
:class:`BudgetTracker`, which raises one alert when a running total first reaches its limit — the
per-user cost alert. Replays of a span already counted are ignored. Totals live in memory; after a
restart, :meth:`BudgetTracker.seed` restores them from ``cost_metrics``.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from enum import Enum

from agentstate.processors.detectors.alert import Alert, Category, Severity
from agentstate.processors.pricing import CostRow
from agentstate.semconv.redaction import DEFAULT_REDACTOR


class BudgetScope(str, Enum):
    """What a budget is counted per."""

    PROJECT = "project"
    USER = "user"
    SESSION = "session"


class BudgetPeriod(str, Enum):
    """Over which period a budget's total accumulates."""

    DAY = "day"
    SESSION = "session"


@dataclass(frozen=True, slots=True)
class Budget:
    """One cost threshold.

    Attributes:
        scope: Counted per project, per user or per session.
        limit_usd: Alert when the total reaches this.
        period: Per UTC day, or over the whole session (only with ``scope=session``).
        project_id: Limit the budget to one project (``None``: every project).
        key: Limit it to one user or session ID (``None``: each one separately).
        severity: Severity of the alert.
        id: Stable identity (budgets managed in the API have one): running totals follow it when the
            set of budgets is replaced, so editing one budget does not reset the others.
    """

    scope: BudgetScope
    limit_usd: Decimal
    period: BudgetPeriod = BudgetPeriod.DAY
    project_id: str | None = None
    key: str | None = None
    severity: Severity = Severity.HIGH
    id: str | None = None

    @property
    def rule_id(self) -> str:
        """``budget.<scope>.<period>``."""
        return f"budget.{self.scope.value}.{self.period.value}"


_TotalKey = tuple[str, str, str, str]
"""(budget identity, project, scope value, period value)."""


class BudgetTracker:
    """Running totals per budget and key; raises an alert when a total crosses its limit.

    Args:
        budgets: Thresholds to enforce.
        max_keys: Totals remembered (least recently updated forgotten first).
        max_spans: Span IDs remembered to ignore redeliveries.

    Raises:
        ValueError: If a budget has a non-positive limit or a per-session period on another scope.
    """

    __slots__ = ("_budgets", "_max_keys", "_max_spans", "_seen", "_totals")

    def __init__(self, budgets: Sequence[Budget], max_keys: int = 200_000, max_spans: int = 200_000) -> None:
        self._budgets: tuple[Budget, ...] = ()
        self.replace(budgets)
        self._max_keys, self._max_spans = max_keys, max_spans
        self._totals: OrderedDict[_TotalKey, Decimal] = OrderedDict()
        self._seen: OrderedDict[tuple[str, str], None] = OrderedDict()

    def add(self, row: CostRow) -> list[Alert]:
        """Count ``row`` towards every matching budget; return the alerts of limits it crosses."""
        span = (row.project_id, row.span_id)
        if row.cost_total <= 0 or span in self._seen:
            return []
        self._seen[span] = None
        if len(self._seen) > self._max_spans:
            self._seen.popitem(last=False)
        alerts = []
        for key, budget in self._keys(row):
            before = self._totals.get(key, Decimal(0))
            after = before + row.cost_total
            self._store(key, after)
            if before < budget.limit_usd <= after:
                alerts.append(_alert(budget, key[2], after))
        return alerts

    @property
    def budgets(self) -> tuple[Budget, ...]:
        """The budgets enforced now."""
        return self._budgets

    def replace(self, budgets: Sequence[Budget]) -> None:
        """Enforce ``budgets`` from now on; totals of budgets that keep their ``id`` carry over.

        Raises:
            ValueError: If a budget has a non-positive limit or a per-session period on another scope.
        """
        for b in budgets:
            if b.limit_usd <= 0:
                raise ValueError(f"budget limit must be positive: {b}")
            if b.period is BudgetPeriod.SESSION and b.scope is not BudgetScope.SESSION:
                raise ValueError(f"a per-session period needs scope=session: {b}")
        self._budgets = tuple(budgets)

    def seed(self, row: CostRow, total_usd: Decimal) -> None:
        """Set the running totals that ``row`` would count towards (restore after a restart)."""
        for key, _ in self._keys(row):
            self._store(key, total_usd)

    def _store(self, key: _TotalKey, value: Decimal) -> None:
        self._totals[key] = value
        self._totals.move_to_end(key)
        if len(self._totals) > self._max_keys:
            self._totals.popitem(last=False)

    def _keys(self, row: CostRow) -> Iterator[tuple[_TotalKey, Budget]]:
        day = datetime.fromtimestamp(row.start_time_unix_nano / 1e9, tz=UTC).date().isoformat()
        for i, budget in enumerate(self._budgets):
            if budget.project_id is not None and budget.project_id != row.project_id:
                continue
            value = {BudgetScope.PROJECT: row.project_id, BudgetScope.USER: row.user_id,
                     BudgetScope.SESSION: row.session_id}[budget.scope]  # fmt: skip
            if not value or (budget.key is not None and budget.key != value):
                continue
            period = day if budget.period is BudgetPeriod.DAY else ""
            yield (budget.id or f"#{i}", row.project_id, value, period), budget


def _alert(budget: Budget, who: str, total: Decimal) -> Alert:
    name = DEFAULT_REDACTOR.redact(who)
    period = "today (UTC)" if budget.period is BudgetPeriod.DAY else "in this session"
    text = f"{budget.scope.value} {name} spent ${total:.4f} {period}; budget ${budget.limit_usd}"
    return Alert(budget.rule_id, Category.BUDGET, budget.severity, float(total / budget.limit_usd), text, text)
