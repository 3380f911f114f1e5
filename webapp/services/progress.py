"""A running job's progress in the database: stage records, the current stage, and the lease.

Statements are built once with bound parameters and run through Core: the worker writes these for every
stage of every job, and building ORM update statements each time cost more than parsing a small document.
For the same reason progress is written at most every PROGRESS_WRITE_SECONDS, and without waiting for the
disk (``commit_progress``).
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, current_app
from sqlalchemy import bindparam, select, text, update

from webapp import logs, metrics
from webapp.extensions import db
from webapp.models import Job, JobStageRun
from webapp.models.job import RUNNING
from webapp.pipeline.errors import StopPipeline
from webapp.timeutil import utcnow

log = logging.getLogger(__name__)

_jobs = Job.__table__
_runs = JobStageRun.__table__

# SET columns come from the parameters given at execution; the WHERE parameters have their own names.
_UPDATE_HELD_JOB = update(_jobs).where(
    _jobs.c.id == bindparam("w_id"), _jobs.c.lease_token == bindparam("w_token"), _jobs.c.status == RUNNING
)
_UPDATE_STAGE = update(_runs).where(
    _runs.c.job_id == bindparam("w_id"), _runs.c.attempt == bindparam("w_attempt"), _runs.c.name == bindparam("w_name")
)
_HELD_STATUS = select(_jobs.c.status).where(
    _jobs.c.id == bindparam("w_id"), _jobs.c.lease_token == bindparam("w_token")
)
_ASYNC_COMMIT = text("SET LOCAL synchronous_commit TO OFF")
# A long stage asks whether it was cancelled often; the database is asked at most this often.
CANCEL_CHECK_SECONDS = 1.0
# Progress is written at most this often (see JobHooks).
PROGRESS_WRITE_SECONDS = 0.2


def commit_progress() -> None:
    """Commit a progress write without waiting for the disk (PostgreSQL's synchronous_commit off, for this
    transaction only): a stage boundary, a cancellation check, a lease renewal. A crash can lose the last
    fraction of a second of these (the job then looks a stage behind, or its lease older, and recovery goes by
    the lease anyway); the claim and the final state still commit durably, and each durable commit also
    flushes every earlier one. Measured on PostgreSQL: ~4-9 ms of flush per commit, five of them per job."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(_ASYNC_COMMIT)
    db.session.commit()


def lease_end() -> datetime:
    return utcnow() + timedelta(seconds=int(current_app.config["JOB_LEASE_SECONDS"]))


class JobHooks:
    """The runner's hooks for a job held under ``token``.

    Progress (the current stage, stage records) is written in short transactions, at most one per
    PROGRESS_WRITE_SECONDS: the first stage's start at once (a job cancelled before it began stops there), a
    later stage boundary once that long has passed since the last write, or when the runner next asks about
    cancellation (the sandbox asks every 0.25 s while a stage runs); whatever is left is written with the job's
    final state. A long stage therefore shows within a fraction of a second, and a small document's five stages
    cost one progress write instead of five (each was a transaction of three statements)."""

    def __init__(self, job_id: str, token: str, attempt: int, pipeline: str = "") -> None:
        self.job_id = job_id
        self.token = token
        self.attempt = attempt
        self.pipeline = pipeline
        # The claim was just made: the job's duration in the metrics runs from here to its final state.
        self.claimed = time.monotonic()
        self.failed_stage: tuple[str, int, dict[str, Any]] | None = None
        # Not yet written: changes to stage records (by stage, in order) and the job's current stage.
        self._stages: dict[str, dict[str, Any]] = {}
        self._progress: dict[str, Any] | None = None
        self._written = 0.0
        self._last_check = 0.0

    def update_job(self, **values: Any) -> None:
        """Update the job only while we still hold it; otherwise stop the pipeline."""
        result = db.session.execute(_UPDATE_HELD_JOB, {"w_id": self.job_id, "w_token": self.token, **values})
        if not result.rowcount:
            db.session.rollback()
            raise StopPipeline("the job was cancelled, deleted or taken over")

    def update_stage(self, name: str, **values: Any) -> None:
        db.session.execute(_UPDATE_STAGE, self._stage_params(name, values))

    def _stage_params(self, name: str, values: dict[str, Any]) -> dict[str, Any]:
        return {"w_id": self.job_id, "w_attempt": self.attempt, "w_name": name, **values}

    def flush(self) -> None:
        """Write the stage records' changes not yet written (in the caller's transaction)."""
        batches: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for name, values in self._stages.items():
            batches.setdefault(tuple(sorted(values)), []).append(self._stage_params(name, values))
        for rows in batches.values():
            db.session.execute(_UPDATE_STAGE, rows)
        self._stages.clear()

    def write_progress(self) -> None:
        self.update_job(**(self._progress or {}), lease_expires_at=lease_end())
        self.flush()
        commit_progress()
        self._progress = None
        self._written = self._last_check = time.monotonic()

    def seconds_since_claim(self) -> float:
        return time.monotonic() - self.claimed

    def stage_started(self, name: str, index: int, total: int) -> None:
        logs.bind(stage=name)
        self._progress = {"current_stage": name, "progress": round(index / total, 3)}
        self._stages.setdefault(name, {}).update(status="running", started_at=utcnow())
        if not self._written or time.monotonic() - self._written >= PROGRESS_WRITE_SECONDS:
            self.write_progress()

    def stage_finished(self, name: str, duration_ms: int) -> None:
        self._stages.setdefault(name, {}).update(status="succeeded", finished_at=utcnow(), duration_ms=duration_ms)
        metrics.stage_finished(name, duration_ms / 1000)

    def stage_failed(self, name: str, duration_ms: int, error: dict[str, Any]) -> None:
        metrics.stage_finished(name, duration_ms / 1000)
        # Recorded with the job's final state, so a failure is one transaction.
        self.failed_stage = (name, duration_ms, error)

    def check_cancelled(self) -> None:
        now = time.monotonic()
        if (self._progress or self._stages) and now - self._written >= PROGRESS_WRITE_SECONDS:
            self.write_progress()  # fails with StopPipeline when the job is no longer ours
            return
        if now - self._last_check < CANCEL_CHECK_SECONDS:
            return
        self._last_check = now
        status = db.session.execute(_HELD_STATUS, {"w_id": self.job_id, "w_token": self.token}).scalar_one_or_none()
        db.session.commit()
        if status != RUNNING:
            raise StopPipeline("the job is no longer running here")


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
                        _UPDATE_HELD_JOB, {"w_id": self.job_id, "w_token": self.token, "lease_expires_at": lease_end()}
                    )
                    commit_progress()
                except Exception:
                    log.warning("could not renew the lease of job %s", self.job_id, exc_info=True)
                    db.session.rollback()
                finally:
                    db.session.remove()
