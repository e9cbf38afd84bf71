"""The import watcher on real imports of throw-away modules: the callback runs once, after the
module's body, with the module's own loader left in place; other imports are untouched."""

from __future__ import annotations

import importlib
import importlib.resources
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from agentstate._internal.integrations import hook


@pytest.fixture
def package_dir(tmp_path: Path) -> Iterator[Path]:
    pkg = tmp_path / "as_hook_pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("READY = True\nfrom . import sub\n")
    (pkg / "sub.py").write_text("VALUE = 42\n")
    (pkg / "data.txt").write_text("payload")
    (tmp_path / "as_hook_other.py").write_text("X = 1\n")
    sys.path.insert(0, str(tmp_path))
    yield tmp_path
    sys.path.remove(str(tmp_path))
    for name in [m for m in sys.modules if m.startswith(("as_hook_pkg", "as_hook_other"))]:
        del sys.modules[name]


def test_callback_after_the_module_body_and_loader_restored(package_dir: Path) -> None:
    seen: list[tuple[str, bool, int]] = []

    def callback(name: str) -> None:
        module = sys.modules[name]
        seen.append((name, module.READY, module.sub.VALUE))

    watcher = hook.install(["as_hook_pkg"], callback)
    try:
        import as_hook_other  # not watched
        import as_hook_pkg

        importlib.import_module("as_hook_pkg.sub")
        importlib.import_module("as_hook_pkg")
    finally:
        hook.uninstall(watcher)
    assert seen == [("as_hook_pkg", True, 42)]
    assert as_hook_other.X == 1
    assert type(as_hook_pkg.__spec__.loader).__name__ == "SourceFileLoader"
    assert as_hook_pkg.__loader__ is as_hook_pkg.__spec__.loader
    assert (importlib.resources.files("as_hook_pkg") / "data.txt").read_text() == "payload"
    assert watcher not in sys.meta_path


def test_a_failing_module_does_not_report(package_dir: Path) -> None:
    (package_dir / "as_hook_other.py").write_text("raise RuntimeError('boom')\n")
    seen: list[str] = []
    watcher = hook.install(["as_hook_other"], seen.append)
    try:
        with pytest.raises(RuntimeError, match="boom"):
            import as_hook_other  # noqa: F401
    finally:
        hook.uninstall(watcher)
    assert seen == []


def test_missing_module_is_still_missing() -> None:
    watcher = hook.install(["as_hook_missing_module"], lambda name: None)
    try:
        with pytest.raises(ModuleNotFoundError):
            importlib.import_module("as_hook_missing_module")
    finally:
        hook.uninstall(watcher)
