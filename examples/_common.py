"""What every example shares: start the fake LLM server unless a real provider key is set."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def fake_llm_url(key_var: str) -> str | None:
    """Base URL of a fake LLM server started in this process, or ``None`` when ``key_var`` is set.

    With the provider's API key in the environment the example talks to the real service;
    otherwise it runs offline against ``tests/frameworks/fake_llm.py`` on 127.0.0.1.
    """
    if os.environ.get(key_var):
        return None
    sys.path.insert(0, str(ROOT))
    from tests.frameworks.fake_llm import FakeLLMServer

    server = FakeLLMServer().start()
    os.environ[key_var] = "fake-key"
    return server.root_url


def question() -> str:
    """The user's question: the first command-line argument, else a weather question."""
    return sys.argv[1] if len(sys.argv) > 1 else "What is the weather in Paris?"
