"""The webhook outbox: events become messages and deliveries in the transaction of the change itself.

The audit log sees every change inside its transaction (``audit.subscribe``). For an event type that some
enabled endpoint subscribes to, this writes the message (its body, byte for byte as it will be sent) and
one pending delivery per endpoint, in that same transaction: the change, its audit event and its webhooks
commit together or not at all. Only after the commit does the queue hear about the new deliveries (a
rolled-back change sends nothing); a doorbell lost on the way is rung again by ``resend_due``.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any

from flask import Flask
from sqlalchemy import event, select
from sqlalchemy.orm import Session, SessionTransaction

from webapp.extensions import db
from webapp.ids import new_id
from webapp.models import AuditEvent, Job, JobStageRun, Pipeline, WebhookDelivery, WebhookEndpoint, WebhookMessage
from webapp.models.webhook import PENDING
from webapp.services import audit
from webapp.timeutil import isoformat, utcnow

log = logging.getLogger(__name__)

EVENT_TYPES = (
    "job.created",
    "job.started",
    "job.succeeded",
    "job.failed",
    "job.cancelled",
    "pipeline.created",
    "pipeline.updated",
    "webhook.test",
)
ALL_EVENTS = "*"
# Event types that come from the audit log (webhook.test is sent by hand, to one endpoint).
FROM_AUDIT = frozenset(EVENT_TYPES) - {"webhook.test"}
_PENDING_KEY = "docpipe.webhook_deliveries"
_ENDPOINTS_KEY = "docpipe.webhook_endpoints"


def init_app(app: Flask) -> None:  # noqa: ARG001 - the module-level hooks serve every app
    audit.subscribe(on_audit_event)
    if not event.contains(Session, "after_commit", _after_commit):
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_rollback", _after_rollback)
    if not event.contains(Session, "after_transaction_end", _forget_endpoints):
        event.listen(Session, "after_transaction_end", _forget_endpoints)


def on_audit_event(audit_event: AuditEvent) -> None:
    """Called inside the transaction that recorded ``audit_event``."""
    if audit_event.action not in FROM_AUDIT or audit_event.outcome == "denied":
        return
    endpoint_ids = subscribed_endpoints(audit_event.action)
    if not endpoint_ids:
        return
    data = _event_data(audit_event.action, audit_event.resource_id)
    if data is None:
        log.warning("no %s %s to describe in a webhook", audit_event.resource_type, audit_event.resource_id)
        return
    chunk_count = (audit_event.details or {}).get("chunks")
    if audit_event.action == "job.succeeded" and chunk_count is not None:
        # The pipeline has the chunk stage: how many, beside the job's links.chunks; never the chunks themselves.
        data["chunk_count"] = chunk_count
    publish(audit_event.action, data, endpoint_ids, audit_event.at)


def subscribed_endpoints(event_type: str) -> list[str]:
    """Enabled endpoints subscribed to ``event_type``, read once per transaction: a batch of N uploads makes N
    job.created events in one transaction, and one reading of the endpoints serves them all."""
    info = db.session().info
    rows = info.get(_ENDPOINTS_KEY)
    if rows is None:
        rows = info[_ENDPOINTS_KEY] = db.session.execute(
            select(WebhookEndpoint.id, WebhookEndpoint.events).where(WebhookEndpoint.enabled.is_(True))
        ).all()
    return [endpoint_id for endpoint_id, events in rows if ALL_EVENTS in events or event_type in events]


def publish(
    event_type: str, data: dict[str, Any], endpoint_ids: list[str], at: datetime | None = None
) -> tuple[WebhookMessage, list[WebhookDelivery]]:
    """Add a message and its deliveries to the open transaction; they are enqueued once it commits."""
    at = at or utcnow()
    body = {"type": event_type, "timestamp": isoformat(at), "data": data}
    message = WebhookMessage(
        id=new_id("msg"),
        type=event_type,
        payload=json.dumps(body, ensure_ascii=False, separators=(",", ":")),
        created_at=at,
    )
    db.session.add(message)
    deliveries = [
        WebhookDelivery(
            id=new_id("whd"),
            endpoint_id=endpoint_id,
            message_id=message.id,
            status=PENDING,
            attempt_count=0,
            next_attempt_at=at,
            created_at=at,
            updated_at=at,
        )
        for endpoint_id in endpoint_ids
    ]
    db.session.add_all(deliveries)
    db.session.flush()
    enqueue_after_commit([delivery.id for delivery in deliveries])
    return message, deliveries


def enqueue_after_commit(delivery_ids: list[str]) -> None:
    db.session().info.setdefault(_PENDING_KEY, []).extend(delivery_ids)


def _after_commit(session: Session) -> None:
    delivery_ids = session.info.pop(_PENDING_KEY, None)
    if not delivery_ids:
        return
    from webapp import queue

    try:
        for delivery_id in delivery_ids:
            queue.enqueue_webhook(delivery_id)
    except Exception:
        # The commit has happened and must not be reported as failed: resend_due sends these later.
        log.warning(
            "could not enqueue %d webhook deliveries; they are sent again later", len(delivery_ids), exc_info=True
        )


def _after_rollback(session: Session) -> None:
    session.info.pop(_PENDING_KEY, None)


def _forget_endpoints(session: Session, transaction: SessionTransaction) -> None:
    # Any end of the outermost transaction (commit, rollback, close): the next one reads the endpoints afresh.
    if transaction.parent is None:
        session.info.pop(_ENDPOINTS_KEY, None)


def _event_data(event_type: str, resource_id: str | None) -> dict[str, Any] | None:
    """The resource as the API shows it, read afresh: the worker writes jobs through Core statements, so
    objects already in the session may be stale."""
    from webapp.api.serializers import job_to_dict, pipeline_to_dict

    fresh = {"populate_existing": True}
    if event_type.startswith("job."):
        job = db.session.execute(select(Job).where(Job.id == resource_id).execution_options(**fresh)).scalar()
        if job is None:
            return None
        runs = []
        if job.attempts:
            runs = list(
                db.session.execute(
                    select(JobStageRun)
                    .where(JobStageRun.job_id == job.id, JobStageRun.attempt == job.attempts)
                    .order_by(JobStageRun.id)
                    .execution_options(**fresh)
                ).scalars()
            )
        return job_to_dict(job, runs)
    pipeline = db.session.execute(
        select(Pipeline).where(Pipeline.id == resource_id).execution_options(**fresh)
    ).scalar()
    return None if pipeline is None else pipeline_to_dict(pipeline, pipeline.current())
