"""JWT access tokens: our own (HS256, a key ring with ``kid``) and, optionally, an external provider's.

Verification pins the algorithms per issuer, so an HS256 token can never be checked against a public key
(key confusion) and ``alg: none`` is refused; ``exp``, ``iat``, ``sub``, ``iss`` and ``aud`` are required.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import jwt
from flask import Flask, current_app

from webapp.timeutil import utcnow

INTERNAL_ALGORITHMS = ["HS256"]
EXTERNAL_ALGORITHMS = ["RS256", "RS384", "RS512", "ES256", "ES384", "PS256"]
REQUIRED_CLAIMS = ["exp", "iat", "sub", "iss", "aud"]
LEEWAY_SECONDS = 30


class TokenError(Exception):
    """Any reason to refuse a token. The message is for logs; clients only ever see a generic 401."""


@dataclass(frozen=True, slots=True)
class KeyRing:
    keys: dict[str, bytes]
    active_kid: str


@dataclass(frozen=True, slots=True)
class ExternalProvider:
    keys: dict[str | None, Any]
    issuer: str
    audience: str
    role_claim: str


def key_ring(app: Flask | None = None) -> KeyRing:
    """``DOCPIPE_JWT_KEYS`` is a JSON object kid → secret; new tokens use ``DOCPIPE_JWT_ACTIVE_KID``.
    Keep the old kid in the ring after a rotation until its tokens have expired: nobody is logged out."""
    app = app or current_app
    cached = app.extensions.get("docpipe.jwt_keys")
    if cached:
        return cached
    raw = app.config.get("JWT_KEYS")
    if raw:
        keys = {kid: secret.encode() for kid, secret in (json.loads(raw) if isinstance(raw, str) else raw).items()}
        active = app.config.get("JWT_ACTIVE_KID") or sorted(keys)[-1]
    else:
        # Derived from SECRET_KEY so the embedded default needs no extra setting.
        derived = hmac.new(app.config["SECRET_KEY"].encode(), b"docpipe jwt signing key v1", hashlib.sha256).digest()
        keys, active = {"default": derived}, "default"
    if active not in keys:
        raise RuntimeError(f"DOCPIPE_JWT_ACTIVE_KID {active!r} is not in DOCPIPE_JWT_KEYS")
    for kid, secret in keys.items():
        if len(secret) < 32:
            raise RuntimeError(f"JWT key {kid!r} is shorter than 32 bytes")
    ring = KeyRing(keys, active)
    app.extensions["docpipe.jwt_keys"] = ring
    return ring


def issue_token(user_id: str, role: str) -> tuple[str, int]:
    ring = key_ring()
    ttl = int(current_app.config["JWT_TTL_SECONDS"])
    now = utcnow()
    claims = {
        "sub": user_id,
        "role": role,
        "iss": current_app.config["JWT_ISSUER"],
        "aud": current_app.config["JWT_AUDIENCE"],
        "iat": now,
        "nbf": now,
        "exp": now + timedelta(seconds=ttl),
        "jti": secrets.token_hex(12),
    }
    token = jwt.encode(claims, ring.keys[ring.active_kid], algorithm="HS256", headers={"kid": ring.active_kid})
    return token, ttl


def verify_internal(token: str, header: dict[str, Any]) -> dict[str, Any]:
    ring = key_ring()
    secret = ring.keys.get(header.get("kid") or "")
    if secret is None:
        raise TokenError("unknown kid")
    return _decode(
        token, secret, INTERNAL_ALGORITHMS, current_app.config["JWT_ISSUER"], current_app.config["JWT_AUDIENCE"]
    )


def verify_external(token: str, header: dict[str, Any]) -> tuple[dict[str, Any], str]:
    provider = external_provider()
    if provider is None:
        raise TokenError("no external identity provider is configured")
    key = provider.keys.get(header.get("kid")) or (provider.keys.get(None) if len(provider.keys) == 1 else None)
    if key is None:
        raise TokenError("unknown kid for the external provider")
    claims = _decode(token, key, EXTERNAL_ALGORITHMS, provider.issuer, provider.audience)
    return claims, provider.role_claim


def _decode(token: str, key: Any, algorithms: list[str], issuer: str, audience: str) -> dict[str, Any]:
    try:
        return jwt.decode(
            token,
            key,
            algorithms=algorithms,
            issuer=issuer,
            audience=audience,
            leeway=LEEWAY_SECONDS,
            options={"require": REQUIRED_CLAIMS},
        )
    except jwt.PyJWTError as exc:
        raise TokenError(f"{type(exc).__name__}: {exc}") from None


def unverified_header(token: str) -> dict[str, Any]:
    try:
        return jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise TokenError(f"malformed token: {exc}") from None


def external_provider(app: Flask | None = None) -> ExternalProvider | None:
    """``DOCPIPE_JWT_PUBLIC_KEYS``: a PEM public key or a JWKS file, with its own issuer and audience."""
    app = app or current_app
    if "docpipe.jwt_external" in app.extensions:
        return app.extensions["docpipe.jwt_external"]
    path = app.config.get("JWT_PUBLIC_KEYS")
    provider = None
    if path:
        issuer, audience = app.config.get("JWT_EXTERNAL_ISSUER"), app.config.get("JWT_EXTERNAL_AUDIENCE")
        if not issuer or not audience:
            raise RuntimeError("DOCPIPE_JWT_PUBLIC_KEYS needs DOCPIPE_JWT_EXTERNAL_ISSUER and _AUDIENCE")
        provider = ExternalProvider(_load_public_keys(Path(path)), issuer, audience, app.config["JWT_ROLE_CLAIM"])
    app.extensions["docpipe.jwt_external"] = provider
    return provider


def _load_public_keys(path: Path) -> dict[str | None, Any]:
    text = path.read_text()
    if text.lstrip().startswith("{"):
        keys: dict[str | None, Any] = {}
        for jwk in json.loads(text)["keys"]:
            keys[jwk.get("kid")] = jwt.PyJWK(jwk).key
        return keys
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    return {None: load_pem_public_key(text.encode())}
