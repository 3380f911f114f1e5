"""Finds jobs whose queue message was lost or whose worker died, and puts them back in the queue.

This is what makes the database the source of truth: Huey only rings the doorbell, and a doorbell that
never rang (lost message, queue wiped) or a worker killed mid-job is noticed here, run periodically.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from flask import current_app
from sqlalchemy import or_, select, update

from webapp import metrics, queue
from webapp.extensions import db
from webapp.models import Job, JobStageRun, Pipeline
from webapp.models.job import FAILED, QUEUED, RUNNING
from webapp.services import audit
from webapp.timeutil import utcnow

log = logging.getLogger(__name__)
BATCH = 500
QUEUE_EMPTY_GRACE_SECONDS = 30


@dataclass(slots=True)
class RecoveryReport:
    requeued: list[str] = field(default_factory=list)
    resent: list[str] = field(default_factory=list)
    gave_up: list[str] = field(default_factory=list)


def recover_jobs() -> RecoveryReport:
    report = RecoveryReport()
    _recover_expired_leases(report)
    _resend_stale_queued(report)
    if report.requeued or report.resent or report.gave_up:
        log.warning(
            "recovery: %d requeued after a lost worker, %d re-sent, %d failed as poison jobs",
            len(report.requeued),
            len(report.resent),
            len(report.gave_up),
        )
    return report


def _recover_expired_leases(report: RecoveryReport) -> None:
    now = utcnow()
    expired = db.session.execute(
        select(Job.id, Job.attempts, Job.max_attempts, Job.lease_token, Job.priority, Pipeline.name)
        .join(Pipeline, Pipeline.id == Job.pipeline_id)
        .where(Job.status == RUNNING, Job.lease_expires_at < now)
        .limit(BATCH)
    ).all()
    for job_id, attempts, max_attempts, token, priority, pipeline in expired:
        lost = {
            "type": "internal",
            "message": f"the worker running attempt {attempts} stopped responding (killed or crashed)",
            "stage": None,
            "retryable": True,
        }
        give_up = attempts >= max_attempts
        values = {"lease_token": None, "lease_expires_at": None, "current_stage": None}
        if give_up:
            lost["message"] += f"; giving up after {attempts} attempts"
            lost["retryable"] = False
            values.update(status=FAILED, finished_at=now, error=lost)
        else:
            values.update(status=QUEUED, enqueued_at=now, error=None)
        # Conditional on the token we read: if the worker came back and finished meanwhile, leave it alone.
        changed = db.session.execute(
            update(Job).where(Job.id == job_id, Job.status == RUNNING, Job.lease_token == token).values(**values)
        ).rowcount
        if not changed:
            db.session.rollback()
            continue
        db.session.execute(
            update(JobStageRun)
            .where(
                JobStageRun.job_id == job_id,
                JobStageRun.attempt == attempts,
                JobStageRun.status.in_(("pending", "running")),
            )
            .values(status="failed", error={**lost, "retryable": not give_up})
        )
        audit.record(
            "job.failed" if give_up else "job.recovered",
            "job",
            job_id,
            outcome="error" if give_up else "success",
            details={"attempt": attempts, "reason": "worker lost (lease expired)", "gave_up": give_up},
        )
        db.session.commit()
        if give_up:
            report.gave_up.append(job_id)
            metrics.job_finished(pipeline, FAILED)
        else:
            report.requeued.append(job_id)
            queue.enqueue_job(job_id, priority)


def _resend_stale_queued(report: RecoveryReport) -> None:
    now = utcnow()
    wait = int(current_app.config["JOB_REQUEUE_AFTER_SECONDS"])
    try:
        if queue.get_huey().pending_count() == 0:
            # Nothing waits in the queue, so these jobs' messages are gone (a Redis restart or flush): resend
            # after a short grace period for messages being handed to a worker right now.
            wait = min(wait, QUEUE_EMPTY_GRACE_SECONDS)
    except Exception:
        log.warning("could not read the queue depth", exc_info=True)
    stale_before = now - timedelta(seconds=wait)
    stale = db.session.execute(
        select(Job.id, Job.priority)
        .where(Job.status == QUEUED, or_(Job.enqueued_at.is_(None), Job.enqueued_at < stale_before))
        .order_by(Job.id)
        .limit(BATCH)
    ).all()
    if not stale:
        db.session.commit()
        return
    db.session.execute(
        update(Job).where(Job.id.in_([row[0] for row in stale]), Job.status == QUEUED).values(enqueued_at=now)
    )
    db.session.commit()
    for job_id, priority in stale:
        # A duplicate message is harmless: the claim is atomic and only one delivery wins.
        queue.enqueue_job(job_id, priority)
        report.resent.append(job_id)
