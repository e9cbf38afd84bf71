"""Framework and client integrations switched on by ``init()``: detect, instrument, undo.

:func:`activate` instruments every enabled integration whose framework is already imported and
watches the import of the others (:mod:`.hook`), so ``import crewai`` after ``init()`` is traced
too. Nothing is imported for a framework the application does not import. :func:`deactivate`
(called by ``shutdown``) removes the watcher and undoes every instrumentation it applied.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterable

from opentelemetry.sdk.trace import TracerProvider

from agentstate._internal.errors import handle_internal_errors, logger
from agentstate._internal.integrations import hook
from agentstate._internal.integrations.catalog import ALIASES, INTEGRATIONS, NAMES, Integration, Undo

__all__ = ["ALIASES", "NAMES", "activate", "active", "deactivate"]


class _Active:
    """What :func:`activate` set up; guarded by :attr:`lock` (imports may race in threads)."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.provider: TracerProvider | None = None
        self.capture = True
        self.enabled: frozenset[str] = frozenset()
        self.applied: dict[str, Undo | None] = {}
        self.watcher: hook.ImportWatcher | None = None
        self.env_set: list[str] = []


_STATE = _Active()


def _switch_on(integration: Integration) -> None:
    with _STATE.lock:
        if integration.name in _STATE.applied or _STATE.provider is None:
            return
        _STATE.applied[integration.name] = None  # tried once per activation, whatever happens
        try:
            _STATE.applied[integration.name] = integration.instrument(_STATE.provider, _STATE.capture)
        except ModuleNotFoundError as exc:
            logger.info(
                "%s is in use but not instrumented: %s is missing (pip install %s, or agentstate-sdk[frameworks])",
                integration.name,
                exc.name,
                integration.package,
            )
            return
        logger.debug("Instrumented %s", integration.name)


def _on_import(module: str) -> None:
    for integration in INTEGRATIONS:
        if module in integration.triggers and integration.name in _STATE.enabled:
            _switch_on(integration)


def activate(provider: TracerProvider, enabled: Iterable[str], capture_content: bool) -> None:
    """Instrument the enabled integrations on ``provider``, now or when their framework is imported.

    Args:
        provider: The SDK's tracer provider.
        enabled: Names from :data:`NAMES` to switch on.
        capture_content: Record messages, tool arguments and results (``capture_io``).
    """
    deactivate()
    with _STATE.lock:
        _STATE.provider, _STATE.capture, _STATE.enabled = provider, capture_content, frozenset(enabled)
        waiting: list[str] = []
        for integration in INTEGRATIONS:
            if integration.name not in _STATE.enabled:
                for key, value in integration.off_switches:
                    if key not in os.environ:
                        os.environ[key] = value
                        _STATE.env_set.append(key)
                continue
            if any(name in sys.modules for name in integration.triggers):
                with handle_internal_errors:
                    _switch_on(integration)
            else:
                waiting.extend(integration.triggers)
        if waiting:
            _STATE.watcher = hook.install(waiting, _on_import)


def deactivate() -> None:
    """Stop watching imports, undo every instrumentation :func:`activate` applied, and remove the
    off switches it set."""
    with _STATE.lock:
        if _STATE.watcher is not None:
            hook.uninstall(_STATE.watcher)
            _STATE.watcher = None
        for name, undo in reversed(list(_STATE.applied.items())):
            if undo is not None:
                with handle_internal_errors:
                    undo()
            logger.debug("Uninstrumented %s", name)
        _STATE.applied.clear()
        _STATE.provider = None
        for key in _STATE.env_set:
            os.environ.pop(key, None)
        _STATE.env_set.clear()


def active() -> list[str]:
    """Names of the integrations instrumented by the SDK right now (for diagnostics and tests)."""
    with _STATE.lock:
        return [name for name, undo in _STATE.applied.items() if undo is not None]
