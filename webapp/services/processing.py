"""The worker's side of a job: claim it, run its pipeline, record every stage, store the result.

Every write is conditional on the claim's lease token, so a worker that lost its claim (it was paused past
its lease, or the job was cancelled or deleted) can no longer change the job: a job's effects are written
once, by the one worker that holds it, in the transaction that marks it finished.
"""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import insert, update

from webapp import logs, metrics
from webapp.extensions import db
from webapp.models import Job, JobStageRun, Result
from webapp.models.job import FAILED, QUEUED, RUNNING, SUCCEEDED
from webapp.pipeline.config import stages_from_json
from webapp.pipeline.document import Source
from webapp.pipeline.errors import StopPipeline
from webapp.pipeline.runner import PipelineFailed
from webapp.pipeline.sandbox import Limits, run_isolated
from webapp.services import audit
from webapp.services.progress import JobHooks, LeaseKeeper
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
    audit.record("job.started", "job", job_id, details={"attempt": job.attempts, "worker": worker_id})
    db.session.commit()
    return token


def process_job(job_id: str, worker_id: str) -> str | None:
    """Run one job if it can be claimed. Returns its final status, or None when it was not ours to run."""
    # Log lines carry the job id (and the pipeline and stage once known): they join with the audit log.
    with logs.job_context(job_id):
        return _process_job(job_id, worker_id)


def _process_job(job_id: str, worker_id: str) -> str | None:
    token = claim_job(job_id, worker_id)
    if token is None:
        log.info("job %s not claimable (already taken, finished or cancelled)", job_id)
        return None
    job = db.session.get(Job, job_id)
    attempt = job.attempts
    logs.bind(pipeline=job.pipeline.name)
    hooks = JobHooks(job_id, token, attempt, pipeline=job.pipeline.name)
    app = current_app._get_current_object()
    log.info("job %s attempt %s started", job_id, attempt)
    try:
        stages = stages_from_json(job.pipeline_version.stages)
        stored_path = job.stored_file.path if job.stored_file else None
        filename, size_bytes, sha256 = job.filename, job.size_bytes, job.sha256
        version_id = job.pipeline_version_id
        db.session.commit()
        # A stored file that vanished is reported by the ingest stage as a typed error.
        with LeaseKeeper(app, job_id, token), get_storage().local_copy(stored_path) as local_path:
            source = Source(path=local_path, filename=filename, size_bytes=size_bytes, sha256=sha256)
            # In a child process with memory, CPU and wall-clock limits: a hostile file costs only its job.
            limits = Limits.from_stages(stages, max_result_mb=int(app.config["MAX_RESULT_MB"]))
            output = run_isolated(source, stages, hooks, limits)
    except StopPipeline:
        db.session.rollback()
        _close_attempt(hooks, "skipped")
        log.info("job %s stopped: cancelled or taken over", job_id)
        return None
    except PipelineFailed as failure:
        db.session.rollback()
        return _finish_failed(hooks, failure.error)
    except Exception as exc:
        log.exception("job %s: unexpected error outside the stages", job_id)
        db.session.rollback()
        error = {"type": "internal", "message": f"{type(exc).__name__}: {exc}"[:500], "stage": None, "retryable": True}
        return _finish_failed(hooks, error)
    return _finish_succeeded(hooks, version_id, output)


def _finish_succeeded(hooks: JobHooks, version_id: str, output: dict[str, Any]) -> str | None:
    """The job's final state, its last stage record and its result: one transaction, or nothing."""
    try:
        hooks.update_job(
            status=SUCCEEDED,
            finished_at=utcnow(),
            progress=1.0,
            current_stage=None,
            lease_token=None,
            lease_expires_at=None,
            mime_type=output.get("metadata", {}).get("mime_type"),
        )
    except StopPipeline:
        _close_attempt(hooks, "skipped")
        return None
    hooks.flush()
    db.session.add(
        Result(
            job_id=hooks.job_id,
            pipeline_version_id=version_id,
            text=output.get("text", ""),
            markdown=output.get("markdown", ""),
            elements=output.get("elements", []),
            tables=output.get("tables", []),
            pages=output.get("pages", []),
            chunks=output.get("chunks", []),
            doc_metadata=output.get("metadata", {}),
            language=output.get("language", {}),
            quality=output.get("quality", {}),
            timings=output.get("timings", {}),
        )
    )
    details = {"attempt": hooks.attempt}
    if "chunks" in output:  # the pipeline has the chunk stage: the job.succeeded webhook says how many
        details["chunks"] = len(output["chunks"])
    audit.record("job.succeeded", "job", hooks.job_id, details=details)
    db.session.commit()
    metrics.job_finished(hooks.pipeline, SUCCEEDED, hooks.seconds_since_claim())
    log.info("job %s succeeded", hooks.job_id)
    return SUCCEEDED


def _finish_failed(hooks: JobHooks, error: dict[str, Any]) -> str | None:
    job = db.session.get(Job, hooks.job_id)
    retry = bool(error.get("retryable")) and job.attempts < job.max_attempts
    priority = job.priority
    now = utcnow()
    values: dict[str, Any] = {"lease_token": None, "lease_expires_at": None, "error": error}
    if retry:
        values.update(status=QUEUED, enqueued_at=now, current_stage=None)
    else:
        values.update(status=FAILED, finished_at=now)
    try:
        hooks.update_job(**values)
    except StopPipeline:
        _close_attempt(hooks, "skipped")
        return None
    hooks.flush()
    name, duration_ms, stage_error = hooks.failed_stage or (error.get("stage"), None, error)
    if name:
        hooks.update_stage(name, status="failed", finished_at=now, duration_ms=duration_ms, error=stage_error)
    _mark_unfinished(hooks, "skipped")
    audit.record(
        "job.retrying" if retry else "job.failed",
        "job",
        hooks.job_id,
        outcome="error",
        details={"attempt": hooks.attempt, "error": {k: error.get(k) for k in ("type", "stage", "retryable")}},
    )
    db.session.commit()
    if retry:
        from webapp import queue

        queue.enqueue_job(hooks.job_id, priority)
    else:
        metrics.job_finished(hooks.pipeline, FAILED, hooks.seconds_since_claim())
    log.info("job %s failed in %s: %s", hooks.job_id, error.get("stage"), error.get("type"))
    return QUEUED if retry else FAILED


def _mark_unfinished(hooks: JobHooks, status: str) -> None:
    db.session.execute(
        update(JobStageRun)
        .where(
            JobStageRun.job_id == hooks.job_id,
            JobStageRun.attempt == hooks.attempt,
            JobStageRun.status.in_(("pending", "running")),
        )
        .values(status=status)
        .execution_options(synchronize_session=False)
    )


def _close_attempt(hooks: JobHooks, status: str) -> None:
    """Stopped by someone else (cancel, delete, takeover): record what ran, skip the rest."""
    db.session.rollback()
    hooks.flush()
    _mark_unfinished(hooks, status)
    db.session.commit()
