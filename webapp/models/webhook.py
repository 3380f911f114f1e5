"""Webhooks: endpoints that subscribe to events, the messages (the outbox), one delivery of a message to
an endpoint, and each attempt of a delivery."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.extensions import db
from webapp.ids import new_id
from webapp.models.types import JSONType
from webapp.timeutil import UTCDateTime, utcnow

PENDING = "pending"
SUCCEEDED = "succeeded"
FAILED = "failed"
DELIVERY_STATUSES = (PENDING, SUCCEEDED, FAILED)


class WebhookEndpoint(db.Model):
    __tablename__ = "webhook_endpoints"

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("wh"))
    url: Mapped[str] = mapped_column(String(2048), nullable=False)
    description: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    # Event types, or ["*"] for every one.
    events: Mapped[list[str]] = mapped_column(JSONType, nullable=False, default=list)
    enabled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    # The signing secret, encrypted (AES-GCM under a key derived from SECRET_KEY); never stored in clear.
    secret_encrypted: Mapped[str] = mapped_column(String(200), nullable=False)
    # After a rotation the previous secret keeps signing, beside the new one, until it expires.
    previous_secret_encrypted: Mapped[str | None] = mapped_column(String(200))
    previous_secret_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Why and when the endpoint was disabled (by an admin, a 410, or failing for too long).
    disabled_reason: Mapped[str | None] = mapped_column(String(500))
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The first failure of the current run of failures; cleared by any success.
    failing_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class WebhookMessage(db.Model):
    """One event as sent: its id is the ``webhook-id`` header, the same for every attempt and endpoint."""

    __tablename__ = "webhook_messages"

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("msg"))
    type: Mapped[str] = mapped_column(String(64), nullable=False)
    # The JSON body ({"type", "timestamp", "data"}) exactly as every attempt sends it, byte for byte.
    payload: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class WebhookDelivery(db.Model):
    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
        Index("ix_webhook_deliveries_endpoint_id_id", "endpoint_id", "id"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("whd"))
    endpoint_id: Mapped[str] = mapped_column(ForeignKey("webhook_endpoints.id", ondelete="CASCADE"), nullable=False)
    message_id: Mapped[str] = mapped_column(
        ForeignKey("webhook_messages.id", ondelete="CASCADE"), nullable=False, index=True
    )
    status: Mapped[str] = mapped_column(String(16), nullable=False, default=PENDING)
    # Attempts started in the current series (a redelivery starts a new series at 0).
    attempt_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The claim: whoever holds claim_token is sending the next attempt; it lapses at claimed_until.
    claim_token: Mapped[str | None] = mapped_column(String(40))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    message: Mapped[WebhookMessage] = relationship(lazy="joined", innerjoin=True)
    attempts: Mapped[list[WebhookAttempt]] = relationship(
        back_populates="delivery",
        order_by="WebhookAttempt.id",
        cascade="all, delete-orphan",
        passive_deletes=True,
        lazy="select",
    )


class WebhookAttempt(db.Model):
    """One HTTP request of a delivery and what came back."""

    __tablename__ = "webhook_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    delivery_id: Mapped[str] = mapped_column(
        ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), nullable=False, index=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    status_code: Mapped[int | None] = mapped_column(Integer)
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(500))
    # The start of the receiver's answer (at most 2 KiB), for the delivery log.
    response_body: Mapped[str | None] = mapped_column(Text)

    delivery: Mapped[WebhookDelivery] = relationship(back_populates="attempts")
