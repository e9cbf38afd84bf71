"""The SQLite spool: FIFO, durable across reopen, byte-capped with counted eviction, corruption-proof."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from agentstate._internal.spool import LEASE_SECONDS, Spool, SpoolError, spool_file_name
from tests.sdk.readonly import read_only_folder


def _open(tmp_path: Path, max_bytes: int = 10_000, evicted: list[int] | None = None) -> Spool:
    sink = evicted if evicted is not None else []
    return Spool(tmp_path / "spool" / "t.sqlite3", max_bytes, sink.append)


def test_fifo_claim_delete_release(tmp_path: Path) -> None:
    spool = _open(tmp_path)
    spool.put(b"first", 1)
    spool.put(b"second", 2)
    row = spool.claim()
    assert row is not None and (row.body, row.spans) == (b"first", 1)
    other = spool.claim()
    assert other is not None and other.body == b"second"  # the first is leased
    assert spool.claim() is None
    spool.release(row.id)
    again = spool.claim()
    assert again is not None and again.id == row.id
    spool.delete(row.id)
    spool.delete(other.id)
    assert spool.counts() == (0, 0, 0)
    spool.close()


def test_batches_survive_reopen(tmp_path: Path) -> None:
    spool = _open(tmp_path)
    spool.put(b"kept", 5)
    spool.close()
    reopened = _open(tmp_path)
    assert reopened.counts() == (1, 5, 4)
    row = reopened.claim()
    assert row is not None and row.body == b"kept"
    reopened.close()


def test_byte_cap_evicts_oldest_and_counts(tmp_path: Path) -> None:
    evicted: list[int] = []
    spool = _open(tmp_path, max_bytes=25, evicted=evicted)
    for i in range(5):
        spool.put(bytes([i]) * 10, i + 1)
    assert spool.counts() == (2, 4 + 5, 20)
    assert evicted == [1, 2, 3]
    spool.put(b"x" * 26, 7)  # alone larger than the cap: dropped and counted
    assert evicted == [1, 2, 3, 7]
    row = spool.claim()
    assert row is not None and row.body == bytes([3]) * 10
    spool.close()


@pytest.mark.parametrize(
    "corruption",
    [
        pytest.param("UPDATE batches SET body = x'00ff' WHERE id = 2", id="bad-crc"),
        pytest.param("UPDATE batches SET body = 'text' WHERE id = 2", id="wrong-type"),
        pytest.param("UPDATE batches SET spans = 'many' WHERE id = 2", id="bad-count"),
    ],
)
def test_corrupted_row_is_reported_not_fatal(tmp_path: Path, corruption: str) -> None:
    spool = _open(tmp_path)
    for body in (b"a", b"b", b"c"):
        spool.put(body, 1)
    with sqlite3.connect(spool.path) as db:
        db.execute(corruption)
    bodies = []
    while (row := spool.claim()) is not None:
        bodies.append(row.body)
        spool.delete(row.id)
    assert bodies == [b"a", None, b"c"]
    spool.close()


def test_a_file_that_is_not_a_database_is_moved_aside(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "spool" / "t.sqlite3"
    path.parent.mkdir()
    path.write_bytes(b"this is not sqlite" * 100)
    spool = _open(tmp_path)
    spool.put(b"fresh", 1)
    assert spool.counts() == (1, 1, 5)
    assert [p.name for p in path.parent.iterdir() if ".corrupt-" in p.name]
    assert "not a valid database" in caplog.text
    spool.close()


def test_read_only_folder_raises_spool_error(tmp_path: Path) -> None:
    folder = read_only_folder(tmp_path)
    with pytest.raises(SpoolError):
        Spool(folder / "t.sqlite3", 1000)


def test_unwritable_location_raises_spool_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("a file where a folder should be")
    with pytest.raises(SpoolError):
        Spool(blocker / "sub" / "t.sqlite3", 1000)


def test_leases_of_a_dead_process_are_released_on_open(tmp_path: Path) -> None:
    spool = _open(tmp_path)
    spool.put(b"orphan", 1)
    spool.close()
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True
    )
    with sqlite3.connect(tmp_path / "spool" / "t.sqlite3") as db:
        db.execute("UPDATE batches SET owner = ?, lease_until = 1e12", (int(dead.stdout),))
    reopened = _open(tmp_path)
    row = reopened.claim()
    assert row is not None and row.body == b"orphan"
    reopened.close()


def test_leases_of_a_live_process_are_respected(tmp_path: Path) -> None:
    spool = _open(tmp_path)
    spool.put(b"busy", 1)
    spool.close()
    with sqlite3.connect(tmp_path / "spool" / "t.sqlite3") as db:
        db.execute("UPDATE batches SET owner = 1, lease_until = ?", (2e9 + LEASE_SECONDS,))
    reopened = _open(tmp_path)
    assert reopened.claim() is None
    reopened.close()


def test_file_name_depends_on_destination_and_hides_the_key() -> None:
    names = {spool_file_name("http://a/v1/traces", "as_key1"), spool_file_name("http://a/v1/traces", "as_key2"),
             spool_file_name("http://b/v1/traces", "as_key1")}  # fmt: skip
    assert len(names) == 3
    assert not any("as_key" in name for name in names)
