"""The upload page: a plain multipart form that works without JavaScript, and ``/upload/file``, the one-file
endpoint static/js/upload.js posts each dropped or chosen file to (with a progress bar per file).

Every upload is a *batch*: its jobs carry the label ``upload=<batch id>``, and both ways end on the jobs list
filtered to that label, where the new jobs are seen going live.
"""

from __future__ import annotations

import secrets
from typing import Any

from flask import current_app, flash, jsonify, redirect, render_template, url_for
from wtforms import SelectChoice

from webapp.auth.policy import require_permission
from webapp.dashboard import bp
from webapp.dashboard.errors import CSRF_MESSAGE
from webapp.dashboard.forms import UploadForm, add_service_errors, parse_label_lines
from webapp.services import jobs, pipelines
from webapp.services.errors import BusyError, NotFoundError, PayloadTooLargeError, ServiceError, ValidationFailed

BATCH_LABEL = "upload"


def new_batch_id() -> str:
    return secrets.token_hex(4)


def batch_jobs_url(batch: str) -> str:
    return url_for("dashboard.jobs_list", label=f"{BATCH_LABEL}={batch}")


def _upload_form(**kwargs: Any) -> UploadForm:
    form = UploadForm(**kwargs)
    form.pipeline.choices = [
        SelectChoice(p.name, f"{p.name} (version {p.current_version})") for p in pipelines.list_pipelines()
    ]
    if not form.pipeline.data:
        form.pipeline.data = pipelines.DEFAULT_PIPELINE
    if not form.batch.data or not form.batch.data.isalnum() or len(form.batch.data) > 16:
        form.batch.data = new_batch_id()
    return form


def _render_upload(form: UploadForm, status: int = 200, form_error: str | None = None):
    max_mb = current_app.config["MAX_UPLOAD_MB"]
    return render_template(
        "dashboard/upload.html", form=form, form_error=form_error, max_upload_mb=max_mb, max_bytes=max_mb << 20
    ), status


def _submission(form: UploadForm) -> tuple[int | None, dict[str, Any]]:
    """Priority and labels as the jobs service accepts them; field errors land on the form."""
    priority, labels = None, {}
    try:
        priority = jobs.parse_priority(form.priority.data)
    except ValidationFailed as exc:
        add_service_errors(form, exc)
    try:
        labels = jobs.parse_labels(parse_label_lines(form.labels.data))
    except ValidationFailed as exc:
        add_service_errors(form, exc, fallback=form.labels)
    if BATCH_LABEL in labels:
        form.labels.errors = [*form.labels.errors, f"the label “{BATCH_LABEL}” is set by the upload itself"]
    return priority, {**labels, BATCH_LABEL: form.batch.data}


@bp.route("/upload", methods=["GET", "POST"])
@require_permission("jobs:submit")
def upload():
    form = _upload_form()
    if not form.validate_on_submit():
        if form.is_submitted() and "csrf_token" in form.errors:
            return _render_upload(form, 400, CSRF_MESSAGE)
        return _render_upload(form, 422 if form.is_submitted() else 200)
    priority, labels = _submission(form)
    if form.priority.errors or form.labels.errors:
        return _render_upload(form, 422)
    created, status = [], 200
    for upload_file in form.files.data:
        try:
            created.append(
                jobs.submit_job(upload_file.stream, upload_file.filename, form.pipeline.data, priority, labels)
            )
        except (PayloadTooLargeError, BusyError) as exc:
            form.files.errors = [*form.files.errors, f"{upload_file.filename}: {exc.detail}"]
            status = exc.status
        except ValidationFailed as exc:
            add_service_errors(form, exc, fallback=form.files)
            status = exc.status
            break
        except NotFoundError as exc:
            form.pipeline.errors = [*form.pipeline.errors, exc.detail]
            status = exc.status
            break
    if not created:
        return _render_upload(form, status)
    names = ", ".join(job.filename for job in created)
    flash(f"Created {len(created)} job{'s' if len(created) != 1 else ''}: {names}.", "success")
    for message in form.files.errors:
        flash(f"Not uploaded: {message}", "error")
    return redirect(batch_jobs_url(form.batch.data))


@bp.post("/upload/file")
@require_permission("jobs:submit")
def upload_file():
    """One file of a batch, for upload.js: JSON in return, with the field errors keyed by field name."""
    form = _upload_form()
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            return jsonify(error=CSRF_MESSAGE), 400
        return _json_errors(form, 422)
    priority, labels = _submission(form)
    if form.priority.errors or form.labels.errors:
        return _json_errors(form, 422)
    upload_file = form.files.data[0]
    try:
        job = jobs.submit_job(upload_file.stream, upload_file.filename, form.pipeline.data, priority, labels)
    except ValidationFailed as exc:
        add_service_errors(form, exc, fallback=form.files)  # e.g. a part without a file name
        return _json_errors(form, exc.status)
    except ServiceError as exc:
        response = jsonify(error=exc.detail)
        if isinstance(exc, BusyError):
            response.headers["Retry-After"] = str(exc.retry_after)
        return response, exc.status
    return jsonify(
        job={"id": job.id, "filename": job.filename, "url": url_for("dashboard.job_detail", job_id=job.id)},
        jobs_url=batch_jobs_url(form.batch.data),
    ), 201


def _json_errors(form: UploadForm, status: int):
    fields = {name: errors for name, errors in form.errors.items() if errors and name != "csrf_token"}
    first = next(iter(fields.values()), ["The upload was refused."])[0]
    return jsonify(error=first, fields=fields), status


def upload_too_large(as_json: bool):
    """The request was refused before its form could be read (larger than MAX_CONTENT_LENGTH)."""
    message = f"The upload exceeds the limit of {current_app.config['MAX_UPLOAD_MB']} MiB"
    if as_json:
        return jsonify(error=f"{message}."), 413
    form = _upload_form(formdata=None)
    form.files.errors = [f"{message} in total."]
    return _render_upload(form, 413)
