"""Jobs and the record of each stage they ran."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.extensions import db
from webapp.ids import new_id
from webapp.models.types import JSONType
from webapp.timeutil import UTCDateTime, utcnow

QUEUED = "queued"
RUNNING = "running"
SUCCEEDED = "succeeded"
FAILED = "failed"
CANCELLED = "cancelled"
STATUSES = (QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED)
FINISHED = (SUCCEEDED, FAILED, CANCELLED)


class Job(db.Model):
    __tablename__ = "jobs"
    __table_args__ = (
        Index("ix_jobs_status_id", "status", "id"),
        Index("ix_jobs_pipeline_id_id", "pipeline_id", "id"),
        Index("ix_jobs_status_lease", "status", "lease_expires_at"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("job"))
    status: Mapped[str] = mapped_column(String(16), nullable=False, default=QUEUED)
    pipeline_id: Mapped[str] = mapped_column(ForeignKey("pipelines.id"), nullable=False)
    pipeline_version_id: Mapped[str] = mapped_column(ForeignKey("pipeline_versions.id"), nullable=False)
    priority: Mapped[int] = mapped_column(Integer, nullable=False, default=5)
    labels: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False, default=dict)

    filename: Mapped[str] = mapped_column(String(255), nullable=False)
    size_bytes: Mapped[int] = mapped_column(BigInteger, nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    mime_type: Mapped[str | None] = mapped_column(String(255))
    stored_file_id: Mapped[str | None] = mapped_column(ForeignKey("stored_files.id", ondelete="SET NULL"))

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    enqueued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=3)

    current_stage: Mapped[str | None] = mapped_column(String(32))
    progress: Mapped[float] = mapped_column(Float, nullable=False, default=0.0)
    error: Mapped[dict[str, Any] | None] = mapped_column(JSONType)

    # The claim: whoever holds lease_token may write the job's progress until lease_expires_at.
    lease_token: Mapped[str | None] = mapped_column(String(40))
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    worker_id: Mapped[str | None] = mapped_column(String(120))

    pipeline = relationship("Pipeline", lazy="joined", innerjoin=True)
    pipeline_version = relationship("PipelineVersion", lazy="joined", innerjoin=True)
    stored_file = relationship("StoredFile", lazy="select")
    stage_runs: Mapped[list[JobStageRun]] = relationship(
        back_populates="job", order_by="JobStageRun.id", cascade="all, delete-orphan", passive_deletes=True
    )


class JobStageRun(db.Model):
    """One stage of one attempt of a job, with its timing and error."""

    __tablename__ = "job_stage_runs"
    __table_args__ = (Index("ix_job_stage_runs_job_attempt", "job_id", "attempt"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), nullable=False)
    attempt: Mapped[int] = mapped_column(Integer, nullable=False)
    name: Mapped[str] = mapped_column(String(32), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[dict[str, Any] | None] = mapped_column(JSONType)

    job: Mapped[Job] = relationship(back_populates="stage_runs")
