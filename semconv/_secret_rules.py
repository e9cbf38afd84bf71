"""Provider secret rules: Nosey Parker's rules, screened at once and confirmed one by one.

The rules come from praetorian-inc/noseyparker (Apache-2.0, Copyright Praetorian Security, Inc.;
see ``rules/NOTICE``), converted once by ``rules/build_secret_rules.py`` into the shipped
``rules/secret_rules.json``. A :class:`~agentstate.semconv._screen.Screen` tells which rules can
match a text; each of those is confirmed with Python's :mod:`re`, and the captured secret must
look real (:func:`plausible`) before it is reported. Work per text is linear in its length: a
rule is searched in windows around its keywords or in one pass, and at most
:data:`MAX_MATCHES_PER_RULE` of its matches are validated.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from typing import Any, Final

from agentstate.semconv._screen import ScreenPattern

MAX_MATCHES_PER_RULE: Final = 10_000
"""Matches confirmed per rule and text: bounds the validators' work on a text dense with one
pattern, far above what a real text holds (the SDK must redact every secret it sees)."""

MAX_WINDOWS: Final = 256
"""Keyword occurrences per rule beyond which the rule is searched once over the whole text
(one linear pass instead of many windows)."""

_ASCII_LOWER: Final = {c: c + 32 for c in range(65, 91)}
"""``str.translate`` table folding only ASCII capitals: keeps offsets where ``str.lower`` may not."""

_PLACEHOLDERS: Final = (
    "xxxx", "****", "....", "your", "placeholder", "changeme", "change_me", "redacted", "dummy",
    "insert", "&lt;", "fake", "not_long", "notapassword", "...", "a1b2c3", "abcdefghij",
)  # fmt: skip
"""Lower-case substrings of documentation placeholders (``YOUR_API_KEY``, ``<your-token>``, ``sk-...``)."""

_TEMPLATE: Final = re.compile(
    r"\$\{?[A-Za-z_][\w.]*\}?|\$\(.*\)|\{\{[^{}]*\}\}|\{[0-9]*\}|<[^<>]*>|<%.*%>|%\(?\w*\)?[sd]"
    r"|[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+(?:\(\))?|[A-Z][A-Z0-9_]+|[a-z_]+\(.*\)|#+|true|false|null|none|nil"
    r"|[A-Za-z_][\w.]*[\[(].*|\\?\$.*|#[\w{-].*|arn:.*|[A-Za-z ]+:|[+'\"./].*"
    r"|\[.*|(?i:passw(?:or)?d|secret|pass|pwd|token|key)",
    re.ASCII,
)
"""A value that is a reference, not a secret: ``${VAR}``, ``{{ x }}``, ``<token>``, ``%s``,
``os.environ["KEY"]``, ``API_KEY_ENV``, ``getPassword()``, ``$var``, ``#{x}``, ``[name here]``,
``#####``, ``null``,
an ARN, a form label (``Password:``), code (``+ var``, ``'$X'``), a path, or a credential word itself."""

_SYMBOLS: Final = frozenset("{}$#@!%^&*()[]<>~|\\+=/")
_UUID: Final = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}", re.ASCII)
_JWT_HEADER_KEYS: Final = ('"alg"', '"typ"', '"enc"', '"kid"')

_MASK_RUN: Final = re.compile(r"x{4}|\*{3}|\.{3}|#{4}|\u2022{3}")
"""Masking runs (searched in the lower-cased value): ``xxxx``, ``***``, ``...``, ``####``, ``•••``."""

_MASK_WORDS: Final = (
    "your", "placeholder", "changeme", "change_me", "redacted", "dummy", "insert", "replace", "&lt;", "fake",
    "not_long", "notapassword",
)  # fmt: skip
"""Lower-case words that mark a documented placeholder (``YOUR_API_KEY``, ``sk_test_your_key_here``)."""

