"""Compiled patterns and validators of the PII and secret recognisers.

Patterns find candidates; validators (checksums, prefixes, context) decide. Numeric recognisers are
searched only inside small windows around digit runs, so each declares how many digits it needs.
All patterns are ASCII-only (``re.ASCII``) and bounded so none can backtrack without limit.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from agentstate.semconv import _pii_checks as checks
from agentstate.semconv import _secret_rules as secret_checks

_F: Final = re.ASCII

SSN_CONTEXT: Final = re.compile(
    r"(?i)(?<![a-z])(?:ssns?|ss#|soc(?:ial)?[\s_.-]*sec(?:urity)?|taxpayer|tax[\s_-]*id|itin)(?![a-z])", _F
)
"""Words that make a weakly delimited SSN-shaped number an SSN (presidio's context words, plus
``snake_case`` keys such as ``social_security_number``)."""

_SSN_BEFORE: Final = 48
"""How far before a weak SSN candidate its context word may be."""

_SSN_AFTER: Final = re.compile(r"[^.;!?\n]{0,24}", _F)
"""The same clause after a candidate (``078051121 is my SSN``), where a context word counts too."""


PHONE_CONTEXT: Final = re.compile(
    r"(?i)(?<![a-z])(?:phone|telephone|tel|mobile|cell|cellphone|fax|sms|whatsapp|"
    r"call\s+(?:me|us|him|her|them)(?:\s+(?:at|on))?|text\s+me(?:\s+(?:at|on))?)(?![a-z])",
    _F,
)
"""Words that make an unformatted ten-digit North American number a phone number."""

_PHONE_BEFORE: Final = 32


def _digits(s: str) -> str:
    return "".join(ch for ch in s if "0" <= ch <= "9")


def _card(m: re.Match[str]) -> tuple[int, int] | None:
    return m.span() if checks.card_ok(_digits(m.group())) else None


def _ssn(m: re.Match[str]) -> tuple[int, int] | None:
    """Accept ``AAA-GG-SSSS`` (one delimiter, used twice) on its own; weaker shapes need more.

    Right after an SSN context word (``SSN``, ``social security`` ...) the published sample
    numbers the SSA never issued (``123-45-6789``, ``078-05-1120``) count too: whoever wrote them
    meant an SSN. The structural rules (area ``000``/``666``/``9xx``, group ``00``, serial
    ``0000``) hold everywhere.

    Undelimited (``AAAGGSSSS``) and half-delimited (``AAA-GGSSSS``, ``AAAGG-SSSS``) numbers are
    presidio's "very weak" patterns: any nine-digit ID or a ZIP+4 has that shape. They count when a
    context word is near (before, or after in the same clause). A value that is nothing but such a
    number is *not* enough: tool results and form fields are full of nine-digit IDs, and redacting
    them as SSNs would corrupt stored data and raise false leakage alerts.
    """
    d1, d2 = m.group(2), m.group(4)
    digits = m.group(1) + m.group(3) + m.group(5)
    text, start, end = m.string, m.start(), m.end()
    if d1 and d2 and d1 != d2:  # mixed delimiters, e.g. ``693-09.4444``
        return None
    context = SSN_CONTEXT.search(text, max(0, start - _SSN_BEFORE), start) is not None
    if not checks.ssn_ok(digits) and not (context and checks.ssn_shape_ok(digits) and digits != digits[0] * 9):
        return None  # a published sample counts only where the text says it is an SSN
    if (d1 and d1 == d2) or context:
        return m.span()
    after = _SSN_AFTER.match(text, end)
    if after is not None and SSN_CONTEXT.search(text, end, after.end()) is not None:
        return m.span()
    return None


def _phone(m: re.Match[str]) -> tuple[int, int] | None:
    digits = _digits(m.group())
    if not checks.phone_digits_ok(digits):
        return None
    if m.group("nanp") is not None and not checks.nanp_ok(digits[-10:]):
        return None
    if m.group("bare") is not None:  # ``2125550187``: an ID or a count unless a phone word is near
        start = m.start()
        near = PHONE_CONTEXT.search(m.string, max(0, start - _PHONE_BEFORE), start)
        if near is None or not checks.nanp_ok(digits[-10:]):
            return None
    return m.span()


def _iban(m: re.Match[str]) -> tuple[int, int] | None:
    """Cut the candidate to its country's length, at a group boundary, then check mod-97."""
    text = m.group()
    expected = checks.IBAN_LENGTHS.get(text[:2])
    if expected is None:
        return None
    seps = {ch for ch in text if ch in " -"}
    if len(seps) > 1:
        return None
    count = 0
    for i, ch in enumerate(text):
        if ch not in " -":
            count += 1
            if count == expected:
                end = i + 1
                if end < len(text) and text[end] not in " -":
                    return None
                return (m.start(), m.start() + end) if checks.iban_ok(_compact(text[:end])) else None
    return None


