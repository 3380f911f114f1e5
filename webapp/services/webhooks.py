"""Webhook endpoints (admin): create, update, delete, rotate the secret, send a test, read and redeliver
deliveries. The outbox (webhook_outbox.py) turns events into deliveries; webhook_delivery.py sends them.

A secret is returned once, by create and rotate, and is otherwise only ever stored encrypted; neither logs
nor audit events carry it (nor a URL's query string, which often holds a token of its own).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from flask import Flask, current_app
from sqlalchemy import delete, exists, or_, select, update

from webapp.extensions import db
from webapp.ids import new_id
from webapp.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookMessage
from webapp.models.webhook import DELIVERY_STATUSES, PENDING
from webapp.pipeline.config import FieldError
from webapp.services import audit, webhook_net, webhook_outbox, webhook_secrets
from webapp.services.errors import ConflictError, NotFoundError, ValidationFailed
from webapp.services.jobs import decode_cursor, encode_cursor
from webapp.timeutil import isoformat, utcnow

EVENT_TYPES = webhook_outbox.EVENT_TYPES
ALL_EVENTS = webhook_outbox.ALL_EVENTS
FIELDS = ("url", "events", "description", "enabled")
MAX_DESCRIPTION = 500
# After a rotation the old secret signs beside the new one for this long.
ROTATION_OVERLAP = timedelta(hours=24)
DISABLED_BY_ADMIN = "disabled by an admin"


def init_app(app: Flask) -> None:
    webhook_outbox.init_app(app)


def validate_body(body: Any, *, partial: bool) -> dict[str, Any]:
    """The fields of a create (``partial=False``: url and events required) or update body; raises
    ValidationFailed naming every bad field."""
    if not isinstance(body, dict):
        raise ValidationFailed([FieldError("body", "must be a JSON object")])
    errors = [FieldError(key, "unknown field") for key in sorted(set(body) - set(FIELDS))]
    data: dict[str, Any] = {}
    if "url" in body or not partial:
        try:
            allow_private = bool(current_app.config.get("WEBHOOK_ALLOW_PRIVATE"))
            data["url"] = webhook_net.validate_url(body.get("url"), allow_private)
        except webhook_net.UnsafeURL as exc:
            errors.append(FieldError("url", str(exc)))
    if "events" in body or not partial:
        events, problem = _events(body.get("events"))
        if problem:
            errors.append(FieldError("events", problem))
        data["events"] = events
    if "description" in body:
        description = body["description"]
        if description is None:
            description = ""
        if not isinstance(description, str) or len(description) > MAX_DESCRIPTION:
            errors.append(FieldError("description", f"must be a string of at most {MAX_DESCRIPTION} characters"))
        data["description"] = description
    if "enabled" in body:
        if not isinstance(body["enabled"], bool):
            errors.append(FieldError("enabled", "must be true or false"))
        data["enabled"] = body["enabled"]
    if errors:
        raise ValidationFailed(errors)
    return data


def _events(raw: Any) -> tuple[list[str], str | None]:
    known = ", ".join(EVENT_TYPES)
    if not isinstance(raw, list) or not raw or not all(isinstance(item, str) for item in raw):
        return [], f'required: a non-empty list of event types ({known}), or ["*"] for all'
    unknown = [item for item in raw if item not in EVENT_TYPES and item != ALL_EVENTS]
    if unknown:
        return [], f"unknown event type {unknown[0]!r}; one of {known}, or *"
    if ALL_EVENTS in raw and len(set(raw)) > 1:
        return [], '"*" already means every event: send it alone'
    return list(dict.fromkeys(raw)), None


def shown_url(url: str) -> str:
    """The URL without its query string: what audit events and logs may carry."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "…" if parts.query else "", ""))


def get_endpoint(endpoint_id: str) -> WebhookEndpoint:
    endpoint = db.session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None:
        raise NotFoundError(f"no webhook {endpoint_id!r}")
    return endpoint


def list_endpoints() -> list[WebhookEndpoint]:
    return list(db.session.execute(select(WebhookEndpoint).order_by(WebhookEndpoint.id)).scalars())


def create_endpoint(body: Any) -> tuple[WebhookEndpoint, str]:
    """Returns the endpoint and its secret (the only time the secret is given out)."""
    data = validate_body(body, partial=False)
    now = utcnow()
    secret = webhook_secrets.generate_secret()
    endpoint_id = new_id("wh")
    enabled = data.get("enabled", True)
    endpoint = WebhookEndpoint(
        id=endpoint_id,
        url=data["url"],
        events=data["events"],
        description=data.get("description", ""),
        enabled=enabled,
        disabled_reason=None if enabled else DISABLED_BY_ADMIN,
        disabled_at=None if enabled else now,
        secret_encrypted=webhook_secrets.encrypt(secret, endpoint_id),
        created_at=now,
        updated_at=now,
    )
    db.session.add(endpoint)
    audit.record(
        "webhook.created",
        "webhook",
        endpoint_id,
        details={"url": shown_url(endpoint.url), "events": endpoint.events, "enabled": enabled},
    )
    db.session.commit()
    return endpoint, secret


