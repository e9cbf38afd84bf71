"""chDB's start-up pages are given back, and the engine works on after it."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from agentstate.processors.chdb_pages import library_ranges

MAPS = """\
55d0c0000000-55d0c0001000 r--p 00000000 fd:01 1 /usr/bin/python3.11
7f0000000000-7f0000100000 r--p 00000000 fd:01 2 /venv/site-packages/chdb/_chdb.abi3.so
7f0000100000-7f0000900000 r-xp 00100000 fd:01 2 /venv/site-packages/chdb/_chdb.abi3.so
7f0000900000-7f0000a00000 rw-p 00900000 fd:01 2 /venv/site-packages/chdb/_chdb.abi3.so
7f0000a00000-7f0000b00000 rw-p 00000000 00:00 0
7f0000b00000-7f0000c00000 r-xp 00000000 fd:01 3 /venv/site-packages/chdb_helper/other.so
"""


def test_library_ranges_takes_the_read_only_mappings_of_that_file_only() -> None:
    assert library_ranges(MAPS) == [(0x7F0000000000, 0x7F0000100000), (0x7F0000100000, 0x7F0000900000)]


SCRIPT = textwrap.dedent(
    """
    import os, tempfile
    import chdb
    from agentstate.processors.chdb_pages import release_startup_pages

    def resident(fields):
        kb, mine = 0, False
        for line in open("/proc/self/smaps"):
            head = line.split()
            if "-" in head[0] and not head[0].endswith(":"):
                mine = len(head) > 5 and "_chdb" in head[5]
            elif head[0] in fields and mine:
                kb += int(head[1])
        return kb

    conn = chdb.connect(tempfile.mkdtemp())
    conn.query("CREATE TABLE t (x UInt64) ENGINE = MergeTree ORDER BY x")
    before = resident(("Rss:",))
    asked = release_startup_pages()
    private = resident(("Private_Clean:", "Private_Dirty:"))
    conn.query("INSERT INTO t SELECT number FROM numbers(100000)")
    total = str(conn.query("SELECT sum(x) FROM t", "CSV")).strip()
    print(before, asked, private, total)
    """
)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux only")
def test_pages_are_released_and_chdb_still_works() -> None:
    pytest.importorskip("chdb")
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120, check=True)
    before, asked, private, total = out.stdout.split()
    if int(asked) == 0:
        pytest.skip("madvise(MADV_PAGEOUT) not available on this kernel")
    assert int(before) > 100_000  # KiB: start-up leaves well over 100 MB of the library resident
    # the kernel keeps pages another process maps too (this pytest process may have loaded chDB):
    # what must go is every page only the child held
    assert int(private) < 16_384
    assert total == str(sum(range(100_000)))
