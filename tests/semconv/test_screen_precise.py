"""Batched screening with ``precise``: after the first text that matches, each text's candidates are its own."""

from __future__ import annotations

import pytest

from agentstate.semconv._screen import _hs
from agentstate.semconv.redaction import DEFAULT_REDACTOR

pytestmark = pytest.mark.skipif(_hs is None, reason="hyperscan not installed: every text is screened alone")

TEXTS = [
    "the weather is fine today, nothing to report",
    "mail the report to jane.doe@example.com before noon",
    *["the flight leaves at noon and the hotel is booked"] * 4,
    "call me on 415-555-0199 tonight, password = 'S3cr3t!pw'",
    "thanks, that is all for today",
]


def _scanner():  # type: ignore[no-untyped-def]
    DEFAULT_REDACTOR.find("warm up 415-555-0199")
    scanner = DEFAULT_REDACTOR._scanner
    assert scanner is not None
    scanner.screen._compile()  # the batched path, not the per-text fallback of a database still compiling
    return scanner


def test_precise_candidates_after_the_first_hit_are_each_texts_own() -> None:
    scanner = _scanner()
    alone = [scanner.scan(text) for text in TEXTS]
    batched = scanner.scan_many(TEXTS)
    precise = scanner.scan_many(TEXTS, precise=True)
    # The first text a pattern may match in keeps what the one call says (a pattern of unbounded
    # width may have started anywhere before its match ended: the first text, with offset 0) ...
    assert precise[0] == batched[0]
    # ... every later text gets exactly what it gets alone, where one call hands each hit on to them all.
    assert precise[1:] == alone[1:]
    assert batched[2:] != alone[2:]
    for (rules, gates), (all_rules, all_gates) in zip(precise, batched, strict=True):
        assert rules.keys() <= all_rules.keys() and gates <= all_gates


def test_precise_finds_the_same() -> None:
    _scanner()
    found = DEFAULT_REDACTOR.find_many(TEXTS, precise=True)
    assert found == DEFAULT_REDACTOR.find_many(TEXTS) == [DEFAULT_REDACTOR.find(text) for text in TEXTS]
    assert [bool(f) for f in found] == [False, True, False, False, False, False, True, False]
