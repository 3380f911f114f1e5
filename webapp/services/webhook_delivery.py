"""Sending webhook deliveries: claim, sign, POST, record the attempt, schedule the next one.

A delivery is claimed with a conditional update (like a job), so two workers never send the same attempt;
the claim lapses after the request's time budget plus a margin, so a worker killed mid-send leaves a
delivery that ``resend_due`` hands to another worker. Nothing is held open while the request is in flight.

Every function takes ``now`` so tests can move the clock instead of sleeping.
"""

from __future__ import annotations

import email.utils
import logging
import random
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask import current_app
from sqlalchemy import insert, or_, select, update

from webapp import metrics
from webapp.extensions import db
from webapp.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookMessage
from webapp.models.webhook import FAILED, PENDING, SUCCEEDED
from webapp.services import audit, webhook_net, webhook_secrets
from webapp.timeutil import utcnow

log = logging.getLogger(__name__)

# Waits before the 2nd, 3rd, ... attempt; the first goes at once. After the last, the delivery has failed.
RETRY_DELAYS = (5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 10 * 3600)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
JITTER = 0.1
# A receiver's Retry-After is honoured (when later than our schedule) up to this.
MAX_RETRY_AFTER = 10 * 3600
RESPONSE_LIMIT = 2048
MAX_TIMEOUT = 30.0
CLAIM_MARGIN_SECONDS = 10
# Retries due sooner than this are scheduled on the queue; later ones are picked up by resend_due.
SCHEDULE_WITHIN_SECONDS = 90
BATCH = 500


@dataclass(slots=True)
class AttemptResult:
    status_code: int | None = None
    duration_ms: int = 0
    error: str | None = None
    response_body: str | None = None
    retry_after: float | None = None

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def timeout_seconds() -> float:
    return min(max(float(current_app.config["WEBHOOK_TIMEOUT_SECONDS"]), 0.1), MAX_TIMEOUT)


