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

import bisect
import hashlib
import logging
import os
import platform
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

_log = logging.getLogger(__name__)

FORCE_RE: Final = os.environ.get("AGENTSTATE_NO_HYPERSCAN", "") not in ("", "0")
"""Whether the environment asked for the pure-``re`` path even where Hyperscan is installed."""

_LONG_REPEAT: Final = re.compile(r"(?<!\\)\{(\d+),(\d+)\}")
_OPEN_FROM: Final = 64
"""Bounded repeats with an upper bound from this one up are opened in :func:`screen_form`."""

_NOTHING: Final[tuple[dict[int, int], bool]] = ({}, True)
"""A screened text without candidates (shared: its dict is never written to)."""

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
        min_width: Shortest possible match (shorter texts never match).
    """

    pattern: str
    keywords: tuple[str, ...] | None
    max_width: int | None
    prefilter: bool = False
    min_width: int = 0


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
        self._warming: threading.Thread | None = None
        self._lock = threading.Lock()
        self._local = threading.local()
        self._widths = tuple(p.max_width for p in self._patterns)
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

    def warm(self) -> None:
        """Compile the Hyperscan database on a background thread (it releases the GIL).

        Compiling takes a second or more; until it is done, texts are screened by keywords, with
        the same results. The SDK calls this when it starts, so the export thread never stalls.
        """
        if self._use_hs and self._db is None and self._warming is None and self._cached() is not None:
            self._compile()  # a cached database loads in milliseconds: no need for a thread
            return
        with self._lock:
            if not self._use_hs or self._db is not None or self._warming is not None:
                return
            self._warming = threading.Thread(target=self._compile, name="agentstate-screen-compile", daemon=True)
            self._warming.start()

    def candidates(self, text: str) -> tuple[dict[int, int], bool]:
        """Return ``{pattern index: offset where a confirming search must start}`` for ``text``.

        With Hyperscan, only patterns that do match are returned, and the offset is the end of
        their first match minus their longest width (0 when unbounded). Without it (or while its
        database is still compiling), every pattern with a keyword present (or none declared) is
        returned with offset 0. The flag says which of the two it was.
        """
        if self._use_hs and (self._db is not None or self._warming is None):
            return self._scan(text), True
        lowered = text.lower()
        chars = frozenset(lowered)
        out = dict.fromkeys(self._always, 0)
        for word, letters, ids in self._by_word:
            if letters <= chars and word in lowered:  # a set test rules most words out cheaply
                for i in ids:
                    out[i] = 0
        return out, False

    def candidates_many(self, texts: Sequence[str], *, precise: bool = False) -> list[tuple[dict[int, int], bool]]:
        """:meth:`candidates` for several texts with one Hyperscan call for all of them.

        Hyperscan releases the GIL while it scans; on a thread competing with the application
        (the SDK's exporter) getting it back can take far longer than the scan, so a batch of
        spans is screened in one call. The texts are joined with newlines and scanned with
        ``HS_FLAG_MULTILINE`` (``^``/``$`` hold at each text's edges, as for the text alone); a
        pattern's first match then tells from which text on it may match: from the text where
        the match may start (its end minus the pattern's width), since every real match in a
        later text ends no earlier. Each text then gets that pattern, with a start offset.

        That makes every text after the first hit a candidate for what was hit, which Python then
        confirms; on texts dense in PII or secrets that cost twice a scan per text. With ``precise``
        the texts after the first hit are scanned again one by one (exact candidates, one Hyperscan
        call each): for the server's worker threads, where taking the GIL back after a call is
        cheap; the SDK's export thread, which competes with the application, keeps the one call.
        """
        if not (self._use_hs and (self._db is not None or self._warming is None)) or len(texts) < 2:
            return [self.candidates(text) for text in texts]
        parts = [t.encode("ascii") if t.isascii() else t.encode("ascii", "replace") for t in texts]
        found = self._scan_bytes(b"\n".join(parts))
        if not found:  # the common case on agent text: no text holds a candidate
            return [_NOTHING] * len(texts)
        bases: list[int] = []
        pos = 0
        for part in parts:
            bases.append(pos)
            pos += len(part) + 1
        out: list[dict[int, int]] = [{} for _ in texts]
        widths = self._widths
        earliest = len(texts)
        for pid, end in found:
            width = widths[pid]
            lo = 0 if width is None else max(0, end - width)
            first = bisect.bisect_right(bases, lo) - 1
            out[first][pid] = lo - bases[first]
            earliest = min(earliest, first)
            if not precise:
                for k in range(first + 1, len(texts)):
                    out[k][pid] = 0
        if precise:  # no text before the earliest first hit matches anything; the texts after it, exactly
            for k in range(earliest + 1, len(texts)):
                out[k] = self._scan(texts[k])
        return [(hits, True) for hits in out]

    def _scan_bytes(self, data: bytes) -> list[tuple[int, int]]:
        db = self._db or self._compile()
        scratch = getattr(self._local, "scratch", None)
        if scratch is None:
            scratch = self._local.scratch = _hs.Scratch(db)
        found: list[tuple[int, int]] = []
        db.scan(data, _collect, 0, found, scratch)  # positional: keywords cost ~0.5 µs a call
        return found

    def _scan(self, text: str) -> dict[int, int]:
        found = self._scan_bytes(text.encode("ascii") if text.isascii() else text.encode("ascii", "replace"))
        if not found:
            return {}
        widths = self._widths
        return {pid: 0 if widths[pid] is None else max(0, end - widths[pid]) for pid, end in found}  # type: ignore[operator]

    def _spec(self) -> tuple[list[bytes], list[int]]:
        expressions = [screen_form(p.pattern).encode("utf-8") for p in self._patterns]
        single = _hs.HS_FLAG_SINGLEMATCH | _hs.HS_FLAG_MULTILINE  # one report per pattern; $ and ^ at newlines
        flags = [single | (_hs.HS_FLAG_PREFILTER if p.prefilter else 0) for p in self._patterns]
        return expressions, flags

    def _cached(self) -> Path | None:
        path = _cache_path(*self._spec())
        return path if path is not None and path.is_file() else None

    def _compile(self) -> Any:
        with self._lock:
            if self._db is None:
                self._db = _load_or_compile(*self._spec())
            return self._db


def screen_form(pattern: str) -> str:
    """``pattern`` with long bounded repeats opened up (``{4,200}`` → ``{4,}``) for Hyperscan.

    A superset, so screening never misses a match, and half the compile time: Hyperscan builds
    counting automata for large bounded repeats. Only the confirming ``re`` search is exact.
    """
    return _LONG_REPEAT.sub(lambda m: m.group(0) if int(m.group(2)) < _OPEN_FROM else "{" + m.group(1) + ",}", pattern)


def cache_dir() -> Path | None:
    """Where compiled databases are kept (``AGENTSTATE_CACHE_DIR``, empty to disable; else the
    user cache folder), or ``None``."""
    configured = os.environ.get("AGENTSTATE_CACHE_DIR")
    if configured is not None:
        return Path(configured) if configured else None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "agentstate"


def _cache_path(expressions: list[bytes], flags: list[int]) -> Path | None:
    folder = cache_dir()
    if folder is None:
        return None
    key = hashlib.sha256(repr((expressions, flags, _hs.__version__, platform.machine())).encode()).hexdigest()[:24]
    return folder / f"screen-{key}.hsdb"


def _load_or_compile(expressions: list[bytes], flags: list[int]) -> Any:
    """Load the database from the cache, or compile it (a second or more) and store it there.

    The file name hashes the expressions, flags, Hyperscan version and machine, so a change of
    rules or platform compiles afresh. Any cache problem (read-only home, corrupt or foreign
    file) just means compiling.
    """
    path = _cache_path(expressions, flags)
    if path is not None and path.is_file():
        try:
            return _hs.loadb(path.read_bytes(), _hs.HS_MODE_BLOCK)
        except Exception:  # a foreign or corrupt file: compile instead
            _log.debug("ignoring unusable screen cache %s", path, exc_info=True)
    db = _hs.Database(mode=_hs.HS_MODE_BLOCK)
    db.compile(expressions=expressions, ids=list(range(len(expressions))), elements=len(expressions), flags=flags)
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_bytes(_hs.dumpb(db))
            os.replace(tmp, path)
        except OSError:
            _log.debug("cannot write screen cache %s", path, exc_info=True)
    return db


def _collect(pid: int, start: int, end: int, flags: int, found: list[tuple[int, int]]) -> None:
    """Hyperscan match callback: one call per pattern (``HS_FLAG_SINGLEMATCH``)."""
    found.append((pid, end))
