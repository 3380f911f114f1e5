"""Friendly error pages for the dashboard (security headers are added app-wide by webapp/security.py)."""

from __future__ import annotations

import logging

from flask import Response, current_app, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from webapp.dashboard import bp
from webapp.services.errors import NotFoundError, ServiceError, ValidationFailed

log = logging.getLogger(__name__)

CSRF_MESSAGE = "The form expired or did not come from this site. Reload the page and try again."
FRIENDLY_MESSAGES = {
    400: "The request could not be understood. If you sent a form, reload the page and try again.",
    404: "There is nothing at this address. The job or page may have been deleted, or the link is mistyped.",
    405: "This page cannot be used that way.",
    413: "The upload is larger than this server accepts.",
    500: "Something went wrong on our side. The error has been logged; please try again in a moment.",
}


def render_error_page(
    status: int, title: str, message: str | None = None, details: list[str] | None = None
) -> Response:
    """An HTML error page in the dashboard's layout. The app-wide HTTP error handler calls this for every
    path outside /api (see webapp/api/__init__.py)."""
    if status == 413:
        message = f"The upload exceeds the limit of {current_app.config['MAX_UPLOAD_MB']} MiB."
    body = render_template(
        "error.html",
        status=status,
        # One spelling for every source of errors: "Not Found" (HTTP) and "Not found" (services) alike.
        title=title[:1].upper() + title[1:].lower(),
        message=message or FRIENDLY_MESSAGES.get(status, ""),
        details=details or [],
    )
    return Response(body, status=status, mimetype="text/html")


def render_http_error(exc: HTTPException) -> Response:
    status = exc.code or 500
    if isinstance(exc, CSRFError):
        message = CSRF_MESSAGE
    elif "description" in vars(exc):  # abort(..., description=...) said something specific
        message = exc.description
    else:
        message = FRIENDLY_MESSAGES.get(status) or exc.description
    response = render_error_page(status, exc.name, message)
    if status == 405 and getattr(exc, "valid_methods", None):
        response.headers["Allow"] = ", ".join(exc.valid_methods)  # type: ignore[attr-defined]
    return response


# Endpoints that upload.js calls: they answer JSON, errors included.
JSON_ENDPOINTS = ("dashboard.upload_file",)


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException):
    if isinstance(exc, RequestEntityTooLarge) and request.endpoint in ("dashboard.upload", *JSON_ENDPOINTS):
        from webapp.dashboard.upload import upload_too_large

        return upload_too_large(as_json=request.endpoint in JSON_ENDPOINTS)
    if request.endpoint in JSON_ENDPOINTS:
        status = exc.code or 500
        message = CSRF_MESSAGE if isinstance(exc, CSRFError) else FRIENDLY_MESSAGES.get(status, exc.description)
        return jsonify(error=message), status
    return render_http_error(exc)


@bp.errorhandler(ServiceError)
def _service_error(exc: ServiceError):
    details = [f"{e.field}: {e.message}" for e in exc.errors] if isinstance(exc, ValidationFailed) else []
    if isinstance(exc, NotFoundError):
        # The friendly sentence first, then what exactly was missing ("no job 'job_…'").
        return render_error_page(404, exc.title, FRIENDLY_MESSAGES[404], [exc.detail])
    return render_error_page(exc.status, exc.title, exc.detail, details)


@bp.errorhandler(Exception)
def _unexpected(exc: Exception):
    log.error("unhandled error on %s %s", request.method, request.path, exc_info=exc)
    return render_error_page(500, "Internal server error")
