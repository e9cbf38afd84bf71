"""PII and secret detection and redaction, shared by the SDK scrubber, the writer and the detectors.

One :class:`Redactor` finds e-mails, phone numbers, US SSNs, payment cards, IBANs, IP addresses,
crypto wallets, API keys and tokens (OpenAI, Anthropic, AWS, GitHub, Slack, Stripe, Google, Hugging
Face), JWTs, PEM private keys, credentials in URLs and ``password=…``-style pairs, and replaces each
with ``[REDACTED:<TYPE>]``.

Precision comes from validation, not from the patterns: Luhn and issuer prefixes for cards, mod-97
for IBANs, SSA allocation rules for SSNs, Base58Check/Bech32 for wallets, prefixes and placeholder
checks for keys. Trace/span IDs, nanosecond timestamps, UUIDs and hex digests never validate.

Speed comes from never running a pattern over the whole text: ``str`` membership tests (memchr
speed) decide which families can occur, and numeric patterns are searched only in small windows
around digit runs. A 2 KB string without digits costs a few microseconds.

Which attribute keys are scanned is decided by :func:`is_safe_key`: structural keys (IDs, counts,
model names, enums, resource attributes) are never touched. Free text is always scanned, including
``user.id`` / ``enduser.id`` (users often put an e-mail there); an opaque ID passes unchanged because
no recogniser fires on it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final

from agentstate.semconv import _pii_patterns as P

DEFAULT_TYPES: Final = frozenset({
    "EMAIL", "PHONE", "US_SSN", "CREDIT_CARD", "IBAN", "IP_ADDRESS", "CRYPTO", "AWS_ACCESS_KEY",
    "AWS_SECRET_KEY", "OPENAI_KEY", "ANTHROPIC_KEY", "GITHUB_TOKEN", "SLACK_TOKEN", "STRIPE_KEY",
    "GOOGLE_API_KEY", "HUGGINGFACE_TOKEN", "JWT", "PRIVATE_KEY", "URL_CREDENTIALS", "SECRET",
})  # fmt: skip
"""Types a :class:`Redactor` finds unless disabled."""

EXTENDED_TYPES: Final = frozenset({"DATE_TIME", "URL", "UK_NHS"})
"""Opt-in types (HIPAA-style identifiers); too frequent in ordinary LLM text to redact by default."""

SECRET_TYPES: Final = frozenset({
    "AWS_ACCESS_KEY", "AWS_SECRET_KEY", "OPENAI_KEY", "ANTHROPIC_KEY", "GITHUB_TOKEN",
    "SLACK_TOKEN", "STRIPE_KEY", "GOOGLE_API_KEY", "HUGGINGFACE_TOKEN", "JWT", "PRIVATE_KEY",
    "URL_CREDENTIALS", "SECRET",
})  # fmt: skip
"""Types that are credentials rather than personal data (detectors rate them higher)."""

SAFE_KEYS: Final = frozenset({
    "gen_ai.operation.name", "gen_ai.provider.name", "gen_ai.system", "gen_ai.request.model",
    "gen_ai.response.model", "gen_ai.response.finish_reasons", "gen_ai.response.finish_reason",
    "gen_ai.request.max_tokens", "gen_ai.request.temperature", "gen_ai.request.top_p",
    "gen_ai.request.top_k", "gen_ai.request.seed", "gen_ai.request.frequency_penalty",
    "gen_ai.request.presence_penalty", "gen_ai.request.choice.count", "gen_ai.request.stream",
    "gen_ai.request.encoding_formats", "gen_ai.output.type", "gen_ai.tool.name", "gen_ai.tool.type",
    "gen_ai.agent.name", "gen_ai.agent.version", "gen_ai.workflow.name", "gen_ai.token.type",
    "gen_ai.embeddings.dimension.count", "gen_ai.is_streaming", "gen_ai.response.time_to_first_chunk",
    "openinference.span.kind", "llm.model_name", "llm.provider", "llm.system", "llm.request.type",
    "llm.is_streaming", "llm.response.finish_reason", "llm.finish_reason", "embedding.model_name",
    "traceloop.span.kind", "traceloop.entity.name", "traceloop.workflow.name",
    "traceloop.entity.path", "traceloop.entity.version", "tool.name", "agent.name",
    "input.mime_type", "output.mime_type", "error.type", "otel.status_code", "span.kind",
    "http.request.method", "http.response.status_code", "http.method", "http.status_code",
    "server.address", "server.port", "rpc.system", "rpc.service", "rpc.method", "db.system",
    "db.system.name", "code.function", "code.function.name", "code.filepath", "code.lineno",
    "code.namespace", "thread.name",
})  # fmt: skip
"""Structural attribute keys whose values are machine-produced and never scrubbed."""

SAFE_PREFIXES: Final = (
    "gen_ai.usage.", "llm.token_count.", "llm.usage.", "llm.cost.", "service.", "telemetry.",
    "process.runtime.", "process.pid", "host.arch", "os.type", "os.version", "otel.",
    "deployment.environment", "k8s.", "container.id", "cloud.provider", "cloud.region",
)  # fmt: skip
"""Key prefixes that are structural (usage, cost, resource and instrumentation attributes)."""

UNSAFE_ID_KEYS: Final = frozenset({
    "user.id", "enduser.id", "user_id", "traceloop.association.properties.user_id", "client.id",
})  # fmt: skip
"""``*.id`` keys that are user-supplied and may hold an e-mail or a name: always scanned."""

_DIGITS: Final = "0123456789"
_SKELETON: Final = str.maketrans({i: ("0" if chr(i) in _DIGITS else " ") for i in range(128)})
_DIGIT_RUN: Final = re.compile(r"[0-9]+")
_CLUSTER_GAP: Final = 6
_RIGHT_MARGIN: Final = 12
_MIN_SECRET_TOKEN: Final = 16
_KEYED_TYPES: Final = frozenset({"SECRET", "AWS_SECRET_KEY"})
_TOKEN_TYPES: Final = SECRET_TYPES | {"CRYPTO"}


def is_safe_key(key: str) -> bool:
    """Return whether the attribute ``key`` is structural, so its value is never scrubbed.

    Safe: the keys in :data:`SAFE_KEYS`, those starting with one of :data:`SAFE_PREFIXES`, and
    machine IDs (``*.id`` / ``*_id``) except the user-supplied ones in :data:`UNSAFE_ID_KEYS`.
    Never safe: message content (``gen_ai.input.messages``, ``input.value``, ``llm.*_messages.*``),
    tool arguments and results, URLs, ``user.id``.
    """
    if key in SAFE_KEYS or key.startswith(SAFE_PREFIXES):
        return True
    if key.endswith((".id", "_id")) and key not in UNSAFE_ID_KEYS:
        return not key.endswith(("user.id", "user_id"))
    return False


@dataclass(frozen=True, slots=True)
class Finding:
    """One detected entity.

    Attributes:
        type: Entity type, e.g. ``EMAIL`` or ``OPENAI_KEY``.
        start: Offset of the first character in the scanned text.
        end: Offset one past the last character.
        value: The matched text (sensitive: never log or store it).
    """

    type: str
    start: int
    end: int
    value: str


class Redactor:
    """Finds and redacts PII and secrets in free text.

    Args:
        extra_patterns: Additional ``{TYPE: regex}`` recognisers, run over the whole text.
        disabled_types: Built-in types not to report (e.g. ``{"IP_ADDRESS"}``).
        extended_types: Opt-in types from :data:`EXTENDED_TYPES` to report as well.

    Raises:
        ValueError: If an extra pattern does not compile or a type name is unknown.
    """

    __slots__ = ("_extra", "_numeric", "_types")

    def __init__(
        self,
        extra_patterns: Mapping[str, str] | None = None,
        disabled_types: Iterable[str] = (),
        *,
        extended_types: Iterable[str] = (),
    ) -> None:
        disabled, extended = frozenset(disabled_types), frozenset(extended_types)
        unknown = (disabled | extended) - DEFAULT_TYPES - EXTENDED_TYPES
        if unknown:
            raise ValueError(f"unknown PII types: {sorted(unknown)}")
        self._types: frozenset[str] = (DEFAULT_TYPES | (extended & EXTENDED_TYPES)) - disabled
        try:
            self._extra = tuple((t, re.compile(p)) for t, p in (extra_patterns or {}).items())
        except re.error as exc:
            raise ValueError(f"bad extra pattern: {exc}") from exc
        self._numeric = tuple(
            r for r in (*P.NUMERIC, *P.EXTENDED_NUMERIC) if r.type in self._types
        )

    @property
    def types(self) -> frozenset[str]:
        """Built-in types this redactor reports."""
        return self._types

    def find(self, text: str) -> list[Finding]:
        """Return the non-overlapping findings in ``text``, ordered by position."""
        found: list[tuple[str, int, int]] = []
        types = self._types
        if "@" in text:
            self._around_at(text, found)
        if "PRIVATE_KEY" in types and "-----BEGIN" in text:
            found.extend(("PRIVATE_KEY", *m.span()) for m in P.PRIVATE_KEY.finditer(text))
        if "AWS_ACCESS_KEY" in types and ("AKIA" in text or "ASIA" in text):
            found.extend(("AWS_ACCESS_KEY", *m.span()) for m in P.AWS_ACCESS_KEY.finditer(text))
        if types & _KEYED_TYPES and ("=" in text or ":" in text):
            self._keyed(text, found)
        if any(d in text for d in _DIGITS):
            self._around_digits(text, found)
        if "URL" in types:
            found.extend(("URL", *m.span()) for m in P.URL.finditer(text))
        for kind, pattern in self._extra:
            found.extend((kind, *m.span()) for m in pattern.finditer(text) if m.end() > m.start())
        if not found:
            return []
        return [Finding(k, s, e, text[s:e]) for k, s, e in _resolve(found)]

    def redact(self, text: str) -> str:
        """Return ``text`` with each finding replaced by ``[REDACTED:<TYPE>]`` (same object if none)."""
        findings = self.find(text)
        if not findings:
            return text
        parts: list[str] = []
        pos = 0
        for f in findings:
            parts.append(text[pos : f.start])
            parts.append(f"[REDACTED:{f.type}]")
            pos = f.end
        parts.append(text[pos:])
        return "".join(parts)

    def _around_at(self, text: str, found: list[tuple[str, int, int]]) -> None:
        want_email, want_url = "EMAIL" in self._types, "URL_CREDENTIALS" in self._types
        has_scheme = "://" in text
        at = text.find("@")
        while at != -1:
            if want_email:
                m = P.EMAIL.search(text, max(0, at - 64), at + 256)
                if m is not None and m.start() <= at < m.end():
                    found.append(("EMAIL", *m.span()))
            if want_url and has_scheme:
                m = P.URL_CREDENTIALS.search(text, max(0, at - 230), at + 256)
                if m is not None and m.start() <= at < m.end():
                    found.append(("URL_CREDENTIALS", *m.span()))
            at = text.find("@", at + 1)

    def _keyed(self, text: str, found: list[tuple[str, int, int]]) -> None:
        """Search ``key = value`` credentials only around occurrences of credential words."""
        lowered = text.lower()
        done = -1
        for word in P.KEYED_SECRET_WORDS:
            at = lowered.find(word)
            while at != -1:
                start = max(0, at - 16, done)
                for m in P.KEYED_SECRET.finditer(text, start, at + len(word) + 240):
                    if m.start() > at:
                        break
                    hit = P.keyed_secret(m)
                    if hit is not None and hit[0] in self._types:
                        found.append(hit)
                        done = hit[2]
                at = lowered.find(word, at + len(word))

    def _around_digits(self, text: str, found: list[tuple[str, int, int]]) -> None:
        """Run numeric recognisers in windows around digit runs, and secret ones on long tokens."""
        runs = _digit_runs(text)
        n = len(text)
        want_tokens = bool(self._types & _TOKEN_TYPES)
        token_end = -1
        reversed_text: str | None = None
        i, count = 0, len(runs)
        while i < count:
            cs, ce = runs[i]
            digits = ce - cs
            j = i + 1
            while j < count and runs[j][0] - ce <= _CLUSTER_GAP:
                ce = runs[j][1]
                digits += ce - runs[j][0]
                j += 1
            if digits >= 4 or text.find(":", max(0, cs - 1), ce + 1) != -1:
                self._numeric_window(text, cs, ce, digits, found)
            if want_tokens:
                for rs, rend in runs[i:j]:
                    # Random keys have digits between letters; prose and JSON numbers do not.
                    if rs < token_end or rs == 0 or rend >= n:
                        continue
                    if not (text[rs - 1].isalpha() or text[rend].isalpha()):
                        continue
                    if reversed_text is None:
                        reversed_text = text[::-1]
                    left = P.TOKEN_CHARS.match(reversed_text, n - rs).end() - (n - rs)
                    ts, token_end = rs - left, P.TOKEN_CHARS.match(text, rend).end()
                    if token_end - ts >= _MIN_SECRET_TOKEN:
                        self._secrets_in_token(text, ts, token_end, found)
            i = j

    def _numeric_window(
        self, text: str, cs: int, ce: int, digits: int, found: list[tuple[str, int, int]]
    ) -> None:
        end = min(len(text), ce + _RIGHT_MARGIN)
        for rec in self._numeric:
            if digits < rec.min_digits:
                continue
            ws = max(0, cs - rec.left_margin)
            if rec.needs_colon and text.find(":", ws, end) == -1:
                continue
            for m in rec.pattern.finditer(text, ws, end):
                if m.start() > ce:
                    break
                span = rec.validate(m)
                if span is not None:
                    found.append((rec.type, *span))

    def _secrets_in_token(self, text: str, start: int, end: int, found: list[tuple[str, int, int]]) -> None:
        for m in P.PREFIXED_SECRET.finditer(text, start, end):
            kind = m.lastgroup
            if kind is not None and kind in self._types and P.prefixed_ok(kind, m.group()):
                found.append((kind, *m.span()))


def _digit_runs(text: str) -> list[tuple[int, int]]:
    """Return ``(start, end)`` of each run of ASCII digits, using memchr-speed scans when ASCII."""
    if not text.isascii():
        return [m.span() for m in _DIGIT_RUN.finditer(text)]
    skeleton = text.translate(_SKELETON)
    runs: list[tuple[int, int]] = []
    i = skeleton.find("0")
    while i != -1:
        j = skeleton.find(" ", i)
        if j == -1:
            runs.append((i, len(skeleton)))
            break
        runs.append((i, j))
        i = skeleton.find("0", j)
    return runs


def _resolve(found: list[tuple[str, int, int]]) -> list[tuple[str, int, int]]:
    """Drop overlaps: the earliest finding wins, then the longest."""
    found.sort(key=lambda f: (f[1], f[1] - f[2]))
    out: list[tuple[str, int, int]] = []
    last_end = -1
    for kind, start, end in found:
        if start >= last_end and end > start:
            out.append((kind, start, end))
            last_end = end
    return out


DEFAULT_REDACTOR: Final = Redactor()
"""The redactor with the default types and no extra patterns."""
