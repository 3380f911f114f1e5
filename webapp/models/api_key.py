"""API keys: ``dp_`` + secret + checksum, kept only as a hash beside a visible prefix."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.extensions import db
from webapp.ids import new_id
from webapp.timeutil import UTCDateTime, utcnow


class ApiKey(db.Model):
    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("key"))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    # The first characters of the key, shown in lists and used to find the row; not enough to use the key.
    prefix: Mapped[str] = mapped_column(String(16), nullable=False, unique=True)
    # SHA-256 of the whole key: the key holds 256 random bits, so the hash cannot be reversed or guessed.
    key_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    # A narrower role than the user's, or None for the user's own role.
    role: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user = relationship("User", lazy="joined", innerjoin=True)