def _compact(text: str) -> str:
    return text.replace(" ", "").replace("-", "")


def _ipv4(m: re.Match[str]) -> tuple[int, int] | None:
    return m.span()


def _ipv6(m: re.Match[str]) -> tuple[int, int] | None:
    """Validate with :mod:`ipaddress`; reject slices (``a[1::2]``) and word-like hex (``add::bad``).

    The unspecified address ``::`` is taken with a prefix (``::/0``) or where it stands as a value
    (``src=::``, ``[::]:80``, ``bind to ::`` at the end of the text); never in ``x :: Int``
    (Haskell), ``a[::-1]`` (Python) or ``split("::")``.
    """
    text = m.group()
    start, end = m.span()
    while text.endswith("."):
        text, end = text[:-1], end - 1
    addr, _, prefix = text.partition("/")
    if prefix and not (prefix.isdigit() and int(prefix) <= 128):
        end -= len(prefix) + 1
        prefix = ""
    bare = addr.partition("%")[0]
    if _is_subscript(m.string, start, end):
        return None
    if _DIGIT.search(bare) is None and (bare != "::" or not (prefix or unspecified_stands_alone(m.string, start, end))):
        return None  # ``add::bad`` is hex-looking words; ``::`` only where it stands as a value
    try:
        ipaddress.IPv6Address(bare)
    except ValueError:
        return None
    return start, end


_TRAILING_BLANK: Final = re.compile(r"[\s.]*\Z", _F)
_DIGIT: Final = re.compile(r"\d", _F)


