"""Conditional requests (RFC 9110 §13): strong ETags, If-None-Match → 304, If-Match → 412.

ETags are strong: two responses with one ETag have the same bytes. Each is derived from what makes the
representation change, never from the body itself where that would cost a large read (a result's text).
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from flask import Response, request

from webapp.models import Job, Pipeline

_PIPELINE_TAG = re.compile(r"^(?P<id>.+)\.v(?P<version>\d+)$")


def _digest(*parts: object) -> str:
    return hashlib.sha256("\x1f".join(str(part) for part in parts).encode()).hexdigest()[:32]


def job_etag(body: dict[str, Any]) -> str:
    """A job's representation hashed: it is built anyway (its stage runs are one query the body needs), and
    a hash of all of it cannot miss a field that changes, which a hand-kept list of columns could."""
    return _digest(json.dumps(body, sort_keys=True, separators=(",", ":")))


def result_etag(job: Job, fmt: str, pages: str = "") -> str:
    """A result is written once, in the transaction that makes its job succeeded, and a succeeded job never
    runs again: the job's id, attempt and finish time name it, and 304 is answered without reading it.
    ``fmt`` names the representation (json, text, markdown, table-3.csv ...), ``pages`` the page selection."""
    finished = job.finished_at.isoformat() if job.finished_at else ""
    selection = (pages,) if pages else ()  # the whole result keeps the tags it had before selections existed
    return _digest("result", job.id, job.attempts, finished, fmt, *selection)


def pipeline_etag(pipeline: Pipeline) -> str:
    """Every change to a pipeline (its name too) makes a new version, so id and version name its state."""
    return f"{pipeline.id}.v{pipeline.current_version}"


def if_match_versions(pipeline_id: str) -> set[int] | None:
    """The versions If-Match accepts: None without the header (or with ``*``), else those named by its
    tags for this pipeline (an empty set when none is: the update must then fail)."""
    condition = request.if_match
    if not condition or condition.star_tag:
        return None
    versions = set()
    for tag in condition.as_set():
        found = _PIPELINE_TAG.match(tag)
        if found and found["id"] == pipeline_id:
            versions.add(int(found["version"]))
    return versions


def not_modified(etag: str) -> Response | None:
    """A 304 when If-None-Match names ``etag`` (weak comparison, ``*`` included), else None."""
    if request.if_none_match.contains_weak(etag):
        response = Response(status=304)
        # A 304 carries no representation, so no Content-Type either (RFC 9110 §15.4.5).
        del response.headers["Content-Type"]
        response.set_etag(etag)
        return response
    return None


def with_etag(response: Response, etag: str) -> Response:
    response.set_etag(etag)
    return response
