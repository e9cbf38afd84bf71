"""Server processes run with the cyclic GC tuned for batch work (``cli._tune_gc``)."""

from __future__ import annotations

import subprocess
import sys

from agentstate.cli import GC_THRESHOLDS


def test_a_server_command_runs_with_tuned_gc_thresholds() -> None:
    # the same path every server command takes (receiver, writer, workers): _until_stopped
    code = (
        "import asyncio, gc\n"
        "from agentstate.cli import _until_stopped\n"
        "async def serve(stop):\n"
        "    print(gc.get_threshold(), gc.get_freeze_count() > 0)\n"
        "asyncio.run(_until_stopped(serve))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == f"{GC_THRESHOLDS} True"
    assert GC_THRESHOLDS[0] > 700  # the default would undo the point