def _is_subscript(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` is a slice inside ``name[...]``, e.g. ``a[1::2]`` or ``s[::3]``."""
    return (
        start >= 2
        and text[start - 1] == "["
        and (text[start - 2].isalnum() or text[start - 2] in "_)]")
        and text.startswith("]", end)
    )


def unspecified_stands_alone(text: str, start: int, end: int) -> bool:
    """Whether a bare ``::`` is a value (``src=::``, ``[::]``, ``... ::``) rather than syntax."""
    left = text[start - 1] if start else " "
    if left == "=":
        return True
    if left == "[":
        return text.startswith("]", end)
    if not (left.isspace() or left in "(,"):
        return False
    return end == len(text) or text[end] in ",;)]" or _TRAILING_BLANK.match(text, end) is not None


def _nhs(m: re.Match[str]) -> tuple[int, int] | None:
    return m.span() if checks.nhs_ok(_digits(m.group())) else None


def _date(m: re.Match[str]) -> tuple[int, int] | None:
    return m.span()


@dataclass(frozen=True, slots=True)
class NumericRecognizer:
    """A recogniser searched in windows around digit runs.

    Attributes:
        type: Finding type, e.g. ``CREDIT_CARD``.
        pattern: Candidate pattern, with its own boundaries.
        validate: Returns the finding's span, or ``None`` to reject the candidate.
        min_digits: Fewest digits an entity of this type contains (skips small windows).
        left_margin: How far before its numeric chunk the entity may start.
        right_margin: How far after its numeric chunk the entity may end.
        needs_colon: Search only windows that contain ``:``.
    """

    type: str
    pattern: re.Pattern[str]
    validate: Callable[[re.Match[str]], tuple[int, int] | None]
    min_digits: int
    left_margin: int = 8
    right_margin: int = 12
    needs_colon: bool = False


_B: Final = r"(?<![\w.+/-])"
"""Left boundary of numeric entities: not inside a word, a dotted or a dashed token."""

_OCTET: Final = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"

_MONTH: Final = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)"

NUMERIC: Final[tuple[NumericRecognizer, ...]] = (
    NumericRecognizer(
        "CREDIT_CARD",
        re.compile(
            _B + r"(?:\d{13,19}(?!\w)"
            r"|\d{4}([ -])\d{4}\1\d{4}\1\d{1,4}(?:\1\d{3})?(?!\w|\1\d)"
            r"|\d{4}([ -])\d{6}\2\d{4,5}(?!\w|\2\d))",
            _F,
        ),
        _card,
        13,
    ),
    NumericRecognizer(
        "US_SSN",
        re.compile(_B + r"(\d{3})([- .]?)(\d{2})([- .]?)(\d{4})(?!\w|[-.]\d)", _F),
        _ssn,
        9,
    ),
    NumericRecognizer(
        "IBAN",
        re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?:[ -]?[A-Z0-9]){10,32}", _F),
        _iban,
        7,
        left_margin=12,
        right_margin=40,  # letters may follow the last digit run: ``MT84 MALT 0110 ... MTLC AST0 01S``
    ),
    NumericRecognizer(
        "PHONE",
        re.compile(
            r"(?<![\w+.-])(?<!\d[ -])(?:"
            r"\+\d{1,3}(?:[ .-]?\(\d{1,4}\))?(?:[ .-]?\d{1,5}){1,5}"
            r"|(?P<nanp>(?:1[ .-]?)?(?:\(\d{3}\)[ .-]?\d{3}|\d{3}(?P<sep>[ .-])\d{3}(?=(?P=sep)))[ .-]?\d{4})"
            r"|\d{2,3}-\d{3}-\d{3}-\d{4}"
            r"|0\d{1,4}[ -][1-9]\d{2,3}[ -]?\d{3,4}"
            r"|1[3-9]\d{9}"
            r"|(?P<bare>1?[2-9]\d{2}[2-9]\d{6})"
            r")(?!\w|[ .-]\d)",
            _F,
        ),
        _phone,
        7,
    ),
    NumericRecognizer(
        "IP_ADDRESS",
        re.compile(rf"(?<![\w.]){_OCTET}(?:\.{_OCTET}){{3}}(?!\w)(?:/(?:3[0-2]|[12]?\d)(?!\d))?", _F),
        _ipv4,
        4,
    ),
    NumericRecognizer(
        "IP_ADDRESS",
        re.compile(
            r"(?<![\w:.%])(?=[0-9A-Fa-f]{0,4}:[0-9A-Fa-f]{0,4}:)[0-9A-Fa-f:.]{2,45}"
            r"(?:%[A-Za-z0-9]{1,16})?(?:/\d{1,4})?(?![\w:])",
            _F,
        ),
        _ipv6,
        1,
        left_margin=40,
        right_margin=48,
        needs_colon=True,
    ),
)
"""Numeric recognisers enabled by default."""

EXTENDED_NUMERIC: Final[tuple[NumericRecognizer, ...]] = (
    NumericRecognizer(
        "UK_NHS",
        re.compile(_B + r"\d{3}([ -]?)\d{3}\1\d{4}(?!\w|[ -]\d)", _F),
        _nhs,
        10,
    ),
    NumericRecognizer(
        "DATE_TIME",
        re.compile(
            r"(?i)(?<![\w/.:-])(?:"
            r"\d{4}-(?:0?[1-9]|1[0-2])-(?:0?[1-9]|[12]\d|3[01])"
            r"(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?"
            r"|(?:0?[1-9]|[12]\d|3[01])[-/.](?:0?[1-9]|[12]\d|3[01])[-/.](?:\d{4}|\d{2})"
            rf"|(?:0?[1-9]|[12]\d|3[01])-{_MONTH}(?:-(?:\d{{4}}|\d{{2}}))?"
            rf"|{_MONTH}-(?:\d{{4}}|\d{{2}})"
            r"|(?:0?[1-9]|1[0-2])/(?:\d{4}|\d{2})"
            r")(?![\w/]|[.:-]\d)",
            _F,
        ),
        _date,
        2,
    ),
)
"""Opt-in numeric recognisers: useful for compliance scans, too common in LLM text to alert on."""

EMAIL: Final = re.compile(
    r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]{1,64}@"
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.){1,8}"
    r"(?:[A-Za-z]{2,24}|xn--[A-Za-z0-9-]{2,59})(?![A-Za-z0-9-])",
    _F,
)
"""E-mail addresses (searched only around ``@``)."""

URL_CREDENTIALS: Final = re.compile(
    r"[A-Za-z][A-Za-z0-9+.-]{1,15}://(?P<user>[^\s:/@\"'<>]{1,64}):(?!(?P=user)@)[^\s/@\"'<>]{1,128}@"
    r"[A-Za-z0-9.\[\]:-]+",
    _F,
)
"""``scheme://user:password@host`` (searched only around ``@``); not when the password repeats the
user name (``postgresql://user:user@db``: a placeholder)."""

PRIVATE_KEY: Final = re.compile(
    r"-----BEGIN[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----"
    r"(?:.*?-----END[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----|.*\Z)",
    _F | re.DOTALL,
)
"""PEM private keys; an unterminated block is redacted to the end of the text."""

AWS_ACCESS_KEY: Final = re.compile(
    r"(?<![A-Za-z0-9])(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|AROA|APKA|ASCA)[A-Z0-9]{16}"
    r"(?![A-Za-z0-9])",
    _F,
)
"""AWS access key IDs (long-term ``AKIA``, temporary ``ASIA`` and the other IAM prefixes)."""

PREFIXED_SECRET: Final = re.compile(
    r"(?<![A-Za-z0-9_-])(?:"
    r"(?P<ANTHROPIC_KEY>sk-ant-[A-Za-z0-9_-]{20,})"
    r"|(?P<OPENAI_KEY>sk-(?:proj-|svcacct-|admin-|None-)?[A-Za-z0-9_-]{20,})"
    r"|(?P<GITHUB_TOKEN>gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})"
    r"|(?P<SLACK_TOKEN>xox[abposr]-[A-Za-z0-9-]{10,250}|xapp-\d-[A-Za-z0-9-]{10,250})"
    r"|(?P<STRIPE_KEY>(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,247})"
    r"|(?P<JWT>eyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*)"
    r"|(?P<AWS_ACCESS_KEY>(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|AROA|APKA|ASCA)[A-Z0-9]{16})"
    r"|(?P<GOOGLE_API_KEY>AIza[0-9A-Za-z_-]{35})"
    r"|(?P<HUGGINGFACE_TOKEN>hf_[A-Za-z0-9]{30,})"
    r"|(?P<CRYPTO>[13][1-9A-HJ-NP-Za-km-z]{25,34}|bc1[02-9ac-hj-np-z]{11,87})"
    r")(?![A-Za-z0-9_-])",
    _F,
)
"""Secrets recognisable by their prefix, searched inside long tokens that contain a digit."""

TOKEN_CHARS: Final = re.compile(r"[A-Za-z0-9_./+-]*", _F)
"""Characters of one opaque token (keys, IDs, JWTs, base64); used to expand around a digit run."""

KEYED_SECRET: Final = re.compile(
    r"(?i)(?P<key>(?:passw(?:or)?d|passphrase|secret|api[_-]?key|apikey|"
    r"access[_-]?key|private[_-]?key|(?:auth|access|refresh|bearer|session|api)[_-]?token|"
    r"credentials?)[A-Za-z0-9_.-]{0,24})(?P<q>[\"']?)\s{0,3}(?P<sep>[:=])\s{0,3}[\"']?"
    r"(?P<value>[^\s\"',;<>{}()\[\]`]{8,200})",
    _F,
)
"""``key = value`` pairs whose key names a credential (searched only when such a word is present)."""

