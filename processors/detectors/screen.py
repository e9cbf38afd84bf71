"""Tier 0: the injection and jailbreak rules compiled into one Hyperscan database, scanned once per text.

Hyperscan reports which rules can match (``HS_FLAG_SINGLEMATCH``: one report per rule is enough);
Python ``re`` then runs only those rules, to confirm the match and find where it lies for the
alert's evidence. Patterns Hyperscan cannot compile exactly (lookarounds) are compiled with
``HS_FLAG_PREFILTER``, which may report a superset of their matches — the confirmation removes the
extra ones. Without the ``hyperscan`` package every rule runs in Python (same verdicts, slower).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any, Final

from agentstate.processors.detectors.injection_rules import INDIRECT_RULES, NEGATIONS, RULES, Rule

ALL_RULES: Final[tuple[Rule, ...]] = (*RULES, *INDIRECT_RULES)
"""Every rule, direct ones first (a rule's position is its Hyperscan id and its classifier feature)."""
DIRECT_COUNT: Final = len(RULES)
BLANKS: Final = len(ALL_RULES)
"""Hyperscan id of one more pattern beside the rules: two spaces in a row, or a tab, vertical tab,
form feed or carriage return (what :func:`~.injection_rules.collapse` changes). ``prepare.py`` scans a
text before collapsing its blanks and collapses and scans again only where this is reported."""
_BLANKS_PATTERN: Final = r"  |[\x09\x0b\x0c\x0d]"  # hex: PCRE's ``\v`` is every vertical space, newlines too


@dataclass(frozen=True, slots=True)
class Hit:
    """A rule that matched, with its position in the normalised text."""

    rule: Rule
    start: int
    end: int


def _collect(rule_id: int, _from: int, _to: int, _flags: int, found: list[int]) -> None:
    found.append(rule_id)


@cache
def _database() -> Any:
    """The compiled rules, or ``None`` when Hyperscan is not installed (built once per process)."""
    try:
        import hyperscan as hs
    except ImportError:  # pragma: no cover - the server extra installs it
        return None
    patterns, flags = [], []
    for rule in ALL_RULES:
        patterns.append(screened(rule).encode())
        # lookarounds cannot be compiled exactly: approximate them here, confirm with re
        flags.append(hs.HS_FLAG_SINGLEMATCH | (hs.HS_FLAG_PREFILTER if needs_prefilter(rule) else 0))
    patterns.append(_BLANKS_PATTERN.encode())
    flags.append(hs.HS_FLAG_SINGLEMATCH)
    db = hs.Database(mode=hs.HS_MODE_BLOCK)
    db.compile(expressions=patterns, ids=list(range(len(patterns))), elements=len(patterns), flags=flags)
    return db


def screened(rule: Rule) -> str:
    """What Hyperscan scans for ``rule``: its :attr:`~.injection_rules.Rule.screen` or its pattern."""
    return rule.pattern.pattern if rule.screen is None else rule.screen


def needs_prefilter(rule: Rule) -> bool:
    """Whether what is screened for ``rule`` holds a lookaround or backreference (Hyperscan approximates those)."""
    return any(token in screened(rule) for token in _INEXACT)


_INEXACT: Final = ("(?=", "(?!", "(?<=", "(?<!", "\\1", "(?P=")


def scan(data: bytes) -> list[int] | None:
    """Every id Hyperscan reports for ``data`` (positions in :data:`ALL_RULES`, and :data:`BLANKS`),
    unordered; ``None`` without the ``hyperscan`` package."""
    db = _database()
    if db is None:
        return None
    found: list[int] = []
    db.scan(data, _collect, 0, found)  # (handler, flags, context) positionally: keywords cost ~0.5 µs a call
    return found


def candidates(data: bytes, limit: int) -> list[int]:
    """Positions in :data:`ALL_RULES` (below ``limit``) of the rules Hyperscan says may match ``data``."""
    found = scan(data)
    if found is None:
        return list(range(limit))
    return sorted(i for i in found if i < limit)


def rule_hits(norm: str, data: bytes, limit: int, *, precheck: bool = True) -> tuple[Hit, ...]:
    """The rules among the first ``limit`` of :data:`ALL_RULES` that match the normalised text.

    Args:
        norm: Normalised text (:func:`~agentstate.processors.detectors.injection_rules.normalize_text`).
        data: The same text as UTF-8 bytes (what Hyperscan scans).
        limit: :data:`DIRECT_COUNT` for user input, ``len(ALL_RULES)`` for data.
        precheck: Run only the rules Hyperscan reports (``False`` runs every pattern; for tests).
    """
    return confirm(norm, candidates(data, limit) if precheck else range(limit))


def confirm(norm: str, order: Iterable[int]) -> tuple[Hit, ...]:
    """The rules at positions ``order`` of :data:`ALL_RULES` that ``re`` finds in ``norm``, in that order."""
    hits = []
    for i in order:
        rule = ALL_RULES[i]
        if (m := search(rule, norm)) is not None:
            hits.append(Hit(rule, m.start(), m.end()))
    return tuple(hits)


def search(rule: Rule, text: str) -> re.Match[str] | None:
    """The first match of ``rule`` that is not negated."""
    if not rule.negatable:
        return rule.pattern.search(text)
    for m in rule.pattern.finditer(text):
        if not text[max(0, m.start() - 8) : m.start()].endswith(NEGATIONS):
            return m
    return None


def rule_score(hits: tuple[Hit, ...], indirect: bool) -> float:
    """Tier-0 score: the summed weights of the hits (indirect rules and weights only for data)."""
    total = 0.0
    for h in hits:
        if indirect:
            total += h.rule.indirect_weight if h.rule.indirect_weight is not None else h.rule.weight
        elif not h.rule.id.startswith("indirect."):
            total += h.rule.weight
    return total
