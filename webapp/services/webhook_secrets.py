"""Webhook signing secrets: made, kept encrypted at rest, and used to sign per Standard Webhooks.

A secret is ``whsec_`` + base64 of 32 random bytes (the receiver's library decodes the part after the prefix
and uses the bytes as the HMAC key). The database holds it only encrypted with AES-256-GCM under a key
derived from SECRET_KEY with HKDF-SHA256, bound to its endpoint's id (associated data): a ciphertext copied
to another row does not decrypt. Changing SECRET_KEY makes stored secrets unreadable: rotate them then.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

PREFIX = "whsec_"
SECRET_BYTES = 32
_VERSION = "v1"
_INFO = b"docpipe webhook signing secrets v1"


class SecretUnavailable(Exception):
    """A stored secret cannot be decrypted (SECRET_KEY changed, or the row was tampered with)."""


def generate_secret() -> str:
    return PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def _key() -> bytes:
    secret_key = str(current_app.config["SECRET_KEY"]).encode()
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(secret_key)


def encrypt(secret: str, endpoint_id: str) -> str:
    nonce = os.urandom(12)
    sealed = AESGCM(_key()).encrypt(nonce, secret.encode(), endpoint_id.encode())
    return f"{_VERSION}:{base64.urlsafe_b64encode(nonce + sealed).decode()}"


def decrypt(stored: str, endpoint_id: str) -> str:
    version, _, blob = stored.partition(":")
    if version != _VERSION:
        raise SecretUnavailable(f"unknown secret format {version!r}")
    try:
        raw = base64.urlsafe_b64decode(blob)
        return AESGCM(_key()).decrypt(raw[:12], raw[12:], endpoint_id.encode()).decode()
    except (InvalidTag, ValueError) as exc:
        raise SecretUnavailable("the endpoint's secret cannot be decrypted (was SECRET_KEY changed?)") from exc


def signature(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """``v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`` keyed with the secret's decoded bytes."""
    key = base64.b64decode(secret.removeprefix(PREFIX))
    signed = f"{msg_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def signature_header(secrets_: list[str], msg_id: str, timestamp: int, body: bytes) -> str:
    """Every valid secret's signature, space separated (the newest first)."""
    return " ".join(signature(secret, msg_id, timestamp, body) for secret in secrets_)
