"""The SDK version, in a module of its own so internals can import it without cycles."""

from __future__ import annotations

from typing import Final

VERSION: Final = "0.1.0"
"""Version of the ``agentstate`` package."""
