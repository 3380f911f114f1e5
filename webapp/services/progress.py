"""A running job's progress in the database: stage records, the current stage, and the lease.

Statements are built once with bound parameters and run through Core: the worker writes these for every
stage of every job, and building ORM update statements each time cost more than parsing a small document.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, current_app
from sqlalchemy import bindparam, select, update

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
# A long stage asks whether it was cancelled often; the database is asked at most this often.
CANCEL_CHECK_SECONDS = 1.0


def lease_end() -> datetime:
    return utcnow() + timedelta(seconds=int(current_app.config["JOB_LEASE_SECONDS"]))


class JobHooks:
    """The runner's hooks for a job held under ``token``. One short transaction per stage boundary: a
    finished stage is written together with the start of the next one (or with the job's final state)."""

    def __init__(self, job_id: str, token: str, attempt: int, pipeline: str = "") -> None:
        self.job_id = job_id
        self.token = token
        self.attempt = attempt
        self.pipeline = pipeline
        # The claim was just made: the job's duration in the metrics runs from here to its final state.
        self.claimed = time.monotonic()
        self.failed_stage: tuple[str, int, dict[str, Any]] | None = None
        self._finished: tuple[str, int, datetime] | None = None
        self._last_check = 0.0

    def update_job(self, **values: Any) -> None:
        """Update the job only while we still hold it; otherwise stop the pipeline."""
        result = db.session.execute(_UPDATE_HELD_JOB, {"w_id": self.job_id, "w_token": self.token, **values})
        if not result.rowcount:
            db.session.rollback()
            raise StopPipeline("the job was cancelled, deleted or taken over")

    def update_stage(self, name: str, **values: Any) -> None:
        db.session.execute(_UPDATE_STAGE, {"w_id": self.job_id, "w_attempt": self.attempt, "w_name": name, **values})

    def flush(self) -> None:
        """Write the last finished stage, if not yet written (in the caller's transaction)."""
        if self._finished is not None:
            name, duration_ms, finished_at = self._finished
            self.update_stage(name, status="succeeded", finished_at=finished_at, duration_ms=duration_ms)
            self._finished = None

    def seconds_since_claim(self) -> float:
        return time.monotonic() - self.claimed

    def stage_started(self, name: str, index: int, total: int) -> None:
        logs.bind(stage=name)
        self.update_job(current_stage=name, progress=round(index / total, 3), lease_expires_at=lease_end())
        self.flush()
        self.update_stage(name, status="running", started_at=utcnow())
        db.session.commit()
        self._last_check = time.monotonic()

    def stage_finished(self, name: str, duration_ms: int) -> None:
        self._finished = (name, duration_ms, utcnow())
        metrics.stage_finished(name, duration_ms / 1000)

    def stage_failed(self, name: str, duration_ms: int, error: dict[str, Any]) -> None:
        metrics.stage_finished(name, duration_ms / 1000)
        # Recorded with the job's final state, so a failure is one transaction.
        self.failed_stage = (name, duration_ms, error)

    def check_cancelled(self) -> None:
        now = time.monotonic()
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
                    db.session.commit()
                except Exception:
                    log.warning("could not renew the lease of job %s", self.job_id, exc_info=True)
                    db.session.rollback()
                finally:
                    db.session.remove()
