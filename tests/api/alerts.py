"""One alert row, stored as the security worker's writer stores it: the contract's table and columns.

The table is never created here: a writer that did not create it makes the insert, and so the test
using it, fail.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import Any

from agentstate.semconv.tables import ALERT_COLUMNS, ALERT_TABLE
from tests.api.conftest import Api


def insert_alert(api: Api, project: str, trace_id: str, span_id: str = "", evidence: str = "") -> str:
    """Insert a high-severity prompt-injection alert on ``trace_id`` / ``span_id``; return its ID."""
    alert_id = uuid.uuid4().hex
    values: dict[str, Any] = {
        "ProjectId": project,
        "Timestamp": datetime.now(timezone.utc).replace(tzinfo=None),
        "AlertId": alert_id,
        "TraceId": trace_id,
        "SpanId": span_id,
        "RuleId": "prompt_injection",
        "Category": "prompt_injection",
        "Severity": "high",
        "Score": 0.9,
        "Evidence": evidence,
        "Message": "Prompt injection attempt",
        "Status": "open",
        "Occurrences": 1,
        "Version": 1,
    }
    assert set(values) == set(ALERT_COLUMNS), set(values) ^ set(ALERT_COLUMNS)
    api.platform.client.insert(
        f"{api.platform.database}.{ALERT_TABLE}",
        [[values[c] for c in ALERT_COLUMNS]],
        column_names=list(ALERT_COLUMNS),
    )
    return alert_id
