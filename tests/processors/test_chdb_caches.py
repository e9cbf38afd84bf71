"""Embedded chDB starts with its caches capped (``CHDB_CACHES``), not ClickHouse's server defaults."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from agentstate.processors.clickhouse import CHDB_CACHES

_PROBE = """
import json, sys
from agentstate.processors.clickhouse import connect
client = connect("chdb://" + sys.argv[1])
rows = client.query("SELECT name, value FROM system.server_settings").result_rows
print(json.dumps(dict(rows)))
"""


def test_embedded_chdb_caches_are_capped(tmp_path: Path) -> None:
    # a process of its own: chDB's server settings are fixed when its engine starts, once per process
    out = subprocess.run(
        [sys.executable, "-c", _PROBE, str(tmp_path / "ch")], capture_output=True, text=True, timeout=120, check=True
    )
    settings = json.loads(out.stdout.strip().splitlines()[-1])
    assert {k: settings[k] for k in CHDB_CACHES} == CHDB_CACHES
    assert int(settings["mark_cache_size"]) <= 256 * 1024 * 1024
