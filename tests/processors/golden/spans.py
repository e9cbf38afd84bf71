"""The spans the golden tests normalise: every span of every file in ``../shared/data/otlp``, the
hand-written per-dialect spans in ``dialect_spans.json`` and those added since (``added_spans.json``).

Each case is ``(case_id, span_name, attributes)`` with attributes as the processors decode them
(plain Python values). The logs and metrics examples hold no spans and add no case.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from agentstate.semconv.span_record import NormalizedSpan
from tests.conftest import SHARED_DATA
from tests.processors import otlp_json

HERE = Path(__file__).resolve().parent
GOLDEN = HERE / "normalized.json"
"""``case_id -> NormalizedSpan as JSON`` captured from the normaliser before the dialect table."""

HANDWRITTEN = HERE / "dialect_spans.json"
"""Hand-written spans, one per dialect quirk, captured in :data:`GOLDEN`."""

ADDED = HERE / "added_spans.json"
"""Spans added after the capture (a new dialect or rule adds its spans here), each with the fields it
must normalise to; the chDB test checks them like the others."""

Case = tuple[str, str, dict[str, Any]]


def shared_cases(root: Path = SHARED_DATA / "otlp") -> Iterator[Case]:
    """Every span of every shared OTLP file (nothing when the folder is absent)."""
    if not root.is_dir():
        return
    for path in sorted(root.iterdir()):
        if path.suffix == ".jsonl":
            yield from _cassette_cases(path)
        elif path.suffix == ".json" and path.name != "PROVENANCE.json":
            yield from _json_cases(path)


def handwritten_cases() -> Iterator[Case]:
    """The hand-written dialect spans (always present: they ship with the tests)."""
    for case in json.loads(HANDWRITTEN.read_text()):
        yield f"{HANDWRITTEN.name}:{case['id']}", case["name"], case["attributes"]


def added_cases() -> Iterator[tuple[str, str, dict[str, Any], dict[str, Any]]]:
    """The spans added after the capture, with their expected fields (as :func:`to_json` gives them)."""
    for case in json.loads(ADDED.read_text()):
        yield f"{ADDED.name}:{case['id']}", case["name"], case["attributes"], case["expected"]


def all_cases() -> list[Case]:
    """Shared cases first, then hand-written ones, then the added ones."""
    added = [(case_id, name, attributes) for case_id, name, attributes, _ in added_cases()]
    return [*shared_cases(), *handwritten_cases(), *added]


def _json_cases(path: Path) -> Iterator[Case]:
    data = json.loads(path.read_text())
    if isinstance(data, dict) and "resourceSpans" in data:
        for i, span in enumerate(otlp_json.spans(data)):
            yield f"{path.name}:{i}:{span.get('spanId', '')}", span.get("name", ""), span["attributes"]
    elif isinstance(data, list):  # ReadableSpan-like JSON (OpenInference's Vercel fixtures)
        for i, span in enumerate(data):
            yield f"{path.name}:{i}:{span['spanContext']['spanId']}", span["name"], span["attributes"]
    elif isinstance(data, dict) and not any(k in data for k in ("resourceLogs", "resourceMetrics")):
        yield f"{path.name}:0", "", data  # a bare attribute map


def _cassette_cases(path: Path) -> Iterator[Case]:
    from tests.processors.test_normalize import openllmetry_attributes

    pairs = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    for generation in ("legacy", "current"):
        for i, pair in enumerate(pairs):
            yield f"{path.name}:{generation}:{i}", "openai.chat", openllmetry_attributes(pair, generation)


def to_json(span: NormalizedSpan) -> dict[str, Any]:
    """Every field of ``span`` as JSON values (enums by value, records as dicts, tuples as lists)."""
    return {name: _plain(getattr(span, name)) for name in NormalizedSpan.__dataclass_fields__}


def _plain(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if hasattr(value, "__dataclass_fields__"):
        return {name: _plain(getattr(value, name)) for name in value.__dataclass_fields__}
    return value
