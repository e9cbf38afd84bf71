"""Checksum and shape validators behind the PII and secret recognisers.

A pattern only finds candidates; these functions decide. Validating checksums (Luhn, IBAN mod-97,
Base58Check, Bech32, NHS mod-11), issuer prefixes and SSN allocation rules is what keeps trace IDs,
nanosecond timestamps, UUIDs and digests from being reported. Pure, stdlib-only.
"""

from __future__ import annotations

import hashlib
from typing import Final

IBAN_LENGTHS: Final[dict[str, int]] = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22,
    "BI": 27, "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DJ": 27,
    "DK": 18, "DO": 28, "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27,
    "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28, "HN": 28, "HR": 21, "HU": 28,
    "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28,
    "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "LY": 25, "MC": 27, "MD": 24, "ME": 22,
    "MK": 19, "MN": 20, "MR": 27, "MT": 31, "MU": 30, "NI": 28, "NL": 18, "NO": 15, "OM": 23,
    "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "RU": 33, "SA": 24,
    "SC": 31, "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25, "SV": 28,
    "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
}  # fmt: skip
"""IBAN length per country (SWIFT IBAN registry)."""

_INVALID_SSNS: Final = frozenset({"078051120", "219099999", "123456789", "987654320"})
"""Numbers published in advertising or used as examples, never valid (SSA, presidio)."""

_PLACEHOLDER_WORDS: Final = (
    "your",
    "here",
    "placeholder",
    "xxxx",
    "changeme",
    "redacted",
    "<",
    ">",
    "{",
    "}",
    "$",
    "***",
    "...",
)
"""Substrings that mark a documentation placeholder rather than a real credential."""

_B58_ALPHABET: Final = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX: Final = {c: i for i, c in enumerate(_B58_ALPHABET)}
_BECH32_CHARSET: Final = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_BECH32_GEN: Final = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)


def luhn_ok(digits: str) -> bool:
    """Return whether a digit string passes the Luhn (mod-10) check."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i & 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def card_ok(digits: str) -> bool:
    """Return whether ``digits`` is a plausible payment card number.

    Luhn plus issuer prefix and length: a 19-digit nanosecond timestamp starts with ``1`` and only
    UATP cards (15 digits) do, so timestamps never pass.
    """
    n = len(digits)
    if not 13 <= n <= 19 or not luhn_ok(digits) or digits == digits[0] * n:
        return False
    first = digits[0]
    if first == "1":
        return n == 15
    if first == "2":
        return n == 16 and 2221 <= int(digits[:4]) <= 2720
    if first == "3":
        return (digits[:2] in ("34", "37") and n == 15) or (
            digits[:2] in ("30", "36", "38", "39", "35") and 14 <= n <= 19
        )
    return first in "456"


def iban_ok(compact: str) -> bool:
    """Return whether an upper-case IBAN without separators has the right length and mod-97."""
    expected = IBAN_LENGTHS.get(compact[:2])
    if expected is None or len(compact) != expected or not compact[2:4].isdigit():
        return False
    rearranged = compact[4:] + compact[:4]
    number = "".join(str(int(ch, 36)) for ch in rearranged)
    return int(number) % 97 == 1


def ssn_ok(digits: str) -> bool:
    """Return whether nine digits are an SSN the SSA could have issued.

    Area ``000``, ``666`` and ``900-999`` are never issued, nor group ``00`` or serial ``0000``;
    repeated digits and published sample numbers are rejected as in presidio.
    """
    return ssn_shape_ok(digits) and digits not in _INVALID_SSNS and digits != digits[0] * 9


def ssn_shape_ok(digits: str) -> bool:
    """Return whether nine digits respect the SSN structure (area, group and serial ranges).

    The published sample numbers (``078-05-1120``, ``123-45-6789``) pass: next to an SSN context
    word they are redacted like any other (:func:`ssn_ok` rejects them elsewhere).
    """
    if len(digits) != 9:
        return False
    area = digits[:3]
    return not (area in ("000", "666") or area[0] == "9" or digits[3:5] == "00" or digits[5:] == "0000")


def nanp_ok(digits: str) -> bool:
    """Return whether ten digits form a North American number (area and exchange start 2-9)."""
    return len(digits) == 10 and digits[0] not in "01" and digits[3] not in "01"


def phone_digits_ok(digits: str) -> bool:
    """Return whether a digit count and variety is plausible for a phone number (E.164: <= 15)."""
    return 7 <= len(digits) <= 15 and len(set(digits)) > 2


def nhs_ok(digits: str) -> bool:
    """Return whether ten digits pass the UK NHS number mod-11 check."""
    if len(digits) != 10:
        return False
    total = sum(int(d) * (10 - i) for i, d in enumerate(digits[:9]))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(digits[9])


def base58check_ok(address: str) -> bool:
    """Return whether ``address`` decodes as Base58Check (legacy and P2SH Bitcoin addresses)."""
    value = 0
    for ch in address:
        idx = _B58_INDEX.get(ch)
        if idx is None:
            return False
        value = value * 58 + idx
    raw = value.to_bytes(25, "big") if value.bit_length() <= 200 else b""
    if len(raw) != 25:
        return False
    checksum = hashlib.sha256(hashlib.sha256(raw[:-4]).digest()).digest()[:4]
    return checksum == raw[-4:]


def bech32_ok(address: str) -> bool:
    """Return whether ``address`` is a valid Bech32 or Bech32m string (SegWit addresses)."""
    addr = address.lower()
    hrp, sep, data = addr.rpartition("1")
    if not sep or not hrp or len(data) < 6 or any(c not in _BECH32_CHARSET for c in data):
        return False
    values = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]
    values += [_BECH32_CHARSET.index(c) for c in data]
    chk = 1
    for v in values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ v
        for i in range(5):
            chk ^= _BECH32_GEN[i] if (top >> i) & 1 else 0
    return chk in (1, 0x2BC830A3)


def looks_like_secret(value: str, min_len: int = 8, min_distinct: int = 6) -> bool:
    """Return whether a credential value is random-looking rather than a placeholder.

    Args:
        value: The candidate value, without surrounding quotes.
        min_len: Minimum length.
        min_distinct: Minimum number of distinct characters (rejects ``xxxxxxxx``).
    """
    if len(value) < min_len or len(set(value)) < min_distinct:
        return False
    lowered = value.lower()
    return not any(word in lowered for word in _PLACEHOLDER_WORDS)
