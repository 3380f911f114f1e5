"""Tokens, the caller, users (admin) and API keys."""

from __future__ import annotations

from flask import jsonify

from webapp.api import bp, json_body
from webapp.api import schemas as s
from webapp.api.openapi import Answer, doc
from webapp.auth.identity import current_identity
from webapp.auth.policy import public, require_permission, role_allows
from webapp.auth.ratelimit import login_limits
from webapp.auth.tokens import issue_token
from webapp.models import ApiKey, User
from webapp.pipeline.config import FieldError
from webapp.services import api_keys, audit, users
from webapp.services.errors import NotFoundError, ServiceError, ValidationFailed
from webapp.timeutil import isoformat


class InvalidCredentials(ServiceError):
    status = 401
    title = "Unauthorized"
    type = "/problems/unauthorized"


def user_to_dict(user: User) -> dict:
    return {
        "id": user.id,
        "email": user.email,
        "role": user.role,
        "active": user.active,
        "created_at": isoformat(user.created_at),
    }


def api_key_to_dict(api_key: ApiKey) -> dict:
    return {
        "id": api_key.id,
        "name": api_key.name,
        "prefix": api_key.prefix,
        "user_id": api_key.user_id,
        "role": api_key.role,
        "effective_role": api_keys.effective_role(api_key),
        "created_at": isoformat(api_key.created_at),
        "expires_at": isoformat(api_key.expires_at),
        "revoked_at": isoformat(api_key.revoked_at),
        "last_used_at": isoformat(api_key.last_used_at),
    }


@bp.post("/auth/token")
@public
@login_limits
@doc(
    tag="auth", json=s.TokenRequest, is_public=True, errors=(401,), answers={200: Answer("a short-lived JWT", s.Token)}
)
def issue_access_token():
    """Exchange e-mail and password for a JWT."""
    body = json_body()
    if not isinstance(body, dict):
        raise ValidationFailed([FieldError("body", "must be a JSON object with email and password")])
    missing = [FieldError(key, "required") for key in ("email", "password") if not isinstance(body.get(key), str)]
    if missing:
        raise ValidationFailed(missing)
    user = users.authenticate(body["email"], body["password"])
    if user is None:
        audit.record_alone("auth.token_issued", outcome="denied", details={"email": body["email"][:320]})
        # The same answer for an unknown e-mail, a wrong password and a disabled account.
        raise InvalidCredentials("invalid e-mail or password")
    token, ttl = issue_token(user.id, user.role)
    audit.set_actor("user", user.id, user.email)
    audit.record_alone("auth.token_issued", "user", user.id, details={"email": user.email, "expires_in": ttl})
    return jsonify({"access_token": token, "token_type": "Bearer", "expires_in": ttl})


def _caller() -> User:
    identity = current_identity()
    if identity is None or identity.user_id is None:
        raise NotFoundError("this identity has no local user (external token)")
    return users.get_user(identity.user_id)


@bp.get("/users/me")
@require_permission("users:me")
@doc(tag="users", answers={200: Answer("the caller", s.Me)})
def me():
    """Who am I."""
    identity = current_identity()
    if identity.user_id is None:
        return jsonify({"id": identity.id, "email": identity.name, "role": identity.role, "external": True})
    body = user_to_dict(users.get_user(identity.user_id))
    body["effective_role"] = identity.role
    return jsonify(body)


@bp.get("/users")
@require_permission("users:manage")
@doc(tag="users", answers={200: Answer("every user", s.UserList)})
def list_users():
    """List users (admin)."""
    return jsonify({"items": [user_to_dict(user) for user in users.list_users()], "next_cursor": None})


@bp.post("/users")
@require_permission("users:manage")
@doc(tag="users", json=s.UserCreate, errors=(409,), answers={201: Answer("created", s.User, headers=("Location",))})
def create_user():
    """Create a user (admin)."""
    body = json_body()
    if not isinstance(body, dict):
        raise ValidationFailed([FieldError("body", "must be a JSON object")])
    user = users.create_user(body.get("email") or "", body.get("password"), body.get("role", "viewer"))
    response = jsonify(user_to_dict(user))
    response.headers["Location"] = f"/api/v1/users/{user.id}"
    return response, 201


@bp.patch("/users/<user_id>")
@require_permission("users:manage")
@doc(tag="users", json=s.UserUpdate, answers={200: Answer("updated", s.User)})
def update_user(user_id: str):
    """Change a user's role, password or active flag (admin)."""
    body = json_body()
    if not isinstance(body, dict):
        raise ValidationFailed([FieldError("body", "must be a JSON object")])
    user = users.update_user(users.get_user(user_id), body, current_identity().user_id)
    return jsonify(user_to_dict(user))


@bp.delete("/users/<user_id>")
@require_permission("users:manage")
@doc(tag="users", errors=(409, 422), answers={204: Answer("deleted")})
def delete_user(user_id: str):
    """Delete a user (admin)."""
    users.delete_user(users.get_user(user_id), current_identity().user_id)
    return "", 204


def _key_scope() -> User | None:
    """Admins see and manage every key; everyone else only their own."""
    identity = current_identity()
    return None if role_allows(identity.role, "api_keys:any") else _caller()


@bp.get("/api-keys")
@require_permission("api_keys:own")
@doc(
    tag="api-keys", answers={200: Answer("the caller's keys (an admin's: every key); never the secrets", s.ApiKeyList)}
)
def list_api_keys():
    """List API keys."""
    return jsonify({"items": [api_key_to_dict(k) for k in api_keys.list_keys(_key_scope())], "next_cursor": None})


@bp.post("/api-keys")
@require_permission("api_keys:own")
@doc(
    tag="api-keys",
    json=s.ApiKeyCreate,
    errors=(404,),
    answers={201: Answer("created; key is shown this once", s.ApiKeyCreated, headers=("Location", "Cache-Control"))},
)
def create_api_key():
    """Create an API key."""
    body = json_body()
    if not isinstance(body, dict):
        raise ValidationFailed([FieldError("body", "must be a JSON object")])
    owner = _caller()
    if body.get("user_id") and body["user_id"] != owner.id:
        if _key_scope() is not None:
            raise ValidationFailed([FieldError("user_id", "only admins create keys for other users")])
        owner = users.get_user(body["user_id"])
    api_key, secret = api_keys.create_key(owner, body.get("name"), body.get("role"), body.get("expires_in_days"))
    response = jsonify({**api_key_to_dict(api_key), "key": secret})
    response.headers["Location"] = f"/api/v1/api-keys/{api_key.id}"
    response.headers["Cache-Control"] = "no-store"
    return response, 201


@bp.delete("/api-keys/<key_id>")
@require_permission("api_keys:own")
@doc(tag="api-keys", answers={204: Answer("revoked")})
def revoke_api_key(key_id: str):
    """Revoke an API key."""
    api_keys.revoke_key(api_keys.get_key(key_id, _key_scope()))
    return "", 204
