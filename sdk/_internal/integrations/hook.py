"""Run a callback right after a watched top-level module has been imported.

A framework imported after ``init()`` must be instrumented too, without importing anything at
``init()`` (a framework that is not used costs nothing). :class:`ImportWatcher` sits first on
:data:`sys.meta_path`; for a watched name it asks the other finders for the spec, wraps the loader
so that ``exec_module`` is followed by the callback, and steps aside for every other name. This is
what wrapt's post-import hooks do; the SDK does not depend on wrapt, so it is a few lines here.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
import threading
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Final

from agentstate._internal.errors import handle_internal_errors

Callback = Callable[[str], None]
"""Called with the top-level module name once that module has finished executing."""

_BUSY: Final = threading.local()


class _NotifyingLoader(importlib.abc.Loader):
    """Delegates to the real loader, then reports the module as imported."""

    def __init__(self, inner: importlib.abc.Loader, name: str, callback: Callback) -> None:
        self._inner = inner
        self._name = name
        self._callback = callback

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return self._inner.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        # The module's own spec must keep the real loader (importlib.resources, pkgutil and
        # reloads read it), so it is put back before the module's code runs.
        if module.__spec__ is not None:
            module.__spec__.loader = self._inner
        module.__loader__ = self._inner
        self._inner.exec_module(module)
        with handle_internal_errors:
            self._callback(self._name)

    def __getattr__(self, item: str) -> object:  # get_resource_reader, is_package, …
        return getattr(self._inner, item)


class ImportWatcher(importlib.abc.MetaPathFinder):
    """A meta path finder that reports when one of ``names`` (top-level modules) is imported."""

    def __init__(self, names: Sequence[str], callback: Callback) -> None:
        self.names = frozenset(names)
        self._callback = callback

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in self.names or getattr(_BUSY, "active", False):
            return None
        _BUSY.active = True  # the finders below may import; do not watch our own lookup
        spec: importlib.machinery.ModuleSpec | None = None
        try:
            for finder in sys.meta_path:
                if finder is self or isinstance(finder, ImportWatcher):
                    continue
                find = getattr(finder, "find_spec", None)
                found: object = find(fullname, path, target) if find is not None else None
                spec = found if isinstance(found, importlib.machinery.ModuleSpec) else None
                if spec is not None:
                    break
            else:
                return None
        finally:
            _BUSY.active = False
        if spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        spec.loader = _NotifyingLoader(spec.loader, fullname, self._callback)
        return spec


def install(names: Sequence[str], callback: Callback) -> ImportWatcher:
    """Put a watcher for ``names`` first on :data:`sys.meta_path` and return it."""
    watcher = ImportWatcher(names, callback)
    sys.meta_path.insert(0, watcher)
    return watcher


def uninstall(watcher: ImportWatcher) -> None:
    """Remove ``watcher`` from :data:`sys.meta_path` (no error if it is not there)."""
    if watcher in sys.meta_path:
        sys.meta_path.remove(watcher)
