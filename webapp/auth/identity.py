"""Who is calling: resolved from an API key or a JWT (API) or from the server-side session (dashboard)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from flask import g, request
from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session

from webapp.auth import tokens
from webapp.auth.policy import ROLE_RANK
from webapp.extensions import db
from webapp.models import ApiKey, User
from webapp.services import api_keys
from webapp.services.api_keys import KEY_PREFIX
from webapp.timeutil import utcnow

# Who an API key is, remembered per process for this long: a busy key then costs no database lookups. A key
# revoked or expired, or an owner disabled or demoted, is refused by every process within this bound; by the
# process that made the change at once (its cache is emptied when a key or a user is written).
API_KEY_CACHE_SECONDS = 5.0
_CACHE_MAX_ENTRIES = 10_000
_key_cache: dict[str, tuple[float, Identity]] = {}
_key_cache_lock = threading.Lock()


class AuthError(Exception):
    """Credentials were presented but are not acceptable. Clients get one generic message."""


@dataclass(frozen=True, slots=True)
class Identity:
    kind: str  # "user" (session or our JWT), "api_key", "external" (a trusted provider's JWT)
    id: str
    name: str
    role: str
    user_id: str | None
    api_key_id: str | None = None

    def actor(self) -> dict[str, str]:
        return {"type": "api_key" if self.kind == "api_key" else "user", "id": self.id, "name": self.name}


def current_identity() -> Identity | None:
    return g.get("identity")


def credentials_from_headers() -> str | None:
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise AuthError("unsupported Authorization scheme")
        return value.strip()
    key = request.headers.get("X-API-Key", "").strip()
    return key or None


def authenticate_api() -> Identity | None:
    """None when no credentials were sent; AuthError when they were sent and are not valid."""
    credential = credentials_from_headers()
    if credential is None:
        return None
    if credential.startswith(KEY_PREFIX):
        return _from_api_key(credential)
    return _from_jwt(credential)


def _from_api_key(key: str) -> Identity:
    digest = api_keys.hash_key(key)
    now = time.monotonic()
    cached = _key_cache.get(digest)
    if cached is not None and cached[0] > now:
        return cached[1]
    api_key = api_keys.authenticate_key(key)
    if api_key is None:
        raise AuthError("unknown, revoked or expired API key")
    identity = Identity(
        kind="api_key",
        id=api_key.id,
        name=f"{api_key.name} ({api_key.user.email})",
        role=api_keys.effective_role(api_key),
        user_id=api_key.user_id,
        api_key_id=api_key.id,
    )
    until = now + API_KEY_CACHE_SECONDS
    if api_key.expires_at is not None:  # never remembered past its expiry
        until = min(until, now + (api_key.expires_at - utcnow()).total_seconds())
    with _key_cache_lock:
        if len(_key_cache) >= _CACHE_MAX_ENTRIES:
            _key_cache.clear()
        _key_cache[digest] = (until, identity)
    return identity


@event.listens_for(ApiKey, "after_update")
@event.listens_for(ApiKey, "after_delete")
@event.listens_for(User, "after_update")
@event.listens_for(User, "after_delete")
def _forget_keys(*_: object) -> None:
    """A key revoked, or a user disabled, demoted or deleted here: this process stops trusting what it knew."""
    with _key_cache_lock:
        _key_cache.clear()


@event.listens_for(Session, "do_orm_execute")
def _forget_keys_on_statement(state: ORMExecuteState) -> None:
    """The same for UPDATE/DELETE statements run through the session on keys or users."""
    mapper = state.bind_mapper if state.is_update or state.is_delete else None
    if mapper is not None and mapper.class_ in (ApiKey, User):
        _forget_keys()


def _from_jwt(token: str) -> Identity:
    try:
        header = tokens.unverified_header(token)
        algorithm = str(header.get("alg", ""))
        if algorithm in tokens.INTERNAL_ALGORITHMS:
            return _internal_user(tokens.verify_internal(token, header))
        if algorithm in tokens.EXTERNAL_ALGORITHMS:
            claims, role_claim = tokens.verify_external(token, header)
            return _external_user(claims, role_claim)
    except tokens.TokenError as exc:
        raise AuthError(str(exc)) from None
    raise AuthError(f"algorithm {algorithm!r} is not accepted")


def _internal_user(claims: dict) -> Identity:
    user = db.session.get(User, str(claims["sub"]))
    if user is None or not user.active:
        raise AuthError("unknown or disabled user")
    issued = datetime.fromtimestamp(int(claims["iat"]), UTC)
    if user.tokens_valid_after is not None and issued < user.tokens_valid_after.replace(microsecond=0):
        raise AuthError("token issued before the user's tokens were revoked")
    # The role is read now, not from the token: a demotion takes effect at once.
    return Identity(kind="user", id=user.id, name=user.email, role=user.role, user_id=user.id)


def _external_user(claims: dict, role_claim: str) -> Identity:
    role = claims.get(role_claim)
    if isinstance(role, list):
        ranked = [r for r in role if r in ROLE_RANK]
        role = max(ranked, key=ROLE_RANK.__getitem__) if ranked else None
    if role not in ROLE_RANK:
        raise AuthError(f"the token has no usable {role_claim!r} claim")
    email = claims.get("email")
    if isinstance(email, str):
        local = db.session.execute(db.select(User).filter_by(email=email.lower())).scalar_one_or_none()
        if local is not None and not local.active:
            raise AuthError("the user is disabled here")
    subject = str(claims["sub"])
    return Identity(kind="external", id=subject, name=str(email or subject), role=role, user_id=None)
