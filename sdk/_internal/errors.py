"""The SDK's single error path: internal failures are logged once and swallowed.

Every SDK entry point, span hook and exporter step runs inside :data:`handle_internal_errors`, so a
bug in AgentState can never change what the instrumented application sees. Under pytest the error
is re-raised instead, so our own tests surface bugs (the logfire ``_internal/utils.py`` approach);
tests that break the SDK on purpose turn that off with :func:`set_reraise`.
"""

from __future__ import annotations

import contextlib
import logging
import sys
from types import TracebackType
from typing import Final

logger: Final = logging.getLogger("agentstate")
"""The logger every SDK message goes to; no handler is attached at import time."""

_reraise: bool = "pytest" in sys.modules
_seen: set[tuple[str, str]] = set()


def set_reraise(value: bool) -> bool:
    """Choose whether internal errors propagate (tests) or are logged and swallowed.

    Args:
        value: ``True`` to re-raise internal errors.

    Returns:
        The previous setting, so a fixture can restore it.
    """
    global _reraise
    previous, _reraise = _reraise, value
    return previous


def log_internal_error(exc: BaseException) -> None:
    """Log ``exc`` on the ``agentstate`` logger, once per exception type and message location."""
    frame = exc.__traceback__
    while frame is not None and frame.tb_next is not None:
        frame = frame.tb_next
    where = f"{frame.tb_frame.f_code.co_filename}:{frame.tb_lineno}" if frame is not None else "?"
    key = (type(exc).__qualname__, where)
    if key in _seen:
        return
    _seen.add(key)
    logger.warning("Internal error in the AgentState SDK (ignored, logged once)", exc_info=exc)


class _InternalErrorGuard:
    """Context manager that swallows and logs ``Exception``s; a shared, allocation-free instance."""

    __slots__ = ()

    def __enter__(self) -> None:
        return None

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        if exc is None or not isinstance(exc, Exception):
            return False
        if _reraise:
            return False
        with contextlib.suppress(Exception):  # logging itself failed; nothing safer to do
            log_internal_error(exc)
        return True


handle_internal_errors: Final = _InternalErrorGuard()
"""``with handle_internal_errors: ...`` logs an internal ``Exception`` once and continues."""
