"""Dashboard pages and their htmx partials. Views call services and serializers only: no SQL here.

Every route lives on ``bp``, so a login and role check can be added to all of them with one
``bp.before_request`` (or one decorator on the POST views for the operator role).
"""

from __future__ import annotations

import io
import json
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, send_file, url_for
from wtforms import SelectChoice

from webapp.api.pagination import page_limit
from webapp.api.serializers import job_to_dict, pipeline_to_dict, result_to_dict
from webapp.auth.policy import require_permission
from webapp.dashboard import bp, filters  # noqa: F401 - template filters register on bp
from webapp.dashboard.errors import CSRF_MESSAGE  # error handlers register on bp
from webapp.dashboard.forms import ActionForm, UploadForm, add_service_errors, checked_action_form
from webapp.models.job import QUEUED, RUNNING, STATUSES, SUCCEEDED
from webapp.services import jobs, pipelines
from webapp.services.errors import ConflictError, NotFoundError, PayloadTooLargeError, ValidationFailed

ACTIVE = (QUEUED, RUNNING)
# Text shown inline on the job page; the full text is always one download link away.
DISPLAY_LIMIT = 200_000


@bp.get("/")
@require_permission("jobs:read")
def index():
    return redirect(url_for("dashboard.jobs_list"))


# --- jobs list --------------------------------------------------------------------------------------------


def _job_rows() -> dict[str, Any]:
    """The rows of the jobs list for the current query string, and whether any of them is still moving."""
    job_filters = jobs.parse_filters(request.args)
    items, next_cursor = jobs.list_jobs(job_filters, page_limit(), request.args.get("cursor") or None)
    runs = jobs.latest_stage_runs(items)
    rows = [job_to_dict(job, runs.get(job.id)) for job in items]
    query = {key: value for key, value in request.args.items() if value}
    return {
        "rows": rows,
        "active": any(row["status"] in ACTIVE for row in rows),
        "poll_url": url_for("dashboard.job_rows", **query),
        "older_url": url_for("dashboard.jobs_list", **{**query, "cursor": next_cursor}) if next_cursor else None,
        "newest_url": url_for("dashboard.jobs_list", **_without(query, "cursor")) if query.get("cursor") else None,
    }


def _without(query: dict[str, str], key: str) -> dict[str, str]:
    return {k: v for k, v in query.items() if k != key}


@bp.get("/jobs")
@require_permission("jobs:read")
def jobs_list():
    return render_template(
        "dashboard/jobs.html",
        statuses=STATUSES,
        pipelines=pipelines.list_pipelines(),
        selected={"status": request.args.get("status", ""), "pipeline": request.args.get("pipeline", "")},
        **_job_rows(),
    )


@bp.get("/jobs/_rows")
@require_permission("jobs:read")
def job_rows():
    """The table body alone: htmx polls it while a job on the page is queued or running."""
    return render_template("dashboard/_job_rows.html", **_job_rows())


# --- one job ----------------------------------------------------------------------------------------------


def _job_context(job_id: str) -> dict[str, Any]:
    job = jobs.get_job(job_id)
    runs = jobs.latest_stage_runs([job]).get(job.id)
    context: dict[str, Any] = {
        "job": job_to_dict(job, runs),
        "active": job.status in ACTIVE,
        "action_form": ActionForm(),
        "result": None,
        "display_limit": DISPLAY_LIMIT,
    }
    if job.status == SUCCEEDED:
        result = result_to_dict(job, jobs.get_result(job))
        context["result"] = result
        context["result_json"] = json.dumps(result, indent=2, ensure_ascii=False)
    return context


@bp.get("/jobs/<job_id>")
@require_permission("jobs:read")
def job_detail(job_id: str):
    return render_template("dashboard/job.html", **_job_context(job_id))


@bp.get("/jobs/<job_id>/_detail")
@require_permission("jobs:read")
def job_detail_partial(job_id: str):
    """Status, stages, error, actions and (once succeeded) the result; polls itself while the job moves."""
    try:
        context = _job_context(job_id)
    except NotFoundError:
        # Swapped in like any other answer, so the polling stops (htmx does not swap a 404).
        return render_template("dashboard/_job_gone.html")
    return render_template("dashboard/_job_detail.html", **context)


DOWNLOADS = {
    "text": ("text/plain", ".txt"),
    "markdown": ("text/markdown", ".md"),
    "json": ("application/json", ".json"),
}