def update_endpoint(endpoint: WebhookEndpoint, body: Any) -> WebhookEndpoint:
    data = validate_body(body, partial=True)
    changed = sorted(key for key, value in data.items() if getattr(endpoint, key) != value)
    if not changed:
        return endpoint
    now = utcnow()
    for key in changed:
        setattr(endpoint, key, data[key])
    if "url" in changed or data.get("enabled") is True:
        # A new address or a deliberate re-enable starts with a clean record.
        endpoint.failing_since = None
    if "enabled" in changed:
        endpoint.disabled_reason = None if endpoint.enabled else DISABLED_BY_ADMIN
        endpoint.disabled_at = None if endpoint.enabled else now
    endpoint.updated_at = now
    details: dict[str, Any] = {"fields": changed, "events": endpoint.events, "enabled": endpoint.enabled}
    if "url" in changed:
        details["url"] = shown_url(endpoint.url)
    audit.record("webhook.updated", "webhook", endpoint.id, details=details)
    db.session.commit()
    return endpoint


def delete_endpoint(endpoint: WebhookEndpoint) -> None:
    """Removes the endpoint with its deliveries and their attempts, and messages nobody else received."""
    details = {"url": shown_url(endpoint.url), "events": endpoint.events}
    endpoint_id = endpoint.id
    db.session.execute(delete(WebhookEndpoint).where(WebhookEndpoint.id == endpoint_id))
    db.session.execute(delete(WebhookMessage).where(~exists().where(WebhookDelivery.message_id == WebhookMessage.id)))
    audit.record("webhook.deleted", "webhook", endpoint_id, details=details)
    db.session.commit()
    db.session.expunge_all()


def rotate_secret(endpoint: WebhookEndpoint, now: datetime | None = None) -> tuple[WebhookEndpoint, str]:
    """A new secret; the current one keeps signing beside it for 24 hours (any older one stops now)."""
    now = now or utcnow()
    secret = webhook_secrets.generate_secret()
    endpoint.previous_secret_encrypted = endpoint.secret_encrypted
    endpoint.previous_secret_expires_at = now + ROTATION_OVERLAP
    endpoint.secret_encrypted = webhook_secrets.encrypt(secret, endpoint.id)
    endpoint.updated_at = now
    audit.record(
        "webhook.secret_rotated",
        "webhook",
        endpoint.id,
        details={"previous_secret_valid_until": isoformat(endpoint.previous_secret_expires_at)},
    )
    db.session.commit()
    return endpoint, secret


def send_test(endpoint: WebhookEndpoint, now: datetime | None = None) -> WebhookDelivery:
    """A ``webhook.test`` event to this endpoint alone, whatever it subscribes to."""
    if not endpoint.enabled:
        raise ConflictError("the webhook is disabled: enable it before sending a test event")
    now = now or utcnow()
    data = {"webhook_id": endpoint.id, "message": "A test event from Docpipe: it reached your endpoint."}
    message, (delivery,) = webhook_outbox.publish("webhook.test", data, [endpoint.id], now)
    audit.record("webhook.tested", "webhook", endpoint.id, details={"message_id": message.id})
    db.session.commit()
    return delivery


def get_delivery(endpoint: WebhookEndpoint, delivery_id: str) -> WebhookDelivery:
    delivery = db.session.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.endpoint_id != endpoint.id:
        raise NotFoundError(f"no delivery {delivery_id!r} for this webhook")
    return delivery


def redeliver(endpoint: WebhookEndpoint, delivery: WebhookDelivery, now: datetime | None = None) -> WebhookDelivery:
    """A new series of attempts of the same message (same ``webhook-id``), starting now."""
    if not endpoint.enabled:
        raise ConflictError("the webhook is disabled: enable it before redelivering")
    now = now or utcnow()
    changed = db.session.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.id == delivery.id,
            or_(WebhookDelivery.claimed_until.is_(None), WebhookDelivery.claimed_until < now),
        )
        .values(
            status=PENDING,
            attempt_count=0,
            next_attempt_at=now,
            claim_token=None,
            claimed_until=None,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    if not changed:
        db.session.rollback()
        raise ConflictError("an attempt of this delivery is being sent right now: try again in a moment")
    audit.record(
        "webhook.redelivered",
        "webhook",
        endpoint.id,
        details={"delivery_id": delivery.id, "message_id": delivery.message_id},
    )
    webhook_outbox.enqueue_after_commit([delivery.id])
    db.session.commit()
    db.session.refresh(delivery)
    return delivery


def parse_status(raw: str | None) -> str | None:
    if raw and raw not in DELIVERY_STATUSES:
        raise ValidationFailed([FieldError("status", f"one of {', '.join(DELIVERY_STATUSES)}")])
    return raw or None


def list_deliveries(
    endpoint: WebhookEndpoint, limit: int, cursor: str | None, status: str | None = None
) -> tuple[list[WebhookDelivery], str | None]:
    """Newest first; the cursor is the last id of the previous page (ids sort by creation time)."""
    query = select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id)
    if status:
        query = query.where(WebhookDelivery.status == status)
    if cursor:
        query = query.where(WebhookDelivery.id < decode_cursor(cursor))
    rows = list(db.session.execute(query.order_by(WebhookDelivery.id.desc()).limit(limit + 1)).scalars())
    next_cursor = encode_cursor(rows[limit - 1].id) if len(rows) > limit else None
    return rows[:limit], next_cursor


def attempts_of(deliveries: list[WebhookDelivery]) -> dict[str, list[WebhookAttempt]]:
    """Every attempt of a page of deliveries, in one query, oldest first."""
    if not deliveries:
        return {}
    rows = db.session.execute(
        select(WebhookAttempt)
        .where(WebhookAttempt.delivery_id.in_([delivery.id for delivery in deliveries]))
        .order_by(WebhookAttempt.id)
    ).scalars()
    by_delivery: dict[str, list[WebhookAttempt]] = {}
    for attempt in rows:
        by_delivery.setdefault(attempt.delivery_id, []).append(attempt)
    return by_delivery
