"""Jobs: submit, read, list, result, cancel, retry, delete."""

from __future__ import annotations

from flask import Response, jsonify, request

from webapp.api import bp, conditional
from webapp.api import schemas as s
from webapp.api.openapi import Answer, doc
from webapp.api.pagination import page_limit, paginated
from webapp.api.serializers import job_to_dict, result_to_dict
from webapp.auth.identity import current_identity
from webapp.auth.policy import require_permission
from webapp.pipeline.config import FieldError
from webapp.services import idempotency, jobs, results
from webapp.services.errors import NotFoundError, ValidationFailed

TEXT_TYPES = {"text": "text/plain", "markdown": "text/markdown"}


def _job_response(job, status: int = 200, runs: list | None = None):
    if runs is None:
        runs = jobs.latest_stage_runs([job]).get(job.id)
    body = job_to_dict(job, runs)
    etag = conditional.job_etag(body)
    if request.method in ("GET", "HEAD") and (unchanged := conditional.not_modified(etag)):
        return unchanged, 304
    return conditional.with_etag(jsonify(body), etag), status


@bp.post("/jobs")
@require_permission("jobs:submit")
@doc(
    tag="jobs",
    form=s.JobSubmission,
    headers=s.SubmitHeaders,
    validate=False,
    errors=(404, 409, 413, 503),
    answers={
        202: Answer(
            "accepted: the job, or every job of a batch",
            s.JobSubmitted,
            headers=("Location", "ETag", "Idempotent-Replayed"),
        )
    },
)
def submit_job():
    """One ``file`` part → the job (with Location); several → ``{"items": [...]}``, all or none created."""
    uploads = [jobs.Upload(part.stream, part.filename or "") for part in request.files.getlist("file")]
    jobs.validate_uploads(uploads)
    priority = jobs.parse_priority(request.form.get("priority"))
    labels = jobs.parse_labels(request.form.get("labels"))
    pipeline_ref = request.form.get("pipeline")
    key = request.headers.get(idempotency.HEADER)
    replayed = False
    if key is None:
        created = jobs.submit_jobs(uploads, pipeline_ref, priority, labels)
    else:
        created, replayed = idempotency.submit_once(
            _idempotency_scope(), idempotency.validate_key(key), uploads, pipeline_ref, priority, labels
        )
    response = _submitted(created, batch=len(uploads) > 1)
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response, 202


def _submitted(created: list, batch: bool) -> Response:
    if not batch:
        if not created:
            raise NotFoundError("the job created with this Idempotency-Key has since been deleted")
        response, _ = _job_response(created[0])
        response.headers["Location"] = f"/api/v1/jobs/{created[0].id}"
        return response
    runs = jobs.latest_stage_runs(created)
    return jsonify({"items": [job_to_dict(job, runs.get(job.id)) for job in created], "next_cursor": None})


def _idempotency_scope() -> str:
    identity = current_identity()
    assert identity is not None  # the route requires a permission
    return idempotency.scope_of(identity.kind, identity.id, identity.api_key_id)


@bp.get("/jobs")
@require_permission("jobs:read")
@doc(tag="jobs", query=s.JobListQuery, answers={200: Answer("newest first", s.JobList, headers=("Link",))})
def list_jobs():
    """List jobs, newest first."""
    filters = jobs.parse_filters(request.args)
    items, next_cursor = jobs.list_jobs(filters, page_limit(), request.args.get("cursor"))
    runs = jobs.latest_stage_runs(items)
    return paginated([job_to_dict(job, runs.get(job.id)) for job in items], next_cursor)


@bp.get("/jobs/<job_id>")
@require_permission("jobs:read")
@doc(
    tag="jobs",
    headers=s.ConditionalHeaders,
    answers={
        200: Answer("the job", s.Job, headers=("ETag",)),
        304: Answer("unchanged since If-None-Match", headers=("ETag",)),
    },
)
def get_job(job_id: str):
    """Get a job: status, stages, error."""
    job, runs = jobs.get_job_with_runs(job_id)
    return _job_response(job, runs=runs)


