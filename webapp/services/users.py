"""Users: create with an argon2id hash, look up, verify a password."""

from __future__ import annotations

import re
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError
from flask import current_app
from sqlalchemy import func, select

from webapp.extensions import db
from webapp.ids import new_id
from webapp.models import User
from webapp.models.user import ROLES
from webapp.pipeline.config import FieldError
from webapp.services import audit
from webapp.services.errors import ConflictError, NotFoundError, ValidationFailed
from webapp.timeutil import utcnow

_hashers: dict[tuple[int, int], PasswordHasher] = {}


def _hasher() -> PasswordHasher:
    """argon2id with the configured cost (the library's RFC 9106 defaults unless set); a change of cost is
    applied to each user's hash at their next sign-in."""
    cost = (int(current_app.config["PASSWORD_TIME_COST"]), int(current_app.config["PASSWORD_MEMORY_KIB"]))
    hasher = _hashers.get(cost)
    if hasher is None:
        hasher = _hashers[cost] = PasswordHasher(time_cost=cost[0], memory_cost=cost[1])
    return hasher


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
MIN_PASSWORD = 8


def normalise_email(email: str) -> str:
    return email.strip().lower()


def create_user(email: str, password: str, role: str) -> User:
    errors = []
    email = normalise_email(email or "")
    if not _EMAIL.match(email):
        errors.append(FieldError("email", "must be an e-mail address"))
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        errors.append(FieldError("password", f"must be at least {MIN_PASSWORD} characters"))
    if role not in ROLES:
        errors.append(FieldError("role", f"must be one of {', '.join(ROLES)}"))
    if errors:
        raise ValidationFailed(errors)
    if find_by_email(email) is not None:
        raise ConflictError(f"a user with e-mail {email} already exists", field="email")
    user = User(id=new_id("usr"), email=email, password_hash=_hasher().hash(password), role=role, active=True)
    db.session.add(user)
    audit.record("user.created", "user", user.id, details={"email": email, "role": role})
    db.session.commit()
    return user


def find_by_email(email: str) -> User | None:
    return db.session.execute(select(User).where(func.lower(User.email) == normalise_email(email))).scalar_one_or_none()


def verify_password(user: User, password: str) -> bool:
    try:
        return _hasher().verify(user.password_hash, password)
    except (VerifyMismatchError, InvalidHashError):
        return False


def _dummy_hash() -> str:
    """Verified against when the e-mail is unknown, so both answers take the same time."""
    hasher = _hasher()
    key = ("dummy", hasher.time_cost, hasher.memory_cost)
    if key not in _dummies:
        _dummies[key] = hasher.hash(secrets.token_urlsafe(16))
    return _dummies[key]


_dummies: dict[tuple, str] = {}


def authenticate(email: str, password: str) -> User | None:
    """The active user with these credentials, or None; the hash is upgraded when parameters changed."""
    user = find_by_email(email or "") if isinstance(email, str) else None
    if user is None or not isinstance(password, str):
        try:
            _hasher().verify(_dummy_hash(), password if isinstance(password, str) else "")
        except (VerifyMismatchError, InvalidHashError):
            pass
        return None
    if not verify_password(user, password) or not user.active:
        return None
    if _hasher().check_needs_rehash(user.password_hash):
        user.password_hash = _hasher().hash(password)
        db.session.commit()
    return user


def get_user(user_id: str) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFoundError(f"no user {user_id!r}")
    return user


def list_users() -> list[User]:
    return list(db.session.execute(select(User).order_by(User.created_at)).scalars())


def update_user(user: User, changes: dict, acting_user_id: str | None) -> User:
    """Admin edits: role, active, password. Disabling or a new password revokes the user's tokens."""
    errors = []
    unknown = sorted(set(changes) - {"role", "active", "password"})
    errors.extend(FieldError(key, "unknown field") for key in unknown)
    if "role" in changes and changes["role"] not in ROLES:
        errors.append(FieldError("role", f"must be one of {', '.join(ROLES)}"))
    if "active" in changes and not isinstance(changes["active"], bool):
        errors.append(FieldError("active", "must be true or false"))
    if "password" in changes and (not isinstance(changes["password"], str) or len(changes["password"]) < MIN_PASSWORD):
        errors.append(FieldError("password", f"must be at least {MIN_PASSWORD} characters"))
    if user.id == acting_user_id and (changes.get("active") is False or changes.get("role", "admin") != "admin"):
        errors.append(
            FieldError("role" if "role" in changes else "active", "admins cannot demote or disable themselves")
        )
    if errors:
        raise ValidationFailed(errors)
    if "role" in changes:
        user.role = changes["role"]
    if "password" in changes:
        user.password_hash = _hasher().hash(changes["password"])
        user.tokens_valid_after = utcnow()
    if "active" in changes:
        user.active = changes["active"]
        if not user.active:
            user.tokens_valid_after = utcnow()
    # Which fields changed and their new values; never the password itself.
    shown = {key: value for key, value in changes.items() if key != "password"}
    audit.record("user.updated", "user", user.id, details={"email": user.email, "fields": sorted(changes), **shown})
    db.session.commit()
    return user


def delete_user(user: User, acting_user_id: str | None) -> None:
    if user.id == acting_user_id:
        raise ConflictError("admins cannot delete themselves")
    audit.record("user.deleted", "user", user.id, details={"email": user.email, "role": user.role})
    db.session.delete(user)
    db.session.commit()


def ensure_admin(email: str, password: str | None) -> tuple[User, str | None]:
    """Create the first admin if missing. Returns the user and the password when one was generated."""
    existing = find_by_email(email)
    if existing is not None:
        return existing, None
    generated = None
    if not password:
        generated = password = secrets.token_urlsafe(12)
    return create_user(email, password, "admin"), generated
