"""Jobs: submit, read, list, result, cancel, retry, delete."""

from __future__ import annotations

from flask import Response, jsonify, request

from webapp.api import bp
from webapp.api.pagination import page_limit, paginated
from webapp.api.serializers import job_to_dict, result_to_dict
from webapp.auth.policy import require_permission
from webapp.pipeline.config import FieldError
from webapp.services import jobs
from webapp.services.errors import ValidationFailed


def _job_response(job, status: int = 200):
    runs = jobs.latest_stage_runs([job]).get(job.id)
    return jsonify(job_to_dict(job, runs)), status


@bp.post("/jobs")
@require_permission("jobs:submit")
def submit_job():
    upload = request.files.get("file")
    if upload is None:
        raise ValidationFailed([FieldError("file", "required: the document as a multipart/form-data part 'file'")])
    priority = jobs.parse_priority(request.form.get("priority"))
    labels = jobs.parse_labels(request.form.get("labels"))
    job = jobs.submit_job(upload.stream, upload.filename or "upload", request.form.get("pipeline"), priority, labels)
    body, status = _job_response(job, 202)
    body.headers["Location"] = f"/api/v1/jobs/{job.id}"
    return body, status


@bp.get("/jobs")
@require_permission("jobs:read")
def list_jobs():
    filters = jobs.parse_filters(request.args)
    items, next_cursor = jobs.list_jobs(filters, page_limit(), request.args.get("cursor"))
    runs = jobs.latest_stage_runs(items)
    return paginated([job_to_dict(job, runs.get(job.id)) for job in items], next_cursor)


@bp.get("/jobs/<job_id>")
@require_permission("jobs:read")
def get_job(job_id: str):
    return _job_response(jobs.get_job(job_id))


@bp.get("/jobs/<job_id>/result")
@require_permission("jobs:read")
def get_result(job_id: str):
    job = jobs.get_job(job_id)
    result = jobs.get_result(job)
    fmt = request.args.get("format", "json")
    if fmt == "text":
        return Response(result.text, mimetype="text/plain")
    if fmt == "markdown":
        return Response(result.markdown, mimetype="text/markdown")
    if fmt != "json":
        raise ValidationFailed([FieldError("format", "must be json, text or markdown")])
    return jsonify(result_to_dict(job, result))


@bp.post("/jobs/<job_id>/cancel")
@require_permission("jobs:cancel")
def cancel_job(job_id: str):
    return _job_response(jobs.cancel_job(jobs.get_job(job_id)))


@bp.post("/jobs/<job_id>/retry")
@require_permission("jobs:retry")
def retry_job(job_id: str):
    return _job_response(jobs.retry_job(jobs.get_job(job_id)), 202)


@bp.delete("/jobs/<job_id>")
@require_permission("jobs:delete")
def delete_job(job_id: str):
    jobs.delete_job(jobs.get_job(job_id))
    return "", 204
