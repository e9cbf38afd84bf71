"""One pass over a text for both tiers: clip, normalise, tier-0 rule hits, token stream.

Serving (``injection.py``) and training (``train.py``) call the same :func:`prepare`, so the
classifier sees at run time exactly the features it was trained on.
"""

from __future__ import annotations

from typing import Final

from agentstate.processors.detectors.features import token_stream
from agentstate.processors.detectors.injection_rules import collapse, fold
from agentstate.processors.detectors.screen import ALL_RULES, BLANKS, Hit, confirm, rule_hits, scan
from agentstate.semconv.value_record import record

MAX_SCAN_CHARS: Final = 32_768
"""Longest text scanned; beyond it the head and the tail are scanned (attacks sit at either end)."""


@record  # built for every text scored: a plain slotted class at run time, frozen for mypy
class Prepared:
    """A text ready for scoring.

    Attributes:
        norm: Clipped, normalised text (evidence offsets refer to it).
        hits: Every tier-0 rule that matched (direct and indirect ones).
        stream: Token stream for the n-gram features.
    """

    norm: str
    hits: tuple[Hit, ...]
    stream: bytes

    @property
    def rule_positions(self) -> list[int]:
        """Positions in :data:`~agentstate.processors.detectors.screen.ALL_RULES` of the hits."""
        return [_POSITION[h.rule.id] for h in self.hits] if self.hits else []


_POSITION: Final = {r.id: i for i, r in enumerate(ALL_RULES)}


def clip(text: str) -> str:
    """Keep the head and the tail of a text longer than :data:`MAX_SCAN_CHARS`."""
    if len(text) > MAX_SCAN_CHARS:
        half = MAX_SCAN_CHARS // 2
        return text[:half] + "\n" + text[-half:]
    return text


def prepare(text: str, *, precheck: bool = True) -> Prepared:
    """Clip, normalise and screen ``text`` (``precheck=False`` runs every rule in Python; tests).

    The normalised text is ``normalize_text(clip(text))``. Its last step, collapsing blanks, is done
    only where the rule scan of the text before it reports :data:`~.screen.BLANKS` (then the collapsed
    text is scanned again): looking for two spaces in Python costs more than the whole Hyperscan scan.
    """
    norm = fold(clip(text))
    data = norm.encode("utf-8", "replace")
    found = scan(data) if precheck else None
    if found is not None and BLANKS not in found:
        hits = confirm(norm, sorted(found)) if found else ()
    else:
        norm = collapse(norm)
        data = norm.encode("utf-8", "replace")
        hits = rule_hits(norm, data, len(ALL_RULES), precheck=precheck)
    return Prepared(norm, hits, token_stream(norm, data))
