"""The distribution: a built wheel and the editable install both import the package; the SDK
alone needs nothing but OpenTelemetry."""

from __future__ import annotations

import email
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MODULES = ["agentstate", "agentstate.semconv", "agentstate.receiver", "agentstate.processors",
           "agentstate.api", "agentstate.ui", "agentstate.cli"]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w",
                    str(out), str(ROOT)], check=True, timeout=300)
    (whl,) = out.glob("agentstate_sdk-*.whl")
    return whl


def test_wheel_imports_every_subpackage(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
                   check=True, timeout=300)
    code = ("import importlib, sys; mods = sys.argv[1:]; "
            "files = [importlib.import_module(m).__file__ for m in mods]; print('\\n'.join(files))")
    out = subprocess.run([sys.executable, "-c", code, *MODULES], env={"PYTHONPATH": str(target)},
                         capture_output=True, text=True, check=True, cwd=tmp_path).stdout.split()
    assert len(out) == len(MODULES)
    assert all(f.startswith(str(target)) for f in out), out
    names = zipfile.ZipFile(wheel).namelist()
    assert "agentstate/py.typed" in names
    assert not any(n.startswith(("tests/", "bench/")) for n in names)


def test_wheel_base_requirements_are_opentelemetry_only(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as zf:
        meta_name = next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA"))
        meta = email.message_from_bytes(zf.read(meta_name))
    base = [r for r in meta.get_all("Requires-Dist") or [] if "extra ==" not in r]
    assert base and all(r.startswith("opentelemetry-") for r in base), base
    extras = set(meta.get_all("Provides-Extra") or [])
    assert {"server", "ui", "all"} <= extras
    assert meta["Requires-Python"] == ">=3.10"


def test_editable_install_imports(tmp_path: Path) -> None:
    code = "import agentstate, agentstate.receiver, agentstate.processors; print(agentstate.__file__)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=tmp_path)
    assert "agentstate" in out.stdout


def test_cli_help_documents_settings() -> None:
    out = subprocess.run([sys.executable, "-m", "agentstate.cli", "up", "--help"], capture_output=True, text=True,
                         check=True)
    for needle in ("--data-dir", "AGENTSTATE_REDIS_URL", "AGENTSTATE_CLICKHOUSE_URL", "AGENTSTATE_BOOTSTRAP_API_KEY"):
        assert needle in out.stdout
    for cmd in (["receiver"], ["worker", "writer"], ["migrate"], ["api"], ["ui"]):
        res = subprocess.run([sys.executable, "-m", "agentstate.cli", *cmd, "--help"], capture_output=True, text=True)
        assert res.returncode == 0 and "AGENTSTATE_" in res.stdout
