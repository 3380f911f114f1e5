"""Jobs as clients see them: submit, list, cancel, retry, delete. The worker side is in processing.py."""

from __future__ import annotations

import base64
import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, BinaryIO

from flask import current_app
from sqlalchemy import String, bindparam, cast, delete, func, select, update

from webapp import metrics, queue
from webapp.extensions import db
from webapp.ids import new_id
from webapp.models import Job, JobStageRun, Pipeline, PipelineVersion, Result, StoredFile
from webapp.models.job import CANCELLED, FAILED, FINISHED, QUEUED, RUNNING, STATUSES
from webapp.pipeline.config import FieldError
from webapp.services import audit
from webapp.services.errors import BusyError, ConflictError, NotFoundError, PayloadTooLargeError, ValidationFailed
from webapp.services.pipelines import get_pipeline
from webapp.services.storage import FileTooLargeError, StoredBlob, get_storage
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
    # label=key=value: jobs whose label ``key`` has that value (a number label matches its digits).
    label: tuple[str, str] | None = None


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


@dataclass(frozen=True, slots=True)
class Upload:
    stream: BinaryIO
    filename: str


def submit_job(
    stream: BinaryIO,
    filename: str,
    pipeline_ref: str | None,
    priority: int | None = None,
    labels: dict[str, Any] | None = None,
) -> Job:
    """Store the upload, record the job, commit, then ring the queue's doorbell."""
    return submit_jobs([Upload(stream, filename)], pipeline_ref, priority, labels)[0]


def validate_uploads(uploads: Sequence[Upload]) -> None:
    """Before anything is stored: 1 to DOCPIPE_MAX_BATCH_FILES parts, each with a file name."""
    limit = int(current_app.config["MAX_BATCH_FILES"])
    if not uploads:
        raise ValidationFailed([FieldError("file", "required: the document as a multipart/form-data part 'file'")])
    if len(uploads) > limit:
        raise ValidationFailed([FieldError("file", f"at most {limit} files in one request, got {len(uploads)}")])
    nameless = [i for i, upload in enumerate(uploads) if not (upload.filename or "").strip()]
    if nameless:
        field = "file" if len(uploads) == 1 else f"file[{nameless[0]}]"
        raise ValidationFailed([FieldError(field, "the part has no file name (Content-Disposition filename)")])


def submit_jobs(
    uploads: Sequence[Upload],
    pipeline_ref: str | None,
    priority: int | None = None,
    labels: dict[str, Any] | None = None,
    before_commit: Callable[[list[Job]], None] | None = None,
) -> list[Job]:
    """All or nothing: every upload stored and its job recorded in one transaction (``before_commit`` joins
    it), then the queue's doorbell rung for each. Any failure removes what was stored."""
    ensure_queue_has_room(len(uploads))
    pipeline = get_pipeline(pipeline_ref or "default")
    version = pipeline.current()
    limit = int(current_app.config["MAX_UPLOAD_MB"]) * 1024 * 1024
    storage = get_storage()
    saved: list[str] = []
    try:
        created = []
        for upload in uploads:
            try:
                blob = storage.save(upload.stream, limit)
            except FileTooLargeError as exc:
                raise PayloadTooLargeError(str(exc), limit_bytes=exc.limit_bytes, filename=upload.filename) from None
            saved.append(blob.relpath)
            created.append(_new_job(blob, upload.filename, pipeline, version, priority, labels))
        if before_commit is not None:
            before_commit(created)
        pipeline_name = pipeline.name  # read before the commit expires it: after, it would cost a query
        db.session.commit()
    except BaseException:
        db.session.rollback()
        for relpath in saved:
            storage.delete(relpath)
        raise
    for job in created:
        metrics.job_created(pipeline_name, job.size_bytes)
        queue.enqueue_job(job.id, job.priority)
    return created