_NAMED_FORMATS: Final = (
    (re.compile(r"aws.{0,16}secret"), re.compile(r"[A-Za-z0-9/+]{40}", re.ASCII)),
    (re.compile(r"secret.?access.?key"), re.compile(r"[A-Za-z0-9/+]{40}|[0-9a-f]{48}", re.ASCII)),
    (re.compile(r"cos.?(?:hmac)?.?secret"), re.compile(r"[0-9a-f]{48}", re.ASCII)),
    (re.compile(r"ibm.{0,12}(?:iam|api|cloud|key|pass|pwd)|cloud.?iam|iam.?api.?key"),
     re.compile(r"[A-Za-z0-9_-]{44}", re.ASCII)),
    (re.compile(r"twitch"), re.compile(r"live_[0-9]{6,12}_[A-Za-z0-9]{30}", re.ASCII)),
)  # fmt: skip
"""Credential names that name a provider, and the format that provider's values have (AWS secret
access keys: 40 base64 characters, IBM COS HMAC secrets: 48 hex, both named ``secret_access_key``;
IBM Cloud IAM API keys: 44 characters; Twitch stream keys: ``live_<user id>_<30>``). The first
name that matches decides. Only token-shaped values are held to it (:data:`_TOKEN_SHAPED`)."""

_TOKEN_SHAPED: Final = re.compile(r"[A-Za-z0-9/+=_.-]+", re.ASCII)
"""Token characters only: a value a provider could have issued. A free-form value under the same
name (``aws_secret_access_key = "m{{h}o)p${e]..."``) is a password, judged as one."""

_PATH_WITH_CREDENTIAL_WORD: Final = re.compile(r"(?i)(?=.*/).*(?:passw(?:or)?d|secret)")
"""A path or route naming a credential (``cms/sites/passwords#update``): a name, not a value."""

_MIN_DISTINCT: Final = 4
"""Fewer distinct characters than this in 8 or more is filler (``aaaaaaaa``, ``12121212``)."""


@functools.cache
def load_rules() -> dict[str, Any]:
    """The shipped rules document (``rules/secret_rules.json``), read once."""
    text = resources.files("agentstate.semconv").joinpath("rules/secret_rules.json").read_text("utf-8")
    doc: dict[str, Any] = json.loads(text)
    return doc


RULE_TYPES: Final = frozenset(r["type"] for r in load_rules()["rules"])
"""Every finding type the provider rules report."""


@dataclass(frozen=True, slots=True)
class SecretRule:
    """One provider rule.

    Attributes:
        id: Nosey Parker's rule id, e.g. ``np.github.1``.
        name: Its human-readable name.
        type: The finding type reported, e.g. ``GITHUB_TOKEN``.
        regex: The compiled pattern (``re.ASCII``).
        groups: Capture groups whose spans are reported (0: the whole match).
        check: Validator of each captured value.
        keywords: Lower-case literals one of which every match contains (empty if unknown).
        width: Longest possible match, or ``None`` when unbounded.
        named: Whether the rule is generic (a credential name, no provider format): a value must
            then fit the format of a provider its name names (:func:`named_format_ok`).
    """

    id: str
    name: str
    type: str
    regex: re.Pattern[str]
    groups: tuple[int, ...]
    check: Callable[[str], bool]
    keywords: tuple[str, ...]
    width: int | None
    named: bool = False


