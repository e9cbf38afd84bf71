"""A folder no file can be created in, for this process, even when it runs as root (as CI does)."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

_KERNEL_READ_ONLY = Path("/sys")
"""sysfs: the kernel creates no regular file there for anyone, root included."""


def read_only_folder(tmp_path: Path) -> Path:
    """A 0o500 folder for an ordinary user; for root, who ignores permission bits, sysfs.

    The folder is probed before it is returned, so a test using it can never pass by testing nothing.
    """
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        folder = _KERNEL_READ_ONLY
    else:
        folder = tmp_path / "ro"
        folder.mkdir(mode=0o500)
    probe = folder / f"probe-{uuid.uuid4().hex}"
    try:
        probe.touch(exist_ok=False)
    except OSError:
        return folder
    probe.unlink()
    pytest.fail(f"{folder} accepts new files: no read-only folder to test with")
