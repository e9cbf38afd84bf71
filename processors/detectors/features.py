"""Tier-1 features: word n-grams found by one Hyperscan scan of a text's token stream.

A text's token stream is its normalised text (single spaces already) with ASCII letters folded to
lower case, letters, digits, ``_`` and spaces kept and every other byte — punctuation, line breaks,
non-ASCII — turned into a `` | `` word, framed by spaces: ``"Ignore the above. Now"`` becomes
``b" ignore the above |  now "`` (one ``bytes.translate``, one ``replace``). An n-gram feature is the literal
``b" w1 w2 w3 "``, so n-grams never span punctuation or a line break; a database of a few thousand
literals compiles in a fraction of a second and scans a 2 KB text in a few microseconds, reporting
each feature present once (``HS_FLAG_SINGLEMATCH``). Training (``train.py``) and serving use this
same extractor, so they agree on every feature.

Window scoring (``classifier.py``) needs where each n-gram occurs: :meth:`FeatureScanner.matches`
scans a second database without ``HS_FLAG_SINGLEMATCH`` and reports every occurrence with its end
offset, so the n-grams of every window come from that one scan. A window of width ``W`` starting at
byte ``s`` holds the n-grams lying wholly in ``stream[s : s + W]``: exactly those a counter sees in
:func:`window_text` of it, which is how training and validation compute them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

_KEEP: Final = frozenset(b"abcdefghijklmnopqrstuvwxyz0123456789_ ")
_FOLD: Final = bytes(c if c in _KEEP else c + 32 if 65 <= c <= 90 else 124 for c in range(256))
"""Byte table: ASCII letters to lower case, word bytes and spaces kept, everything else ``|``."""
BREAK: Final = "_"
"""The token :func:`phrases` puts where the stream has a ``|`` (n-grams holding it are dropped)."""


def token_stream(norm: str, data: bytes | None = None) -> bytes:
    """The token stream of a normalised text (see the module docstring); ``data``: the text already
    encoded as UTF-8 (``errors="replace"``)."""
    if data is None:
        data = norm.encode("utf-8", "replace")
    return b" " + data.translate(_FOLD).replace(b"|", b" | ") + b" "


def length(stream: bytes) -> int:
    """Spaces in a token stream: about one per word or punctuation mark (a text's length in tokens)."""
    return stream.count(b" ")


def phrases(stream: bytes) -> str:
    """The stream as words for an n-gram counter: each ``|`` becomes a :data:`BREAK` word, so an
    n-gram spans a break exactly when it holds that word (and can never match the stream)."""
    return stream.replace(b"|", b" _ ").decode("ascii")


def window_starts(size: int, width: int, stride: int) -> range:
    """Start offsets of the windows of a stream of ``size`` bytes: every ``stride`` bytes until one
    reaches the end (a stream no longer than ``width`` is one window)."""
    if size <= width:
        return range(1)
    count = 1 + -(-(size - width) // stride)  # the last window is the first to reach the end
    return range(0, count * stride, stride)


def window_text(stream: bytes, start: int, width: int) -> bytes:
    """The whole words of ``stream[start : start + width]`` (from its first space to its last): its
    n-grams are those lying wholly in the window."""
    sub = stream[start : start + width]
    i, j = sub.find(b" "), sub.rfind(b" ")
    return sub[i : j + 1] if j > i else b""


def _collect(feature: int, _from: int, _to: int, _flags: int, found: list[int]) -> None:
    found.append(feature)


def _collect_at(feature: int, _from: int, to: int, _flags: int, found: list[tuple[int, int]]) -> None:
    found.append((feature, to))


class FeatureScanner:
    """Finds which of a fixed list of n-grams occur in a text.

    Args:
        ngrams: Space-separated words (lower-case ASCII letters, digits, ``_``).
        ids: The feature id of each n-gram (default: its position).
        positions: Also compile the database :meth:`matches` scans (for window scoring).
    """

    def __init__(self, ngrams: Sequence[str], ids: Sequence[int] | None = None, *, positions: bool = False) -> None:
        import hyperscan as hs

        self.ngrams = tuple(ngrams)
        self._db: Any = None
        self._all: Any = None
        self._ids = list(range(len(self.ngrams))) if ids is None else list(ids)
        # bytes each feature's literal spans in a stream: a match starts this far before its end
        self.widths: dict[int, int] = {f: len(g) + 2 for f, g in zip(self._ids, self.ngrams, strict=True)}
        if self.ngrams:
            self._db = hs.Database(mode=hs.HS_MODE_BLOCK)
            n = len(self.ngrams)
            self._db.compile(expressions=[f" {g} ".encode() for g in self.ngrams], ids=self._ids, elements=n,
                             flags=[hs.HS_FLAG_SINGLEMATCH] * n)  # fmt: skip
            if positions:
                self._all = hs.Database(mode=hs.HS_MODE_BLOCK)
                self._all.compile(expressions=[f" {g} ".encode() for g in self.ngrams], ids=self._ids, elements=n)

    def scan(self, stream: bytes) -> list[int]:
        """Feature ids present in a token stream (unordered, each once)."""
        found: list[int] = []
        if self._db is not None:
            self._db.scan(stream, _collect, 0, found)  # positional: keywords cost ~0.5 µs a call
        return found

    def matches(self, stream: bytes) -> list[tuple[int, int]]:
        """Every occurrence in a token stream as ``(feature id, end offset)``, in order of end offset."""
        found: list[tuple[int, int]] = []
        if self._all is not None:
            self._all.scan(stream, _collect_at, 0, found)
        elif self.ngrams:
            raise ValueError("scanner compiled without positions=True")
        return found
