"""ClickHouse table names shared by the writer (which creates and fills them) and the API (which reads)."""

from __future__ import annotations

from typing import Final

TRACE_ROOTS_TABLE: Final = "trace_roots"
"""Root spans only, by project and time: the trace list's page selection."""

TRACE_SUMMARY_TABLE: Final = "trace_summary"
"""One merged row per trace (start, end, span count, tokens, error, models, sessions, users)."""

TRACE_FACETS_TABLE: Final = "trace_facets"
"""(trace, facet, value) rows: which traces have a given service, model, agent, session, user, error."""

TRACE_TABLES: Final = (TRACE_ROOTS_TABLE, TRACE_SUMMARY_TABLE, TRACE_FACETS_TABLE)
"""All per-trace tables; the API uses them only when every one exists."""
