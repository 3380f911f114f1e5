"""The users page (admins): list, create, change a role, disable and enable.

The users service makes every decision (valid roles, unique e-mail, no admin demoting or disabling
themselves); the page shows what it says.
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for

from webapp.api.auth import user_to_dict
from webapp.auth.identity import current_identity
from webapp.auth.policy import ROLES, require_permission
from webapp.dashboard import bp
from webapp.dashboard.errors import CSRF_MESSAGE
from webapp.dashboard.forms import UserCreateForm, add_service_errors, checked_action_form
from webapp.services import users
from webapp.services.errors import ConflictError, ValidationFailed


def _render(form: UserCreateForm, status: int = 200, form_error: str | None = None):
    rows = [user_to_dict(user) for user in users.list_users()]
    return render_template(
        "dashboard/users.html",
        users=rows,
        roles=ROLES,
        me=current_identity().user_id,
        form=form,
        form_error=form_error,
    ), status


@bp.get("/admin/users")
@require_permission("users:manage")
def users_list():
    return _render(UserCreateForm(formdata=None))


@bp.post("/admin/users")
@require_permission("users:manage")
def user_create():
    form = UserCreateForm()
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            return _render(form, 400, CSRF_MESSAGE)
        return _render(form, 422)
    try:
        user = users.create_user(form.email.data, form.password.data, form.role.data)
    except ValidationFailed as exc:
        add_service_errors(form, exc)
        return _render(form, 422)
    except ConflictError as exc:
        form.email.errors = [*form.email.errors, exc.detail]
        return _render(form, 409)
    flash(f"Created {user.email} with the {user.role} role.", "success")
    return redirect(url_for("dashboard.users_list"))


def _update(user_id: str, changes: dict[str, Any], done: str):
    checked_action_form()
    user = users.get_user(user_id)
    try:
        users.update_user(user, changes, current_identity().user_id)
    except ValidationFailed as exc:
        reasons = "; ".join(error.message for error in exc.errors)
        flash(f"{user.email} was not changed: {reasons}.", "error")
    else:
        flash(done.format(email=user.email, role=user.role), "success")
    return redirect(url_for("dashboard.users_list"))


@bp.post("/admin/users/<user_id>/role")
@require_permission("users:manage")
def user_role(user_id: str):
    return _update(user_id, {"role": request.form.get("role", "")}, "{email} now has the {role} role.")


@bp.post("/admin/users/<user_id>/disable")
@require_permission("users:manage")
def user_disable(user_id: str):
    done = "{email} is disabled: their dashboard sessions, tokens and API keys stop working now."
    return _update(user_id, {"active": False}, done)


@bp.post("/admin/users/<user_id>/enable")
@require_permission("users:manage")
def user_enable(user_id: str):
    done = "{email} is enabled again: they can sign in, and their unrevoked API keys work again."
    return _update(user_id, {"active": True}, done)
