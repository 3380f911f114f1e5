"""The worker's side of a job: claim it, run its pipeline, record every stage, store the result.

Every write is conditional on the claim's lease token, so a worker that lost its claim (it was paused past
its lease, or the job was cancelled or deleted) can no longer change the job: a job's effects are written
once, by the one worker that holds it, in the transaction that marks it finished.
"""

from __future__ import annotations

import logging
import secrets
import threading
from datetime import timedelta
from typing import Any

from flask import Flask, current_app
from sqlalchemy import insert, select, update

from webapp.extensions import db
from webapp.models import Job, JobStageRun, Result
from webapp.models.job import FAILED, QUEUED, RUNNING, SUCCEEDED
from webapp.pipeline.config import stages_from_json
from webapp.pipeline.document import Source
from webapp.pipeline.errors import StopPipeline
from webapp.pipeline.runner import PipelineFailed, run_pipeline
from webapp.services.storage import get_storage
from webapp.timeutil import utcnow

log = logging.getLogger(__name__)


def claim_job(job_id: str, worker_id: str) -> str | None:
    """Atomically take a queued job. Returns the lease token, or None when someone else has it or it is
    no longer queued (a duplicate delivery of the same message then does nothing)."""
    token = secrets.token_hex(16)
    now = utcnow()
    lease = timedelta(seconds=int(current_app.config["JOB_LEASE_SECONDS"]))
    claimed = db.session.execute(
        update(Job)
        .where(Job.id == job_id, Job.status == QUEUED)
        .values(
            status=RUNNING,
            lease_token=token,
            lease_expires_at=now + lease,
            worker_id=worker_id,
            attempts=Job.attempts + 1,
            started_at=now,
            finished_at=None,
            current_stage=None,
            progress=0.0,
            error=None,
        )
    ).rowcount
    if not claimed:
        db.session.rollback()
        return None
    job = db.session.get(Job, job_id)
    names = [stage["name"] for stage in job.pipeline_version.stages]
    db.session.execute(
        insert(JobStageRun),
        [{"job_id": job_id, "attempt": job.attempts, "name": name, "status": "pending"} for name in names],
    )
    db.session.commit()
    return token


class JobHooks:
    """Writes the runner's progress to the database, each in its own short transaction."""

    def __init__(self, job_id: str, token: str, attempt: int) -> None:
        self.job_id = job_id
        self.token = token
        self.attempt = attempt

    def _update_job(self, **values: Any) -> None:
        changed = db.session.execute(
            update(Job)
            .where(Job.id == self.job_id, Job.lease_token == self.token, Job.status == RUNNING)
            .values(**values)
        ).rowcount
        if not changed:
            db.session.rollback()
            raise StopPipeline("the job was cancelled, deleted or taken over")

    def _update_stage(self, name: str, **values: Any) -> None:
        db.session.execute(
            update(JobStageRun)
            .where(JobStageRun.job_id == self.job_id, JobStageRun.attempt == self.attempt, JobStageRun.name == name)
            .values(**values)
        )

    def stage_started(self, name: str, index: int, total: int) -> None:
        self._update_job(current_stage=name, progress=round(index / total, 3), lease_expires_at=_lease_end())
        self._update_stage(name, status="running", started_at=utcnow())
        db.session.commit()

    def stage_finished(self, name: str, duration_ms: int) -> None:
        self._update_job(lease_expires_at=_lease_end())
        self._update_stage(name, status="succeeded", finished_at=utcnow(), duration_ms=duration_ms)
        db.session.commit()

    def stage_failed(self, name: str, duration_ms: int, error: dict[str, Any]) -> None:
        # Recorded with the job's final state in finish_failed, so a failure is one transaction.
        self.failed_stage = (name, duration_ms, error)

    def check_cancelled(self) -> None:
        status = db.session.execute(
            select(Job.status).where(Job.id == self.job_id, Job.lease_token == self.token)
        ).scalar_one_or_none()
        db.session.commit()
        if status != RUNNING:
            raise StopPipeline("the job is no longer running here")


def _lease_end():
    return utcnow() + timedelta(seconds=int(current_app.config["JOB_LEASE_SECONDS"]))


class LeaseKeeper:
    """Renews the lease from a side thread while a long stage runs (a 600-page PDF must not look dead)."""

    def __init__(self, app: Flask, job_id: str, token: str) -> None:
        self.app = app
        self.job_id = job_id
        self.token = token
        self.interval = max(1.0, int(app.config["JOB_LEASE_SECONDS"]) / 3)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"lease-{job_id}", daemon=True)

    def __enter__(self) -> LeaseKeeper:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            with self.app.app_context():
                try:
                    db.session.execute(
                        update(Job)
                        .where(Job.id == self.job_id, Job.lease_token == self.token, Job.status == RUNNING)
                        .values(lease_expires_at=_lease_end())
                    )
                    db.session.commit()
                except Exception:
                    log.warning("could not renew the lease of job %s", self.job_id, exc_info=True)
                    db.session.rollback()
                finally:
                    db.session.remove()


