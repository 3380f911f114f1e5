"""Users: create with an argon2id hash, look up, verify a password."""

from __future__ import annotations

import re
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError
from sqlalchemy import func, select

from webapp.extensions import db
from webapp.models import User
from webapp.models.user import ROLES
from webapp.pipeline.config import FieldError
from webapp.services.errors import ConflictError, ValidationFailed

_hasher = PasswordHasher()
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
    user = User(email=email, password_hash=_hasher.hash(password), role=role, active=True)
    db.session.add(user)
    db.session.commit()
    return user


def find_by_email(email: str) -> User | None:
    return db.session.execute(select(User).where(func.lower(User.email) == normalise_email(email))).scalar_one_or_none()


def verify_password(user: User, password: str) -> bool:
    try:
        return _hasher.verify(user.password_hash, password)
    except (VerifyMismatchError, InvalidHashError):
        return False


def ensure_admin(email: str, password: str | None) -> tuple[User, str | None]:
    """Create the first admin if missing. Returns the user and the password when one was generated."""
    existing = find_by_email(email)
    if existing is not None:
        return existing, None
    generated = None
    if not password:
        generated = password = secrets.token_urlsafe(12)
    return create_user(email, password, "admin"), generated
