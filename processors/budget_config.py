"""Budgets from a JSON file (``AGENTSTATE_BUDGETS_FILE``).

Format: ``{"budgets": [{"scope": "user", "limit_usd": "5", "period": "day", "project_id": "p1",
"key": null, "severity": "high"}, ...]}``. A bad file fails the worker at start (fail fast).
"""

from __future__ import annotations

import json
import os
from decimal import Decimal
from pathlib import Path

from agentstate.processors.detectors.alert import Severity
from agentstate.processors.detectors.budgets import Budget, BudgetPeriod, BudgetScope


def parse_budgets(doc: object) -> tuple[Budget, ...]:
    """Budgets from a parsed document; raises ``ValueError`` with the offending entry."""
    if not isinstance(doc, dict) or not isinstance(doc.get("budgets", []), list):
        raise ValueError('budgets file must be {"budgets": [...]}')
    out = []
    for i, raw in enumerate(doc.get("budgets", [])):
        try:
            out.append(Budget(
                scope=BudgetScope(raw["scope"]), limit_usd=Decimal(str(raw["limit_usd"])),
                period=BudgetPeriod(raw.get("period", "day")), project_id=raw.get("project_id"),
                key=raw.get("key"), severity=Severity(raw.get("severity", "high")),
            ))
        except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
            raise ValueError(f"budget #{i}: {exc!r}") from exc
    return tuple(out)


def load_budgets(path: str | None = None) -> tuple[Budget, ...]:
    """Budgets from ``path`` or ``AGENTSTATE_BUDGETS_FILE``; none when unset."""
    path = path or os.environ.get("AGENTSTATE_BUDGETS_FILE")
    if not path:
        return ()
    return parse_budgets(json.loads(Path(path).read_text()))
