"""One scan per text for many patterns: Hyperscan where installed, plain ``re`` elsewhere.

A :class:`Screen` answers one question per text: which of its patterns can match, and from where
a confirming :mod:`re` search needs to start. With the ``hyperscan`` package (the ``[server]``
extra) all patterns are compiled into one block-mode database, scanned once per text: a 2 KB text
costs about a microsecond whatever the number of patterns. Each pattern reports only its first
match (``HS_FLAG_SINGLEMATCH``): the confirming search finds the rest, so a text full of matches
costs one callback per pattern, never one per match. Patterns Hyperscan cannot compile exactly are
compiled with ``HS_FLAG_PREFILTER`` (a superset), which the confirming search makes exact again.

Without Hyperscan (the SDK's only required dependency is OpenTelemetry) a pattern is searched only
when one of its required keywords (literals every match contains) occurs in the lower-cased text;
the result is the same, only slower. :data:`FORCE_RE` (or ``AGENTSTATE_NO_HYPERSCAN=1``) selects
that path even where Hyperscan is installed, for tests and comparisons.

Hyperscan scans bytes: a text with non-ASCII characters is scanned as its ASCII form with ``?``
for each other character, so offsets stay those of the ``str``. The patterns are ASCII, so a
confirmed match never depends on what the ``?`` replaced.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

_log = logging.getLogger(__name__)

FORCE_RE: Final = os.environ.get("AGENTSTATE_NO_HYPERSCAN", "") not in ("", "0")
"""Whether the environment asked for the pure-``re`` path even where Hyperscan is installed."""

_hs: Any
try:  # the [server] extra; the SDK alone does without
    import hyperscan as _hs
except ImportError:  # pragma: no cover - depends on the environment
    _hs = None


@dataclass(frozen=True, slots=True)
class ScreenPattern:
    """One pattern of a :class:`Screen`.

    Attributes:
        pattern: The regex (Python syntax that Hyperscan also accepts).
        keywords: Lower-case literals one of which every match contains, or ``None`` if unknown.
        max_width: Longest possible match, or ``None`` when unbounded.
        prefilter: Compile with ``HS_FLAG_PREFILTER`` (Hyperscan cannot compile it exactly).
    """

    pattern: str
    keywords: tuple[str, ...] | None
    max_width: int | None
    prefilter: bool = False


class Screen:
    """Finds which patterns may match a text and where their confirming search starts.

    Args:
        patterns: The patterns, identified by their index.
        use_hyperscan: ``False`` forces the ``re``-only path; ``None`` uses Hyperscan if importable.
    """

    def __init__(self, patterns: Sequence[ScreenPattern], *, use_hyperscan: bool | None = None) -> None:
        self._patterns = tuple(patterns)
        want = (not FORCE_RE) if use_hyperscan is None else use_hyperscan
        self._use_hs = want and _hs is not None
        self._db: Any = None
        self._lock = threading.Lock()
        self._local = threading.local()
        self._always = tuple(i for i, p in enumerate(self._patterns) if not p.keywords)
        by_word: dict[str, list[int]] = {}
        for i, p in enumerate(self._patterns):
            for word in p.keywords or ():
                by_word.setdefault(word, []).append(i)
        self._by_word = tuple((w, frozenset(w), tuple(ids)) for w, ids in sorted(by_word.items()))

    @property
    def uses_hyperscan(self) -> bool:
        """Whether texts are screened with Hyperscan (else keywords and ``re``)."""
        return self._use_hs

    def candidates(self, text: str) -> dict[int, int]:
        """Return ``{pattern index: offset where a confirming search must start}`` for ``text``.

        With Hyperscan, only patterns that do match are returned, and the offset is the end of
        their first match minus their longest width (0 when unbounded). Without it, every pattern
        with a keyword present (or none declared) is returned with offset 0.
        """
        if self._use_hs:
            return self._scan(text)
        lowered = text.lower()
        chars = frozenset(lowered)
        out = dict.fromkeys(self._always, 0)
        for word, letters, ids in self._by_word:
            if letters <= chars and word in lowered:  # a set test rules most words out cheaply
                for i in ids:
                    out[i] = 0
        return out

    def _scan(self, text: str) -> dict[int, int]:
        db = self._db or self._compile()
        scratch = getattr(self._local, "scratch", None)
        if scratch is None:
            scratch = self._local.scratch = _hs.Scratch(db)
        data = text.encode("ascii", "replace") if not text.isascii() else text.encode("ascii")
        hits: dict[int, int] = {}
        patterns = self._patterns

        def on_match(pid: int, start: int, end: int, flags: int, context: object) -> None:
            width = patterns[pid].max_width
            hits[pid] = 0 if width is None else max(0, end - width)

        db.scan(data, match_event_handler=on_match, scratch=scratch)
        return hits

    def _compile(self) -> Any:
        with self._lock:
            if self._db is None:
                flags = [
                    _hs.HS_FLAG_SINGLEMATCH | (_hs.HS_FLAG_PREFILTER if p.prefilter else 0) for p in self._patterns
                ]
                db = _hs.Database(mode=_hs.HS_MODE_BLOCK)
                db.compile(
                    expressions=[p.pattern.encode("utf-8") for p in self._patterns],
                    ids=list(range(len(self._patterns))),
                    elements=len(self._patterns),
                    flags=flags,
                )
                self._db = db
            return self._db