def retry_delay(attempts_made: int, retry_after: float | None = None) -> float | None:
    """Seconds until the next attempt after ``attempts_made`` attempts, or None when there is none."""
    if attempts_made >= MAX_ATTEMPTS:
        return None
    delay = RETRY_DELAYS[attempts_made - 1] * random.uniform(1 - JITTER, 1 + JITTER)
    if retry_after is not None:
        delay = max(delay, min(retry_after, MAX_RETRY_AFTER))
    return delay


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """``Retry-After: 120`` or ``Retry-After: Wed, 21 Oct 2026 07:28:00 GMT`` → seconds from now."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def claim(delivery_id: str, now: datetime) -> str | None:
    """Atomically take a due, pending delivery for one attempt. Returns the claim token, or None."""
    row = db.session.execute(
        select(WebhookDelivery.claim_token, WebhookDelivery.claimed_until).where(WebhookDelivery.id == delivery_id)
    ).first()
    token = secrets.token_hex(16)
    lease = timedelta(seconds=timeout_seconds() + CLAIM_MARGIN_SECONDS)
    claimed = db.session.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.id == delivery_id,
            WebhookDelivery.status == PENDING,
            WebhookDelivery.next_attempt_at <= now,
            or_(WebhookDelivery.claimed_until.is_(None), WebhookDelivery.claimed_until < now),
            # Unchanged since we read it: the interrupted attempt noted below is the one we saw.
            WebhookDelivery.claim_token.is_(None)
            if row is None or row.claim_token is None
            else WebhookDelivery.claim_token == row.claim_token,
        )
        .values(
            claim_token=token,
            claimed_until=now + lease,
            attempt_count=WebhookDelivery.attempt_count + 1,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    if not claimed:
        db.session.rollback()
        return None
    if row.claim_token is not None:
        # Someone claimed it and never recorded an outcome: the worker died (or hung) mid-attempt.
        error = "interrupted: the worker sending the previous attempt stopped before recording its outcome"
        db.session.execute(insert(WebhookAttempt).values(delivery_id=delivery_id, at=now, error=error))
    db.session.commit()
    return token


def deliver(delivery_id: str, now: datetime | None = None) -> str | None:
    """Send one attempt of a delivery if it is due and can be claimed. Returns the delivery's status after
    the attempt, or None when there was nothing for this caller to do."""
    now = now or utcnow()
    token = claim(delivery_id, now)
    if token is None:
        return None
    delivery = db.session.get(WebhookDelivery, delivery_id)
    if delivery is None:  # its endpoint was deleted just now
        db.session.rollback()
        return None
    endpoint = db.session.get(WebhookEndpoint, delivery.endpoint_id)
    message = db.session.get(WebhookMessage, delivery.message_id)
    if not endpoint.enabled:
        reason = endpoint.disabled_reason or "disabled"
        return _record(delivery_id, token, AttemptResult(error=f"not sent: the endpoint is disabled ({reason})"), now)
    url, endpoint_id = endpoint.url, endpoint.id
    body = message.payload.encode()
    timestamp = int(now.timestamp())
    try:
        signing = _signing_secrets(endpoint, now)
    except webhook_secrets.SecretUnavailable as exc:
        db.session.rollback()
        return _record(delivery_id, token, AttemptResult(error=f"not sent: {exc}; rotate the secret"), now)
    headers = {
        "Content-Type": "application/json",
        "webhook-id": message.id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": webhook_secrets.signature_header(signing, message.id, timestamp, body),
    }
    # End the read transaction: nothing may be held (SQLite's write lock included) while we wait on the network.
    db.session.rollback()
    result = send(url, body, headers, now)
    log.info("webhook delivery %s to %s: %s", delivery_id, endpoint_id, result.status_code or result.error)
    return _record(delivery_id, token, result, now)


def _signing_secrets(endpoint: WebhookEndpoint, now: datetime) -> list[str]:
    keys = [webhook_secrets.decrypt(endpoint.secret_encrypted, endpoint.id)]
    expires = endpoint.previous_secret_expires_at
    if endpoint.previous_secret_encrypted and expires is not None and expires > now:
        keys.append(webhook_secrets.decrypt(endpoint.previous_secret_encrypted, endpoint.id))
    return keys


def send(url: str, body: bytes, headers: dict[str, str], now: datetime) -> AttemptResult:
    """Check the URL again (DNS may have changed since it was saved) and POST. Never raises."""
    allow_private = bool(current_app.config.get("WEBHOOK_ALLOW_PRIVATE"))
    try:
        target = webhook_net.check_url(url, allow_private)
        answer = webhook_net.post(target, body, headers, timeout_seconds(), RESPONSE_LIMIT)
    except webhook_net.UnsafeURL as exc:
        return AttemptResult(error=f"not sent: {exc}"[:500])
    except webhook_net.SendError as exc:
        return AttemptResult(error=str(exc)[:500], duration_ms=exc.duration_ms)
    result = AttemptResult(
        status_code=answer.status,
        duration_ms=answer.duration_ms,
        response_body=answer.body.decode("utf-8", errors="replace") + ("…" if answer.truncated else ""),
    )
    if 300 <= answer.status < 400:
        location = answer.headers.get("location", "")[:200]
        result.error = f"redirect not followed (to {location})" if location else "redirect not followed"
    elif not result.ok:
        result.error = f"HTTP {answer.status}"
        result.retry_after = parse_retry_after(answer.headers.get("retry-after"), now)
    return result


def _record(delivery_id: str, token: str, result: AttemptResult, now: datetime) -> str | None:
    """Write the attempt and the delivery's next state, if our claim still holds; disable the endpoint
    when the receiver says 410 Gone or has failed for too long."""
    delivery = db.session.get(WebhookDelivery, delivery_id)
    if delivery is None:  # deleted with its endpoint while the attempt was in flight
        db.session.rollback()
        return None
    endpoint_was_enabled = db.session.execute(
        select(WebhookEndpoint.enabled).where(WebhookEndpoint.id == delivery.endpoint_id)
    ).scalar()
    delay = None
    if result.ok:
        status = SUCCEEDED
    elif result.status_code == 410 or not endpoint_was_enabled:
        status = FAILED
    else:
        delay = retry_delay(delivery.attempt_count, result.retry_after)
        status = FAILED if delay is None else PENDING
    recorded = db.session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id == delivery_id, WebhookDelivery.claim_token == token)
        .values(
            status=status,
            next_attempt_at=None if delay is None else now + timedelta(seconds=delay),
            claim_token=None,
            claimed_until=None,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    if not recorded:
        # Our claim lapsed and another worker took the delivery over (or it was deleted): theirs counts.
        db.session.rollback()
        log.warning("webhook delivery %s: claim lost before the outcome was recorded", delivery_id)
        return None
    db.session.execute(
        insert(WebhookAttempt).values(
            delivery_id=delivery_id,
            at=now,
            status_code=result.status_code,
            duration_ms=result.duration_ms,
            error=result.error,
            response_body=result.response_body,
        )
    )
    if endpoint_was_enabled and not _endpoint_health(delivery.endpoint_id, result, now) and status == PENDING:
        # This attempt got the endpoint disabled: no more retries.
        status, delay = FAILED, None
        db.session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id == delivery_id)
            .values(status=FAILED, next_attempt_at=None)
            .execution_options(synchronize_session=False)
        )
    db.session.commit()
    metrics.webhook_delivery(status)
    if delay is not None and delay <= SCHEDULE_WITHIN_SECONDS:
        from webapp import queue

        queue.enqueue_webhook(delivery_id, delay=delay)
    return status


def _endpoint_health(endpoint_id: str, result: AttemptResult, now: datetime) -> bool:
    """Track the endpoint's run of failures; disable it on 410 or after failing for too long. Returns
    whether it is still enabled."""
    endpoint = db.session.get(WebhookEndpoint, endpoint_id)
    if result.ok:
        endpoint.failing_since = None
        return True
    if result.status_code == 410:
        disable_endpoint(endpoint, "the receiver answered 410 Gone: it asked for no more deliveries", now)
        return False
    if endpoint.failing_since is None:
        endpoint.failing_since = now
        return True
    hours = int(current_app.config["WEBHOOK_DISABLE_AFTER_HOURS"])
    if now - endpoint.failing_since < timedelta(hours=hours):
        return True
    since = endpoint.failing_since.strftime("%Y-%m-%d %H:%M UTC")
    disable_endpoint(endpoint, f"every delivery failed for {hours} hours (since {since})", now)
    return False


def disable_endpoint(endpoint: WebhookEndpoint, reason: str, now: datetime) -> None:
    """Disable in the open transaction, with the reason the admin will see, and record it."""
    endpoint.enabled = False
    endpoint.disabled_reason = reason[:500]
    endpoint.disabled_at = now
    endpoint.updated_at = now
    audit.record("webhook.disabled", "webhook", endpoint.id, details={"reason": endpoint.disabled_reason})
    log.warning("webhook endpoint %s disabled: %s", endpoint.id, reason)


def due_deliveries(now: datetime, limit: int = BATCH) -> list[str]:
    return list(
        db.session.execute(
            select(WebhookDelivery.id)
            .where(
                WebhookDelivery.status == PENDING,
                WebhookDelivery.next_attempt_at <= now,
                or_(WebhookDelivery.claimed_until.is_(None), WebhookDelivery.claimed_until < now),
            )
            .order_by(WebhookDelivery.next_attempt_at)
            .limit(limit)
        ).scalars()
    )


def resend_due(now: datetime | None = None) -> list[str]:
    """Ring the doorbell again for every due delivery nobody holds: a lost queue message, a retry whose
    time came, a worker killed mid-send (its claim lapsed). A duplicate ring is harmless: claims are atomic."""
    from webapp import queue

    due = due_deliveries(now or utcnow())
    db.session.rollback()
    for delivery_id in due:
        queue.enqueue_webhook(delivery_id)
    if due:
        log.info("webhooks: %d due deliveries sent to the queue", len(due))
    return due
