"""One screening pass per text for every PII and secret recogniser.

The :class:`Scanner` puts the provider secret rules (``_secret_rules``, from Nosey Parker) and one
*gate* per hand-written recogniser family (``_pii_patterns``: cards, SSNs, phones, IBANs, IPs,
e-mails, keyed and prefixed secrets ...) into one :class:`~agentstate.semconv._screen.Screen`.
With Hyperscan, one scan tells which provider rules to confirm and which families can match at
all; a family whose pattern matches nowhere in the text is skipped, which is where most of the
time of the hand-written recognisers went (skeletons, windows, ``str.find`` loops). Gates are
compiled with ``HS_FLAG_PREFILTER`` (look-behind, back-references): a superset, so skipping a
family never loses a finding. Without Hyperscan every gate is open and the recognisers run
exactly as before.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from typing import Final

from agentstate.semconv import _pii_patterns as P
from agentstate.semconv._screen import Screen, ScreenPattern
from agentstate.semconv._secret_rules import SecretRules

_NAMED_GROUP: Final = re.compile(r"\(\?P<\w+>")
_NAMED_REF: Final = re.compile(r"\(\?P=\w+\)")
_LONG_MINIMUM: Final = re.compile(r"(?<!\\)\{(?:3[2-9]|[4-9]\d|\d{3,}),")
"""A bounded repeat with a lower bound of 32 or more (``{36,255}``)."""


def gate_pattern(rx: re.Pattern[str]) -> str:
    """``rx`` in a syntax Hyperscan accepts in prefilter mode (plain groups, no back-references).

    A back-reference to a separator becomes any separator, and a repeat's lower bound of 32 or more
    becomes 31: supersets, as a prefilter must be. Hyperscan runs a repeat of at least 32 with an
    engine that cost the screen 14% of its time on GenAI text (``gh[pousr]_[A-Za-z0-9]{36,255}``
    in :data:`~agentstate.semconv._pii_patterns.PREFIXED_SECRET`); 31 costs nothing measurable.
    """
    text = _LONG_MINIMUM.sub("{31,", _NAMED_REF.sub("[ .-]", _NAMED_GROUP.sub("(", rx.pattern)))
    return "(?s)" + text if rx.flags & re.DOTALL else text


GATES: Final[dict[str, str]] = {
    "RUN": r"\d[\d ().+:/-]{5,}\d",
    "IPV4": r"\d\.\d{1,3}\.\d{1,3}\.\d",
    "IPV6": r"[0-9A-Fa-f]{0,4}:[0-9A-Fa-f]{0,4}:",
    "DATE_TIME": gate_pattern(P.EXTENDED_NUMERIC[1].pattern),
    "EMAIL": gate_pattern(P.EMAIL),
    "URL_CREDENTIALS": gate_pattern(P.URL_CREDENTIALS),
    "PRIVATE_KEY": gate_pattern(P.PRIVATE_KEY),
    "AWS_ACCESS_KEY": gate_pattern(P.AWS_ACCESS_KEY),
    "PREFIXED": gate_pattern(P.PREFIXED_SECRET),
    "KEYED": gate_pattern(P.KEYED_SECRET),
    "URL": gate_pattern(P.URL),
}
"""One pattern per hand-written recogniser family; its recogniser runs only if it can match.

Most are the family's own pattern in prefilter form. The numeric families (cards, SSNs, IBANs,
phones, NHS numbers) share ``RUN``: each needs seven digits in a run of digits and separators,
which is also what its recogniser looks for first; an automaton per family cost more scanning
than it saved. ``IPV4`` and ``IPV6`` are the necessary parts of their patterns (the IPv6 pattern
starts with a look-ahead for two colons, which a prefilter would drop, leaving any two hex
letters).
"""

ALL_GATES: Final = frozenset(GATES)

MIN_SCAN: Final = 8
"""Texts shorter than this skip the screen: no provider rule matches fewer characters (a test
checks it), and the hand-written recognisers' own checks cost less than a scan on them."""

_NO_RULES: Final[dict[int, int]] = {}
_NO_GATES: Final[frozenset[str]] = frozenset()
_NOTHING: Final = (_NO_RULES, _NO_GATES)
"""What :meth:`Scanner._split` returns for a text Hyperscan screened and found nothing in."""


class Scanner:
    """Provider rules and recogniser gates in one screen.

    Args:
        use_hyperscan: ``False`` forces the pure-``re`` path; ``None`` uses Hyperscan if installed.
    """

    def __init__(self, *, use_hyperscan: bool | None = None) -> None:
        self.rules = SecretRules()
        self._n_rules = len(self.rules.rules)
        gates = [ScreenPattern(pattern, None, None, prefilter=True) for pattern in GATES.values()]
        self._gate_names = tuple(GATES)
        self.screen = Screen([*self.rules.patterns, *gates], use_hyperscan=use_hyperscan)

    def scan(self, text: str) -> tuple[dict[int, int], frozenset[str]]:
        """Return the provider rules to confirm (index: start offset) and the open gates."""
        if len(text) < MIN_SCAN:
            return _NO_RULES, ALL_GATES
        hits, screened = self.screen.candidates(text)
        return self._split(hits, screened)

    def scan_many(self, texts: Sequence[str], *, precise: bool = False) -> list[tuple[dict[int, int], frozenset[str]]]:
        """:meth:`scan` for several texts, with one Hyperscan call for all the long enough ones
        (``precise``: see :meth:`~agentstate.semconv._screen.Screen.candidates_many`)."""
        long = [i for i, text in enumerate(texts) if len(text) >= MIN_SCAN]
        out: list[tuple[dict[int, int], frozenset[str]]] = [(_NO_RULES, ALL_GATES)] * len(texts)
        screened = self.screen.candidates_many([texts[i] for i in long], precise=precise)
        for i, (hits, used_hs) in zip(long, screened, strict=True):
            out[i] = self._split(hits, used_hs) if hits or not used_hs else _NOTHING
        return out

    def _split(self, hits: dict[int, int], screened: bool) -> tuple[dict[int, int], frozenset[str]]:
        if not screened:
            return {i: s for i, s in hits.items() if i < self._n_rules}, ALL_GATES
        if not hits:
            return _NO_RULES, _NO_GATES
        n = self._n_rules
        rules: dict[int, int] = {}
        gates: list[str] = []
        for i, start in hits.items():
            if i < n:
                rules[i] = start
            else:
                gates.append(self._gate_names[i - n])
        return rules, frozenset(gates)


@functools.cache
def scanner(use_hyperscan: bool | None = None) -> Scanner:
    """The shared scanner for a mode, built (and its database compiled) on first use."""
    return Scanner(use_hyperscan=use_hyperscan)
