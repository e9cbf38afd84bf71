"""``python bench/query.py`` runs from a fresh checkout at its smallest size (it once failed: no trace_roots)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

_ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_query_bench_runs_at_its_smallest_size() -> None:
    proc = subprocess.run(
        [sys.executable, str(_ROOT / "bench" / "query.py"), "--spans", "200", "--iterations", "1"],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=_ROOT,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "trace list, first page" in proc.stdout and "cost by model/hour" in proc.stdout, proc.stdout
