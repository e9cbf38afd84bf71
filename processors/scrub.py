"""Server-side scrubbing: the same redactor as the SDK, applied by the writer before storage.

Spans from plain OpenTelemetry exporters never passed through our SDK's scrubber, so the writer
redacts every free-text attribute value (structural keys such as IDs, timestamps, token counts and
model names are skipped, see :func:`agentstate.semconv.redaction.is_safe_key`). Text the SDK
already redacted contains only ``[REDACTED:…]`` markers, which match no pattern, so scrubbing twice
changes nothing. The security engine reads the stream *before* this step.
"""

from __future__ import annotations

from typing import Final

from agentstate.semconv.redaction import DEFAULT_REDACTOR, Redactor, is_endpoint_key, is_safe_key

_MAX_CACHED_KEYS = 10_000
_CHUNK = 2_000
"""Distinct values redacted per Hyperscan call when a conversion flushes."""


SAFE: Final = 0
"""What :meth:`Scrubber.kind` says of a structural key: its values are never scrubbed (falsy)."""
FREE_TEXT: Final = 1
"""A free-text key: its values are scrubbed."""
ENDPOINT: Final = 2
"""An endpoint key (``url.full`` …): scrubbed, keeping loopback and private IPs."""
MIN_LEN: Final = 5
"""Shorter values are never scrubbed."""


class Scrubber:
    """Redacts string attribute values unless their key is structural.

    Call it for one value, or open a :meth:`batch` per conversion, :meth:`ScrubBatch.defer` every
    value and :meth:`ScrubBatch.flush` once: the deferred values are deduplicated (agents resend
    the same prompts and documents) and screened together, one Hyperscan call per :data:`_CHUNK`
    distinct values instead of one per value. In endpoint keys (``url.full``,
    ``gen_ai.openai.api_base`` ...) loopback and private IPs stay. One scrubber serves every
    consumer of the writer; each conversion has its own batch (they run on worker threads).
    """

    __slots__ = ("_kinds", "_redactor")

    def __init__(self, redactor: Redactor = DEFAULT_REDACTOR) -> None:
        self._redactor = redactor
        self._kinds: dict[str, int] = {}

    def __call__(self, key: str, value: str) -> str:
        """``value`` redacted now (or as is when ``key`` is structural)."""
        if not self.wanted(key, value):
            return value
        return self._redactor.redact_counting(value, endpoint=is_endpoint_key(key))[0]

    def batch(self) -> ScrubBatch:
        """A batch of deferred values for one conversion."""
        return ScrubBatch(self, self._redactor)

    def kind(self, key: str) -> int:
        """How values of ``key`` are scrubbed: :data:`SAFE`, :data:`FREE_TEXT` or :data:`ENDPOINT`."""
        kind = self._kinds.get(key)
        if kind is None:
            kind = SAFE if is_safe_key(key) else ENDPOINT if is_endpoint_key(key) else FREE_TEXT
            if len(self._kinds) < _MAX_CACHED_KEYS:
                self._kinds[key] = kind
        return kind

    def wanted(self, key: str, value: str) -> bool:
        """Whether ``value`` of ``key`` is redacted (free text of :data:`MIN_LEN` characters or more)."""
        return self.kind(key) != SAFE and len(value) >= MIN_LEN


class ScrubBatch:
    """The values one conversion deferred, redacted in place by :meth:`flush`.

    The writer's conversion loop defers inline (one value per attribute, the hot path): it reads
    :attr:`kinds` (the scrubber's per-key cache; :meth:`Scrubber.kind` on a miss) and appends to
    :attr:`pending` exactly what :meth:`defer` would.
    """

    __slots__ = ("_redactor", "_scrubber", "kinds", "pending")

    def __init__(self, scrubber: Scrubber, redactor: Redactor) -> None:
        self._scrubber, self._redactor = scrubber, redactor
        self.kinds = scrubber._kinds
        self.pending: list[tuple[list[str], int, bool]] = []

    def kind(self, key: str) -> int:
        """:meth:`Scrubber.kind`."""
        return self._scrubber.kind(key)

    def defer(self, values: list[str], key: str, value: str) -> None:
        """Append ``value`` to ``values``; :meth:`flush` redacts it there in place."""
        kind = self._scrubber.kind(key)
        if kind != SAFE and len(value) >= MIN_LEN:
            self.pending.append((values, len(values), kind == ENDPOINT))
        values.append(value)

    def flush(self) -> None:
        """Redact every deferred value in place."""
        pending, self.pending = self.pending, []
        distinct = list(dict.fromkeys((values[i], endpoint) for values, i, endpoint in pending))
        changed: dict[tuple[str, bool], str] = {}
        for at in range(0, len(distinct), _CHUNK):
            chunk = distinct[at : at + _CHUNK]
            for item, (text, _) in zip(chunk, self._redactor.redact_counting_many(chunk, precise=True), strict=True):
                if text is not item[0]:  # an unchanged value is returned as is
                    changed[item] = text
        if changed:  # most batches hold nothing to redact: nothing to write back then
            for values, i, endpoint in pending:
                values[i] = changed.get((values[i], endpoint), values[i])


def make_scrubber(redactor: Redactor = DEFAULT_REDACTOR) -> Scrubber:
    """A :class:`Scrubber` over ``redactor``."""
    return Scrubber(redactor)