def plausible(value: str) -> bool:
    """Return whether a captured secret is real-looking rather than a placeholder or filler."""
    if len(value) >= 8 and len(set(value)) < _MIN_DISTINCT:
        return False
    if len(value) >= 12 and any(value == (value[:k] * (len(value) // k + 1))[: len(value)] for k in (2, 3, 4)):
        return False  # ``asdfasdfasdf``: a short unit repeated
    if len(value) >= 12 and max(map(value.count, set(value))) * 5 > len(value) * 3:
        return False  # ``aaaaaaaaaaaaaaaaend``: one character is most of it
    lowered = value.lower()
    return not any(word in lowered for word in _PLACEHOLDERS)


def masked(value: str) -> bool:
    """Return whether ``value`` is a masked or documented placeholder (``ghp_xxxx``, ``<your-key>``).

    Only masking conventions count: runs of ``x``, ``*``, ``.``, ``#`` and placeholder words. A
    value that is merely regular (``AKIAZZZZ...``, ``aaaa...NRAL``) is still in the provider's
    format, so a rule anchored on that format reports it (see :func:`anchored_ok`).
    """
    lowered = value.lower()
    return _MASK_RUN.search(lowered) is not None or any(word in lowered for word in _MASK_WORDS)


def anchored_ok(value: str) -> bool:
    """A value in a provider's own format (fixed prefix, suffix, length or context word).

    The format is the evidence, so only masking is rejected (:func:`masked`): scanners' test
    fixtures (``AKIAZZZZZZZZZZZZZZZZ``) are redacted like keys, at no cost to the reader.
    """
    return not masked(value)


def fixture_like(value: str) -> bool:
    """Return whether a value under a generic credential name is a documented example.

    Generic rules have no provider format to lean on. A value naming itself an example (AWS's
    documented ``wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY``) is documentation, not a leak.
    Regular values (``abcd1234abcd1234...``, ``super$ecret``) are not rejected: scanners' own
    fixtures in that form are labelled secrets, and a weak password that leaks still leaks.
    """
    return "example" in value.lower()


def named_format_ok(name: str, value: str) -> bool:
    """Return whether a value fits the format of the provider its credential name names.

    Args:
        name: The lower-cased text around the value (the credential name and operator).
        value: The captured value.

    ``AWS_SECRET_ACCESS_KEY=<42 hex>`` is not an AWS secret (those are 40 characters), and it is
    not an unnamed secret either: the name says what it should be and it is not that.
    """
    if not _TOKEN_SHAPED.fullmatch(value):
        return True
    for words, fits in _NAMED_FORMATS:
        if words.search(name):
            return fits.fullmatch(value) is not None
    return True


def keyed_ok(value: str) -> bool:
    """A value assigned to a credential name: no placeholder, no reference to something else."""
    if value != value.strip() or _UUID.fullmatch(value):
        return False
    if _PATH_WITH_CREDENTIAL_WORD.match(value):
        return False
    return plausible(value) and _TEMPLATE.fullmatch(value) is None and len(set(value)) >= 3 and not fixture_like(value)


def keyed_colon_ok(value: str) -> bool:
    """``secret: value`` is prose as often as YAML: the value needs a digit or a symbol to count."""
    return keyed_ok(value) and any(c.isdigit() or c in _SYMBOLS for c in value)


def random_ok(value: str) -> bool:
    """A value behind a bare ``key``/``token`` name: it must look random (letters and digits, varied)."""
    if not plausible(value) or _UUID.fullmatch(value) or _TEMPLATE.fullmatch(value) or fixture_like(value):
        return False
    digits = sum(c.isdigit() for c in value)
    letters = sum(c.isalpha() for c in value)
    return digits >= 2 and letters >= 4 and len(set(value)) >= 8


def jwt_ok(value: str) -> bool:
    """Whether the first part of a JWT/JWE decodes to a JSON header (``alg``, ``typ``...)."""
    head = value.split(".", 1)[0]
    try:
        decoded = base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)).decode("utf-8")
    except (ValueError, binascii.Error):
        return False
    return decoded.startswith("{") and any(k in decoded for k in _JWT_HEADER_KEYS) and decoded.rstrip().endswith("}")


def identifier_ok(value: str) -> bool:
    """Cloud identifiers (buckets, ARNs, shop domains) are named, not random: only reject filler."""
    return not (len(value) >= 8 and len(set(value)) < _MIN_DISTINCT)


def long_ok(value: str) -> bool:
    """Tokens with a fixed prefix and a long body (PyPI): a truncated copy is not a usable secret."""
    return len(value) >= 100 and plausible(value)


CHECKS: Final[dict[str | None, Callable[[str], bool]]] = {
    None: plausible, "anchored": anchored_ok, "keyed": keyed_ok, "keyed_colon": keyed_colon_ok, "random": random_ok,
    "jwt": jwt_ok, "identifier": identifier_ok, "long": long_ok,
}  # fmt: skip
"""Validators by the ``check`` name a rule carries in ``secret_rules.json``."""


_GENERIC_CHECKS: Final = frozenset({"keyed", "keyed_colon", "random"})
"""Validators of the rules that find a value by its credential name alone."""

SCREEN_FORMS: Final[dict[str, str]] = {
    "np.generic.3": r"(?:password|pass|PASSWORD|PASS)[ \t]*=[ \t]*[\"'][^\"']{5}",
    "np.generic.4": r"(?:username|USERNAME|Username|UserName|user|USER)(?:=|[ \t]=|[ \t][ \t])",
    "np.odbc.1": r"(?i);[ \t]*.{0,10}[ \t]*(?:Password|Pwd)\s*=",
}
"""Screen patterns for rules whose own pattern Hyperscan scans slowly, by rule id.

Each is a contiguous part of the rule's pattern, so a superset whose match ends no later than the
full one's: the confirming search's start offset stays a lower bound, and the rule's ``re`` stays
exact. The full patterns (``user = … password = …`` with an unbounded comment loop between, after
a word as frequent as ``user``) took 58% of the screen's time on GenAI text. The parts are the
password half, or for ``np.generic.4`` the ``user =`` half with the blanks before ``=`` spelt out
up to two (every match one of a few literals); which part was measured: each matches in under
0.2% of the texts in the shared data sets.
"""

_URL_CREDENTIALS: Final = "URL_CREDENTIALS"
_NAME_REACH: Final = 48
"""Characters either side of a value read for the credential name (:func:`named_format_ok`)."""


class SecretRules:
    """The provider rules, with the screen patterns that select which ones to confirm."""

    def __init__(self) -> None:
        rules, patterns = [], []
        for r in load_rules()["rules"]:
            regex = re.compile(r.get("python") or r["pattern"], re.ASCII)
            keywords = tuple(r["keywords"]) if r["keywords"] else None
            rules.append(
                SecretRule(
                    r["id"],
                    r["name"],
                    r["type"],
                    regex,
                    tuple(r["groups"]),
                    CHECKS[r["check"]],
                    keywords or (),
                    r["max_width"],
                    r["check"] in _GENERIC_CHECKS,
                )
            )
            screen = SCREEN_FORMS.get(r["id"])
            prefilter = screen is None and r["hyperscan"] == "prefilter"
            patterns.append(ScreenPattern(screen or r["pattern"], keywords, r["max_width"], prefilter, r["min_width"]))
        self.rules: tuple[SecretRule, ...] = tuple(rules)
        self.patterns: tuple[ScreenPattern, ...] = tuple(patterns)

    def confirm(
        self, text: str, hits: dict[int, int], types: frozenset[str], found: list[tuple[str, int, int]]
    ) -> None:
        """Append ``(type, start, end)`` for each confirmed secret of the rules in ``hits``.

        A rule with keywords and a bounded width is searched only in the windows around its
        keywords (``width`` characters either side, overlapping windows merged): every match
        contains a keyword and is at most ``width`` long, so it lies inside one window, and a
        window never ends inside a match. Other rules are searched from the screen's offset.

        Args:
            text: The text screened.
            hits: Rule index to the offset where its confirming search may start.
            types: Types to report.
            found: Where findings are appended.
        """
        lowered = ""
        for index in sorted(hits):  # rule order, whatever order the screen reported them in
            rule = self.rules[index]
            if rule.type not in types:
                continue
            if rule.keywords and rule.width is not None:
                lowered = lowered or (text.lower() if text.isascii() else text.translate(_ASCII_LOWER))
                windows = _windows(lowered, rule.keywords, rule.width)
            else:
                windows = [(hits[index], len(text))]
            count = 0
            for lo, hi in windows:
                for m in rule.regex.finditer(text, lo, hi):
                    for group in rule.groups:
                        s, e = m.span(group)
                        if e > s and rule.check(text[s:e]):
                            if rule.named and not named_format_ok(_name_around(text, m, s, e), text[s:e]):
                                continue
                            if group > 1 and rule.type == _URL_CREDENTIALS and m.group(1) == text[s:e]:
                                continue  # ``postgresql://user:user@db``: the password repeats the user name
                            found.append((rule.type, s, e))
                    count += 1
                    if count == MAX_MATCHES_PER_RULE:
                        break
                if count == MAX_MATCHES_PER_RULE:
                    break


def _name_around(text: str, m: re.Match[str], s: int, e: int) -> str:
    """The lower-cased text before value ``text[s:e]`` (from match ``m``'s start or ``_NAME_REACH`` back, whichever
    is earlier: a rule may match from ``key`` in ``ibm_iam_key``) and the rest of the match after it."""
    return (text[max(0, min(m.start(), s - _NAME_REACH)) : s] + " " + text[e : m.end()]).lower()


def _windows(lowered: str, keywords: tuple[str, ...], width: int) -> list[tuple[int, int]]:
    """Merged ``[q - width, q + width + 1)`` windows around keyword occurrences ``q``, in order."""
    n = len(lowered)
    starts: list[int] = []
    for word in keywords:
        at = lowered.find(word)
        while at != -1:
            if len(starts) == MAX_WINDOWS:
                return [(0, n)]
            starts.append(at)
            at = lowered.find(word, at + 1)
    starts.sort()
    merged: list[tuple[int, int]] = []
    for q in starts:
        lo, hi = max(0, q - width), min(n, q + width + 1)
        if merged and lo <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
        else:
            merged.append((lo, hi))
    return merged
