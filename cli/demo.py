"""The demo of ``agentstate up --demo``: the plain-Python example agent, run once.

The traces are those of a real agent, :mod:`agentstate.cli.demo_agent` (what
``examples/plain_python.py`` runs): five questions to the travel assistant, each an
``invoke_agent travel-assistant`` trace of a router ``chat``, an ``execute_tool`` and an answer
``chat``; the fourth question is a prompt injection whose tool call is refused (an error span). It
runs offline, against its scripted model, in a child process, so the SDK's global tracer provider
never lives in the ``up`` process.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time


def run_demo(endpoint: str, api_key: str, traces: int = 5) -> int:
    """Run the example agent ``traces`` times against ``endpoint``; its spans are flushed on return.

    Args:
        endpoint: Receiver base URL (``http://127.0.0.1:4318``).
        api_key: Ingest key of the project the traces go to.
        traces: How many questions to ask (the demo's five, cycled).

    Returns:
        The agent's exit code; its output is printed only when it fails.
    """
    # The SDK's own settings come from these arguments alone (no spool: nothing from an earlier
    # run is replayed into the demo project).
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AGENTSTATE_", "OTEL_"))}
    env.update(AGENTSTATE_COLLECTOR_URL=endpoint, AGENTSTATE_API_KEY=api_key, AGENTSTATE_SPOOL_DIR="off")
    command = [sys.executable, "-m", "agentstate.cli.demo_agent", "--offline", "--runs", str(traces)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, check=False)
    if done.returncode:
        print(done.stdout + done.stderr, file=sys.stderr, flush=True)
    return done.returncode


def wait_until_persisted(redis_url: str, timeout: float) -> bool:
    """Wait until the writer group has nothing pending or unread on the span stream."""
    import redis

    from agentstate.semconv.streams import SPANS_STREAM, WRITER_GROUP

    client = redis.Redis.from_url(redis_url)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            for g in client.xinfo_groups(SPANS_STREAM):
                name = g["name"].decode() if isinstance(g["name"], bytes) else g["name"]
                if name == WRITER_GROUP and int(g.get("pending", 0)) == 0 and int(g.get("lag") or 0) == 0:
                    return True
            time.sleep(0.3)
    finally:
        client.close()
    return False
