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
from typing import Final

from agentstate.semconv import _pii_patterns as P
from agentstate.semconv._screen import Screen, ScreenPattern
from agentstate.semconv._secret_rules import SecretRules

GATES: Final[dict[str, re.Pattern[str]]] = {
    "CREDIT_CARD": P.NUMERIC[0].pattern,
    "US_SSN": P.NUMERIC[1].pattern,
    "IBAN": P.NUMERIC[2].pattern,
    "PHONE": P.NUMERIC[3].pattern,
    "IPV4": P.NUMERIC[4].pattern,
    "IPV6": P.NUMERIC[5].pattern,
    "UK_NHS": P.EXTENDED_NUMERIC[0].pattern,
    "DATE_TIME": P.EXTENDED_NUMERIC[1].pattern,
    "EMAIL": P.EMAIL,
    "URL_CREDENTIALS": P.URL_CREDENTIALS,
    "PRIVATE_KEY": P.PRIVATE_KEY,
    "AWS_ACCESS_KEY": P.AWS_ACCESS_KEY,
    "PREFIXED": P.PREFIXED_SECRET,
    "KEYED": P.KEYED_SECRET,
    "URL": P.URL,
}
"""One pattern per hand-written recogniser family; its recogniser runs only if it can match."""

ALL_GATES: Final = frozenset(GATES)

_NAMED_GROUP: Final = re.compile(r"\(\?P<\w+>")
_NAMED_REF: Final = re.compile(r"\(\?P=\w+\)")


def gate_pattern(rx: re.Pattern[str]) -> str:
    """``rx`` in a syntax Hyperscan accepts in prefilter mode (plain groups, no back-references).

    A back-reference to a separator becomes any separator: a superset, as a prefilter must be.
    """
    text = _NAMED_REF.sub("[ .-]", _NAMED_GROUP.sub("(", rx.pattern))
    return "(?s)" + text if rx.flags & re.DOTALL else text


class Scanner:
    """Provider rules and recogniser gates in one screen.

    Args:
        use_hyperscan: ``False`` forces the pure-``re`` path; ``None`` uses Hyperscan if installed.
    """

    def __init__(self, *, use_hyperscan: bool | None = None) -> None:
        self.rules = SecretRules()
        self._n_rules = len(self.rules.rules)
        gates = [ScreenPattern(gate_pattern(rx), None, None, prefilter=True) for rx in GATES.values()]
        self._gate_names = tuple(GATES)
        self.screen = Screen([*self.rules.patterns, *gates], use_hyperscan=use_hyperscan)

    def scan(self, text: str) -> tuple[dict[int, int], frozenset[str]]:
        """Return the provider rules to confirm (index: start offset) and the open gates."""
        hits = self.screen.candidates(text)
        if not self.screen.uses_hyperscan:
            return {i: s for i, s in hits.items() if i < self._n_rules}, ALL_GATES
        n = self._n_rules
        rules = {i: s for i, s in hits.items() if i < n}
        gates = frozenset(self._gate_names[i - n] for i in hits if i >= n)
        return rules, gates


@functools.cache
def scanner(use_hyperscan: bool | None = None) -> Scanner:
    """The shared scanner for a mode, built (and its database compiled) on first use."""
    return Scanner(use_hyperscan=use_hyperscan)
