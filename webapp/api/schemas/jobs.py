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
    chunks: str = Field(default=None, description="pipelines with the chunk stage: GET /jobs/{id}/chunks")


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
    pages: str = Field(
        default=None,
        description='only these pages, e.g. "2-4" or "1-3,7" or "5-": their elements, the tables that touch '
        "them, their page entries, and text and Markdown rendered from those elements",
    )


class Language(Out):
    code: str | None
    confidence: float | None


BBox = Annotated[
    list[float],
    Field(min_length=4, max_length=4, description="[x0, y0, x1, y1] in PDF points, origin top-left of the page"),
]


class Element(Out):
    """One block in reading order. Paginated sources (PDF, scans, images) give it a ``bbox``; a table element
    carries its table's ``rows``, ``header_rows`` and ``pages``."""

    id: str = Field(description="unique within the result: e1, e2 ... in reading order")
    type: str = Field(
        description="title, heading, paragraph, list_item, table, image, page_break, code, quote, caption, "
        "header, footer, page_header, page_footer, footnote, formula"
    )
    text: str
    page: int | None = Field(description="1-based; null for unpaginated sources")
    bbox: BBox = None
    level: int = Field(default=None, description="heading level (1 = top) or list nesting depth (0 = top)")
    ordered: bool = Field(default=None, description="list items: a numbered list")
    rows: list[list[Any]] = Field(default=None, description="table elements: the table's rows")
    header_rows: int = Field(default=None, ge=0, description="table elements: how many first rows are header")
    pages: list[int] = Field(default=None, description="table elements: every page the table spans")
    table_index: int = Field(default=None, ge=0, description="table elements: the table's index in `tables`")


class Table(Out):
    id: str = Field(description="the id of the table's element")
    page: int | None = None
    pages: list[int] = Field(description="every page the table spans, first to last; [] for unpaginated sources")
    header_rows: int = Field(ge=0, description="how many of the first rows are header rows")
    bbox: BBox = Field(default=None, description="on its first page, in PDF points, origin top-left")
    rows: list[list[Any]]


class Page(Out):
    number: int = Field(ge=1)
    width: float = Field(description="in PDF points (1/72 inch)")
    height: float
    rotation: int = Field(description="0, 90, 180 or 270")
    source: Literal["text", "ocr"] = Field(description="text layer or OCR")


class ChunkBox(Out):
    page: int = Field(ge=1)
    bbox: BBox


class Chunk(Out):
    """A piece of the document for search and retrieval, at most ``max_tokens`` long, with where it came from."""

    id: str = Field(description="c1, c2 ... in order")
    index: int = Field(ge=0, description="0-based place among all the result's chunks")
    text: str = Field(description="with include_headings: starts with the heading path, one heading a line")
    token_count: int = Field(ge=0, description="tokens of `text` by the stage's tokenizer, at most max_tokens")
    headings: list[str] = Field(description='the heading path, outermost first: ["1 Scope", "1.1 Audience"]')
    pages: list[int] = Field(description="[first, last] page; [] for unpaginated sources")
    element_ids: list[str] = Field(description="ids of the result's elements the chunk's text comes from")
    bboxes: list[ChunkBox] = Field(description="the boxes of those elements on their pages; [] for unpaginated")
    type: Literal["text", "table"] = Field(description="table: a table, or rows of one with its header rows")


class ChunkList(Out):
    items: list[Chunk]
    next_cursor: str | None


class ChunkListQuery(Query):
    limit: Limit | None = None
    cursor: Cursor | None = None
    pages: str = Field(default=None, description='only chunks that touch these pages, e.g. "2-4" or "1-3,7"')
    format: Literal["json", "jsonl"] = Field(
        default="json",
        description="jsonl: every chunk (limit and cursor do not apply), one a line, as "
        '{"page_content": text, "metadata": {id, index, headings, pages, element_ids, bboxes, type, '
        "token_count, job_id, source}}: LangChain's JSONLoader and LlamaIndex read it (see the README)",
    )


class Result(Out):
    job_id: str
    pipeline: PipelineRef
    text: str
    markdown: str
    elements: list[Element]
    tables: list[Table]
    pages: list[Page] = Field(description="paginated sources: one entry per page parsed; [] for others")
    metadata: dict[str, Any]
    language: Language | None
    quality: dict[str, Any] | None = Field(description='{"score": 0-1, "signals": {...}, "warnings": [...]}')
    timings: dict[str, Any]
    chunks: list[Chunk] = Field(
        default=None, description="only when the pipeline has the chunk stage: every chunk, [] when there is no text"
    )


TEXT_MEDIA = {
    "text/plain": {"schema": {"type": "string"}},
    "text/markdown": {"schema": {"type": "string"}},
}
CSV_MEDIA = {"text/csv": {"schema": {"type": "string"}}}
JSONL_MEDIA = {
    "application/x-ndjson": {
        "schema": {"type": "string", "description": 'one {"page_content", "metadata"} object per line, per chunk'}
    }
}
