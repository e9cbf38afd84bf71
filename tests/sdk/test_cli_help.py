"""``agentstate --help`` and the READMEs tell a new user what actually works."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("command", ["up", "api", "receiver"])
def test_help_lists_every_port_variable(command: str) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "agentstate.cli", command, "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    for var in ("_HTTP_PORT", "_GRPC_PORT", "AGENTSTATE_API_PORT", "AGENTSTATE_UI_PORT"):
        assert var in out, var


@pytest.mark.parametrize("readme", ["README.md", "sdk/README.md"])
def test_install_instructions_work_before_pypi(readme: str) -> None:
    text = (ROOT / readme).read_text()
    assert "agentstate-sdk @ git+https://" in text
    # the PyPI line may stay, but only as the future form
    for m in re.finditer(r"pip install agentstate-sdk\b", text):
        context = text[max(0, m.start() - 80) : m.end() + 40].lower()
        assert "once" in context or "published" in context, context


def test_readme_lists_port_variables() -> None:
    text = (ROOT / "README.md").read_text()
    assert "AGENTSTATE_API_PORT" in text and "AGENTSTATE_UI_PORT" in text