def _new_job(
    blob: StoredBlob,
    filename: str,
    pipeline: Pipeline,
    version: PipelineVersion,
    priority: int | None,
    labels: dict[str, Any] | None,
) -> Job:
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
    return job


# (jobs waiting, monotonic time counted) per app, for ensure_queue_has_room.
_QUEUE_DEPTH = "docpipe.queue_depth"
QUEUE_DEPTH_MAX_AGE = 1.0


def ensure_queue_has_room(count: int = 1) -> None:
    """Refuse new work while DOCPIPE_MAX_QUEUED jobs already wait, instead of growing without bound."""
    limit = int(current_app.config["MAX_QUEUED"])
    if limit <= 0:
        return
    if count > limit:
        raise ValidationFailed([FieldError("file", f"{count} files are more than the queue holds ({limit})")])
    counted = current_app.extensions.get(_QUEUE_DEPTH)
    if counted and time.monotonic() - counted[1] < QUEUE_DEPTH_MAX_AGE and counted[0] + count <= limit // 2:
        # Far below the limit, a count under a second old (plus what this process added since) answers: the
        # exact count runs near the limit, so other processes cannot push the queue past it unnoticed.
        current_app.extensions[_QUEUE_DEPTH] = (counted[0] + count, counted[1])
        return
    # Counting stops at the limit: cheap however long the queue is.
    waiting = db.session.execute(
        select(func.count()).select_from(select(Job.id).where(Job.status == QUEUED).limit(limit).subquery())
    ).scalar_one()
    current_app.extensions[_QUEUE_DEPTH] = (waiting + count, time.monotonic())
    if waiting + count > limit:
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


# Built once: constructing the statement cost as much CPU as loading its rows.
_JOB_WITH_RUNS = (
    select(Job, JobStageRun)
    .outerjoin(JobStageRun, (JobStageRun.job_id == Job.id) & (JobStageRun.attempt == Job.attempts))
    .where(Job.id == bindparam("job_id"))
    .order_by(JobStageRun.id)
)


def get_job_with_runs(job_id: str) -> tuple[Job, list[JobStageRun]]:
    """A job with the stage runs of its latest attempt, in one round trip (the hot path of GET /jobs/{id})."""
    rows = db.session.execute(_JOB_WITH_RUNS, {"job_id": job_id}).all()
    if not rows:
        raise NotFoundError(f"no job {job_id!r}")
    return rows[0][0], [run for _, run in rows if run is not None]


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
    if args.get("label"):
        key, sep, value = args["label"].partition("=")
        if not sep or not key.strip():
            errors.append(FieldError("label", "must be key=value, e.g. customer=acme"))
        else:
            filters.label = (key.strip(), value.strip())
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
    if filters.label:
        key, value = filters.label
        # ->> on PostgreSQL, json_extract on SQLite; the cast makes SQLite compare a number label as text too.
        query = query.where(cast(Job.labels[key].as_string(), String) == value)
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


# The columns a job's representation shows. Plain rows, not ORM objects: building hundreds of those for a
# page of 50 jobs cost more than the query itself.
_STAGE_RUN_COLUMNS = tuple(
    getattr(JobStageRun, name)
    for name in ("job_id", "attempt", "name", "status", "started_at", "finished_at", "duration_ms", "error")
)


def latest_stage_runs(jobs: list[Job]) -> dict[str, list[Any]]:
    """Each job's stage runs of its latest attempt (rows with JobStageRun's attributes), in one query for
    the whole page."""
    wanted = {job.id: job.attempts for job in jobs if job.attempts}
    if not wanted:
        return {}
    runs = db.session.execute(
        select(*_STAGE_RUN_COLUMNS).where(JobStageRun.job_id.in_(list(wanted))).order_by(JobStageRun.id)
    )
    by_job: dict[str, list[Any]] = {}
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
    from webapp.services import thumbnails  # the sandbox machinery loads only when a job is deleted

    thumbnails.forget(job.id)


def is_finished(job: Job) -> bool:
    return job.status in FINISHED
