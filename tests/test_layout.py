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


def _module_name(path: Path, folder: str) -> str:
    parts = list(path.relative_to(ROOT / folder).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join([f"agentstate.{folder}", *parts])


def module_graph(folder: str) -> dict[str, set[str]]:
    """Module -> the modules of the same part it imports (lazy imports included; a package's implicit
    import by its submodules is not an edge)."""
    files = {_module_name(p, folder): p for p in (ROOT / folder).rglob("*.py")}
    graph: dict[str, set[str]] = {name: set() for name in files}
    for name, path in files.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                    base = f"{anchor}.{base}" if base else anchor
                # ``from pkg import x``: the submodule pkg.x when there is one, else pkg itself
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in files else base for a in node.names]
            else:
                continue
            graph[name] |= {t for t in targets if t in files and t != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_no_import_cycle_inside_the_ui() -> None:
    graph = module_graph("ui")
    assert "agentstate.ui.views.security" in graph["agentstate.ui.views"]  # the scan sees the edges
    assert cycles(graph) == []


def test_the_cycle_check_finds_the_issues_cycle() -> None:
    graph = module_graph("ui")
    graph["agentstate.ui.links"].add("agentstate.ui.views")  # as nav.py once imported the views back
    wanted = {"agentstate.ui.links", "agentstate.ui.views", "agentstate.ui.views.security"}
    assert any(wanted <= set(component) for component in cycles(graph))
