"""Imports follow the data path (STYLE.md "The shape of the house"): a part imports only what lies
upstream of it, the SDK imports no server part, and nothing imports the CLI, the one part that
may launch every server."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = {
    "cli": "cli",
    "sdk": "sdk",
    "semconv": "semconv",
    "receiver": "receiver",
    "processors": "processors",
    "api": "api",
    "ui": "ui",
}
ALLOWED = {
    "semconv": set(),
    "sdk": {"semconv"},
    "receiver": {"semconv"},
    "processors": {"semconv"},
    "api": {"semconv"},
    "ui": set(),
    "cli": {"sdk", "semconv", "receiver", "processors", "api", "ui"},
}
"""Part -> the other parts it may import (by import name, ``agentstate.<part>``)."""


def _part_of_file(path: Path) -> str | None:
    rel = path.relative_to(ROOT).as_posix()
    for folder in sorted(FOLDERS, key=len, reverse=True):
        if rel.startswith(folder + "/"):
            return FOLDERS[folder]
    return None


def _part_of_module(name: str) -> str | None:
    head, _, rest = name.partition(".")
    if head != "agentstate":
        return None
    sub = rest.split(".", 1)[0]
    return sub if sub in ALLOWED else "sdk"


def imports() -> list[tuple[str, str, str]]:
    """``(importing part, imported part, where)`` for every import of another part, lazy ones included."""
    out = []
    for folder in FOLDERS:
        for path in (ROOT / folder).rglob("*.py"):
            part = _part_of_file(path)
            assert part is not None
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                names = (
                    [a.name for a in node.names]
                    if isinstance(node, ast.Import)
                    else ([node.module] if isinstance(node, ast.ImportFrom) and node.module and not node.level else [])
                )
                for name in names:
                    target = _part_of_module(name)
                    if target is not None and target != part:
                        out.append((part, target, f"{path.relative_to(ROOT)}: {name}"))
    return out


def test_every_import_follows_the_data_path() -> None:
    found = imports()
    assert len({p for p, _, _ in found}) >= 5  # the scan sees the parts at all
    bad = [where for part, target, where in found if target not in ALLOWED[part]]
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize(
    ("part", "forbidden"),
    [
        pytest.param("api", "processors", id="api-imports-no-processors"),
        pytest.param("sdk", "api", id="sdk-imports-no-server"),
        pytest.param("processors", "cli", id="nothing-imports-the-cli"),
    ],
)
def test_the_rules_reject_what_the_issue_names(part: str, forbidden: str) -> None:
    assert forbidden not in ALLOWED[part]
