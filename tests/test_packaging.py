"""The distribution: a built wheel and the editable install both import the package; the SDK
alone needs nothing but OpenTelemetry."""

from __future__ import annotations

import email
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MODULES = [
    "agentstate",
    "agentstate.semconv",
    "agentstate.receiver",
    "agentstate.processors",
    "agentstate.api",
    "agentstate.ui",
    "agentstate.cli",
]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(ROOT)],
        check=True,
        timeout=300,
    )
    (whl,) = out.glob("agentstate_sdk-*.whl")
    return whl


def test_wheel_imports_every_subpackage(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
        check=True,
        timeout=300,
    )
    code = (
        "import importlib, sys; mods = sys.argv[1:]; "
        "files = [importlib.import_module(m).__file__ for m in mods]; print('\\n'.join(files))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, *MODULES],
        env={"PYTHONPATH": str(target)},
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    ).stdout.split()
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
    out = subprocess.run(
        [sys.executable, "-m", "agentstate.cli", "up", "--help"], capture_output=True, text=True, check=True
    )
    for needle in ("--data-dir", "AGENTSTATE_REDIS_URL", "AGENTSTATE_CLICKHOUSE_URL", "AGENTSTATE_BOOTSTRAP_API_KEY"):
        assert needle in out.stdout
    for cmd in (["receiver"], ["worker", "writer"], ["migrate"], ["api"], ["ui"]):
        res = subprocess.run([sys.executable, "-m", "agentstate.cli", *cmd, "--help"], capture_output=True, text=True)
        assert res.returncode == 0 and "AGENTSTATE_" in res.stdout


def test_compiled_build_runs_the_processor_tests(tmp_path: Path) -> None:
    """``AGENTSTATE_COMPILE=1`` builds the hot processor modules with mypyc; the processors' and
    detectors' own tests then pass against the compiled modules (mypyc checks declared types at run
    time, so a mistyped value would fail here rather than in a worker)."""
    pytest.importorskip("mypyc")
    if shutil.which("cc") is None or not (Path(sysconfig.get_paths()["include"]) / "Python.h").exists():
        pytest.skip("no C compiler or Python headers: the compiled build is optional")
    out = tmp_path / "dist"
    env = {**os.environ, "AGENTSTATE_COMPILE": "1"}
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(ROOT)],
        check=True,
        timeout=900,
        env=env,
        capture_output=True,
    )
    (whl,) = out.glob("agentstate_sdk-*.whl")
    names = zipfile.ZipFile(whl).namelist()
    compiled = {n.split("/")[-1].split(".")[0] for n in names if n.startswith("agentstate/") and n.endswith(".so")}
    assert {"normalize", "engine", "injection", "otlp_rows"} <= compiled, compiled
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(whl)],
        check=True,
        timeout=300,
    )
    probe = "import agentstate.processors.normalize as m; print(m.__file__)"
    where = subprocess.run(
        [sys.executable, "-c", probe],
        env={**os.environ, "PYTHONPATH": str(target)},
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    ).stdout
    assert where.strip().endswith(".so") and where.startswith(str(target)), where
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", "tests/processors", "tests/semconv"],
        env={**os.environ, "PYTHONPATH": f"{target}{os.pathsep}{ROOT}"},
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=900,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