def process_job(job_id: str, worker_id: str) -> str | None:
    """Run one job if it can be claimed. Returns its final status, or None when it was not ours to run."""
    token = claim_job(job_id, worker_id)
    if token is None:
        log.info("job %s not claimable (already taken, finished or cancelled)", job_id)
        return None
    job = db.session.get(Job, job_id)
    attempt = job.attempts
    hooks = JobHooks(job_id, token, attempt)
    app = current_app._get_current_object()
    log.info("job %s attempt %s started", job_id, attempt)
    try:
        stages = stages_from_json(job.pipeline_version.stages)
        source = _source(job)
        version_id = job.pipeline_version_id
        db.session.commit()
        with LeaseKeeper(app, job_id, token):
            output = run_pipeline(source, stages, hooks)
    except StopPipeline:
        db.session.rollback()
        _close_attempt(job_id, attempt, "skipped")
        log.info("job %s stopped: cancelled or taken over", job_id)
        return None
    except PipelineFailed as failure:
        db.session.rollback()
        return _finish_failed(job_id, token, attempt, hooks, failure.error)
    except Exception as exc:
        log.exception("job %s: unexpected error outside the stages", job_id)
        db.session.rollback()
        error = {"type": "internal", "message": f"{type(exc).__name__}: {exc}"[:500], "stage": None, "retryable": True}
        return _finish_failed(job_id, token, attempt, hooks, error)
    return _finish_succeeded(job_id, token, attempt, version_id, output)


def _source(job: Job) -> Source:
    storage = get_storage()
    # A stored file that vanished is reported by the ingest stage as a typed error.
    path = storage.path(job.stored_file.path) if job.stored_file else storage.root / "missing"
    return Source(path=path, filename=job.filename, size_bytes=job.size_bytes, sha256=job.sha256)


def _finish_succeeded(job_id: str, token: str, attempt: int, version_id: str, output: dict[str, Any]) -> str | None:
    now = utcnow()
    changed = db.session.execute(
        update(Job)
        .where(Job.id == job_id, Job.lease_token == token, Job.status == RUNNING)
        .values(
            status=SUCCEEDED,
            finished_at=now,
            progress=1.0,
            current_stage=None,
            lease_token=None,
            lease_expires_at=None,
            mime_type=output.get("metadata", {}).get("mime_type"),
        )
    ).rowcount
    if not changed:
        db.session.rollback()
        _close_attempt(job_id, attempt, "skipped")
        return None
    db.session.add(
        Result(
            job_id=job_id,
            pipeline_version_id=version_id,
            text=output.get("text", ""),
            markdown=output.get("markdown", ""),
            elements=output.get("elements", []),
            tables=output.get("tables", []),
            doc_metadata=output.get("metadata", {}),
            language=output.get("language", {}),
            quality=output.get("quality", {}),
            timings=output.get("timings", {}),
        )
    )
    db.session.commit()
    log.info("job %s succeeded", job_id)
    return SUCCEEDED


def _finish_failed(job_id: str, token: str, attempt: int, hooks: JobHooks, error: dict[str, Any]) -> str | None:
    job = db.session.get(Job, job_id)
    retry = bool(error.get("retryable")) and job.attempts < job.max_attempts
    now = utcnow()
    values: dict[str, Any] = {"lease_token": None, "lease_expires_at": None, "error": error}
    if retry:
        values.update(status=QUEUED, enqueued_at=now, current_stage=None)
    else:
        values.update(status=FAILED, finished_at=now)
    changed = db.session.execute(
        update(Job).where(Job.id == job_id, Job.lease_token == token, Job.status == RUNNING).values(**values)
    ).rowcount
    if not changed:
        db.session.rollback()
        _close_attempt(job_id, attempt, "skipped")
        return None
    name, duration_ms, stage_error = getattr(hooks, "failed_stage", (error.get("stage"), None, error))
    db.session.execute(
        update(JobStageRun)
        .where(JobStageRun.job_id == job_id, JobStageRun.attempt == attempt, JobStageRun.name == name)
        .values(status="failed", finished_at=now, duration_ms=duration_ms, error=stage_error)
    )
    _mark_unfinished(job_id, attempt, "skipped")
    db.session.commit()
    if retry:
        from webapp import queue

        queue.enqueue_job(job_id, job.priority)
    log.info("job %s failed in %s: %s", job_id, error.get("stage"), error.get("type"))
    return QUEUED if retry else FAILED


def _mark_unfinished(job_id: str, attempt: int, status: str) -> None:
    db.session.execute(
        update(JobStageRun)
        .where(
            JobStageRun.job_id == job_id,
            JobStageRun.attempt == attempt,
            JobStageRun.status.in_(("pending", "running")),
        )
        .values(status=status)
    )


def _close_attempt(job_id: str, attempt: int, status: str) -> None:
    _mark_unfinished(job_id, attempt, status)
    db.session.commit()
