"""Dashboard pages and their htmx partials: the jobs list (filters, live rows, bulk actions) and one job (status,
stage timeline, attempts, result). Views call services and serializers only: no SQL here."""

from __future__ import annotations

import io
import json
from datetime import datetime
from typing import Any

from flask import Response, abort, flash, redirect, render_template, request, send_file, url_for

from webapp.api.pagination import page_limit
from webapp.api.serializers import job_to_dict, result_to_dict
from webapp.auth.policy import require_permission
from webapp.dashboard import bp, filters  # noqa: F401 - template filters register on bp
from webapp.dashboard.forms import ActionForm, BulkForm, checked_action_form
from webapp.models import JobStageRun
from webapp.models.job import QUEUED, RUNNING, STATUSES, SUCCEEDED
from webapp.services import bulk_jobs, jobs, pipelines, result_pages, results, thumbnails
from webapp.services.errors import ConflictError, NotFoundError, ValidationFailed

ACTIVE = (QUEUED, RUNNING)
# Text shown inline on the job page; the full text is always one download link away.
DISPLAY_LIMIT = 200_000
# Pages of a PDF shown with their thumbnail on the job page; the text of all of them is in the Text tab.
PAGES_SHOWN = 100
# Elements listed in the Elements tab; the JSON download has all of them.
ELEMENTS_SHOWN = 2000
# Chunks listed in the Chunks tab; GET /api/v1/jobs/<id>/chunks has all of them.
CHUNKS_SHOWN = 500
FILTER_KEYS = ("status", "pipeline", "label", "created_after", "created_before")


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
    counts = {status: sum(row["status"] == status for row in rows) for status in ACTIVE}
    return {
        "rows": rows,
        "active": any(counts.values()),
        "counts": counts,
        "filtered": any(query.get(key) for key in FILTER_KEYS),
        "poll_url": url_for("dashboard.job_rows", **query),
        "older_url": url_for("dashboard.jobs_list", **{**query, "cursor": next_cursor}) if next_cursor else None,
        "newest_url": url_for("dashboard.jobs_list", **_without(query, "cursor")) if query.get("cursor") else None,
    }


def _without(query: dict[str, str], key: str) -> dict[str, str]:
    return {k: v for k, v in query.items() if k != key}


@bp.get("/jobs")
@require_permission("jobs:read")
def jobs_list():
    selected = {key: request.args.get(key, "") for key in FILTER_KEYS}
    return render_template(
        "dashboard/jobs.html",
        statuses=STATUSES,
        pipelines=pipelines.list_pipelines(),
        selected=selected,
        bulk_form=BulkForm(formdata=None, next=request.full_path),
        **_job_rows(),
    )


@bp.get("/jobs/_rows")
@require_permission("jobs:read")
def job_rows():
    """The table body alone: htmx polls it while a job on the page is queued or running."""
    return render_template("dashboard/_job_rows.html", oob=True, **_job_rows())


@bp.post("/jobs/bulk/cancel")
@require_permission("jobs:cancel")
def jobs_bulk_cancel():
    return _bulk(bulk_jobs.cancel_jobs)


@bp.post("/jobs/bulk/retry")
@require_permission("jobs:retry")
def jobs_bulk_retry():
    return _bulk(bulk_jobs.retry_jobs)


def _bulk(action):
    form = BulkForm()
    if not form.validate_on_submit():
        checked_action_form()  # a bad CSRF token: the friendly 400
    try:
        outcome = action(form.job_ids.data or [])
    except ValidationFailed as exc:
        flash(f"Nothing was done: {exc.errors[0].message}.", "error")
    else:
        flash(outcome.summary() + ".", "success" if outcome.done else "error")
    target = form.next.data or ""
    # Back to the list the operator was looking at: only ever a path of this site's jobs list.
    if not target.startswith("/jobs") or target.startswith("//"):
        target = url_for("dashboard.jobs_list")
    return redirect(target)


# --- one job ----------------------------------------------------------------------------------------------


def _job_context(job_id: str) -> dict[str, Any]:
    job = jobs.get_job(job_id)
    runs = jobs.latest_stage_runs([job]).get(job.id)
    context: dict[str, Any] = {
        "job": job_to_dict(job, runs),
        "active": job.status in ACTIVE,
        "action_form": ActionForm(),
        "timeline": timeline(runs or []),
        "attempts": attempts(job.stage_runs, job.attempts),
        "result": None,
        "pages": [],
        "display_limit": DISPLAY_LIMIT,
        "elements_limit": ELEMENTS_SHOWN,
        "chunks": None,
    }
    if job.status == SUCCEEDED:
        result = result_to_dict(job, jobs.get_result(job))
        context["result"] = result
        context["table_detection"] = results.table_detection(job, result.get("metadata") or {})
        if "chunks" in result:  # the pipeline has the chunk stage
            context["chunks"] = result_pages.chunk_views(result, CHUNKS_SHOWN, thumbnails.has_pages(job))
        if thumbnails.has_pages(job):
            pages = result_pages.page_views(result, results.keeps_furniture(job))
            context["pages"] = pages[:PAGES_SHOWN]
            context["page_count"] = (result.get("metadata") or {}).get("page_count") or len(pages)
    return context


def timeline(runs: list[JobStageRun]) -> list[dict[str, Any]]:
    """Each stage of an attempt with where its bar starts and how wide it is, in thousandths of the attempt's span
    (an SVG's coordinates: the CSP allows no inline style)."""
    starts = [run.started_at for run in runs if run.started_at]
    ends = [run.finished_at or run.started_at for run in runs if run.started_at]
    if not starts:
        return [{"name": run.name, "status": run.status, "duration_ms": run.duration_ms} for run in runs]
    origin, span_ms = min(starts), max(_ms(min(starts), max(ends)), 1)
    rows = []
    for run in runs:
        row: dict[str, Any] = {"name": run.name, "status": run.status, "duration_ms": run.duration_ms}
        if run.started_at:
            duration = run.duration_ms if run.duration_ms is not None else _ms(run.started_at, run.finished_at)
            row["x"] = round(1000 * _ms(origin, run.started_at) / span_ms)
            row["width"] = max(round(1000 * (duration or 0) / span_ms), 2)
        rows.append(row)
    return rows


def _ms(start: datetime, end: datetime | None) -> int:
    return int(((end or start) - start).total_seconds() * 1000)


def attempts(runs: list[JobStageRun], latest: int) -> list[dict[str, Any]]:
    """Every attempt of the job, newest first, with each stage's status, duration and error."""
    by_attempt: dict[int, list[JobStageRun]] = {}
    for run in runs:
        by_attempt.setdefault(run.attempt, []).append(run)
    return [
        {
            "number": number,
            "latest": number == latest,
            "started_at": min((r.started_at for r in items if r.started_at), default=None),
            "stages": items,
            "error": next((r.error for r in items if r.error), None),
        }
        for number, items in sorted(by_attempt.items(), reverse=True)
    ]


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
    return render_template("dashboard/_job_detail.html", oob=True, **context)


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
    name = results.file_stem(job) + suffix
    return send_file(io.BytesIO(body.encode()), mimetype=mimetype, as_attachment=True, download_name=name)


@bp.get("/jobs/<job_id>/tables/<int:n>.csv")
@require_permission("jobs:read")
def job_table_csv(job_id: str, n: int):
    """Table ``n`` of the result as CSV, the same bytes as GET /api/v1/jobs/<id>/tables/<n>.csv."""
    job = jobs.get_job(job_id)
    response = Response(results.table_csv(jobs.get_result(job), n), content_type="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = results.attachment_header(results.csv_filename(job, n))
    return response


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
