"""Idempotency keys of job submissions: one row per (caller, key), claimed before any job is created."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import db
from webapp.ids import new_id
from webapp.models.types import JSONType
from webapp.timeutil import UTCDateTime, utcnow

IN_FLIGHT = "in_flight"
COMPLETED = "completed"


class IdempotencyKey(db.Model):
    __tablename__ = "idempotency_keys"
    # The unique pair is the lock: of two requests racing with one key, exactly one INSERT succeeds.
    __table_args__ = (UniqueConstraint("scope", "key", name="uq_idempotency_keys_scope_key"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("idem"))
    # Who may reuse the key: "api_key:<id>", "user:<id>" or "external:<subject>" (see services/idempotency.py).
    scope: Mapped[str] = mapped_column(String(200), nullable=False)
    key: Mapped[str] = mapped_column(String(255), nullable=False)
    # SHA-256 of what the request asked for; the same key with another fingerprint is a client bug.
    fingerprint: Mapped[str] = mapped_column(String(64), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default=IN_FLIGHT)
    response_status: Mapped[int | None] = mapped_column(Integer)
    # The jobs the first request created, in order; a list even for one file.
    job_ids: Mapped[list[str] | None] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, index=True)
