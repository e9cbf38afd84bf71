"""Access tokens: HS256 JWTs per RFC 8725 (pinned algorithm, typed, issuer/audience/expiry checked).

The signing key is derived from ``AGENTSTATE_SECRET_KEY`` with a label, so the same secret used as
the API-key pepper never signs anything directly.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from typing import Final

import jwt

ALGORITHM: Final = "HS256"
"""The only accepted algorithm; never taken from the token header."""

ISSUER: Final = "agentstate"
AUDIENCE: Final = "agentstate-api"
TOKEN_TYPE: Final = "at+jwt"  # noqa: S105 - a media type, not a secret
"""Explicit typing (RFC 8725 §3.11, RFC 9068)."""

KEY_ID: Final = "as1"
LEEWAY_SECONDS: Final = 5
"""Clock skew tolerated on ``exp``/``nbf``: the servers that check tokens are the ones that issue them
(clocks kept by NTP), so a few seconds suffice and an expired token stops working almost at once."""


class InvalidToken(Exception):
    """The token is malformed, forged, expired or not for us."""


@dataclass(frozen=True)
class Claims:
    """What a verified token says."""

    user_id: str
    token_version: int
    expires_at: int


def signing_key(secret: str) -> bytes:
    """Derive the JWT signing key from the server secret."""
    return hmac.new(secret.encode("utf-8"), b"agentstate.jwt.v1", hashlib.sha256).digest()


def issue(key: bytes, user_id: str, token_version: int, ttl_seconds: int, now: float | None = None) -> str:
    """Return a signed access token for ``user_id``."""
    iat = int(now if now is not None else time.time())
    payload = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": user_id,
        "iat": iat,
        "nbf": iat,
        "exp": iat + ttl_seconds,
        "jti": secrets.token_hex(8),
        "ver": token_version,
    }
    return jwt.encode(payload, key, algorithm=ALGORITHM, headers={"typ": TOKEN_TYPE, "kid": KEY_ID})


def verify(key: bytes, token: str) -> Claims:
    """Verify ``token`` and return its claims, or raise :class:`InvalidToken`."""
    try:
        header = jwt.get_unverified_header(token)
        if header.get("typ") != TOKEN_TYPE or header.get("kid") != KEY_ID or header.get("alg") != ALGORITHM:
            raise InvalidToken("unexpected token header")
        data = jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            issuer=ISSUER,
            leeway=LEEWAY_SECONDS,
            options={"require": ["exp", "iat", "nbf", "iss", "aud", "sub"]},
        )
    except jwt.PyJWTError as exc:
        raise InvalidToken(str(exc)) from exc
    ver = data.get("ver")
    if not isinstance(data["sub"], str) or not isinstance(ver, int):
        raise InvalidToken("malformed claims")
    return Claims(data["sub"], ver, int(data["exp"]))
