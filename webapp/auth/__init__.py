"""Authentication and authorisation for every request: the one place a policy is enforced."""

from __future__ import annotations

import logging

from flask import Flask, g, redirect, request, url_for

from webapp.auth import ratelimit, sessions
from webapp.auth.identity import AuthError, Identity, authenticate_api, current_identity
from webapp.auth.policy import PUBLIC, policy_of, role_allows
from webapp.services import audit

log = logging.getLogger(__name__)
# Flask's own static route is a bound method that cannot carry a policy attribute.
PUBLIC_ENDPOINTS = {"static"}

__all__ = ["Identity", "current_identity", "init_app"]


def _is_api() -> bool:
    return request.path.startswith("/api/")


def _session_identity() -> Identity | None:
    from flask_login import current_user

    if not current_user.is_authenticated:
        return None
    user = current_user.user
    return Identity(kind="user", id=user.id, name=user.email, role=user.role, user_id=user.id)


def _unauthenticated(detail: str):
    if _is_api():
        from webapp.api.problems import problem

        response = problem(401, "Unauthorized", detail, "/problems/unauthorized")
        response.headers["WWW-Authenticate"] = 'Bearer realm="docpipe"'
        return response
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def _forbidden(detail: str):
    if _is_api():
        from webapp.api.problems import problem

        return problem(403, "Forbidden", detail, "/problems/forbidden")
    from webapp.dashboard.errors import render_error_page

    return render_error_page(403, "Forbidden", detail)


def enforce_policy():
    """Runs before every view: identify the caller and check the view's declared policy."""
    endpoint = request.endpoint
    if endpoint is None or endpoint in PUBLIC_ENDPOINTS:
        return None  # routing errors (404/405) and static files
    from flask import current_app

    policy = policy_of(current_app.view_functions.get(endpoint))
    if policy == PUBLIC:
        return None
    if _is_api():
        try:
            identity = authenticate_api()
        except AuthError as exc:
            log.info("refused credentials on %s: %s", request.path, exc)
            _record_denial(401, policy, str(exc))
            return _unauthenticated("the credentials are invalid, expired or revoked")
    else:
        identity = _session_identity()
    if identity is None:
        _record_denial(401, policy, "no credentials")
        return _unauthenticated("authentication required: send 'Authorization: Bearer <token or API key>'")
    g.identity = identity
    audit.set_actor(**_actor_fields(identity))
    if policy is None:
        # A view nobody declared a policy for is refused, not opened: secure by default.
        log.error("no access policy declared for endpoint %s", endpoint)
        _record_denial(403, policy, "no access policy declared")
        return _forbidden("this route has no access policy")
    if not role_allows(identity.role, policy):
        _record_denial(403, policy, f"role {identity.role}")
        return _forbidden(f"the {identity.role} role may not do this ({policy})")
    return None


def _actor_fields(identity: Identity) -> dict:
    actor = identity.actor()
    return {"actor_type": actor["type"], "actor_id": actor["id"], "actor_name": actor["name"]}


def _record_denial(status: int, policy: str | None, reason: str) -> None:
    audit.record_alone(
        "auth.denied",
        outcome="denied",
        details={
            "status": status,
            "method": request.method,
            "path": request.path,
            "permission": policy,
            "reason": reason[:200],
        },
    )


def _template_helpers() -> dict:
    # Pages rendered without passing the policy hook (404s) still know who is signed in.
    identity = current_identity() or (None if _is_api() else _session_identity())

    def can(permission: str) -> bool:
        return identity is not None and role_allows(identity.role, permission)

    return {"identity": identity, "can": can}


def init_app(app: Flask) -> None:
    from webapp.auth.views import bp

    sessions.init_app(app)
    ratelimit.init_app(app)
    app.register_blueprint(bp)
    app.before_request(enforce_policy)
    app.context_processor(_template_helpers)
