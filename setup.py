"""Optional native build of the stream processors' hot modules with mypyc.

Everything is declared in ``pyproject.toml``; this file only adds extension modules when the
build is asked for them::

    pip install mypy setuptools wheel
    AGENTSTATE_COMPILE=1 pip install --no-build-isolation ".[server]"

mypyc compiles the same strictly typed Python (no second source to keep in step), as black and
mypy ship themselves. Only server-side modules that run once per span are compiled: the SDK and
everything a user may patch or subclass stay plain Python, and a default build (and every
editable install, where a compiled module would shadow edits to its source) is pure Python.
``bench/ingest.py`` prints which one it measured.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from setuptools import setup

HOT_MODULES = (
    "processors/attr_values.py",
    "processors/normalize.py",
    "processors/normalize_messages.py",
    "processors/span_view.py",
    "processors/otlp_rows.py",
    "processors/detectors/alert.py",
    "processors/detectors/anomaly.py",
    "processors/detectors/baselines.py",
    "processors/detectors/engine.py",
    "processors/detectors/injection.py",
    "processors/detectors/leakage.py",
    "processors/detectors/loops.py",
)
"""Source paths, relative to the repository root (``processors/`` is ``agentstate.processors``)."""


def _ext_modules() -> list[object]:
    if os.environ.get("AGENTSTATE_COMPILE", "") != "1":
        return []
    from mypyc.build import mypycify

    # mypyc names a module after its path, and ours live in folders named for the data path
    # (``processors/`` is ``agentstate.processors``): compile a copy laid out as the import names.
    root = Path(__file__).resolve().parent
    tree = root / "build" / "mypyc-src"
    shutil.rmtree(tree, ignore_errors=True)
    for pkg, src in (("agentstate", "sdk"), ("agentstate/semconv", "semconv"),
                     ("agentstate/processors", "processors")):  # fmt: skip
        shutil.copytree(root / src, tree / pkg, ignore=shutil.ignore_patterns("__pycache__", "cli", "_internal"),
                        dirs_exist_ok=True)
    paths = [str(tree / "agentstate" / p) for p in HOT_MODULES]
    return list(mypycify(paths, opt_level="3", target_dir=str(root / "build" / "mypyc-c")))


setup(ext_modules=_ext_modules())
