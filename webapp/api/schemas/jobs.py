"""Jobs: the job, its list, its result, the upload form."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, RootModel, StringConstraints

from webapp.api.schemas.base import (
    STATUSES,
    Cursor,
    JobStatus,
    Limit,
    Out,
    Priority,
    Query,
    Timestamp,
)


class PipelineRef(Out):
    id: str
    name: str
    version: int


class JobStage(Out):
    name: str
    status: Literal["pending", "running", "succeeded", "failed", "skipped"]
    started_at: Timestamp | None
    finished_at: Timestamp | None
    duration_ms: int | None


class JobError(Out):
    type: str = Field(description="unsupported_format, corrupt_file, encrypted_file, empty_document, ...")
    message: str
    stage: str | None = None
    retryable: bool | None = None


class JobLinks(Out):
    self: str
    result: str


class Job(Out):
    id: str
    status: JobStatus
    pipeline: PipelineRef
    priority: int
    labels: dict[str, Any]
    filename: str
    size_bytes: int
    sha256: str
    mime_type: str | None = Field(description="detected from the bytes; null before the detect stage")
    created_at: Timestamp
    started_at: Timestamp | None
    finished_at: Timestamp | None
    attempts: int
    current_stage: str | None
    progress: float = Field(ge=0, le=1)
    stages: list[JobStage]
    error: JobError | None
    links: JobLinks


class JobList(Out):
    items: list[Job]
    next_cursor: str | None


class JobSubmission(BaseModel):
    """``multipart/form-data``: one or more ``file`` parts; each becomes a job."""

    file: list[bytes] = Field(
        min_length=1, description="the document; repeat the part to submit a batch (one job per file)"
    )
    pipeline: str = Field(default=None, description="pipeline id or name (default: default)")
    priority: Priority = Field(default=None, description="default: the pipeline's")
    labels: str = Field(default=None, description='a JSON object, e.g. {"customer": "acme"}')


class JobSubmitted(RootModel[Job | JobList]):
    """One ``file`` part: the job. Two or more: every job created, in the order of the parts."""


IdempotencyKey = Annotated[str, StringConstraints(min_length=1, max_length=255, pattern=r"^[\x20-\x7e]+$")]


class SubmitHeaders(BaseModel):
    idempotency_key: IdempotencyKey = Field(
        default=None,
        alias="Idempotency-Key",
        description="retry safely: the same key and body within 24 h answers the first submission again "
        "(Idempotent-Replayed: true); another body → 422; while the first is in flight → 409",
    )


class JobListQuery(Query):
    limit: Limit | None = None
    cursor: Cursor | None = None
    status: str | None = Field(default=None, description=f"comma-separated: {', '.join(STATUSES)}")
    pipeline: str | None = Field(default=None, description="pipeline id or name")
    created_after: Timestamp | None = None
    created_before: Timestamp | None = None
    label: str | None = Field(default=None, description="key=value: jobs whose label key has that value")


class ResultQuery(Query):
    format: Literal["json", "text", "markdown"] = "json"


class Language(Out):
    code: str | None
    confidence: float | None


class Table(Out):
    page: int | None = None
    rows: list[list[Any]]


class Result(Out):
    job_id: str
    pipeline: PipelineRef
    text: str
    markdown: str
    elements: list[dict[str, Any]] = Field(description='[{"type": "title"|"heading"|"paragraph"|..., "text", "page"}]')
    tables: list[Table]
    metadata: dict[str, Any]
    language: Language | None
    quality: dict[str, Any] | None = Field(description='{"score": 0-1, "signals": {...}, "warnings": [...]}')
    timings: dict[str, Any]


TEXT_MEDIA = {
    "text/plain": {"schema": {"type": "string"}},
    "text/markdown": {"schema": {"type": "string"}},
}
