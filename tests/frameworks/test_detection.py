"""Detection in a fresh interpreter: nothing is imported at ``init()``, a later import is
instrumented by the import hook, and each integration can be switched off."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest

pytest.importorskip("openai")
pytest.importorskip("opentelemetry.instrumentation.openai_v2")

SCRIPT = """
import json, os, sys
import agentstate
from agentstate._internal import integrations
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
agentstate.init(span_exporter=InMemorySpanExporter(), spool_dir="off", {args})
anthropic_off = os.environ.get("ANTHROPIC_OPEN_TELEMETRY")
heavy = [m for m in ("openai", "anthropic", "langchain_core", "autogen_core", "crewai",
                     "opentelemetry.instrumentation.openai_v2", "openinference") if m in sys.modules]
import openai, langchain_core
active = integrations.active()
def is_wrapped():  # openai-v2 wraps with wrapt
    return hasattr(vars(openai.resources.chat.completions.Completions)["create"], "_self_wrapper")
wrapped = is_wrapped()
agentstate.shutdown()
unwrapped = not is_wrapped()
print(json.dumps({{"anthropic_off": anthropic_off, "env_after": os.environ.get("ANTHROPIC_OPEN_TELEMETRY"),
                  "imported_at_init": heavy, "active": active, "wrapped": wrapped,
                  "after_shutdown": integrations.active(), "unwrapped": unwrapped}}))
"""


def _run(env: dict[str, str], args: str = "") -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT.format(args=args)],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("env", "args", "active", "anthropic_on"),
    [
        pytest.param({}, "", ["openai", "langchain"], True, id="all-by-default"),
        pytest.param({"AGENTSTATE_DISABLE_OPENAI": "true"}, "", ["langchain"], True, id="disable-variable"),
        pytest.param({"AGENTSTATE_INTEGRATIONS": "none"}, "", [], False, id="integrations-none"),
        pytest.param({"AGENTSTATE_INTEGRATIONS": "langgraph"}, "", ["langchain"], False, id="alias-list"),
        pytest.param({}, "integrations={'langchain': False}", ["openai"], True, id="argument-mapping"),
        pytest.param({}, "integrations=False", [], False, id="argument-off"),
    ],
)
def test_later_import_is_instrumented_and_switches_work(
    env: dict[str, str], args: str, active: list[str], anthropic_on: bool
) -> None:
    got = _run(env, args)
    assert got["imported_at_init"] == []
    assert got["active"] == active
    assert got["wrapped"] is ("openai" in active)
    assert got["after_shutdown"] == []
    assert got["unwrapped"] is True
    # the anthropic SDK traces itself: disabling the integration sets its own off switch, for
    # the life of the SDK pipeline only
    assert got["anthropic_off"] == (None if anthropic_on else "false")
    assert got["env_after"] is None
