"""The receiver's start-up: a port already in use is one clear error and a prompt non-zero exit."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

from tests.conftest import SECRET, Valkey, free_port


def test_a_taken_http_port_stops_the_receiver_with_one_clear_error(valkey: Valkey, tmp_path: Path) -> None:
    port = free_port()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", port))
        taken.listen()
        env = {
            **os.environ,
            "AGENTSTATE_REDIS_URL": valkey.url,
            "AGENTSTATE_SECRET_KEY": SECRET,
            "AGENTSTATE_HTTP_PORT": str(port),
            "AGENTSTATE_GRPC_PORT": "0",
        }
        proc = subprocess.run(
            [sys.executable, "-m", "agentstate.cli", "receiver"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out
    assert "address already in use" in out and f"could not serve OTLP/HTTP on 127.0.0.1:{port}" in out, out
    # it never claimed to listen, and it stopped itself (no SystemExit traceback out of the event loop)
    assert "receiver listening" not in out and "Traceback" not in out, out
