"""Carry the trace context and propagated attributes into threads and thread pools.

asyncio tasks copy :mod:`contextvars` by themselves; threads do not. ``install`` patches
:meth:`ThreadPoolExecutor.submit` and :meth:`threading.Thread.start` so work started while a span
(or ``propagate_attributes``) is active runs with that span as parent. Only our two values travel,
never the rest of the caller's context, and nothing is wrapped when there is nothing to carry.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Final, TypeVar

from opentelemetry import context as otel_context
from opentelemetry.util.types import AttributeValue

from agentstate._internal.errors import handle_internal_errors
from agentstate._internal.propagation import PROPAGATED

T = TypeVar("T")
Carrier = tuple[otel_context.Context, "dict[str, AttributeValue] | Any"]

_ORIGINAL_SUBMIT: Final = ThreadPoolExecutor.submit
_ORIGINAL_START: Final = threading.Thread.start
_MARK: Final = "_agentstate_patched"


def _carrier() -> Carrier | None:
    ctx = otel_context.get_current()
    props = PROPAGATED.get()
    if not ctx and props is None:
        return None
    return ctx, props


def _run_with(carrier: Carrier, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    ctx, props = carrier
    token = otel_context.attach(ctx)
    props_token = PROPAGATED.set(props)
    try:
        return fn(*args, **kwargs)
    finally:
        PROPAGATED.reset(props_token)
        otel_context.detach(token)


def _submit(self: ThreadPoolExecutor, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
    carrier = None
    with handle_internal_errors:
        carrier = _carrier()
    if carrier is None:
        return _ORIGINAL_SUBMIT(self, fn, *args, **kwargs)
    return _ORIGINAL_SUBMIT(self, _run_with, carrier, fn, *args, **kwargs)


def _start(self: threading.Thread) -> None:
    with handle_internal_errors:
        carrier = _carrier()
        if carrier is not None:
            run = self.run
            self.run = lambda: _run_with(carrier, run)  # type: ignore[method-assign]
    _ORIGINAL_START(self)


def install() -> None:
    """Patch thread pools and threads once; later calls do nothing."""
    if getattr(ThreadPoolExecutor.submit, _MARK, False):
        return
    setattr(_submit, _MARK, True)
    setattr(_start, _MARK, True)
    ThreadPoolExecutor.submit = _submit  # type: ignore[method-assign, assignment]
    threading.Thread.start = _start  # type: ignore[method-assign]


def uninstall() -> None:
    """Restore the original ``submit`` and ``start``."""
    ThreadPoolExecutor.submit = _ORIGINAL_SUBMIT  # type: ignore[method-assign]
    threading.Thread.start = _ORIGINAL_START  # type: ignore[method-assign]
