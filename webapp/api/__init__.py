"""The JSON API under /api/v1: one module per resource, all on one blueprint."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, request
from werkzeug.exceptions import HTTPException

from webapp.api import problems
from webapp.extensions import csrf
from webapp.pipeline.config import FieldError
from webapp.services.errors import ServiceError, ValidationFailed

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def json_body() -> Any:
    """The request's JSON document; a missing or malformed body is a 422 naming ``body``."""
    if not request.is_json:
        raise ValidationFailed([FieldError("body", "send a JSON document with Content-Type: application/json")])
    data = request.get_json(silent=True)
    if data is None:
        raise ValidationFailed([FieldError("body", "malformed JSON")])
    return data


@bp.errorhandler(ServiceError)
def _service_error(exc: ServiceError):
    return problems.from_service_error(exc)


def init_app(app: Flask) -> None:
    from webapp.api import audit, auth, chunks, jobs, openapi, pipelines, webhooks  # noqa: F401 - routes register on bp

    app.register_blueprint(bp)
    app.register_blueprint(openapi.docs_bp)
    # The API authenticates by header (Bearer / X-API-Key), never by cookie, so CSRF does not apply.
    csrf.exempt(bp)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        # Under /api every error is problem+json; elsewhere the dashboard's friendly HTML page.
        if request.path.startswith("/api/"):
            return problems.from_http_exception(exc)
        from webapp.dashboard.errors import render_http_error

        return render_http_error(exc)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):  # noqa: ARG001 - logged via logger.exception
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        if request.path.startswith("/api/"):
            return problems.problem(500, "Internal server error", "an unexpected error occurred", "/problems/internal")
        return "Internal server error", 500
