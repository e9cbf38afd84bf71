"""A tiny instrumented application driven by ``test_crash_recovery`` in a subprocess.

python crash_app.py COLLECTOR_URL SPOOL_DIR emit N     # emit N spans, flush, print stats, wait
python crash_app.py COLLECTOR_URL SPOOL_DIR drain      # wait until the spool is empty, print stats
python crash_app.py COLLECTOR_URL SPOOL_DIR exit N     # emit N spans and exit normally

The ingest key comes from ``CRASH_APP_API_KEY`` (default ``as_test``).
"""

from __future__ import annotations

import json
import os
import sys
import time

import agentstate
from agentstate import observe


@observe(kind="tool")
def step(i: int) -> int:
    return i


def main() -> None:
    url, spool, mode = sys.argv[1], sys.argv[2], sys.argv[3]
    key = os.environ.get("CRASH_APP_API_KEY", "as_test")
    agentstate.init(collector_url=url, spool_dir=spool, api_key=key, service_name="crash-app", flush_timeout=1.0)
    if mode in ("emit", "exit"):
        for i in range(int(sys.argv[4])):
            step(i)
            if mode == "emit" and i % 500 == 499:
                agentstate.flush()  # keep the batch queue from overflowing while the collector is down
        if mode == "exit":
            return
        agentstate.flush()
        print(json.dumps(agentstate.stats()), flush=True)
        time.sleep(600)
    elif mode == "drain":
        deadline = time.monotonic() + 60
        while agentstate.stats().get("spool_spans", 1) > 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        print(json.dumps(agentstate.stats()), flush=True)


if __name__ == "__main__":
    main()