KEYED_SECRET_WORDS: Final = ("pass", "secret", "key", "token", "credential")
"""Lower-case words that make :data:`KEYED_SECRET` worth running."""

_IDENTIFIER_PATH: Final = re.compile(r"[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+|[A-Z][A-Z0-9_]+", _F)
_BASE64_40: Final = re.compile(r"[A-Za-z0-9/+]{40}", _F)


def keyed_secret(m: re.Match[str]) -> tuple[str, int, int] | None:
    """Validate a :data:`KEYED_SECRET` match; return ``(type, start, end)`` of the value or ``None``.

    Prose such as ``the secret: consistency`` is not a credential: an unquoted key followed by
    ``:`` needs a value with a digit. References (``os.environ.KEY``, ``API_KEY``) are skipped.
    """
    value = m.group("value").rstrip(".-")
    if not checks.looks_like_secret(value) or value.lower() in ("true", "false", "null", "none"):
        return None
    if _IDENTIFIER_PATH.fullmatch(value):
        return None
    if m.group("sep") == ":" and not m.group("q") and not any("0" <= c <= "9" for c in value):
        return None
    start = m.start("value")
    key = m.string[max(0, m.start() - 8) : m.end("key")].lower()
    if not secret_checks.named_format_ok(key, value):
        return None
    kind = "AWS_SECRET_KEY" if "aws" in key and _BASE64_40.fullmatch(value) else "SECRET"
    return kind, start, start + len(value)


