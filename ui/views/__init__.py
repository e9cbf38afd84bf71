"""The dashboard's pages; each module has a ``render()`` the navigation runs."""

from agentstate.ui.views import (
    analytics,
    security,
    sessions,
    settings,
    time_machine,
    trace,
    traces,
)

__all__ = ["analytics", "security", "sessions", "settings", "time_machine", "trace", "traces"]
