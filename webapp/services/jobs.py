"""Jobs as clients see them: submit, list, cancel, retry, delete. The worker side is in processing.py."""

from __future__ import annotations

import base64
import json
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any, BinaryIO

from flask import current_app
from sqlalchemy import delete, func, select, update

from webapp import metrics, queue
from webapp.extensions import db
from webapp.ids import new_id
from webapp.models import Job, JobStageRun, Result, StoredFile
from webapp.models.job import CANCELLED, FAILED, FINISHED, QUEUED, RUNNING, STATUSES
from webapp.pipeline.config import FieldError
from webapp.services import audit
from webapp.services.errors import BusyError, ConflictError, NotFoundError, PayloadTooLargeError, ValidationFailed
from webapp.services.pipelines import get_pipeline
from webapp.services.storage import FileTooLargeError, get_storage
from webapp.timeutil import RFC3339_HINT, parse_time_args, utcnow

log = logging.getLogger(__name__)

MAX_LABELS = 50
MAX_FILENAME = 255


@dataclass(slots=True)
class JobFilters:
    status: list[str] | None = None
    pipeline: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None


def parse_priority(raw: str | int | None) -> int | None:
    if raw is None or raw == "":
        return None
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise ValidationFailed([FieldError("priority", "must be an integer from 0 to 9")]) from None
    if not 0 <= value <= 9:
        raise ValidationFailed([FieldError("priority", "must be an integer from 0 to 9")])
    return value


def parse_labels(raw: str | dict | None) -> dict[str, Any]:
    if raw is None or raw == "":
        return {}
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            raise ValidationFailed([FieldError("labels", "must be a JSON object")]) from None
    if not isinstance(raw, dict):
        raise ValidationFailed([FieldError("labels", "must be a JSON object")])
    if len(raw) > MAX_LABELS:
        raise ValidationFailed([FieldError("labels", f"at most {MAX_LABELS} labels")])
    for key, value in raw.items():
        if not isinstance(value, str | int | float | bool) or len(str(key)) > 100 or len(str(value)) > 500:
            raise ValidationFailed(
                [FieldError(f"labels.{key}", "values must be strings, numbers or booleans (≤ 500 chars)")]
            )
    return raw


def submit_job(
    stream: BinaryIO,
    filename: str,
    pipeline_ref: str | None,
    priority: int | None = None,
    labels: dict[str, Any] | None = None,
) -> Job:
    """Store the upload, record the job, commit, then ring the queue's doorbell."""
    ensure_queue_has_room()
    pipeline = get_pipeline(pipeline_ref or "default")
    version = pipeline.current()
    limit = int(current_app.config["MAX_UPLOAD_MB"]) * 1024 * 1024
    storage = get_storage()
    try:
        blob = storage.save(stream, limit)
    except FileTooLargeError as exc:
        raise PayloadTooLargeError(str(exc), limit_bytes=exc.limit_bytes) from None
    try:
        stored = StoredFile(sha256=blob.sha256, size_bytes=blob.size_bytes, path=blob.relpath)
        db.session.add(stored)
        now = utcnow()
        job = Job(
            id=new_id("job"),
            status=QUEUED,
            pipeline_id=pipeline.id,
            pipeline_version_id=version.id,
            priority=version.default_priority if priority is None else priority,
            labels=labels or {},
            filename=_clean_filename(filename),
            size_bytes=blob.size_bytes,
            sha256=blob.sha256,
            stored_file=stored,
            created_at=now,
            enqueued_at=now,
            attempts=0,
            max_attempts=int(current_app.config["JOB_MAX_ATTEMPTS"]),
            progress=0.0,
        )
        db.session.add(job)
        audit.record(
            "job.created",
            "job",
            job.id,
            details={
                "filename": job.filename,
                "size_bytes": job.size_bytes,
                "sha256": job.sha256,
                "pipeline": pipeline.name,
                "pipeline_version": version.version,
                "priority": job.priority,
            },
        )
        db.session.commit()
    except BaseException:
        db.session.rollback()
        storage.delete(blob.relpath)
        raise
    metrics.job_created(pipeline.name, blob.size_bytes)
    queue.enqueue_job(job.id, job.priority)
    return job


def ensure_queue_has_room() -> None:
    """Refuse new work while DOCPIPE_MAX_QUEUED jobs already wait, instead of growing without bound."""
    limit = int(current_app.config["MAX_QUEUED"])
    if limit <= 0:
        return
    # Counting stops at the limit: cheap however long the queue is.
    waiting = db.session.execute(
        select(func.count()).select_from(select(Job.id).where(Job.status == QUEUED).limit(limit).subquery())
    ).scalar_one()
    if waiting >= limit:
        raise BusyError(
            f"{waiting} jobs are already waiting (the limit is {limit}); try again shortly",
            retry_after=int(current_app.config["BUSY_RETRY_AFTER_SECONDS"]),
            queued=waiting,
        )


def _clean_filename(name: str | None) -> str:
    # Keep only the last path component: browsers on some systems send full client paths.
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    base = "".join(ch for ch in base if ch.isprintable())
    return (base or "upload")[:MAX_FILENAME]


def get_job(job_id: str) -> Job:
    job = db.session.get(Job, job_id)
    if job is None:
        raise NotFoundError(f"no job {job_id!r}")
    return job


