"""AgentState: OpenTelemetry-native observability for AI agents.

Users write ``from agentstate import observe, init``. This package imports no server code.
"""

from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["__version__"]
