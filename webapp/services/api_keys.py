"""API keys: create (shown once), list, revoke, and verify a presented key."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import zlib
from datetime import datetime, timedelta

from sqlalchemy import select, update

from webapp.extensions import db
from webapp.ids import new_id
from webapp.models import ApiKey, User
from webapp.models.user import ROLE_RANK
from webapp.pipeline.config import FieldError
from webapp.services import audit
from webapp.services.errors import NotFoundError, ValidationFailed
from webapp.timeutil import utcnow

KEY_PREFIX = "dp_"
_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_BODY_BYTES = 32  # 256 bits of secret
_CHECKSUM_CHARS = 6
VISIBLE_CHARS = 11  # "dp_" and the first 8 characters: enough to recognise a key, useless to use it
LAST_USED_GRANULARITY = timedelta(minutes=1)


def _base62(value: int, width: int) -> str:
    chars = []
    for _ in range(width):
        value, rem = divmod(value, 62)
        chars.append(_ALPHABET[rem])
    return "".join(reversed(chars))


def _checksum(body: str) -> str:
    return _base62(zlib.crc32(body.encode()), _CHECKSUM_CHARS)


def generate_key() -> str:
    body = _base62(int.from_bytes(secrets.token_bytes(_BODY_BYTES), "big"), 43)
    return KEY_PREFIX + body + _checksum(body)


def well_formed(key: str) -> bool:
    """Shape and checksum: a typo or a random string is refused without touching the database."""
    if not key.startswith(KEY_PREFIX) or len(key) != len(KEY_PREFIX) + 43 + _CHECKSUM_CHARS:
        return False
    body, checksum = key[len(KEY_PREFIX) : -_CHECKSUM_CHARS], key[-_CHECKSUM_CHARS:]
    return all(ch in _ALPHABET for ch in body) and hmac.compare_digest(_checksum(body), checksum)


def hash_key(key: str) -> str:
    # The key carries 256 random bits, so a plain SHA-256 cannot be brute-forced; no salt or pepper needed.
    return hashlib.sha256(key.encode()).hexdigest()


def create_key(
    user: User, name: str, role: str | None = None, expires_in_days: int | None = None
) -> tuple[ApiKey, str]:
    errors = []
    if not isinstance(name, str) or not name.strip() or len(name) > 100:
        errors.append(FieldError("name", "required: 1-100 characters"))
    if role is not None and (role not in ROLE_RANK or ROLE_RANK[role] > ROLE_RANK[user.role]):
        errors.append(FieldError("role", f"must be a role no higher than the owner's ({user.role})"))
    if expires_in_days is not None and (
        isinstance(expires_in_days, bool) or not isinstance(expires_in_days, int) or not 1 <= expires_in_days <= 3650
    ):
        errors.append(FieldError("expires_in_days", "must be an integer from 1 to 3650"))
    if errors:
        raise ValidationFailed(errors)
    key = generate_key()
    expires_at = utcnow() + timedelta(days=expires_in_days) if expires_in_days else None
    api_key = ApiKey(
        id=new_id("key"),
        user_id=user.id,
        name=name.strip(),
        prefix=key[:VISIBLE_CHARS],
        key_hash=hash_key(key),
        role=role,
        expires_at=expires_at,
    )
    db.session.add(api_key)
    audit.record(
        "api_key.created",
        "api_key",
        api_key.id,
        details={"name": api_key.name, "prefix": api_key.prefix, "owner": user.email, "role": role},
    )
    db.session.commit()
    return api_key, key


def list_keys(user: User | None) -> list[ApiKey]:
    """A user's keys, or everyone's when ``user`` is None (admins)."""
    query = select(ApiKey).order_by(ApiKey.created_at.desc())
    if user is not None:
        query = query.where(ApiKey.user_id == user.id)
    return list(db.session.execute(query).scalars())


def get_key(key_id: str, owner: User | None) -> ApiKey:
    api_key = db.session.get(ApiKey, key_id)
    if api_key is None or (owner is not None and api_key.user_id != owner.id):
        raise NotFoundError(f"no API key {key_id!r}")
    return api_key


def revoke_key(api_key: ApiKey) -> None:
    if api_key.revoked_at is None:
        api_key.revoked_at = utcnow()
        audit.record("api_key.revoked", "api_key", api_key.id, details={"name": api_key.name, "prefix": api_key.prefix})
        db.session.commit()


def authenticate_key(key: str) -> ApiKey | None:
    """The live key row for a presented key, or None (unknown, revoked, expired, owner disabled)."""
    if not well_formed(key):
        return None
    api_key = db.session.execute(select(ApiKey).where(ApiKey.prefix == key[:VISIBLE_CHARS])).scalar_one_or_none()
    if api_key is None or not hmac.compare_digest(api_key.key_hash, hash_key(key)):
        return None
    now = utcnow()
    if api_key.revoked_at is not None or (api_key.expires_at is not None and api_key.expires_at <= now):
        return None
    if not api_key.user.active:
        return None
    _touch(api_key, now)
    return api_key


def _touch(api_key: ApiKey, now: datetime) -> None:
    """Record use at most once a minute, so a busy key does not turn every read into a write."""
    if api_key.last_used_at is not None and now - api_key.last_used_at < LAST_USED_GRANULARITY:
        return
    first = api_key.last_used_at is None
    statement = update(ApiKey).where(ApiKey.id == api_key.id).values(last_used_at=now)
    if first:
        # Only one of several simultaneous first requests gets to say "first used".
        statement = statement.where(ApiKey.last_used_at.is_(None))
    changed = db.session.execute(statement.execution_options(synchronize_session=False)).rowcount
    if first and changed:
        audit.set_actor("api_key", api_key.id, f"{api_key.name} ({api_key.user.email})")
        audit.record(
            "api_key.first_used", "api_key", api_key.id, details={"name": api_key.name, "prefix": api_key.prefix}
        )
    db.session.commit()
    api_key.last_used_at = now


def effective_role(api_key: ApiKey) -> str:
    owner = api_key.user.role
    if api_key.role is None:
        return owner
    return min(owner, api_key.role, key=lambda role: ROLE_RANK[role])
