"""Thin Huey tasks: take an id, open an app context, call a service, return."""

from __future__ import annotations

import time
from types import SimpleNamespace

from flask import Flask
from huey import Huey, crontab

from webapp.extensions import db


def first_in_period(huey: Huey, name: str, period_seconds: int = 60) -> bool:
    """True for exactly one caller per period across every consumer sharing this queue's storage.

    Every consumer schedules the periodic tasks (so losing any one of them loses nothing); this atomic
    put-if-empty on the shared storage lets only the first of them do the work in each period.
    """
    bucket = int(time.time() // period_seconds)
    if not huey.put_if_empty(f"docpipe.periodic.{name}.{bucket}", 1):
        return False
    huey.delete(f"docpipe.periodic.{name}.{bucket - 2}")
    return True


def register(huey: Huey, app: Flask) -> SimpleNamespace:
    from webapp.services import audit_log, idempotency, processing, webhook_delivery
    from webapp.services.workers import worker_identity

    @huey.task(name="docpipe.process_job")
    def process_job(job_id: str) -> str | None:
        with app.app_context():
            try:
                return processing.process_job(job_id, worker_identity())
            finally:
                db.session.remove()

    # Above every job priority (0-9): a backlog of documents must not hold back notifications.
    @huey.task(name="docpipe.deliver_webhook", priority=10)
    def deliver_webhook(delivery_id: str) -> str | None:
        with app.app_context():
            try:
                return webhook_delivery.deliver(delivery_id)
            finally:
                db.session.remove()

    @huey.periodic_task(crontab(hour="3", minute="17"), name="docpipe.purge_audit")
    def purge_audit() -> int | None:
        if not first_in_period(huey, "purge_audit", period_seconds=3600):
            return None
        with app.app_context():
            try:
                days = int(app.config["AUDIT_RETENTION_DAYS"])
                return audit_log.purge(days) if days > 0 else 0
            finally:
                db.session.remove()

    @huey.periodic_task(crontab(minute="23"), name="docpipe.purge_idempotency_keys")
    def purge_idempotency_keys() -> int | None:
        if not first_in_period(huey, "purge_idempotency_keys", period_seconds=3600):
            return None
        with app.app_context():
            try:
                return idempotency.purge_expired()
            finally:
                db.session.remove()

    return SimpleNamespace(
        process_job=process_job,
        purge_audit=purge_audit,
        deliver_webhook=deliver_webhook,
        purge_idempotency_keys=purge_idempotency_keys,
    )