_OPENAI_MARK: Final = "BlbkFJ"
_OPENAI_MARK_FULL: Final = "T3BlbkFJ"
"""OpenAI keys of the 20+8+20 form carry ``T3BlbkFJ`` (base64 of ``OpenAI``) in the middle."""

_MIN_ANTHROPIC: Final = 48
"""Shortest Anthropic key taken (real ones are ~108 characters; docs show ~36-character prefixes)."""


def prefixed_ok(kind: str, value: str) -> bool:
    """Return whether a :data:`PREFIXED_SECRET` candidate is real rather than a placeholder."""
    if kind == "CRYPTO":
        return checks.bech32_ok(value) if value.startswith("bc1") else checks.base58check_ok(value)
    if kind == "JWT":
        return secret_checks.jwt_ok(value)
    if kind == "OPENAI_KEY" and _OPENAI_MARK in value and _OPENAI_MARK_FULL not in value:
        return False  # ``...T4BlbkFJ...``: the marker of OpenAI's key format (base64 "OpenAI") altered
    if kind == "ANTHROPIC_KEY" and len(value) < _MIN_ANTHROPIC:
        return False  # ``sk-ant-api03-f-SD8U…``: a truncated key in docs or logs, not a usable one
    body = value.split("_")[-1] if kind in ("STRIPE_KEY", "GITHUB_TOKEN") else value[4:]
    return checks.looks_like_secret(body, min_len=8, min_distinct=8)


URL: Final = re.compile(
    r"(?i)(?<![\w@.-])(?:(?:https?|ftp)://[^\s<>\"'`]+[^\s<>\"'`.,;:!?)\]]"
    r"|(?:www\.)?[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*"
    r"\.(?:com|org|net|edu|gov|io|ai|co|uk|de|fr|il|site|webcam|vlaanderen|info|biz|dev|app)"
    r"(?:/[^\s<>\"'`]*[^\s<>\"'`.,;:!?)\]])?)(?![\w@-])",
    _F,
)
"""URLs and bare domains with a common TLD (opt-in type ``URL``)."""
