"""The API keys page: list, create (the key is shown once, in the POST response) and revoke.

A new key is rendered straight into the answer to the form that created it: never into a URL, a flash
cookie or anything else a browser keeps, and the answer says ``Cache-Control: no-store``.
"""

from __future__ import annotations

from typing import Any

from flask import flash, make_response, redirect, render_template, url_for
from wtforms import SelectChoice

from webapp.api.auth import api_key_to_dict
from webapp.auth.identity import current_identity
from webapp.auth.policy import ROLE_RANK, ROLES, require_permission, role_allows
from webapp.dashboard import bp
from webapp.dashboard.errors import CSRF_MESSAGE
from webapp.dashboard.forms import ApiKeyForm, add_service_errors, checked_action_form
from webapp.models import ApiKey, User
from webapp.services import api_keys, users
from webapp.services.errors import ValidationFailed
from webapp.timeutil import utcnow


def _caller() -> User:
    return users.get_user(current_identity().user_id)


def _sees_every_key() -> bool:
    return role_allows(current_identity().role, "api_keys:any")


def _key_row(api_key: ApiKey) -> dict[str, Any]:
    row = api_key_to_dict(api_key)
    row["owner"] = api_key.user.email
    if api_key.revoked_at is not None:
        row["state"] = "revoked"
    elif api_key.expires_at is not None and api_key.expires_at <= utcnow():
        row["state"] = "expired"
    else:
        row["state"] = "active"
    return row


def _key_form(owner: User, **kwargs: Any) -> ApiKeyForm:
    form = ApiKeyForm(**kwargs)
    allowed = [role for role in ROLES if ROLE_RANK[role] <= ROLE_RANK[owner.role]]
    form.role.choices = [SelectChoice("", f"Same as mine ({owner.role})"), *map(SelectChoice, reversed(allowed))]
    return form


def _render(form: ApiKeyForm, status: int = 200, created: dict | None = None, form_error: str | None = None):
    everyone = _sees_every_key()
    rows = [_key_row(key) for key in api_keys.list_keys(None if everyone else _caller())]
    body = render_template(
        "dashboard/api_keys.html",
        form=form,
        keys=rows,
        show_owner=everyone,
        created=created,
        form_error=form_error,
    )
    response = make_response(body, status)
    if created:
        # The one response that carries a secret: no cache, proxy or back button may keep it.
        response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/settings/api-keys")
@require_permission("api_keys:own")
def api_keys_page():
    return _render(_key_form(_caller()))


@bp.post("/settings/api-keys")
@require_permission("api_keys:own")
def api_key_create():
    owner = _caller()
    form = _key_form(owner)
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            return _render(form, 400, form_error=CSRF_MESSAGE)
        return _render(form, 422)
    try:
        api_key, secret = api_keys.create_key(owner, form.name.data, form.role.data or None, form.expires_in_days.data)
    except ValidationFailed as exc:
        add_service_errors(form, exc)
        return _render(form, 422)
    created = {"key": secret, **_key_row(api_key)}
    return _render(_key_form(owner, formdata=None), 201, created=created)


@bp.post("/settings/api-keys/<key_id>/revoke")
@require_permission("api_keys:own")
def api_key_revoke(key_id: str):
    checked_action_form()
    # Someone else's key is "not found" unless the caller may manage every key.
    api_key = api_keys.get_key(key_id, None if _sees_every_key() else _caller())
    api_keys.revoke_key(api_key)
    flash(f"The key “{api_key.name}” ({api_key.prefix}…) was revoked: it no longer works.", "success")
    return redirect(url_for("dashboard.api_keys_page"))
