"""Budgets per project, user and session."""

from __future__ import annotations

from decimal import Decimal

import pytest

from agentstate.processors.detectors.alert import Category
from agentstate.processors.detectors.budgets import Budget, BudgetPeriod, BudgetScope, BudgetTracker
from agentstate.processors.pricing import CostRow, CostStatus

_DAY = 1_750_000_000_000_000_000
_NEXT_DAY = _DAY + 86_400_000_000_000


def _row(span: str, cost: str, user: str = "alice@example.com", session: str = "s1", t: int = _DAY) -> CostRow:
    z = Decimal(0)
    return CostRow("proj", t, "t" * 32, span, "svc", "chat", "openai", "gpt-4o", "gpt-4o", "", "", session, user,
                   10, 10, 0, 0, 0, 20, z, z, z, z, z, Decimal(cost), "test", CostStatus.PRICED)  # fmt: skip


def test_user_daily_budget_alerts_once_when_crossed() -> None:
    tracker = BudgetTracker([Budget(BudgetScope.USER, Decimal("1.00"))])
    fired = [tracker.add(_row(f"s{i}", "0.40")) for i in range(4)]
    assert [len(a) for a in fired] == [0, 0, 1, 0]
    (alert,) = fired[2]
    assert (alert.rule_id, alert.category) == ("budget.user.day", Category.BUDGET)
    assert "alice@example.com" not in alert.evidence and "[REDACTED:EMAIL]" in alert.evidence
    assert "$1.2000" in alert.message


def test_redelivered_span_is_not_counted_twice() -> None:
    tracker = BudgetTracker([Budget(BudgetScope.PROJECT, Decimal("1.00"))])
    assert tracker.add(_row("s1", "0.60")) == []
    assert tracker.add(_row("s1", "0.60")) == []
    assert len(tracker.add(_row("s2", "0.60"))) == 1


def test_daily_totals_reset_at_utc_midnight() -> None:
    tracker = BudgetTracker([Budget(BudgetScope.USER, Decimal("1.00"))])
    assert tracker.add(_row("a", "0.90")) == []
    assert tracker.add(_row("b", "0.90", t=_NEXT_DAY)) == []


@pytest.mark.parametrize(
    ("budget", "rows", "alerts"),
    [
        pytest.param(Budget(BudgetScope.SESSION, Decimal("0.5"), BudgetPeriod.SESSION),
                     [_row("a", "0.3"), _row("b", "0.3", t=_NEXT_DAY)], 1, id="per-session-spans-days"),
        pytest.param(Budget(BudgetScope.USER, Decimal("0.5"), key="bob"), [_row("a", "0.6")], 0, id="other-user"),
        pytest.param(Budget(BudgetScope.USER, Decimal("0.5"), project_id="other"), [_row("a", "0.6")], 0,
                     id="other-project"),
        pytest.param(Budget(BudgetScope.USER, Decimal("0.5")), [_row("a", "0.6", user="")], 0, id="no-user-id"),
    ],
)  # fmt: skip
def test_scopes(budget: Budget, rows: list[CostRow], alerts: int) -> None:
    tracker = BudgetTracker([budget])
    assert sum(len(tracker.add(r)) for r in rows) == alerts


def test_seed_restores_totals_after_restart() -> None:
    tracker = BudgetTracker([Budget(BudgetScope.USER, Decimal("1.00"))])
    tracker.seed(_row("x", "0"), Decimal("0.95"))
    assert len(tracker.add(_row("y", "0.10"))) == 1


@pytest.mark.parametrize(
    "budget",
    [
        pytest.param(Budget(BudgetScope.USER, Decimal(0)), id="zero-limit"),
        pytest.param(Budget(BudgetScope.USER, Decimal(1), BudgetPeriod.SESSION), id="session-period-on-user"),
    ],
)
def test_invalid_budgets(budget: Budget) -> None:
    with pytest.raises(ValueError):
        BudgetTracker([budget])


def test_mirrored_budgets_skip_bad_entries() -> None:
    import json

    from agentstate.processors.budget_config import mirrored_budgets

    good = {
        "id": "b1",
        "project_id": "p",
        "scope": "user",
        "limit_usd": "2.5",
        "period": "day",
        "key": None,
        "severity": "medium",
    }
    entries = {
        b"b1": json.dumps(good).encode(),
        b"b2": b"{not json",
        b"b3": json.dumps({**good, "id": "b3", "limit_usd": "-1"}).encode(),
        b"b4": json.dumps({**good, "id": "b4", "project_id": None}).encode(),
        b"b5": json.dumps({**good, "id": "b5", "scope": "user", "period": "session"}).encode(),
    }
    (budget,) = mirrored_budgets(entries)
    assert (budget.id, budget.limit_usd, budget.scope, budget.project_id) == (
        "b1",
        Decimal("2.5"),
        BudgetScope.USER,
        "p",
    )


def test_replacing_budgets_keeps_the_totals_of_those_that_stay() -> None:
    keep = Budget(BudgetScope.USER, Decimal("1.00"), id="keep")
    other = Budget(BudgetScope.SESSION, Decimal("1.00"), id="other")
    tracker = BudgetTracker([other, keep])
    assert tracker.add(_row("s1", "0.60")) == []
    tracker.replace([keep])  # `other` removed: `keep` moves to index 0 but keeps its running total
    alerts = tracker.add(_row("s2", "0.50"))
    assert [a.rule_id for a in alerts] == ["budget.user.day"]
