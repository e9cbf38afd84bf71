"""Server-side scrubbing: the same redactor as the SDK, applied by the writer before storage.

Spans from plain OpenTelemetry exporters never passed through our SDK's scrubber, so the writer
redacts every free-text attribute value (structural keys such as IDs, timestamps, token counts and
model names are skipped, see :func:`agentstate.semconv.redaction.is_safe_key`). Text the SDK
already redacted contains only ``[REDACTED:…]`` markers, which match no pattern, so scrubbing twice
changes nothing. The security engine reads the stream *before* this step.
"""

from __future__ import annotations

from collections.abc import Callable

from agentstate.semconv.redaction import DEFAULT_REDACTOR, Redactor, is_endpoint_key, is_safe_key

_MAX_CACHED_KEYS = 10_000


def make_scrubber(redactor: Redactor = DEFAULT_REDACTOR) -> Callable[[str, str], str]:
    """Return ``(key, value) -> value`` redacting ``value`` unless ``key`` is structural.

    In endpoint keys (``url.full``, ``gen_ai.openai.api_base`` ...) loopback and private IPs stay.
    """
    safe_cache: dict[str, bool] = {}
    redact = redactor.redact
    redact_counting = redactor.redact_counting

    def scrub(key: str, value: str) -> str:
        safe = safe_cache.get(key)
        if safe is None:
            safe = is_safe_key(key)
            if len(safe_cache) < _MAX_CACHED_KEYS:
                safe_cache[key] = safe
        if safe or len(value) < 5:
            return value
        if is_endpoint_key(key):
            return redact_counting(value, endpoint=True)[0]
        return redact(value)

    return scrub
