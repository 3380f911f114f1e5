"""People who use Docpipe, with a role. Login and tokens build on this (auth issue)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, String
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import db
from webapp.ids import new_id
from webapp.timeutil import UTCDateTime, utcnow

# Ordered: each role holds everything the roles before it hold.
ROLES = ("viewer", "operator", "admin")
ROLE_RANK = {role: rank for rank, role in enumerate(ROLES)}


class User(db.Model):
    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("usr"))
    email: Mapped[str] = mapped_column(String(320), nullable=False, unique=True)
    # argon2id, never the password itself.
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    role: Mapped[str] = mapped_column(String(16), nullable=False, default="viewer")
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    # Tokens issued before this instant are refused (password change, forced logout).
    tokens_valid_after: Mapped[datetime | None] = mapped_column(UTCDateTime)
