"""A job's chunks as clients read them: page by page (cursor pagination), for a selection of pages, and as JSON lines
that LangChain's and LlamaIndex's loaders take (``{"page_content", "metadata"}``, one chunk a line)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from sqlalchemy import select

from webapp.extensions import db
from webapp.models import Job, Result
from webapp.pipeline.config import FieldError
from webapp.pipeline.pagerange import PageRange
from webapp.services.errors import ConflictError, ValidationFailed
from webapp.services.jobs import decode_cursor, encode_cursor

STAGE = "chunk"
# Chunk fields a JSON line carries in its metadata, beside the job's id and file name.
METADATA_KEYS = ("id", "index", "headings", "pages", "element_ids", "bboxes", "type", "token_count")


def has_chunk_stage(job: Job) -> bool:
    """Whether the pipeline version the job ran (or will run) has the chunk stage."""
    return any(stage.get("name") == STAGE for stage in job.pipeline_version.stages or [])


def require_chunks(job: Job) -> None:
    """409 unless the job can have chunks: its pipeline has the chunk stage, and it has succeeded."""
    if not has_chunk_stage(job):
        pipeline = job.pipeline.name
        raise ConflictError(
            f"the job's pipeline {pipeline!r} (version {job.pipeline_version.version}) has no chunk stage: "
            "chunks come from a pipeline that lists it (between enrich and output)",
            job_status=job.status,
        )
    if job.status != "succeeded":
        raise ConflictError(
            f"the job is {job.status}; its chunks exist only once it has succeeded", job_status=job.status
        )


def stored_chunks(job: Job) -> list[dict[str, Any]]:
    """The chunks of a job that may have them (``require_chunks``), read without the rest of its result."""
    require_chunks(job)
    chunks = db.session.execute(select(Result.chunks).where(Result.job_id == job.id)).scalar()
    return list(chunks or [])


def chunk_pages(chunk: dict[str, Any]) -> range:
    """The pages a chunk spans (``pages`` is [first, last]); empty for unpaginated sources."""
    pages = chunk.get("pages") or []
    return range(pages[0], pages[-1] + 1) if pages else range(0)


def select_pages(chunks: list[dict[str, Any]], selection: PageRange | None) -> list[dict[str, Any]]:
    """The chunks that touch a selected page (all of them without a selection)."""
    if selection is None:
        return chunks
    return [chunk for chunk in chunks if any(number in selection for number in chunk_pages(chunk))]


def cursor_index(cursor: str | None) -> int:
    """The index of the last chunk of the previous page that ``cursor`` names; -1 without a cursor."""
    if not cursor:
        return -1
    value = decode_cursor(cursor)
    if not value.isdigit():
        raise ValidationFailed([FieldError("cursor", "invalid cursor")])
    return int(value)


def page_of(chunks: list[dict[str, Any]], limit: int, after: int) -> tuple[list[dict[str, Any]], str | None]:
    """The ``limit`` chunks that follow index ``after``, in order, and the cursor of the next page (or None)."""
    rest = [chunk for chunk in chunks if chunk["index"] > after]
    items = rest[:limit]
    next_cursor = encode_cursor(str(items[-1]["index"])) if len(rest) > limit else None
    return items, next_cursor


def document_line(job: Job, chunk: dict[str, Any]) -> dict[str, Any]:
    """One chunk as a LangChain ``Document`` / LlamaIndex ``Document`` takes it: the text, and the rest as metadata."""
    metadata = {key: chunk.get(key) for key in METADATA_KEYS}
    metadata.update(job_id=job.id, source=job.filename)
    return {"page_content": chunk.get("text", ""), "metadata": metadata}


def jsonl_lines(job: Job, chunks: list[dict[str, Any]]) -> Iterator[str]:
    """``chunks`` as JSON lines (``document_line``), UTF-8 as it is, one chunk a line."""
    for chunk in chunks:
        yield json.dumps(document_line(job, chunk), ensure_ascii=False, separators=(",", ":")) + "\n"
