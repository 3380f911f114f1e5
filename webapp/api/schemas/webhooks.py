"""Webhook endpoints and their deliveries."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from webapp.api.schemas.base import (
    EVENT_NAMES,
    Cursor,
    DeliveryStatus,
    In,
    Limit,
    Out,
    Query,
    Timestamp,
)


class WebhookLinks(Out):
    self: str
    deliveries: str


class Webhook(Out):
    id: str
    url: str
    events: list[str]
    description: str
    enabled: bool
    disabled_reason: str | None
    disabled_at: Timestamp | None
    failing_since: Timestamp | None
    previous_secret_expires_at: Timestamp | None
    created_at: Timestamp
    updated_at: Timestamp
    links: WebhookLinks


class WebhookWithSecret(Webhook):
    secret: str = Field(description="whsec_...: shown in this answer only")


class WebhookList(Out):
    items: list[Webhook]
    next_cursor: None


# The service names a bad event type as "events" (not "events[1]"): check item values there, document them here.
Events = Annotated[list[str], Field(min_length=1, json_schema_extra={"items": {"type": "string", "enum": EVENT_NAMES}})]


class WebhookCreate(In):
    url: str = Field(description="http(s), public address (see DOCPIPE_WEBHOOK_ALLOW_PRIVATE)")
    events: Events = Field(description='event types, or ["*"] for all')
    description: Annotated[str, Field(max_length=500)] | None = None
    enabled: bool = None


class WebhookUpdate(In):
    url: str = None
    events: Events = None
    description: Annotated[str, Field(max_length=500)] | None = None
    enabled: bool = None


class DeliveryAttempt(Out):
    at: Timestamp
    status_code: int | None
    duration_ms: int | None
    error: str | None
    response_body: str | None


class Delivery(Out):
    id: str
    webhook_id: str
    event_id: str
    event_type: str
    status: DeliveryStatus
    attempts: list[DeliveryAttempt]
    next_attempt_at: Timestamp | None
    created_at: Timestamp


class DeliveryList(Out):
    items: list[Delivery]
    next_cursor: str | None


class DeliveryQuery(Query):
    limit: Limit | None = None
    cursor: Cursor | None = None
    status: DeliveryStatus | None = None
