"""Security headers on every response, API and dashboard alike."""

from __future__ import annotations

from flask import Flask, Response, abort, current_app, request

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ]
)


def add_security_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    if current_app.config.get("HTTPS") or request.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    return response


def refuse_nul_characters() -> None:
    """PostgreSQL cannot store U+0000 in text and would answer with a 500; no form field or query needs one.
    The API does the same check with the field's name in its problem+json (webapp/api/openapi.py)."""
    if request.path.startswith("/api/"):
        return
    for source in (request.args, request.form):
        for key, value in source.items(multi=True):
            if "\x00" in (key or "") or "\x00" in (value or ""):
                name = (key or "").replace("\x00", "")
                abort(400, description=f"the field {name!r} contains a NUL character (U+0000)")


def init_app(app: Flask) -> None:
    app.before_request(refuse_nul_characters)
    app.after_request(add_security_headers)
