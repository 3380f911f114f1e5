"""Who may do what: one permission table for the API and the dashboard, declared on every view.

Each view carries a policy: ``@public`` or ``@require_permission("jobs:submit")``. The app's request hook
enforces it; a view without a declared policy is refused, and a test walks the URL map to keep it so.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from webapp.models.user import ROLE_RANK, ROLES

__all__ = ["ROLES", "ROLE_RANK", "PERMISSIONS", "public", "require_login", "require_permission", "role_allows"]

# permission → the least role that holds it (roles are ordered: each holds everything below it).
PERMISSIONS: dict[str, str] = {
    "jobs:read": "viewer",
    "pipelines:read": "viewer",
    "users:me": "viewer",
    "api_keys:own": "viewer",
    "jobs:submit": "operator",
    "jobs:cancel": "operator",
    "jobs:retry": "operator",
    "pipelines:write": "operator",
    # Running an unsaved pipeline on a sample in the web process (the dashboard's "Try it").
    "pipelines:try": "operator",
    "jobs:delete": "admin",
    "pipelines:delete": "admin",
    "users:manage": "admin",
    "api_keys:any": "admin",
    "webhooks:manage": "admin",
    "audit:read": "admin",
}

PUBLIC = "public"
# Signed in, whatever the role (e.g. logout).
AUTHENTICATED = "authenticated"
POLICY_ATTR = "docpipe_policy"

F = TypeVar("F", bound=Callable)


def role_allows(role: str | None, permission: str) -> bool:
    if role not in ROLE_RANK:
        return False
    if permission == AUTHENTICATED:
        return True
    return ROLE_RANK[role] >= ROLE_RANK[PERMISSIONS[permission]]


def require_permission(permission: str) -> Callable[[F], F]:
    if permission not in PERMISSIONS:
        raise ValueError(f"unknown permission {permission!r}")

    def decorate(view: F) -> F:
        setattr(view, POLICY_ATTR, permission)
        return view

    return decorate


def require_login(view: F) -> F:
    setattr(view, POLICY_ATTR, AUTHENTICATED)
    return view


def public(view: F) -> F:
    """Deliberately reachable without an identity: health, login, static assets, and the API's description
    (GET /api/v1/openapi.json and its page /api/docs: they describe the routes and hold no data)."""
    setattr(view, POLICY_ATTR, PUBLIC)
    return view


def policy_of(view: Callable | None) -> str | None:
    return getattr(view, POLICY_ATTR, None) if view is not None else None
