"""RFC 9457 problem details: every API error is ``application/problem+json``."""

from __future__ import annotations

from typing import Any

from flask import Response, json, request
from werkzeug.exceptions import HTTPException

from webapp.services.errors import ServiceError, ValidationFailed

PROBLEM_MIME = "application/problem+json"


def problem(status: int, title: str, detail: str | None = None, type_: str = "about:blank", **extra: Any) -> Response:
    body: dict[str, Any] = {"type": type_, "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body["instance"] = request.path
    body.update(extra)
    return Response(json.dumps(body), status=status, mimetype=PROBLEM_MIME)


def from_service_error(exc: ServiceError) -> Response:
    extra = dict(exc.extra)
    if isinstance(exc, ValidationFailed):
        extra["errors"] = [error.to_dict() for error in exc.errors]
    response = problem(exc.status, exc.title, exc.detail, exc.type, **extra)
    retry_after = getattr(exc, "retry_after", None)
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    return response


def from_http_exception(exc: HTTPException) -> Response:
    status = exc.code or 500
    detail = exc.description
    if status == 413:
        from flask import current_app

        detail = f"the upload exceeds the limit of {current_app.config['MAX_UPLOAD_MB']} MiB"
    response = problem(status, exc.name, detail, f"/problems/http-{status}")
    if status == 405 and exc.valid_methods:  # type: ignore[attr-defined]
        response.headers["Allow"] = ", ".join(exc.valid_methods)  # type: ignore[attr-defined]
    return response
