"""Per-request context: a request id (taken from X-Request-ID or made up) and the audit context."""

from __future__ import annotations

import re
import uuid

from flask import Flask, Response, g, request

from webapp import logs
from webapp.services import audit

_VALID_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


def _begin() -> None:
    incoming = request.headers.get("X-Request-ID", "")
    g.request_id = incoming if _VALID_ID.match(incoming) else uuid.uuid4().hex
    # Every log line of this request carries its id (gunicorn's access line takes it from the response).
    g.log_tokens = logs.bind(request_id=g.request_id)
    # Set on every request: gunicorn threads serve many requests, and a context must never leak between them.
    g.audit_token = audit.set_context(
        audit.AuditContext(
            actor_type="anonymous", actor_id=None, actor_name=None, ip=request.remote_addr, request_id=g.request_id
        )
    )


def _echo(response: Response) -> Response:
    if "request_id" in g:
        response.headers["X-Request-ID"] = g.request_id
    return response


def _end(_exc: BaseException | None) -> None:
    token = g.pop("audit_token", None)
    if token is not None:
        audit.reset_context(token)
    log_tokens = g.pop("log_tokens", None)
    if log_tokens is not None:
        logs.unbind(log_tokens)


def init_app(app: Flask) -> None:
    app.before_request(_begin)
    app.after_request(_echo)
    app.teardown_request(_end)
