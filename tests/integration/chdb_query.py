"""Run one read-only query against a chDB directory in a fresh process and print JSON rows.

chDB allows one engine path per process, so tests that check another data directory (after its
writer stopped) query it from a subprocess.
"""

from __future__ import annotations

import json
import sys

import clickhouse_connect

if __name__ == "__main__":
    path, sql = sys.argv[1], sys.argv[2]
    client = clickhouse_connect.get_client(dsn=f"chdb://{path}")
    print(json.dumps([list(r) for r in client.query(sql).result_rows], default=str))
