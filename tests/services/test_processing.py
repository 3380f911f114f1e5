"""The worker's claim, lease and recovery logic on the real database."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from webapp.extensions import db
from webapp.models import Job, JobStageRun, Result
from webapp.pipeline.errors import StopPipeline
from webapp.services import jobs
from webapp.services.processing import claim_job, process_job
from webapp.services.progress import JobHooks
from webapp.services.recovery import recover_jobs
from webapp.timeutil import utcnow


def _submit(app, text: bytes = b"A small document for the worker.", filename: str = "doc.txt") -> str:
    with app.test_request_context():
        job = jobs.submit_job(io.BytesIO(text), filename, None)
        job_id = job.id
        db.session.remove()
    return job_id


def test_a_job_is_claimed_once(app):
    job_id = _submit(app)
    with app.app_context():
        first = claim_job(job_id, "worker-a")
        second = claim_job(job_id, "worker-b")
        assert first is not None and second is None
        job = db.session.get(Job, job_id)
        assert (job.status, job.worker_id, job.attempts) == ("running", "worker-a", 1)


def test_a_second_delivery_does_nothing(app):
    job_id = _submit(app)
    with app.app_context():
        assert process_job(job_id, "worker-a") == "succeeded"
        assert process_job(job_id, "worker-b") is None
        assert db.session.execute(select(func.count()).select_from(Result)).scalar_one() == 1
        job = db.session.get(Job, job_id)
        assert job.attempts == 1 and job.worker_id == "worker-a"


def test_expired_lease_is_recovered_and_the_job_completes_once(app):
    """GIVEN a worker that claimed a job and died WHEN its lease expires THEN recovery requeues the job,
    the next worker completes it, and the dead attempt's stage runs are marked failed."""
    job_id = _submit(app)
    with app.app_context():
        assert claim_job(job_id, "dead-worker")
        assert recover_jobs().requeued == []  # lease still valid
        db.session.execute(update(Job).where(Job.id == job_id).values(lease_expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
        report = recover_jobs()
        assert report.requeued == [job_id]
        assert db.session.get(Job, job_id).status == "queued"
        assert process_job(job_id, "live-worker") == "succeeded"
        job = db.session.get(Job, job_id)
        assert job.attempts == 2
        runs = db.session.execute(select(JobStageRun).filter_by(job_id=job_id).order_by(JobStageRun.id)).scalars().all()
        assert {run.status for run in runs if run.attempt == 1} == {"failed"}
        assert {run.status for run in runs if run.attempt == 2} == {"succeeded"}
        assert db.session.execute(select(func.count()).select_from(Result)).scalar_one() == 1


def test_a_job_that_keeps_killing_workers_fails_after_max_attempts(app):
    job_id = _submit(app)
    with app.app_context():
        for attempt in range(1, 4):
            assert claim_job(job_id, f"worker-{attempt}")
            db.session.execute(
                update(Job).where(Job.id == job_id).values(lease_expires_at=utcnow() - timedelta(seconds=1))
            )
            db.session.commit()
            report = recover_jobs()
        assert report.gave_up == [job_id]
        job = db.session.get(Job, job_id)
        assert job.status == "failed" and job.attempts == 3
        assert job.error["type"] == "internal" and "giving up after 3 attempts" in job.error["message"]


def test_a_stale_worker_cannot_overwrite_a_recovered_job(app):
    """GIVEN worker A's lease expired and worker B took the job over WHEN A tries to finish THEN nothing of A's
    is written."""
    job_id = _submit(app)
    with app.app_context():
        token_a = claim_job(job_id, "worker-a")
        db.session.execute(update(Job).where(Job.id == job_id).values(lease_expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
        recover_jobs()
        token_b = claim_job(job_id, "worker-b")
        assert token_b and token_b != token_a
        changed = db.session.execute(
            update(Job).where(Job.id == job_id, Job.lease_token == token_a).values(status="succeeded")
        ).rowcount
        db.session.rollback()
        assert changed == 0


def test_queued_job_whose_message_was_lost_is_sent_again(app):
    job_id = _submit(app)
    with app.app_context():
        assert recover_jobs().resent == []
        db.session.execute(update(Job).where(Job.id == job_id).values(enqueued_at=utcnow() - timedelta(hours=1)))
        db.session.commit()
        assert recover_jobs().resent == [job_id]
        assert recover_jobs().resent == []


def test_cancel_while_running_stops_between_stages(app):
    """GIVEN a claimed job WHEN it is cancelled before the worker runs its stages THEN the worker stops and the
    job stays cancelled with no result."""
    job_id = _submit(app)
    with app.app_context():
        token = claim_job(job_id, "worker-a")
        assert token
        jobs.cancel_job(db.session.get(Job, job_id))
        hooks = JobHooks(job_id, token, 1)
        with pytest.raises(StopPipeline):
            hooks.stage_started("ingest", 0, 5)
        with pytest.raises(StopPipeline):
            hooks.check_cancelled()
        assert db.session.get(Job, job_id).status == "cancelled"
        assert db.session.get(Result, job_id) is None


def test_queued_jobs_are_resent_soon_when_the_queue_lost_its_messages(app):
    """GIVEN a queued job whose message vanished (the queue was flushed, as a Redis restart does) WHEN recovery
    runs after the short grace period THEN it is resent without waiting the full requeue delay."""
    from webapp.queue import get_huey

    job_id = _submit(app)
    with app.app_context():
        get_huey().flush()
        db.session.execute(update(Job).where(Job.id == job_id).values(enqueued_at=utcnow() - timedelta(seconds=45)))
        db.session.commit()
        assert recover_jobs().resent == [job_id]
        assert get_huey().pending_count() == 1


def test_a_result_over_docpipe_max_result_mb_fails_the_job_and_stores_nothing(app):
    """GIVEN DOCPIPE_MAX_RESULT_MB=1 WHEN a CSV of one 2 MB line is processed THEN the job fails typed, naming
    the result's size and the setting, and no result is stored."""
    app.config["MAX_RESULT_MB"] = 1
    job_id = _submit(app, b",".join([b"cell"] * 400_000) + b"\n", "wide.csv")
    with app.app_context():
        assert process_job(job_id, "worker-a") == "failed"
        job = db.session.get(Job, job_id)
        assert (job.error["type"], job.error["stage"]) == ("limit_exceeded", "output")
        assert job.error["message"].endswith("MB; DOCPIPE_MAX_RESULT_MB is 1")
        assert db.session.execute(select(func.count()).select_from(Result)).scalar_one() == 0
