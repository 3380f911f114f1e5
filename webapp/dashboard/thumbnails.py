"""Page images of a PDF job for the result viewer, rendered on first request (in the sandbox) and then served
from the blob store. The browser may keep them: a job's file and its pages never change."""

from __future__ import annotations

from flask import Response, abort, request

from webapp.auth.policy import require_permission
from webapp.dashboard import bp
from webapp.services import jobs, thumbnails


@bp.get("/jobs/<job_id>/pages/<int:page>.png")
@require_permission("jobs:read")
def job_page_image(job_id: str, page: int):
    width = request.args.get("w", type=int) or thumbnails.WIDTHS[0]
    if page < 1:
        abort(404)
    image = thumbnails.page_image(jobs.get_job(job_id), page, width)
    response = Response(image, mimetype="image/png")
    # Private: the page of a document is as confidential as the document.
    response.headers["Cache-Control"] = "private, max-age=86400, immutable"
    return response
