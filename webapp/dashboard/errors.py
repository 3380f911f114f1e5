"""Friendly error pages for the dashboard (security headers are added app-wide by webapp/security.py)."""

from __future__ import annotations

import logging

from flask import Response, current_app, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from webapp.dashboard import bp
from webapp.services.errors import ServiceError, ValidationFailed

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
        title=title,
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


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException):
    if isinstance(exc, RequestEntityTooLarge) and request.endpoint == "dashboard.upload":
        from webapp.dashboard.views import upload_too_large

        return upload_too_large()
    return render_http_error(exc)


@bp.errorhandler(ServiceError)
def _service_error(exc: ServiceError):
    details = [f"{e.field}: {e.message}" for e in exc.errors] if isinstance(exc, ValidationFailed) else []
    return render_error_page(exc.status, exc.title, exc.detail, details)


@bp.errorhandler(Exception)
def _unexpected(exc: Exception):
    log.error("unhandled error on %s %s", request.method, request.path, exc_info=exc)
    return render_error_page(500, "Internal server error")
