"""PII and secret detection and redaction, shared by the SDK scrubber, the writer and the detectors.

One :class:`Redactor` finds e-mails, phone numbers, US SSNs, payment cards, IBANs, IP addresses,
crypto wallets, JWTs, PEM private keys, credentials in URLs and ``password=…``-style pairs, and the
keys and tokens of some 150 providers, and replaces each with ``[REDACTED:<TYPE>]``. The provider
rules are Nosey Parker's (praetorian-inc/noseyparker, Apache-2.0, Copyright Praetorian Security,
Inc.; see ``rules/NOTICE``) plus AgentState's own, shipped in ``rules/secret_rules.json``.

Precision comes from validation, not from the patterns: Luhn and issuer prefixes for cards, mod-97
for IBANs, SSA allocation rules for SSNs (relaxed right after an SSN context word), Base58Check and
Bech32 for wallets, prefixes, placeholder and reference checks for keys (``YOUR_API_KEY``,
``${TOKEN}``, ``xxxx``). Trace/span IDs, nanosecond timestamps, UUIDs and hex digests never validate.

Speed comes from one screening pass per text (:mod:`agentstate.semconv._scan`): with Hyperscan
installed, all provider rules and a gate per hand-written family are scanned at once, and only what
can match is confirmed with :mod:`re`; without it, keywords select the rules and the families check
their own anchors (``str`` membership tests, windows around digit runs). Both paths give the same
findings.

Which attribute keys are scanned is decided by :func:`is_safe_key`: structural keys (IDs, counts,
model names, enums, resource attributes) are never touched. Free text is always scanned, including
``user.id`` / ``enduser.id`` (users often put an e-mail there); an opaque ID passes unchanged because
no recogniser fires on it. In endpoint keys (:func:`is_endpoint_key`) loopback and private IPs stay.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from agentstate.semconv import _pii_patterns as P
from agentstate.semconv._scan import ALL_GATES, Scanner, scanner
from agentstate.semconv._secret_rules import RULE_TYPES, keyed_ok, plausible
from agentstate.semconv.redaction_keys import (
    ENDPOINT_KEYS,
    SAFE_KEYS,
    SAFE_PREFIXES,
    UNSAFE_ID_KEYS,
    is_endpoint_key,
    is_safe_key,
)

__all__ = [
    "DEFAULT_REDACTOR", "DEFAULT_TYPES", "ENDPOINT_KEYS", "EXTENDED_TYPES", "SAFE_KEYS", "SAFE_PREFIXES",
    "SECRET_TYPES", "UNSAFE_ID_KEYS", "Finding", "Redactor", "is_endpoint_key", "is_safe_key",
]  # fmt: skip

DEFAULT_TYPES: Final = frozenset({
    "EMAIL", "PHONE", "US_SSN", "CREDIT_CARD", "IBAN", "IP_ADDRESS", "CRYPTO", "AWS_ACCESS_KEY",
    "AWS_SECRET_KEY", "OPENAI_KEY", "ANTHROPIC_KEY", "GITHUB_TOKEN", "SLACK_TOKEN", "STRIPE_KEY",
    "GOOGLE_API_KEY", "HUGGINGFACE_TOKEN", "JWT", "PRIVATE_KEY", "URL_CREDENTIALS", "SECRET",
}) | RULE_TYPES  # fmt: skip
"""Types a :class:`Redactor` finds unless disabled (with every provider rule's type)."""

EXTENDED_TYPES: Final = frozenset({"DATE_TIME", "URL", "UK_NHS"})
"""Opt-in types (HIPAA-style identifiers); too frequent in ordinary LLM text to redact by default."""

SECRET_TYPES: Final = frozenset({
    "AWS_ACCESS_KEY", "AWS_SECRET_KEY", "OPENAI_KEY", "ANTHROPIC_KEY", "GITHUB_TOKEN",
    "SLACK_TOKEN", "STRIPE_KEY", "GOOGLE_API_KEY", "HUGGINGFACE_TOKEN", "JWT", "PRIVATE_KEY",
    "URL_CREDENTIALS", "SECRET",
}) | RULE_TYPES  # fmt: skip
"""Types that are credentials rather than personal data (detectors rate them higher), with the
provider rules' types (Nosey Parker's rules also name cloud identifiers such as buckets and ARNs)."""

_DIGITS: Final = "0123456789"
_SKELETON: Final = str.maketrans({
    i: "0" if chr(i).isdigit() else "a" if chr(i).isalpha() else chr(i) if chr(i) in " .+:()-/" else "_"
    for i in range(128)
})  # fmt: skip
_MIN_RUN_DIGITS: Final = 7
"""Fewest digits of a card, SSN, phone, IBAN or NHS number: shorter chunks are skipped."""
_RUN_CHUNK: Final = re.compile(r"[0 ().+:/-]*")
_DOT_CHUNK: Final = re.compile(r"[0.]*")
_MAX_IPV6: Final = 45
_DOUBLE_COLON: Final = re.compile("::")
"""A literal pattern: ``re`` scans for it about twice as fast as ``str.find`` for a 2-char needle."""
_BARE_DOUBLE_COLON: Final = re.compile(r"::(?<=[\s=\[(,]::)")
"""A ``::`` that may be the bare unspecified address; the lookbehind comes last to keep the literal scan."""
_HEX_COLON: Final = frozenset("0123456789abcdefABCDEF:.")
_IPV6_TAIL: Final = _HEX_COLON | {"/", "%"}
_WORDISH: Final = frozenset("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_%")
_MIN_SECRET_TOKEN: Final = 16
_KEYED_TYPES: Final = frozenset({"SECRET", "AWS_SECRET_KEY"})
_TOKEN_TYPES: Final = frozenset({
    "ANTHROPIC_KEY", "OPENAI_KEY", "GITHUB_TOKEN", "SLACK_TOKEN", "STRIPE_KEY", "JWT", "AWS_ACCESS_KEY",
    "GOOGLE_API_KEY", "HUGGINGFACE_TOKEN", "CRYPTO",
})  # fmt: skip
"""Types :data:`~agentstate.semconv._pii_patterns.PREFIXED_SECRET` reports (searched in tokens)."""


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
        use_hyperscan: ``False`` screens with plain ``re`` even where Hyperscan is installed (same
            findings, slower); ``None`` uses Hyperscan when it is importable.

    Raises:
        ValueError: If an extra pattern does not compile or a type name is unknown.
    """

    __slots__ = (
        "_date", "_extra", "_ipv4", "_ipv6", "_keyed_types", "_phone", "_rule_types", "_run_recs", "_scanner",
        "_tokens", "_types", "_use_hyperscan",
    )  # fmt: skip

    def __init__(
        self,
        extra_patterns: Mapping[str, str] | None = None,
        disabled_types: Iterable[str] = (),
        *,
        extended_types: Iterable[str] = (),
        use_hyperscan: bool | None = None,
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
        numeric = [r for r in (*P.NUMERIC, *P.EXTENDED_NUMERIC) if r.type in self._types]
        self._run_recs = tuple(r for r in numeric if r.type not in ("IP_ADDRESS", "DATE_TIME"))
        self._ipv4 = next((r for r in numeric if r.type == "IP_ADDRESS" and not r.needs_colon), None)
        self._ipv6 = next((r for r in numeric if r.needs_colon), None)
        self._phone = next((r for r in numeric if r.type == "PHONE"), None)
        self._date = next((r for r in numeric if r.type == "DATE_TIME"), None)
        self._rule_types = self._types & RULE_TYPES
        self._tokens = bool(self._types & _TOKEN_TYPES)
        self._keyed_types = bool(self._types & _KEYED_TYPES)
        self._scanner: Scanner | None = None
        self._use_hyperscan = use_hyperscan

    @property
    def types(self) -> frozenset[str]:
        """Built-in types this redactor reports."""
        return self._types

    def find(self, text: str) -> list[Finding]:
        """Return the non-overlapping findings in ``text``, ordered by position."""
        scan = self._scanner or self._load_scanner()
        return self._find(scan, text, *scan.scan(text))

    def find_many(self, texts: Sequence[str], *, precise: bool = False) -> list[list[Finding]]:
        """:meth:`find` for each of ``texts``, screened together (one Hyperscan call; with ``precise``,
        one more per text after the first that matches anything: for server threads, see
        :meth:`~agentstate.semconv._screen.Screen.candidates_many`)."""
        scan = self._scanner or self._load_scanner()
        screens = scan.scan_many(texts, precise=precise)
        extra = bool(self._extra)
        # _find's first test, before the call: most texts of a batch have no rule hit and no gate open
        return [self._find(scan, text, hits, gates) if hits or gates or extra else []
                for text, (hits, gates) in zip(texts, screens, strict=True)]  # fmt: skip

    def _find(self, scan: Scanner, text: str, rule_hits: dict[int, int], gates: frozenset[str]) -> list[Finding]:
        if not gates and not rule_hits and not self._extra:
            return []  # every family below is gated: with no gate open and no rule hit, nothing can match
        found: list[tuple[str, int, int]] = []
        types = self._types
        if "@" in text and ("EMAIL" in gates or "URL_CREDENTIALS" in gates):
            self._around_at(text, found)
        if "PRIVATE_KEY" in types and "PRIVATE_KEY" in gates and "-----BEGIN" in text:
            pem = P.PRIVATE_KEY.finditer(text)
            found.extend(("PRIVATE_KEY", *m.span()) for m in pem if not _PROSE.search(m.group()))
        if "AWS_ACCESS_KEY" in types and "AWS_ACCESS_KEY" in gates and ("AKIA" in text or "ASIA" in text):
            aws = P.AWS_ACCESS_KEY.finditer(text)
            found.extend(("AWS_ACCESS_KEY", *m.span()) for m in aws if plausible(m.group()))
        if self._keyed_types and "KEYED" in gates and ("=" in text or ":" in text):
            self._keyed(text, found)
        has_digit = any(d in text for d in _DIGITS)
        if has_digit:
            self._around_digits(text, gates, found)
        if self._ipv6 is not None and "IPV6" in gates and ":" in text:
            self._around_double_colon(self._ipv6, text, has_digit, found)
        if self._date is not None and "DATE_TIME" in gates:
            self._search(self._date, text, 0, len(text), found)
        if "URL" in types and "URL" in gates:
            found.extend(("URL", *m.span()) for m in P.URL.finditer(text))
        if self._rule_types and rule_hits:
            scan.rules.confirm(text, rule_hits, self._rule_types, found)
        for kind, pattern in self._extra:
            found.extend((kind, *m.span()) for m in pattern.finditer(text) if m.end() > m.start())
        if not found:
            return []
        if _ALLOWLIST in text:
            found = [f for f in found if not _allowlisted(text, f[1])]
        return [Finding(k, s, e, text[s:e]) for k, s, e in _resolve(found)]

    def warm_up(self) -> None:
        """Load the rules now and compile the Hyperscan database in the background.

        Without it that happens on the first :meth:`find` (a second or more with Hyperscan); the
        SDK calls this at start-up so its export thread never stalls on it.
        """
        (self._scanner or self._load_scanner()).screen.warm()

    def _load_scanner(self) -> Scanner:
        self._scanner = scanner(self._use_hyperscan)
        return self._scanner

    def redact(self, text: str) -> str:
        """Return ``text`` with each finding replaced by ``[REDACTED:<TYPE>]`` (same object if none)."""
        return self.redact_counting(text)[0]

    def redact_counting(self, text: str, *, endpoint: bool = False) -> tuple[str, dict[str, int]]:
        """Return :meth:`redact`'s result and how many findings of each type it replaced.

        Args:
            text: The text to redact.
            endpoint: ``text`` is the address of a service the application calls (see
                :func:`is_endpoint_key`): loopback, private and link-local IPs in it are kept.
        """
        return _replace(text, self.find(text), endpoint)

    def redact_counting_many(
        self, items: Sequence[tuple[str, bool]], *, precise: bool = False
    ) -> list[tuple[str, dict[str, int]]]:
        """:meth:`redact_counting` for each ``(text, endpoint)``, screened together (``precise``: as
        :meth:`find_many`)."""
        found = self.find_many([text for text, _ in items], precise=precise)
        pairs = zip(items, found, strict=True)
        return [_replace(text, f, endpoint) if f else (text, {}) for (text, endpoint), f in pairs]

    def _around_at(self, text: str, found: list[tuple[str, int, int]]) -> None:
        want_email, want_url = "EMAIL" in self._types, "URL_CREDENTIALS" in self._types
        has_scheme = "://" in text
        at = text.find("@")
        while at != -1:
            if want_email:
                _covering(P.EMAIL, "EMAIL", text, at, 64, found)
            if want_url and has_scheme:
                _covering(P.URL_CREDENTIALS, "URL_CREDENTIALS", text, at, 230, found)
            at = text.find("@", at + 1)

    def _keyed(self, text: str, found: list[tuple[str, int, int]]) -> None:
        """Search ``key = value`` credentials only around occurrences of credential words."""
        if not _word_before_separator(text):
            return
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
                    if hit is not None and hit[0] in self._types and keyed_ok(text[hit[1] : hit[2]]):
                        found.append(hit)
                        done = hit[2]
                at = lowered.find(word, at + len(word))

    def _around_digits(self, text: str, gates: frozenset[str], found: list[tuple[str, int, int]]) -> None:
        """Search numeric recognisers only around anchors found with ``str.find`` on a skeleton.

        The skeleton maps digits to ``0`` and letters to ``a``, so ``0000`` finds long digit runs
        (cards, SSNs, phones, IBANs), ``0.0`` dotted numbers (IPv4), ``+0`` international phones,
        and ``a0`` a digit inside a word (random keys and tokens). Compressed IPv6 (``::``) is
        searched by :meth:`_around_double_colon`, digits or not. Families whose gate is closed
        (their pattern matches nowhere in ``text``) are not searched.
        """
        if gates is ALL_GATES:
            run_recs, ipv4, ipv6, phone = self._run_recs, self._ipv4, self._ipv6, self._phone
            tokens = self._tokens
        else:
            run = "RUN" in gates
            run_recs = self._run_recs if run else ()
            ipv4 = self._ipv4 if "IPV4" in gates else None
            ipv6 = self._ipv6 if "IPV6" in gates else None
            phone = self._phone if run else None
            tokens = self._tokens and "PREFIXED" in gates
            if not (run_recs or ipv4 or ipv6 or phone or tokens):
                return
        skel = _skeleton(text)
        rskel: str | None = None
        n = len(text)
        pos = skel.find("0000")
        while pos != -1:
            if skel.count("0", max(0, pos - 10), pos + 14) < _MIN_RUN_DIGITS and (
                ipv6 is None or skel.find(":", max(0, pos - 5), pos + 9) == -1
            ):
                pos = skel.find("0000", pos + 4)
                continue  # an isolated year or count: no entity of >= 7 digits can be here
            rskel = rskel or skel[::-1]
            cs, ce = _chunk(skel, rskel, pos, _RUN_CHUNK)
            digits = skel.count("0", cs, ce)
            if digits >= _MIN_RUN_DIGITS:
                after_letter = cs > 0 and skel[cs - 1] == "a"
                for rec in run_recs:
                    if digits >= rec.min_digits and (after_letter or rec.type != "IBAN"):
                        self._search(rec, text, cs, ce, found)
            if ipv6 is not None and skel.find(":", cs, ce) != -1:
                self._search(ipv6, text, cs, ce, found)
            pos = skel.find("0000", ce)
        if ipv4 is not None:
            pos = skel.find("0.0")
            while pos != -1:
                rskel = rskel or skel[::-1]
                cs, ce = _chunk(skel, rskel, pos, _DOT_CHUNK)
                if skel.count(".", cs, ce) >= 3:
                    self._search(ipv4, text, cs, ce, found)
                    if ipv6 is not None and cs > 0 and text[cs - 1] == ":":
                        self._search(ipv6, text, cs, ce, found)  # 0:0:0:0:0:ffff:1.2.3.4
                pos = skel.find("0.0", ce)
        if phone is not None and "+" in text:
            pos = skel.find("+0")
            while pos != -1:
                self._search(phone, text, pos, min(n, pos + 20), found)
                pos = skel.find("+0", pos + 2)
        if tokens:
            token_end = -1
            rtext = ""
            pos = skel.find("a0")
            while pos != -1:
                if pos >= token_end:
                    rtext = rtext or text[::-1]
                    start = n - _run_end(P.TOKEN_CHARS, rtext, n - pos - 1)
                    token_end = _run_end(P.TOKEN_CHARS, text, pos + 1)
                    if token_end - start >= _MIN_SECRET_TOKEN:
                        self._secrets_in_token(text, start, token_end, found)
                pos = skel.find("a0", max(pos + 2, token_end))

    def _around_double_colon(
        self, ipv6: P.NumericRecognizer, text: str, has_digit: bool, found: list[tuple[str, int, int]]
    ) -> None:
        """Search compressed IPv6 addresses (``fe80::1``, ``::``) around each ``::``, once per run.

        Without a digit only the bare ``::`` can validate, and only after a blank, ``=``, ``[``,
        ``(`` or ``,``: one literal-prefix regex search rules out C++ and Rust paths.
        """
        if not has_digit and not (text.startswith("::") or _BARE_DOUBLE_COLON.search(text)):
            return
        last_run = -1
        n = len(text)
        for m in _DOUBLE_COLON.finditer(text):
            pos = m.start()
            run = _hex_run_start(text, pos)
            if run == -1 or run == last_run:
                continue
            last_run = run
            bare = run == pos and (pos + 2 == n or text[pos + 2] not in _IPV6_TAIL)
            if bare and not P.unspecified_stands_alone(text, pos, pos + 2):
                continue  # ``s[::-1]``, ``x :: Int``: syntax, not the unspecified address
            self._search(ipv6, text, pos, pos + 2, found)

    @staticmethod
    def _search(rec: P.NumericRecognizer, text: str, cs: int, ce: int, found: list[tuple[str, int, int]]) -> None:
        end = min(len(text), ce + rec.right_margin)
        start = max(0, cs - rec.left_margin)
        if rec.needs_colon and text.find(":", start, end) == -1:
            return
        for m in rec.pattern.finditer(text, start, end):
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


_KEY_REACH: Final = 48
"""A credential word starts at most 41 characters before its ``:``/``=`` (longest key name, a
24-character suffix, a quote and 3 spaces), so it lies in the 48 characters before one."""
_MAX_SEPARATORS: Final = 32


def _word_before_separator(text: str) -> bool:
    """Whether a credential word lies just before some ``:`` or ``=`` (a necessary condition).

    JSON message attributes are long and hold a handful of separators; searching five words in the
    short windows before them, instead of in the whole lower-cased text, is what keeps the scrubber
    cheap on every LLM span. Dense text (code, configs) skips the shortcut.
    """
    windows: list[str] = []
    for sep in ":=":
        at = text.find(sep)  # memchr speed; str.count of one character is several times slower
        while at != -1:
            if len(windows) == _MAX_SEPARATORS:
                return True
            windows.append(text[max(0, at - _KEY_REACH) : at])
            at = text.find(sep, at + 1)
    joined = "\n".join(windows).lower()
    return any(word in joined for word in P.KEYED_SECRET_WORDS)


def _skeleton(text: str) -> str:
    """Map digits to ``0``, ASCII letters to ``a``, keep ``.+:()-/`` and space; same length."""
    if not text.isascii():
        text = text.encode("ascii", "replace").decode("ascii")
    return text.translate(_SKELETON)


def _hex_run_start(text: str, pos: int) -> int:
    """Return where the run of hex digits, ``:`` and ``.`` around ``pos`` starts, or -1.

    An IPv6 address can only start a run, and not right after a letter, digit, ``_`` or ``%``:
    ``std::cout`` and ``Foo::bar`` give -1, so C++, Rust and PHP paths cost no regex search.
    """
    low = max(0, pos - _MAX_IPV6)
    while pos > low and text[pos - 1] in _HEX_COLON:
        pos -= 1
    if pos > 0 and text[pos - 1] in _WORDISH:
        return -1
    return pos


def _chunk(skel: str, rskel: str, pos: int, chars: re.Pattern[str]) -> tuple[int, int]:
    """Return the bounds of the run of ``chars`` around ``pos`` in the skeleton."""
    n = len(skel)
    return n - _run_end(chars, rskel, n - pos), _run_end(chars, skel, pos)


def _run_end(chars: re.Pattern[str], text: str, pos: int) -> int:
    """Return where the run of ``chars`` starting at ``pos`` ends (``chars`` matches empty)."""
    m = chars.match(text, pos)
    return pos if m is None else m.end()


_ALLOWLIST: Final = "pragma: allowlist secret"
"""detect-secrets' inline marker: a value on a line carrying it was reviewed and is not a secret."""

_PROSE: Final = re.compile(r"[a-z]+ [a-z]+ [a-z]+ [a-z]+", re.ASCII)
"""Four words in a row: a ``BEGIN PRIVATE KEY`` block whose body is prose is an example, not a key."""


def _allowlisted(text: str, start: int) -> bool:
    """Whether the line holding offset ``start`` carries :data:`_ALLOWLIST`."""
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", start)
    return text.find(_ALLOWLIST, line_start, len(text) if line_end == -1 else line_end) != -1


def _covering(
    pattern: re.Pattern[str], kind: str, text: str, at: int, reach: int, found: list[tuple[str, int, int]]
) -> None:
    """Append the match of ``pattern`` that covers offset ``at`` (an ``@``), if any.

    The window starts ``reach`` characters before ``at``, so it may hold an earlier entity first
    (``a@b.io or c@d.io``): matches are walked until one covers ``at`` or starts after it.
    """
    for m in pattern.finditer(text, max(0, at - reach), at + 256):
        if m.start() > at:
            return
        if at < m.end():
            found.append((kind, *m.span()))
            return


def _replace(text: str, findings: list[Finding], endpoint: bool) -> tuple[str, dict[str, int]]:
    """Replace each finding by its marker; count them (internal IPs kept in endpoint values)."""
    if endpoint and findings:
        findings = [f for f in findings if not (f.type == "IP_ADDRESS" and _internal_ip(f.value))]
    if not findings:
        return text, {}
    counts: dict[str, int] = {}
    for f in findings:
        counts[f.type] = counts.get(f.type, 0) + 1
    parts: list[str] = []
    pos = 0
    for f in findings:
        parts.append(text[pos : f.start])
        parts.append(f"[REDACTED:{f.type}]")
        pos = f.end
    parts.append(text[pos:])
    return "".join(parts), counts


def _internal_ip(value: str) -> bool:
    """Whether an IP finding is loopback, private or link-local (infrastructure, not a person)."""
    try:
        ip = ipaddress.ip_address(value.partition("/")[0].partition("%")[0])
    except ValueError:
        return False
    return ip.is_loopback or ip.is_private or ip.is_link_local


def _resolve(found: list[tuple[str, int, int]]) -> list[tuple[str, int, int]]:
    """Drop overlaps: the earliest finding wins, then the longest, then a specific type over ``SECRET``."""
    found.sort(key=lambda f: (f[1], f[1] - f[2], f[0] == "SECRET"))
    out: list[tuple[str, int, int]] = []
    last_end = -1
    for kind, start, end in found:
        if start >= last_end and end > start:
            out.append((kind, start, end))
            last_end = end
    return out


DEFAULT_REDACTOR: Final = Redactor()
"""The redactor with the default types and no extra patterns."""