@bp.get("/jobs/<job_id>/download/<fmt>")
@require_permission("jobs:read")
def job_download(job_id: str, fmt: str):
    """The result as a file, the same bytes as GET /api/v1/jobs/<id>/result?format=..."""
    if fmt not in DOWNLOADS:
        abort(404)
    job = jobs.get_job(job_id)
    result = jobs.get_result(job)
    if fmt == "json":
        body = json.dumps(result_to_dict(job, result), indent=2, ensure_ascii=False)
    else:
        body = result.text if fmt == "text" else result.markdown
    mimetype, suffix = DOWNLOADS[fmt]
    stem = job.filename.rsplit(".", 1)[0] or "result"
    return send_file(io.BytesIO(body.encode()), mimetype=mimetype, as_attachment=True, download_name=stem + suffix)


@bp.post("/jobs/<job_id>/cancel")
@require_permission("jobs:cancel")
def job_cancel(job_id: str):
    return _job_action(job_id, jobs.cancel_job, "The job was cancelled.", "cancelled")


@bp.post("/jobs/<job_id>/retry")
@require_permission("jobs:retry")
def job_retry(job_id: str):
    return _job_action(job_id, jobs.retry_job, "The job was queued again.", "retried")


def _job_action(job_id: str, action, done: str, verb: str):
    checked_action_form()
    job = jobs.get_job(job_id)
    try:
        action(job)
        flash(done, "success")
    except ConflictError as exc:
        flash(f"The job could not be {verb}: {exc.detail}.", "error")
    return redirect(url_for("dashboard.job_detail", job_id=job.id))


# --- upload -----------------------------------------------------------------------------------------------


def _upload_form(**kwargs: Any) -> UploadForm:
    form = UploadForm(**kwargs)
    form.pipeline.choices = [
        SelectChoice(p.name, f"{p.name} (version {p.current_version})") for p in pipelines.list_pipelines()
    ]
    if not form.pipeline.data:
        form.pipeline.data = pipelines.DEFAULT_PIPELINE
    return form


def _render_upload(form: UploadForm, status: int = 200, form_error: str | None = None):
    return render_template(
        "dashboard/upload.html",
        form=form,
        form_error=form_error,
        max_upload_mb=current_app.config["MAX_UPLOAD_MB"],
    ), status


def _parsed(form: UploadForm, parse, raw: str | None) -> Any:
    """Parse with the jobs service; its field errors go next to the form's fields."""
    try:
        return parse(raw)
    except ValidationFailed as exc:
        add_service_errors(form, exc, fallback=form.files)
        return None


@bp.route("/upload", methods=["GET", "POST"])
@require_permission("jobs:submit")
def upload():
    form = _upload_form()
    if not form.validate_on_submit():
        if form.is_submitted() and "csrf_token" in form.errors:
            return _render_upload(form, 400, CSRF_MESSAGE)
        return _render_upload(form, 422 if form.is_submitted() else 200)
    priority = _parsed(form, jobs.parse_priority, form.priority.data)
    labels = _parsed(form, jobs.parse_labels, form.labels.data)
    if form.priority.errors or form.labels.errors:
        return _render_upload(form, 422)
    created, status = [], 200
    for upload_file in form.files.data:
        try:
            job = jobs.submit_job(upload_file.stream, upload_file.filename, form.pipeline.data, priority, labels)
            created.append(job)
        except PayloadTooLargeError as exc:
            form.files.errors = [*form.files.errors, f"{upload_file.filename}: {exc.detail}"]
            status = 413
        except (NotFoundError, ValidationFailed) as exc:
            form.pipeline.errors = [*form.pipeline.errors, exc.detail]
            status = exc.status
            break
    if not created:
        return _render_upload(form, status)
    names = ", ".join(job.filename for job in created)
    flash(f"Created {len(created)} job{'s' if len(created) != 1 else ''}: {names}.", "success")
    for message in form.files.errors:
        flash(f"Not uploaded: {message}", "error")
    return redirect(url_for("dashboard.jobs_list"))


def upload_too_large():
    """The request was refused before its form could be read (larger than MAX_CONTENT_LENGTH)."""
    form = _upload_form(formdata=None)
    form.files.errors = [f"The upload exceeds the limit of {current_app.config['MAX_UPLOAD_MB']} MiB in total."]
    return _render_upload(form, 413)


# --- pipelines --------------------------------------------------------------------------------------------


@bp.get("/pipelines")
@require_permission("pipelines:read")
def pipelines_list():
    items = [pipeline_to_dict(pipeline, pipeline.current()) for pipeline in pipelines.list_pipelines()]
    return render_template("dashboard/pipelines.html", pipelines=items)