def parse_filters(args: dict[str, str]) -> JobFilters:
    errors: list[FieldError] = []
    filters = JobFilters()
    if args.get("status"):
        statuses = [s.strip() for s in args["status"].split(",") if s.strip()]
        bad = [s for s in statuses if s not in STATUSES]
        if bad:
            errors.append(FieldError("status", f"unknown status {bad[0]!r}; one of {', '.join(STATUSES)}"))
        filters.status = statuses
    if args.get("pipeline"):
        filters.pipeline = args["pipeline"]
    times, bad = parse_time_args(args, ("created_after", "created_before"))
    for key, value in times.items():
        setattr(filters, key, value)
    errors.extend(FieldError(key, RFC3339_HINT) for key in bad)
    if errors:
        raise ValidationFailed(errors)
    return filters


def list_jobs(filters: JobFilters, limit: int, cursor: str | None) -> tuple[list[Job], str | None]:
    """Newest first; the cursor is the last id of the previous page (ids sort by creation time)."""
    query = select(Job)
    if filters.status:
        query = query.where(Job.status.in_(filters.status))
    if filters.pipeline:
        from webapp.models import Pipeline

        query = query.join(Pipeline, Pipeline.id == Job.pipeline_id).where(
            (Pipeline.id == filters.pipeline) | (Pipeline.name == filters.pipeline)
        )
    if filters.created_after:
        query = query.where(Job.created_at > filters.created_after)
    if filters.created_before:
        query = query.where(Job.created_at < filters.created_before)
    if cursor:
        query = query.where(Job.id < decode_cursor(cursor))
    rows = list(db.session.execute(query.order_by(Job.id.desc()).limit(limit + 1)).scalars())
    next_cursor = encode_cursor(rows[limit - 1].id) if len(rows) > limit else None
    return rows[:limit], next_cursor


def encode_cursor(last_id: str) -> str:
    return base64.urlsafe_b64encode(last_id.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> str:
    try:
        value = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except ValueError:
        raise ValidationFailed([FieldError("cursor", "invalid cursor")]) from None
    # b64decode skips characters outside its alphabet, so check the round trip, not just that it decoded.
    if not value or encode_cursor(value) != cursor or not value.isprintable() or len(value) > 60:
        raise ValidationFailed([FieldError("cursor", "invalid cursor")])
    return value


def latest_stage_runs(jobs: list[Job]) -> dict[str, list[JobStageRun]]:
    """Each job's stage runs of its latest attempt, in one query for the whole page."""
    wanted = {job.id: job.attempts for job in jobs if job.attempts}
    if not wanted:
        return {}
    runs = db.session.execute(
        select(JobStageRun).where(JobStageRun.job_id.in_(list(wanted))).order_by(JobStageRun.id)
    ).scalars()
    by_job: dict[str, list[JobStageRun]] = {}
    for run in runs:
        if run.attempt == wanted[run.job_id]:
            by_job.setdefault(run.job_id, []).append(run)
    return by_job


def get_result(job: Job) -> Result:
    if job.status != "succeeded":
        raise ConflictError(
            f"the job is {job.status}; a result exists only once it has succeeded", job_status=job.status
        )
    result = db.session.get(Result, job.id)
    if result is None:  # pragma: no cover - succeeded is written in the same transaction as the result
        raise NotFoundError("the job's result is missing")
    return result


def cancel_job(job: Job) -> Job:
    """Queued or running → cancelled. A running worker notices at its next stage boundary."""
    was = job.status
    now = utcnow()
    changed = db.session.execute(
        update(Job)
        .where(Job.id == job.id, Job.status.in_((QUEUED, RUNNING)))
        .values(status=CANCELLED, finished_at=now, lease_token=None, lease_expires_at=None)
    ).rowcount
    if changed:
        audit.record("job.cancelled", "job", job.id, details={"was": was})
    db.session.commit()
    db.session.refresh(job)
    if not changed:
        raise ConflictError(
            f"the job is {job.status}; only queued or running jobs can be cancelled", job_status=job.status
        )
    metrics.job_finished(job.pipeline.name, CANCELLED)
    return job


def retry_job(job: Job) -> Job:
    """Failed or cancelled → queued again, with a fresh budget of attempts."""
    was = job.status
    now = utcnow()
    changed = db.session.execute(
        update(Job)
        .where(Job.id == job.id, Job.status.in_((FAILED, CANCELLED)))
        .values(
            status=QUEUED,
            error=None,
            finished_at=None,
            started_at=None,
            current_stage=None,
            progress=0.0,
            enqueued_at=now,
            max_attempts=Job.attempts + int(current_app.config["JOB_MAX_ATTEMPTS"]),
        )
    ).rowcount
    if changed:
        audit.record("job.retried", "job", job.id, details={"was": was})
    db.session.commit()
    db.session.refresh(job)
    if not changed:
        raise ConflictError(
            f"the job is {job.status}; only failed or cancelled jobs can be retried", job_status=job.status
        )
    queue.enqueue_job(job.id, job.priority)
    return job


def delete_job(job: Job) -> None:
    """Removes the job, its stage runs and result, then its stored file (after the commit)."""
    stored_path = job.stored_file.path if job.stored_file_id and job.stored_file else None
    stored_id = job.stored_file_id
    details = {"filename": job.filename, "status": job.status, "sha256": job.sha256}
    db.session.execute(delete(Job).where(Job.id == job.id))
    if stored_id:
        db.session.execute(delete(StoredFile).where(StoredFile.id == stored_id))
    audit.record("job.deleted", "job", job.id, details=details)
    db.session.commit()
    if stored_path:
        get_storage().delete(stored_path)


def is_finished(job: Job) -> bool:
    return job.status in FINISHED