@bp.get("/jobs/<job_id>/result")
@require_permission("jobs:read")
@doc(
    tag="jobs",
    query=s.ResultQuery,
    headers=s.ConditionalHeaders,
    errors=(409,),
    answers={
        200: Answer(
            "the result; ?format=text or markdown: that text alone; ?pages=: those pages only",
            s.Result,
            media=s.TEXT_MEDIA,
            headers=("ETag",),
        ),
        304: Answer("unchanged since If-None-Match", headers=("ETag",)),
    },
)
def get_result(job_id: str):
    """Get a succeeded job's result (JSON, text or Markdown), whole or for a selection of pages."""
    job = jobs.get_job(job_id)
    fmt = request.args.get("format", "json")
    if fmt not in ("json", "text", "markdown"):
        raise ValidationFailed([FieldError("format", "must be json, text or markdown")])
    selection = results.parse_selection(request.args.get("pages"))
    etag = conditional.result_etag(job, fmt, selection.text if selection else "")
    if job.status == "succeeded" and (unchanged := conditional.not_modified(etag)):
        return unchanged
    result = jobs.get_result(job)
    if selection is None and fmt != "json":
        body = result.text if fmt == "text" else result.markdown
        return conditional.with_etag(Response(body, mimetype=TEXT_TYPES[fmt]), etag)
    data = result_to_dict(job, result)
    if selection is not None:
        data = results.select_pages(data, selection, results.keeps_furniture(job))
    if fmt != "json":
        return conditional.with_etag(Response(data[fmt], mimetype=TEXT_TYPES[fmt]), etag)
    return conditional.with_etag(jsonify(data), etag)


@bp.get("/jobs/<job_id>/tables/<int:n>.csv")
@require_permission("jobs:read")
@doc(
    tag="jobs",
    headers=s.ConditionalHeaders,
    errors=(409,),
    answers={
        200: Answer(
            "table n of the result (0-based, as in `tables`) as RFC 4180 CSV, every cell as extracted",
            media=s.CSV_MEDIA,
            headers=("Content-Disposition", "ETag"),
        ),
        304: Answer("unchanged since If-None-Match", headers=("ETag",)),
    },
)
def get_table_csv(job_id: str, n: int):
    """Download one table of a succeeded job's result as CSV (cells are not altered: see the README)."""
    job = jobs.get_job(job_id)
    etag = conditional.result_etag(job, f"table-{n}.csv")
    if job.status == "succeeded" and (unchanged := conditional.not_modified(etag)):
        return unchanged
    body = results.table_csv(jobs.get_result(job), n)
    response = Response(body, content_type="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = results.attachment_header(results.csv_filename(job, n))
    return conditional.with_etag(response, etag)


@bp.post("/jobs/<job_id>/cancel")
@require_permission("jobs:cancel")
@doc(tag="jobs", errors=(409,), answers={200: Answer("cancelled", s.Job, headers=("ETag",))})
def cancel_job(job_id: str):
    """Cancel a queued or running job."""
    return _job_response(jobs.cancel_job(jobs.get_job(job_id)))


@bp.post("/jobs/<job_id>/retry")
@require_permission("jobs:retry")
@doc(tag="jobs", errors=(409,), answers={202: Answer("queued again", s.Job, headers=("ETag",))})
def retry_job(job_id: str):
    """Queue a failed or cancelled job again."""
    return _job_response(jobs.retry_job(jobs.get_job(job_id)), 202)


@bp.delete("/jobs/<job_id>")
@require_permission("jobs:delete")
@doc(tag="jobs", answers={204: Answer("deleted with its result and stored file")})
def delete_job(job_id: str):
    """Delete a job with its result and stored file (admin)."""
    jobs.delete_job(jobs.get_job(job_id))
    return "", 204
