"""A job's chunks: page by page, or every chunk as JSON lines for LangChain and LlamaIndex."""

from __future__ import annotations

from flask import Response, request

from webapp.api import bp, conditional
from webapp.api import schemas as s
from webapp.api.openapi import Answer, doc
from webapp.api.pagination import page_limit, paginated
from webapp.auth.policy import require_permission
from webapp.pipeline.config import FieldError
from webapp.services import chunks, jobs, results
from webapp.services.errors import ValidationFailed

FORMATS = ("json", "jsonl")
JSONL = "application/x-ndjson"


@bp.get("/jobs/<job_id>/chunks")
@require_permission("jobs:read")
@doc(
    tag="jobs",
    query=s.ChunkListQuery,
    headers=s.ConditionalHeaders,
    errors=(409,),
    answers={
        200: Answer(
            "the chunks in order, a page at a time; ?format=jsonl: every chunk, one JSON object a line",
            s.ChunkList,
            media=s.JSONL_MEDIA,
            headers=("Link", "ETag", "Content-Disposition"),
        ),
        304: Answer("unchanged since If-None-Match", headers=("ETag",)),
    },
)
def list_chunks(job_id: str):
    """List a succeeded job's chunks (its pipeline must have the chunk stage); 409 before it has succeeded."""
    job = jobs.get_job(job_id)
    fmt = request.args.get("format", "json")
    if fmt not in FORMATS:
        raise ValidationFailed([FieldError("format", "must be json or jsonl")])
    selection = results.parse_selection(request.args.get("pages"))
    limit, after = page_limit(), chunks.cursor_index(request.args.get("cursor"))
    # One ETag per representation: the page (limit and cursor) and the selection, or the whole JSON-lines export.
    representation = f"chunks.json;limit={limit};after={after}" if fmt == "json" else "chunks.jsonl"
    chunks.require_chunks(job)
    etag = conditional.result_etag(job, representation, selection.text if selection else "")
    if unchanged := conditional.not_modified(etag):
        return unchanged
    selected = chunks.select_pages(chunks.stored_chunks(job), selection)
    if fmt == "jsonl":
        response = Response(chunks.jsonl_lines(job, selected), mimetype=JSONL)
        response.headers["Content-Disposition"] = results.attachment_header(results.jsonl_filename(job))
        return conditional.with_etag(response, etag)
    items, next_cursor = chunks.page_of(selected, limit, after)
    return conditional.with_etag(paginated(items, next_cursor), etag)
