"""An uploaded file's bytes as kept by the blob store."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import db
from webapp.ids import new_id
from webapp.timeutil import UTCDateTime, utcnow


class StoredFile(db.Model):
    __tablename__ = "stored_files"

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("file"))
    sha256: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    size_bytes: Mapped[int] = mapped_column(BigInteger, nullable=False)
    # Relative to the blob store's root, so a data dir can move.
    path: Mapped[str] = mapped_column(String(500), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
