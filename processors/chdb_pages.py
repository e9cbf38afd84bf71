"""Give back the pages of chDB's library that only its start-up touched (Linux).

chDB is one shared object of ~555 MB, ~390 MB of it code. Importing it runs the static initialisers
spread through that code, and with the kernel's fault-around ~200 MB of it stays resident in the
process, followed by ~90 MB of read-only data: ~300 MB of the writer's ~1.1 GB peak RSS at full load
(``bench/ingest.py``, per-mapping ``smaps``). What inserts, merges and queries run afterwards is ~100
MB of it. ``madvise(MADV_PAGEOUT)`` on the library's read-only mappings once the schema is ready lets
the kernel drop the rest; what is used again is read back from the file on first use. These are clean
file pages, so nothing is lost, and the process's anonymous memory is unchanged.

Measured in process (20 inserts of 10k bench spans with queries between): the library's resident
pages 292 MB after start-up and migration, 11 MB right after this call, 116 MB from then on.

No library does this; ``mmap.madvise`` needs an ``mmap`` object of our own, so this goes through
``ctypes``. Anywhere it cannot run (not Linux, a kernel before 5.4, no such mapping) it does nothing.
"""

from __future__ import annotations

import ctypes
import logging
import sys
from pathlib import Path
from typing import Final

log = logging.getLogger(__name__)

MADV_PAGEOUT: Final = 21
"""``<linux/mman.h>``: reclaim these pages now (Linux 5.4)."""


def library_ranges(maps: str, name: str = "_chdb") -> list[tuple[int, int]]:
    """``(start, end)`` of each read-only mapping (code included) of a file whose name holds ``name``,
    from the text of ``/proc/self/maps``."""
    out = []
    for line in maps.splitlines():
        parts = line.split(maxsplit=5)
        if len(parts) == 6 and "w" not in parts[1] and name in Path(parts[5]).name:
            start, end = (int(x, 16) for x in parts[0].split("-"))
            out.append((start, end))
    return out


def release_startup_pages(name: str = "_chdb") -> int:
    """Ask the kernel to drop the resident pages of the library's read-only mappings; the bytes asked for."""
    if not sys.platform.startswith("linux"):
        return 0
    try:
        ranges = library_ranges(Path("/proc/self/maps").read_text(), name)
        libc = ctypes.CDLL(None, use_errno=True)
        libc.madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
        done = 0
        for start, end in ranges:
            if libc.madvise(start, end - start, MADV_PAGEOUT) != 0:
                log.debug("madvise(MADV_PAGEOUT) failed: errno %d", ctypes.get_errno())
                return done
            done += end - start
        return done
    except (OSError, AttributeError, ValueError) as exc:  # no /proc, no libc symbol, odd maps line
        log.debug("could not release chDB's start-up pages: %s", exc)
        return 0
