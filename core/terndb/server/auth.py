"""HS256 JSON Web Tokens, verified with the standard library only."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any, Optional


class TokenError(Exception):
    """The token is missing, malformed, forged or expired (message says which)."""


def _b64d(s: str) -> bytes:
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def _b64e(b: bytes) -> str:
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode("ascii")


def sign(claims: dict, secret: str) -> str:
    """An HS256 token for ``claims`` (tests and the CLI's token helper use this)."""
    header = _b64e(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    payload = _b64e(json.dumps(claims, separators=(",", ":")).encode())
    sig = hmac.new(secret.encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{_b64e(sig)}"


def verify(token: str, secret: str, now: Optional[float] = None, leeway: float = 0.0,
           audience: Optional[str] = None) -> dict[str, Any]:
    """The claims of a valid token; TokenError otherwise.  Only HS256 is accepted."""
    if not token or len(token) > 8192:
        raise TokenError("missing or oversized token")
    parts = token.split(".")
    if len(parts) != 3:
        raise TokenError("malformed token")
    try:
        header = json.loads(_b64d(parts[0]))
        claims = json.loads(_b64d(parts[1]))
        sig = _b64d(parts[2])
    except (ValueError, TypeError) as e:
        raise TokenError("malformed token") from e
    if not isinstance(header, dict) or header.get("alg") != "HS256":
        raise TokenError("token algorithm must be HS256")
    want = hmac.new(secret.encode(), f"{parts[0]}.{parts[1]}".encode(), hashlib.sha256).digest()
    if not hmac.compare_digest(want, sig):
        raise TokenError("bad token signature")
    if not isinstance(claims, dict):
        raise TokenError("malformed token claims")
    t = time.time() if now is None else now
    exp = claims.get("exp")
    if exp is not None and (not isinstance(exp, (int, float)) or t > exp + leeway):
        raise TokenError("token expired")
    nbf = claims.get("nbf")
    if nbf is not None and (not isinstance(nbf, (int, float)) or t + leeway < nbf):
        raise TokenError("token not yet valid")
    if audience is not None and claims.get("aud") != audience:
        raise TokenError("token audience mismatch")
    return claims
